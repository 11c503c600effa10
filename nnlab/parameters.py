"""Parameter management (report section 2): access, initialisation, tying, freezing.

Initialisers are functions of one module, meant for ``net.apply(init)``, which
calls them on every submodule, nested ones included; each touches only
``nn.Linear`` layers and leaves the rest alone.
"""

from collections.abc import Iterator

import torch
from torch import nn


def single_hidden_net() -> nn.Sequential:
    """The report's ``Linear(4, 8) -> ReLU -> Linear(8, 1)``. Shape: ``(batch, 4) -> (batch, 1)``."""
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))


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


def _parameters_of(modules: tuple[nn.Module, ...]) -> Iterator[nn.Parameter]:
    if not modules:
        raise ValueError("Name at least one module to freeze or unfreeze.")
    for module in modules:
        yield from module.parameters()


def freeze(*modules: nn.Module) -> None:
    """Stop gradients to every parameter of ``modules``.

    Parameters only: BatchNorm's running statistics are buffers and still
    move in train mode; put the frozen part in ``eval()`` to keep them too.
    """
    for p in _parameters_of(modules):
        p.requires_grad_(False)


def unfreeze(*modules: nn.Module) -> None:
    """Let gradients reach every parameter of ``modules`` again."""
    for p in _parameters_of(modules):
        p.requires_grad_(True)
