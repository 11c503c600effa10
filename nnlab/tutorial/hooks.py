"""Tutorial 3.4: watching the forward pass with forward hooks.

A forward hook ``hook(module, inputs, output)`` runs after ``module.forward``;
returning ``None`` leaves the output as it was. ``register_forward_hook``
returns a handle whose ``remove()`` takes the hook off again, which the
chapter never does.
"""

import torch
from torch import nn
from torch.nn import functional as F

from nnlab._validation import check_features


class HookModel(nn.Module):
    """``10 -> 20 -> 10 -> 1``; while hooked, ``activations["fc1"]`` and ``["fc2"]`` hold the last outputs.

    ``activations`` are detached copies of the outputs: recording them keeps
    no autograd graph alive.
    """

    WATCHED = ("fc1", "fc2")

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 20)
        self.fc2 = nn.Linear(20, 10)
        self.fc3 = nn.Linear(10, 1)
        self.activations: dict[str, torch.Tensor] = {}
        self.handles = [getattr(self, name).register_forward_hook(self._recorder(name)) for name in self.WATCHED]

    def _recorder(self, name: str):
        def hook(module, inputs, output):
            self.activations[name] = output.detach()

        return hook

    def remove_hooks(self) -> None:
        """Stop recording; ``activations`` keeps what it holds."""
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_features(x, 10, "HookModel")
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)
