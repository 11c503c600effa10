"""The report's exercise 2 as a student answers it, with one typical mistake: concatenating along the batch.

``torch.cat((a, b))`` joins along dimension 0, so a batch of b rows comes out
as 2b rows of one net's width: the shapes only agree when both nets have the
same output width, and even then the outputs are stacked, not side by side.
The parallel block concatenates along the last dimension (L7).
"""

import torch
from torch import nn


class ParallelBlock(nn.Module):
    def __init__(self, net1, net2):
        super().__init__()
        self.net1 = net1
        self.net2 = net2

    def forward(self, X):
        return torch.cat((self.net1(X), self.net2(X)))  # the mistake: dim=-1
