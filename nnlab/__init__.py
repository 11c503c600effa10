"""nnlab: a course lab's claims about ``torch.nn``, built and checked.

One module per section of the lab: ``blocks`` (layers and blocks),
``parameters`` (parameter management), ``layers`` (custom layers) and
``fileio`` (saving and loading), ``data``, ``classifier``, ``training``,
``experiment`` and ``plots`` (the Fashion-MNIST experiment), and the tutorial
chapter's sections under ``nnlab.tutorial``.
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
from nnlab.parameters import (
    count_parameters,
    freeze,
    init_42,
    init_constant,
    init_inverse_numel,
    init_normal,
    init_textbook,
    init_xavier,
    tied_net,
    unfreeze,
)
from nnlab.tutorial.architectures import MultiClassifier, ResidualBlock
from nnlab.tutorial.custom_layers import CustomLinear, SimpleAttention, StatefulLayer

__all__ = [
    "MLP",
    "CenteredLayer",
    "CheckpointMismatchError",
    "CustomLinear",
    "FixedHiddenMLP",
    "ListSequential",
    "MultiClassifier",
    "MyLinear",
    "MySequential",
    "NestMLP",
    "ParallelBlock",
    "ResidualBlock",
    "SimpleAttention",
    "StatefulLayer",
    "TensorDot",
    "chimera",
    "count_parameters",
    "freeze",
    "init_42",
    "init_constant",
    "init_inverse_numel",
    "init_normal",
    "init_textbook",
    "init_xavier",
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
