"""Tutorial 3.8: a configurable classifier and a residual MLP."""

import torch
from torch import nn
from torch.nn import functional as F

from nnlab._validation import check_features, check_positive


class MultiClassifier(nn.Module):
    """``Linear -> BatchNorm1d -> ReLU -> Dropout`` per hidden size, then ``Linear`` to the classes.

    Returns logits; ``softmax`` of them is a probability distribution.

    Shape: ``(batch, input_size) -> (batch, num_classes)``; in training mode
    BatchNorm needs ``batch >= 2``.
    """

    def __init__(self, input_size: int, hidden_sizes: list[int], num_classes: int, dropout_rate: float = 0.2):
        super().__init__()
        for size in (input_size, *hidden_sizes, num_classes):
            check_positive(size, "every size", "MultiClassifier")
        self.input_size = input_size
        layers: list[nn.Module] = []
        previous = input_size
        for hidden in hidden_sizes:
            layers += [nn.Linear(previous, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(dropout_rate)]
            previous = hidden
        layers.append(nn.Linear(previous, num_classes))
        self.network = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_features(x, self.input_size, "MultiClassifier")
        return self.network(x)


class ResidualBlock(nn.Module):
    """``relu(x + bn2(fc2(dropout(relu(bn1(fc1(x)))))))``: the input is added back before the last ReLU.

    Shape: ``(batch, hidden_size) -> (batch, hidden_size)``.
    """

    def __init__(self, hidden_size: int, dropout_rate: float = 0.1):
        super().__init__()
        check_positive(hidden_size, "hidden_size", "ResidualBlock")
        self.fc1 = nn.Linear(hidden_size, hidden_size)
        self.fc2 = nn.Linear(hidden_size, hidden_size)
        self.bn1 = nn.BatchNorm1d(hidden_size)
        self.bn2 = nn.BatchNorm1d(hidden_size)
        self.dropout = nn.Dropout(dropout_rate)

    def branch(self, x: torch.Tensor) -> torch.Tensor:
        """What the block adds to its input."""
        return self.bn2(self.fc2(self.dropout(F.relu(self.bn1(self.fc1(x))))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_features(x, self.fc1.in_features, "ResidualBlock")
        return F.relu(self.branch(x) + x)  # not `out += x`: in-place on a tensor autograd may still need


class ResidualMLP(nn.Module):
    """The chapter's ``ResNet``: ``Linear -> ReLU``, ``num_blocks`` residual blocks, ``Linear``.

    Parameters: ``(in h + h) + num_blocks (2 (h^2 + h) + 4 h) + (h c + c)``.

    Shape: ``(batch, input_size) -> (batch, num_classes)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_blocks: int, num_classes: int):
        super().__init__()
        self.input_projection = nn.Linear(input_size, hidden_size)
        self.residual_blocks = nn.ModuleList([ResidualBlock(hidden_size) for _ in range(num_blocks)])
        self.output_layer = nn.Linear(hidden_size, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_features(x, self.input_projection.in_features, "ResidualMLP")
        x = F.relu(self.input_projection(x))
        for block in self.residual_blocks:
            x = block(x)
        return self.output_layer(x)
