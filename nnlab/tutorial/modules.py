"""Tutorial 3.1 and 3.2: the perceptron, and what ``nn.Module`` registers.

Counting, freezing and unfreezing parameters (3.2.3) are ``count_parameters``,
``freeze`` and ``unfreeze`` in ``nnlab.parameters``.
"""

import torch
from torch import nn
from torch.nn import functional as F

from nnlab._validation import check_features, check_positive


class Perceptron(nn.Module):
    """One artificial neuron: ``y = sigmoid(x . w + b)``.

    The chapter's version is a plain class holding tensors, invisible to
    ``parameters()`` and optimizers; as an ``nn.Module`` its ``w`` and ``b``
    are registered.

    Shape: ``(..., in_features) -> (...)``, values in ``(0, 1)`` in exact
    arithmetic; in float32 ``sigmoid`` rounds to exactly 1 above ``z = 17``
    and to 0 below about ``z = -104``.
    """

    def __init__(self, in_features: int):
        super().__init__()
        check_positive(in_features, "in_features", "Perceptron")
        self.weight = nn.Parameter(torch.randn(in_features))
        self.bias = nn.Parameter(torch.randn(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_features(x, self.weight.shape[0], "Perceptron")
        return torch.sigmoid(x @ self.weight + self.bias)


class CustomModule(nn.Module):
    """Submodules, a bare ``nn.Parameter`` and a buffer, side by side.

    ``custom_param`` is registered as a parameter by assignment alone.
    ``running_mean`` is a buffer: saved in ``state_dict()`` and moved by
    ``.to()``, but not in ``parameters()``, so no optimizer touches it.

    Shape: ``(batch, 10) -> (batch, 1)``.
    """

    def __init__(self):
        super().__init__()
        self.linear1 = nn.Linear(10, 5)
        self.linear2 = nn.Linear(5, 1)
        self.dropout = nn.Dropout(0.2)
        self.custom_param = nn.Parameter(torch.randn(5))
        self.register_buffer("running_mean", torch.zeros(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_features(x, 10, "CustomModule")
        return self.linear2(self.dropout(F.relu(self.linear1(x))))
