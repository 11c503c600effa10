"""Layers and blocks (report section 1).

A block is any ``nn.Module``: a layer, several layers, or a whole model. What
makes a block's parameters visible to ``parameters()``, ``state_dict()``,
``.to()`` and optimizers is *registration*: assigning a module as an attribute,
or putting it in ``_modules``. ``ListSequential`` shows what is lost without it.
"""

import torch
from torch import nn
from torch.nn import functional as F

from nnlab._validation import check_features


class MLP(nn.Module):
    """The report's first block: ``Linear(20, 256) -> ReLU -> Linear(256, 10)``.

    Shape: ``(batch, 20) -> (batch, 10)``.
    """

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(20, 256)
        self.output = nn.Linear(256, 10)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_features(X, 20, "MLP")
        return self.output(F.relu(self.hidden(X)))


def _require_modules(modules, who: str) -> None:
    if not modules:
        raise ValueError(f"{who} needs at least one module, got none.")
    for idx, module in enumerate(modules):
        if not isinstance(module, nn.Module):
            raise TypeError(f"{who}: argument {idx} is a {type(module).__name__}, not an nn.Module.")


class MySequential(nn.Module):
    """A hand-made ``nn.Sequential``: children live in ``_modules``, keyed ``"0"``, ``"1"``, ...

    ``_modules`` is the ordered dict that ``nn.Module`` walks for
    ``parameters()``, ``state_dict()``, ``.to()`` and ``apply()``, so storing
    the blocks there is what registers them.
    """

    def __init__(self, *modules: nn.Module):
        super().__init__()
        _require_modules(modules, "MySequential")
        for idx, module in enumerate(modules):
            self._modules[str(idx)] = module

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        for block in self._modules.values():
            X = block(X)
        return X


class ListSequential(nn.Module):
    """Exercise 1's broken variant: the blocks are kept in a plain Python list.

    The forward pass works, but ``nn.Module`` never sees the list: no
    parameters, an empty ``state_dict()``, ``.to()`` skips the blocks, an
    optimizer over ``parameters()`` refuses to start. Kept so the suite can show
    each consequence; do not use it.
    """

    def __init__(self, *modules: nn.Module):
        super().__init__()
        _require_modules(modules, "ListSequential")
        self.blocks = list(modules)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            X = block(X)
        return X


class FixedHiddenMLP(nn.Module):
    """Arbitrary code in ``forward``: a constant weight, a reused layer, a while loop.

    ``y = sum(z)`` where ``h = relu(linear(x) @ R + 1)``, ``z = linear(h)``
    halved until ``sum |z| <= 1``; so ``|y| <= 1``.

    ``R`` (``rand_weight``, ``(20, 20)``) is not a parameter. The report keeps
    it as a plain tensor attribute, which ``state_dict()`` does not save: a
    reloaded model draws a new ``R`` and computes another function.
    ``constant_as_buffer=True`` registers it as a buffer, which is saved,
    loaded and moved by ``.to()`` while still never being trained.

    Shape: ``(batch, 20) -> ()``.
    """

    def __init__(self, constant_as_buffer: bool = False):
        super().__init__()
        rand_weight = torch.rand(20, 20)
        if constant_as_buffer:
            self.register_buffer("rand_weight", rand_weight)
        else:
            self.rand_weight = rand_weight
        self.linear = nn.Linear(20, 20)

    def extra_repr(self) -> str:
        # a buffer is state, a plain tensor is not: the repr says which this one is
        kept = "buffer" if "rand_weight" in self._buffers else "plain tensor"
        return f"rand_weight={tuple(self.rand_weight.shape)} ({kept})"

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_features(X, 20, "FixedHiddenMLP")
        X = self.linear(X)
        X = F.relu(X @ self.rand_weight + 1)
        X = self.linear(X)  # the same layer again: two layers sharing one set of weights
        if not torch.isfinite(X).all():
            # halving never brings inf below 1: the loop below would never end
            raise ValueError("FixedHiddenMLP got non-finite activations; check the input for inf or nan.")
        while X.abs().sum() > 1:
            X = X / 2
        return X.sum()


class NestMLP(nn.Module):
    """A block holding a Sequential and a layer. Shape: ``(batch, 20) -> (batch, 16)``."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.linear = nn.Linear(32, 16)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_features(X, 20, "NestMLP")
        return self.linear(self.net(X))


def chimera(constant_as_buffer: bool = False) -> nn.Sequential:
    """The report's mix of blocks: ``NestMLP -> Linear(16, 20) -> FixedHiddenMLP``.

    Shape: ``(batch, 20) -> ()``.
    """
    return nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP(constant_as_buffer))


class ParallelBlock(nn.Module):
    """Exercise 2: run two blocks on the same input and combine their outputs.

    ``combine="concat"`` (what the exercise asks): ``cat(net1(X), net2(X), dim=-1)``,
    shape ``(..., d1 + d2)``, any widths.
    ``combine="sum"`` (what the report built): ``net1(X) + net2(X)``, shape
    ``(..., d)``, which needs ``d1 == d2``.
    """

    COMBINES = ("concat", "sum")

    def __init__(self, net1: nn.Module, net2: nn.Module, combine: str = "concat"):
        super().__init__()
        _require_modules((net1, net2), "ParallelBlock")
        if combine not in self.COMBINES:
            raise ValueError(f"ParallelBlock: combine must be one of {self.COMBINES}, got {combine!r}.")
        self.net1 = net1
        self.net2 = net2
        self.combine = combine

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        out1, out2 = self.net1(X), self.net2(X)
        if out1.shape[:-1] != out2.shape[:-1]:
            raise ValueError(
                f"ParallelBlock: net1 and net2 must agree on all but the last dimension; "
                f"got {tuple(out1.shape)} and {tuple(out2.shape)}."
            )
        if self.combine == "concat":
            return torch.cat((out1, out2), dim=-1)
        if out1.shape[-1] != out2.shape[-1]:
            raise ValueError(
                f"ParallelBlock(combine='sum') needs outputs of equal width; net1 gives "
                f"{out1.shape[-1]}, net2 gives {out2.shape[-1]}. Use combine='concat' for unequal widths."
            )
        return out1 + out2

    def extra_repr(self) -> str:
        return f"combine={self.combine!r}"
