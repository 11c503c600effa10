"""Parameter management (report section 2): access, initialisation, tying, freezing.

Initialisers are functions of one module, meant for ``net.apply(init)``, which
calls them on every submodule, nested ones included; each touches only
``nn.Linear`` layers and leaves the rest alone.
"""

from collections.abc import Iterator

import torch
from torch import nn


def block1() -> nn.Sequential:
    """``Linear(4, 8) -> ReLU -> Linear(8, 4) -> ReLU``."""
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())


def block2() -> nn.Sequential:
    """Four ``block1`` nested under the names ``"block 0"`` to ``"block 3"``."""
    net = nn.Sequential()
    for i in range(4):
        net.add_module(f"block {i}", block1())
    return net


def rgnet() -> nn.Sequential:
    """The report's nested network: ``block2() -> Linear(4, 1)``; names look like ``0.block 0.0.weight``."""
    return nn.Sequential(block2(), nn.Linear(4, 1))


def tied_net(shared: nn.Linear | None = None) -> nn.Sequential:
    """The report's tied network: one ``Linear(8, 8)`` object at positions 2 and 4.

    ``Linear(4, 8) -> ReLU -> shared -> ReLU -> shared -> ReLU -> Linear(8, 1)``.
    Both positions hold the *same* ``Parameter``, so the gradient it receives is
    the sum of the contributions of both uses.
    """
    shared = nn.Linear(8, 8) if shared is None else shared
    if not isinstance(shared, nn.Linear) or (shared.in_features, shared.out_features) != (8, 8):
        raise ValueError(f"tied_net needs a Linear(8, 8) to share, got {shared!r}.")
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1))


# --- initialisers, for net.apply(...) -------------------------------------------------


def init_normal(m: nn.Module) -> None:
    """Weights ~ N(0, 0.01^2), bias 0."""
    if isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, mean=0.0, std=0.01)
        nn.init.zeros_(m.bias)


def init_constant(m: nn.Module) -> None:
    """Weights 1, bias 0."""
    if isinstance(m, nn.Linear):
        nn.init.constant_(m.weight, 1.0)
        nn.init.zeros_(m.bias)


def init_xavier(m: nn.Module) -> None:
    """Weights ~ U(-a, a) with ``a = sqrt(6 / (fan_in + fan_out))``; bias untouched."""
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)


def init_42(m: nn.Module) -> None:
    """Weights 42; bias untouched."""
    if isinstance(m, nn.Linear):
        nn.init.constant_(m.weight, 42.0)


def init_inverse_numel(m: nn.Module) -> None:
    """The report's custom init: every weight ``1 / weight.numel()``, bias 0."""
    if isinstance(m, nn.Linear):
        with torch.no_grad():
            m.weight.fill_(1.0 / m.weight.numel())
            m.bias.zero_()


def init_textbook(m: nn.Module) -> None:
    """The textbook's custom init: ``w ~ U(-10, 10)``, then ``w = 0`` where ``|w| < 5``."""
    if isinstance(m, nn.Linear):
        with torch.no_grad():
            nn.init.uniform_(m.weight, -10.0, 10.0)
            m.weight *= m.weight.abs() >= 5


# --- counting and freezing ------------------------------------------------------------


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters; a tied parameter counts once, as ``parameters()`` yields it once."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _check_named(modules: tuple[nn.Module, ...]) -> tuple[nn.Module, ...]:
    if not modules:
        raise ValueError("Name at least one module to freeze or unfreeze.")
    return modules


def _batch_norms(modules: tuple[nn.Module, ...]) -> Iterator[nn.modules.batchnorm._BatchNorm]:
    for module in modules:
        for sub in module.modules():
            if isinstance(sub, nn.modules.batchnorm._BatchNorm):
                yield sub


# where freeze() keeps a batch norm's own track_running_stats, for unfreeze() to put back
_TRACKED_BEFORE_FREEZE = "_nnlab_tracked_before_freeze"


def freeze(*modules: nn.Module) -> None:
    """Keep every parameter and every batch-norm running statistic of ``modules`` as it is.

    Parameters stop getting gradients (``requires_grad=False``), so no
    optimizer moves them, not even with weight decay or momentum. Batch-norm
    layers inside stop updating ``running_mean``, ``running_var`` and
    ``num_batches_tracked``: freeze sets their ``track_running_stats`` to
    ``False``, which in train mode normalises with the batch's statistics and
    leaves the buffers alone, and in eval mode still normalises with the
    buffers (torch's ``_BatchNorm.forward``). Unlike ``module.eval()``, this
    survives the ``model.train()`` of a training loop. ``unfreeze`` puts each
    layer's own setting back. (Instance norms with tracked statistics are not
    covered: in torch they update their buffers whatever the flag says.)
    """
    for p in _parameters_of(_check_named(modules)):
        p.requires_grad_(False)
    for norm in _batch_norms(modules):
        if not hasattr(norm, _TRACKED_BEFORE_FREEZE):
            setattr(norm, _TRACKED_BEFORE_FREEZE, norm.track_running_stats)
        norm.track_running_stats = False


def unfreeze(*modules: nn.Module) -> None:
    """Undo ``freeze``: gradients reach every parameter of ``modules``, and batch norms track statistics as before."""
    for p in _parameters_of(_check_named(modules)):
        p.requires_grad_(True)
    for norm in _batch_norms(modules):
        if hasattr(norm, _TRACKED_BEFORE_FREEZE):
            norm.track_running_stats = getattr(norm, _TRACKED_BEFORE_FREEZE)
            delattr(norm, _TRACKED_BEFORE_FREEZE)


def _parameters_of(modules: tuple[nn.Module, ...]) -> Iterator[nn.Parameter]:
    for module in modules:
        yield from module.parameters()
