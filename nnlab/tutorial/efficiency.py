"""Tutorial 3.9: saving parameters, saving memory, compiling.

- ``SharedLayerModel`` applies one layer ``num_layers`` times: depth without
  more parameters.
- ``CheckpointModel`` recomputes its blocks' activations during backward
  instead of storing them (``torch.utils.checkpoint``, ``use_reentrant=False``
  as current torch asks): less memory, the same outputs and gradients.
- ``OptimizedModel`` is the chapter's model for compilation. The chapter
  scripts it with TorchScript, deprecated in current torch; ``torch.compile``
  is the successor. Whether compiling makes it faster is a measurement
  (see ``benchmarks/``), not a property.
"""

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.checkpoint import checkpoint

from nnlab._validation import check_features, check_positive


class SharedLayerModel(nn.Module):
    """``input_layer``, then ``shared_layer`` applied ``num_layers`` times, then ``output_layer``.

    Parameters: ``(in h + h) + (h^2 + h) + (h + 1)``, whatever ``num_layers``.

    Shape: ``(batch, input_size) -> (batch, 1)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int):
        super().__init__()
        check_positive(num_layers, "num_layers", "SharedLayerModel")
        self.input_layer = nn.Linear(input_size, hidden_size)
        self.shared_layer = nn.Linear(hidden_size, hidden_size)
        self.output_layer = nn.Linear(hidden_size, 1)
        self.num_layers = num_layers

    def extra_repr(self) -> str:
        return f"num_layers={self.num_layers}"  # the depth is a number, not a submodule: repr would hide it

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_features(x, self.input_layer.in_features, "SharedLayerModel")
        x = F.relu(self.input_layer(x))
        for _ in range(self.num_layers):
            x = F.relu(self.shared_layer(x))
        return self.output_layer(x)


class CheckpointModel(nn.Module):
    """Four ``width x width`` layers (the chapter's 1000), the first three in two checkpointed blocks.

    ``checkpointing=False`` runs the same computation plainly, for comparison.

    Shape: ``(batch, width) -> (batch, 1)``.
    """

    def __init__(self, width: int = 1000, checkpointing: bool = True):
        super().__init__()
        self.layer1 = nn.Linear(width, width)
        self.layer2 = nn.Linear(width, width)
        self.layer3 = nn.Linear(width, width)
        self.layer4 = nn.Linear(width, 1)
        self.checkpointing = checkpointing

    def extra_repr(self) -> str:
        return f"checkpointing={self.checkpointing}"

    def _block1(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.layer2(F.relu(self.layer1(x))))

    def _block2(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.layer3(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_features(x, self.layer1.in_features, "CheckpointModel")
        for block in (self._block1, self._block2):
            x = checkpoint(block, x, use_reentrant=False) if self.checkpointing else block(x)
        return self.layer4(x)


def leaky_relu_001(x: torch.Tensor) -> torch.Tensor:
    """The chapter's hand-written LeakyReLU with slope 0.01: ``x`` above zero, ``0.01 x`` below."""
    return torch.where(x > 0, x, 0.01 * x)


class OptimizedModel(nn.Module):
    """``100 -> 200 -> 100 -> 1`` with ``leaky_relu_001`` between layers. Shape: ``(batch, 100) -> (batch, 1)``."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(100, 200)
        self.fc2 = nn.Linear(200, 100)
        self.fc3 = nn.Linear(100, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = leaky_relu_001(self.fc1(x))
        x = leaky_relu_001(self.fc2(x))
        return self.fc3(x)
