"""Report section 5's model, written unlike nnlab: one ModuleList of layers, dropout as a function."""

import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    def __init__(self, activation=nn.ReLU(), dropout_rate=0.0):  # noqa: B008  (the report's signature)
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(784, 256), nn.Linear(256, 128), nn.Linear(128, 10)])
        self.activation = activation
        self.dropout_rate = dropout_rate

    def forward(self, x):
        x = x.reshape(len(x), -1)
        for layer in self.layers[:-1]:
            x = F.dropout(self.activation(layer(x)), self.dropout_rate, self.training)
        return self.layers[-1](x)
