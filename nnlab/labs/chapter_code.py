"""The tutorial chapter's code, as nnlab reproduces its documented behaviour.

The reference with the roles swapped where the chapter's code does otherwise.
"""

import matplotlib.pyplot as plt  # chapter, T11 to T20
import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from nnlab.labs.reference import REFERENCE
from nnlab.tutorial import efficiency

# chapter, T1 to T10 ------------------------------------------------------------


class PlainPerceptron:
    """The chapter's ``Perceptron``: a plain class holding two tensors, not an ``nn.Module``.

    ``parameters()``, ``state_dict()``, ``.to()`` and optimizers never see its
    weights; it takes one sample at a time (``torch.dot`` needs a 1-D input)
    and returns ``sigmoid(x . w + b)`` of shape ``(1,)``.
    """

    def __init__(self, input_size: int):
        self.weights = torch.randn(input_size, requires_grad=True)
        self.bias = torch.randn(1, requires_grad=True)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(torch.dot(x, self.weights) + self.bias)


# chapter, T11 to T20 -----------------------------------------------------------


class ExpandingStatefulLayer(nn.Module):
    """The chapter's ``StatefulLayer``: one zero row of state, ``expand``ed to the first batch.

    A later batch of another size fails inside ``expand`` with torch's
    RuntimeError about expanded sizes; ``reset_state(batch_size=1)`` makes a
    fresh float32 zero state.
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.hidden_size = hidden_size
        self.input_transform = nn.Linear(input_size, hidden_size)
        self.hidden_transform = nn.Linear(hidden_size, hidden_size)
        self.register_buffer("hidden_state", torch.zeros(1, hidden_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if len(self.hidden_state) != len(x):
            self.hidden_state = self.hidden_state.expand(len(x), -1).contiguous()
        new_hidden = torch.tanh(self.input_transform(x) + self.hidden_transform(self.hidden_state))
        self.hidden_state = new_hidden.detach()
        return new_hidden

    def reset_state(self, batch_size: int = 1) -> None:
        self.hidden_state = torch.zeros(batch_size, self.hidden_size)


class ReentrantCheckpointModel(efficiency.CheckpointModel):
    """The chapter's ``CheckpointModel``: ``checkpoint(block, x)`` without ``use_reentrant``, which runs reentrant.

    The reentrant variant gives the checkpointed layers no gradient when the
    input needs none, as training data does not: only the last layer trains.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in (self._block1, self._block2):
            x = checkpoint(block, x, use_reentrant=True)
        return self.layer4(x)


def first_three_weight_histograms(model: nn.Module, layer_name: str | None = None) -> None:
    """The chapter's ``visualize_weights``: the first three weight tensors' histograms on a 1 x 3 grid, shown."""
    weights = [(n, p) for n, p in model.named_parameters() if "weight" in n and (layer_name is None or layer_name in n)]
    plt.figure(figsize=(15, 5))
    for index, (name, p) in enumerate(weights[:3], start=1):
        values = p.detach().flatten().numpy()
        plt.subplot(1, 3, index)
        plt.hist(values, bins=50, alpha=0.7)
        plt.title(f"{name}\nMean: {values.mean():.4f}, Std: {values.std():.4f}")
    plt.tight_layout()
    plt.show()


CHAPTER = REFERENCE.replace(
    "chapter",
    chapter={
        # chapter, T1 to T10 (its CustomModule, HookDemo, CustomLinear and freezing helpers behave as nnlab's)
        "Perceptron": PlainPerceptron,
        # chapter, T11 to T20
        "StatefulLayer": ExpandingStatefulLayer,
        "CheckpointModel": ReentrantCheckpointModel,
        "visualize_weights": first_three_weight_histograms,
    },
)
