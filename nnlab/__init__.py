"""nnlab: a course lab's claims about ``torch.nn``, built and checked.

One module per section of the lab: ``blocks`` (layers and blocks),
``parameters`` (parameter management), ``layers`` (custom layers) and
``fileio`` (saving and loading).
"""

from nnlab.blocks import MLP, FixedHiddenMLP, ListSequential, MySequential, NestMLP, ParallelBlock, chimera
from nnlab.fileio import (
    CheckpointMismatchError,
    load_checkpoint,
    load_matching,
    load_module,
    load_state_dict,
    save_checkpoint,
    save_module,
    save_state_dict,
)
from nnlab.layers import CenteredLayer, MyLinear, TensorDot
from nnlab.parameters import count_parameters, freeze, tied_net, unfreeze

__all__ = [
    "MLP",
    "CenteredLayer",
    "CheckpointMismatchError",
    "FixedHiddenMLP",
    "ListSequential",
    "MyLinear",
    "MySequential",
    "NestMLP",
    "ParallelBlock",
    "TensorDot",
    "chimera",
    "count_parameters",
    "freeze",
    "load_checkpoint",
    "load_matching",
    "load_module",
    "load_state_dict",
    "save_checkpoint",
    "save_module",
    "save_state_dict",
    "tied_net",
    "unfreeze",
]
