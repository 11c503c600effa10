"""Report section 1, written unlike nnlab: raw parameters, functional calls, modules kept in ModuleDicts.

A correct lab: nnlab's checks must pass it. It is here to catch false alarms,
checks that accept only nnlab's way of writing the lab.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn


def _raw_linear(fan_in: int, fan_out: int) -> tuple[nn.Parameter, nn.Parameter]:
    """A weight stored (in, out), the transpose of nn.Linear's, with nn.Linear's initial scale."""
    bound = 1 / math.sqrt(fan_in)
    weight = nn.Parameter(torch.empty(fan_in, fan_out).uniform_(-bound, bound))
    bias = nn.Parameter(torch.empty(fan_out).uniform_(-bound, bound))
    return weight, bias


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.w_in, self.b_in = _raw_linear(20, 256)
        self.w_out, self.b_out = _raw_linear(256, 10)

    def forward(self, X):
        return torch.addmm(self.b_out, torch.addmm(self.b_in, X, self.w_in).clamp_min(0), self.w_out)


class MySequential(nn.Module):
    def __init__(self, *modules):
        super().__init__()
        for position, module in enumerate(modules):
            self.add_module(f"step_{position}", module)

    def forward(self, X):
        for module in self._modules.values():  # not children(), which runs a module given twice once
            X = module(X)
        return X


class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("constant", torch.rand(20, 20))
        self.weight, self.bias = _raw_linear(20, 20)

    def forward(self, X):
        hidden = torch.relu((X @ self.weight + self.bias) @ self.constant + 1)
        out = hidden @ self.weight + self.bias  # the same weights a second time
        total, scale = out.abs().sum(), 1.0
        while total * scale > 1:  # halving is exact in floating point: the same as halving out each time
            scale /= 2
        return (out * scale).sum()


class NestMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleDict({"a": nn.Linear(20, 64), "b": nn.Linear(64, 32), "c": nn.Linear(32, 16)})

    def forward(self, X):
        X = F.relu(self.layers["b"](F.relu(self.layers["a"](X))))
        return self.layers["c"](X)


def chimera():
    return nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP())


class ParallelBlock(nn.Module):
    def __init__(self, net1, net2):
        super().__init__()
        self.branches = nn.ModuleList([net1, net2])

    def forward(self, X):
        return torch.cat([branch(X) for branch in self.branches], dim=-1)
