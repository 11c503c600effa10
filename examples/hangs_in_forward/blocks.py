"""Pathological: a forward whose loop never ends. Only the checks that call it are lost, each to its time limit.

``ParallelBlock`` waits for a condition that never comes; the section's other
roles are correct and keep their results.
"""

import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))

    def forward(self, X):
        return self.net(X)


class ParallelBlock(nn.Module):
    def __init__(self, net1, net2):
        super().__init__()
        self.net1, self.net2 = net1, net2

    def forward(self, X):
        outputs = [self.net1(X), self.net2(X)]
        while len(outputs) < 3:  # never true: a loop that never ends
            pass
        return torch.cat(outputs, dim=-1)
