"""Tutorial 3.6: initialisation schemes, each a function of one ``nn.Linear``.

| scheme | weights | bias |
|---|---|---|
| ``xavier`` | ``U(-a, a)``, ``a = sqrt(6 / (fan_in + fan_out))`` | 0 |
| ``kaiming`` | ``N(0, 2 / fan_out)`` (mode fan_out, ReLU gain) | 0 |
| ``normal`` | ``N(0, 0.1^2)`` | 0.1 |
| ``uniform`` | ``U(-0.1, 0.1)`` | 0 |
| ``orthogonal`` | rows orthonormal (``W W^T = I``) when ``out <= in``, columns when ``out >= in`` | 0 |
"""

from torch import nn

from nnlab._validation import check_features


def scheme_xavier(layer: nn.Linear) -> None:
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)


def scheme_kaiming(layer: nn.Linear) -> None:
    nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
    nn.init.zeros_(layer.bias)


def scheme_normal(layer: nn.Linear) -> None:
    nn.init.normal_(layer.weight, mean=0.0, std=0.1)
    nn.init.constant_(layer.bias, 0.1)


def scheme_uniform(layer: nn.Linear) -> None:
    nn.init.uniform_(layer.weight, -0.1, 0.1)
    nn.init.zeros_(layer.bias)


SCHEMES = {"xavier": scheme_xavier, "kaiming": scheme_kaiming, "normal": scheme_normal, "uniform": scheme_uniform}


class InitializationDemo(nn.Module):
    """The chapter's four layers ``10 -> 20 -> 20 -> 10 -> 1``, each with its own scheme, in ``SCHEMES`` order."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(10, 20), nn.Linear(20, 20), nn.Linear(20, 10), nn.Linear(10, 1)])
        for layer, init in zip(self.layers, SCHEMES.values()):
            init(layer)

    def forward(self, x):
        check_features(x, 10, "InitializationDemo")
        for layer in self.layers[:-1]:
            x = nn.functional.relu(layer(x))
        return self.layers[-1](x)


def orthogonal_init(module: nn.Module) -> None:
    """For ``model.apply``: orthogonal ``nn.Linear`` weights with zero bias; BatchNorm weight 1 and bias 0."""
    if isinstance(module, nn.Linear):
        nn.init.orthogonal_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm1d):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
