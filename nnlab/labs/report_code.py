"""The lab report's code, as nnlab reproduces its documented behaviour.

The reference with the roles swapped where the report's code does otherwise:

- section 1: ``FixedHiddenMLP`` keeps ``rand_weight`` as a plain tensor
  attribute, which ``state_dict()`` leaves out and ``.to()`` does not move;
  ``ParallelBlock`` returns the *sum* of its two nets' outputs, which the
  report calls concatenation.
- section 4: ``torch.load`` without ``weights_only=`` for the whole
  module, which torch 2.6 and later refuse; a checkpoint of four keys and no
  RNG state; torch's ``missing_keys`` as the list of layers not reused, which
  leaves out ``num_batches_tracked``; a freeze that only sets
  ``requires_grad=False``, so BatchNorm's running statistics still move; and
  exercise 2's convolutions with a bias before each BatchNorm.
- sections 2 and 3 behave as nnlab's, but for exercise 1's tensor-reduction
  layer, which starts from ``W ~ U(0, 1)`` (``torch.rand``), so its outputs
  grow like ``n² x²``, and computes with two einsums. (The report's
  initialisers test ``type(m) == nn.Linear`` where nnlab's use
  ``isinstance``; no claim is about subclasses of ``nn.Linear``.)
"""

from functools import partial

import torch

from nnlab import blocks, fileio, layers
from nnlab.labs.reference import REFERENCE

# --- section 3, custom layers -----------------------------------------------------------


def _tensor_dot(in_features):
    """The report's ``ParameterizedTensorDot``: ``W ~ U(0, 1)`` of shape ``(n, n, n)``, two einsums."""
    layer = layers.TensorDot(in_features, formulation="einsum")
    with torch.no_grad():
        layer.weight.uniform_(0, 1)
    return layer


# --- section 4, file I/O ---------------------------------------------------------------


def _save_params(net, path):
    torch.save(net.state_dict(), path)


def _load_params(net, path):
    net.load_state_dict(torch.load(path))


def _save_model(net, path):
    torch.save(net, path)


def _load_model(path):
    return torch.load(path)  # torch's default weights_only: True since torch 2.6


def _save_checkpoint(path, model, optimizer, epoch, loss):
    checkpoint = {"model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict()}
    torch.save({**checkpoint, "epoch": epoch, "loss": loss}, path)  # no RNG state


def _load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model_state_dict"])
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    return checkpoint["epoch"], checkpoint["loss"]


def _reuse_layers(new_net, original_state_dict, prefixes):
    subset = {key: value for key, value in original_state_dict.items() if key.startswith(tuple(prefixes))}
    return new_net.load_state_dict(subset, strict=False).missing_keys


def _freeze(*modules):
    for module in modules:
        for p in module.parameters():
            p.requires_grad = False


def _unfreeze(*modules):
    for module in modules:
        for p in module.parameters():
            p.requires_grad = True


REPORT_FILEIO = {
    "save_params": _save_params,
    "load_params": _load_params,
    "save_model": _save_model,
    "load_model": _load_model,
    "save_checkpoint": _save_checkpoint,
    "load_checkpoint": _load_checkpoint,
    "OriginalNetwork": partial(fileio.OriginalNetwork, conv_bias=True),
    "NewNetwork": partial(fileio.NewNetwork, conv_bias=True),
    "reuse_layers": _reuse_layers,
    "freeze": _freeze,
    "unfreeze": _unfreeze,
}

REPORT = REFERENCE.replace(
    "report",
    blocks={
        "FixedHiddenMLP": partial(blocks.FixedHiddenMLP, constant_as_buffer=False),
        "chimera": partial(blocks.chimera, constant_as_buffer=False),
        "ParallelBlock": partial(blocks.ParallelBlock, combine="sum"),
    },
    layers={"ParameterizedTensorDot": _tensor_dot},
    fileio=REPORT_FILEIO,
)
