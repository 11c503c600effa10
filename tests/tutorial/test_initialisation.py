"""Tutorial 3.6: claim T13.

Each scheme draws a fresh 512 x 512 layer (262,144 weights), which the checks'
Kolmogorov-Smirnov test (``nnlab.checks.sampling``) compares with the scheme's
distribution: a correct scheme fails it with probability at most 1e-6.
"""

import math

import pytest
import torch
from scipy import stats
from torch import nn

from nnlab.checks.sampling import assert_distributed_as
from nnlab.tutorial.initialisation import SCHEMES

SIZE = 512


def initialised(scheme: str) -> nn.Linear:
    layer = nn.Linear(SIZE, SIZE)
    SCHEMES[scheme](layer)
    return layer


@pytest.mark.claim("T13")
@pytest.mark.parametrize(("scheme", "bound"), [("xavier", math.sqrt(6 / (2 * SIZE))), ("uniform", 0.1)])
def test_uniform_schemes_fill_their_bounds(scheme, bound):
    weight = initialised(scheme).weight
    assert weight.abs().max().item() <= bound
    assert weight.abs().max().item() > 0.999 * bound  # P(fail) = 0.999^262144, about 1e-114
    assert_distributed_as(
        weight, stats.uniform(-bound, 2 * bound), f"{scheme}'s weights against U(-{bound:.4g}, {bound:.4g})"
    )


@pytest.mark.claim("T13")
@pytest.mark.parametrize(("scheme", "std", "bias"), [("kaiming", math.sqrt(2 / SIZE), 0.0), ("normal", 0.1, 0.1)])
def test_normal_schemes_have_their_standard_deviation(scheme, std, bias):
    layer = initialised(scheme)
    assert_distributed_as(layer.weight, stats.norm(0, std), f"{scheme}'s weights against N(0, {std:.4g}²)")
    assert torch.equal(layer.bias, torch.full((SIZE,), bias))


@pytest.mark.claim("T13")
def test_kaiming_uses_fan_out():
    layer = nn.Linear(64, 1024)  # fan_in 64, fan_out 1024: the two modes differ by a factor 4
    SCHEMES["kaiming"](layer)
    assert_distributed_as(layer.weight, stats.norm(0, math.sqrt(2 / 1024)), "kaiming's weights against N(0, 2 / 1024)")
