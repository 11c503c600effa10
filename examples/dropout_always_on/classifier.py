"""Report section 5's model as a student writes it, with one typical mistake: dropout stays on in eval mode.

``F.dropout(x, p)`` defaults to ``training=True``: the model drops units while
it is evaluated too, so its test accuracy is noisy and lower than it should
be. ``nn.Dropout``, or ``F.dropout(x, p, self.training)``, follows
``model.eval()``. The rest is correct.
"""

import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    def __init__(self, activation=nn.ReLU(), dropout_rate=0.0):  # noqa: B008  (the report's signature)
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 256), nn.Linear(256, 128), nn.Linear(128, 10)
        self.activation, self.dropout_rate = activation, dropout_rate

    def forward(self, x):
        x = x.flatten(1)
        x = F.dropout(self.activation(self.fc1(x)), self.dropout_rate)  # the mistake: training=self.training
        x = F.dropout(self.activation(self.fc2(x)), self.dropout_rate)
        return self.fc3(x)
