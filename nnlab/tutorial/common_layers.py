"""Tutorial 3.3: common layers, with the identities that define them.

- ReLU ``max(0, x)``; LeakyReLU(0.1) ``x`` above zero, ``0.1 x`` below;
  ELU ``x`` above zero, ``exp(x) - 1`` below; GELU ``x Phi(x)``;
  SiLU ``x sigmoid(x)``; Tanh odd, in ``(-1, 1)``; Sigmoid in ``(0, 1)``,
  ``s(-x) = 1 - s(x)``.
- Dropout(p), in training: each element is zeroed with probability ``p``
  and the survivors are scaled by ``1 / (1 - p)``, so ``E[y] = x``; in eval
  mode, the identity.
- BatchNorm1d, in training: ``y = (x - mean_B) / sqrt(var_B + eps) * gamma + beta``
  over the batch (``var_B`` biased), and ``running = (1 - m) running + m stat``
  with momentum ``m = 0.1`` (``running_var`` takes the *unbiased* variance);
  in eval mode the running statistics replace the batch's.
"""

import torch
from torch import nn
from torch.nn import functional as F

from nnlab._validation import check_features


class ActivationSet(nn.Module):
    """The chapter's seven activations, applied to the same input: returns ``{name: f(x)}``."""

    def __init__(self):
        super().__init__()
        self.activations = nn.ModuleDict(
            {
                "relu": nn.ReLU(),
                "leaky_relu": nn.LeakyReLU(0.1),
                "elu": nn.ELU(),
                "gelu": nn.GELU(),
                "swish": nn.SiLU(),
                "tanh": nn.Tanh(),
                "sigmoid": nn.Sigmoid(),
            }
        )

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {name: activation(x) for name, activation in self.activations.items()}


class DropoutNet(nn.Module):
    """``10 -> 20 -> 10 -> 1`` with dropout 0.2 and 0.5 after the hidden layers."""

    def __init__(self):
        super().__init__()
        self.fc1, self.dropout1 = nn.Linear(10, 20), nn.Dropout(0.2)
        self.fc2, self.dropout2 = nn.Linear(20, 10), nn.Dropout(0.5)
        self.fc3 = nn.Linear(10, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_features(x, 10, "DropoutNet")
        x = self.dropout1(F.relu(self.fc1(x)))
        x = self.dropout2(F.relu(self.fc2(x)))
        return self.fc3(x)


class BatchNormNet(nn.Module):
    """``10 -> 20 -> 10 -> 1`` with batch normalisation before each hidden ReLU."""

    def __init__(self):
        super().__init__()
        self.fc1, self.bn1 = nn.Linear(10, 20), nn.BatchNorm1d(20)
        self.fc2, self.bn2 = nn.Linear(20, 10), nn.BatchNorm1d(10)
        self.fc3 = nn.Linear(10, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_features(x, 10, "BatchNormNet")
        x = F.relu(self.bn1(self.fc1(x)))
        x = F.relu(self.bn2(self.fc2(x)))
        return self.fc3(x)
