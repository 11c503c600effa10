"""Report section 1 as a student writes it, with one typical mistake: MySequential keeps its blocks in a list.

A Python list is invisible to nn.Module: the blocks' parameters are not the
container's, so an optimizer built from ``net.parameters()`` gets none of
them, ``state_dict()`` is empty and ``.to()`` leaves them behind (L3; the
report's exercise 1, L4, is about exactly this). The rest is correct.
"""

import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(20, 256)
        self.out = nn.Linear(256, 10)

    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))


class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        self.blocks = list(args)  # the mistake: nn.ModuleList(args), or add_module, registers them

    def forward(self, X):
        for block in self.blocks:
            X = block(X)
        return X


class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("rand_weight", torch.rand(20, 20))
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(X @ self.rand_weight + 1)
        X = self.linear(X)
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()


class NestMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.linear = nn.Linear(32, 16)

    def forward(self, X):
        return self.linear(self.net(X))


def chimera():
    return nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP())


class ParallelBlock(nn.Module):
    def __init__(self, net1, net2):
        super().__init__()
        self.net1, self.net2 = net1, net2

    def forward(self, X):
        return torch.cat((self.net1(X), self.net2(X)), dim=-1)
