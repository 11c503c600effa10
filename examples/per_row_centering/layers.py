"""Report section 3 as a student writes it, with one typical mistake: CenteredLayer centres each row.

``X - X.mean(dim=1, keepdim=True)`` gives every row mean zero, so the output's
mean is zero too and a test that only looks at the mean passes it. The
report's layer subtracts the mean of the whole batch (C1): rows that differ
keep their differences. The rest is correct.
"""

import torch
import torch.nn.functional as F
from torch import nn


class CenteredLayer(nn.Module):
    def forward(self, X):
        return X - X.mean(dim=1, keepdim=True)  # the mistake: X - X.mean()


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units))

    def forward(self, X):
        return F.relu(X @ self.weight + self.bias)


class ParameterizedTensorDot(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_features, in_features, in_features))

    def forward(self, x):
        return torch.einsum("ijk,bi,bj->bk", self.weight, x, x)
