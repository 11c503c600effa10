"""Tutorial 3.6: claim T13.

Statistics come from a fresh 512 x 512 layer (262,144 weights). A sample
standard deviation has standard error about ``sigma / sqrt(2 n)``; the
tolerance is 6 standard errors, a false failure about once in 10^9 runs.
"""

import math

import pytest
import torch
from torch import nn

from nnlab.tutorial.initialisation import SCHEMES

SIGMAS = 6
SIZE = 512


def initialised(scheme: str) -> nn.Linear:
    layer = nn.Linear(SIZE, SIZE)
    SCHEMES[scheme](layer)
    return layer


def assert_std(weight: torch.Tensor, expected: float) -> None:
    n = weight.numel()
    assert abs(weight.double().mean().item()) < SIGMAS * expected / math.sqrt(n)
    assert abs(weight.double().std().item() - expected) < SIGMAS * expected / math.sqrt(2 * n)


@pytest.mark.claim("T13")
@pytest.mark.parametrize(("scheme", "bound"), [("xavier", math.sqrt(6 / (2 * SIZE))), ("uniform", 0.1)])
def test_uniform_schemes_fill_their_bounds(scheme, bound):
    weight = initialised(scheme).weight
    assert weight.abs().max().item() <= bound
    assert weight.abs().max().item() > 0.999 * bound  # P(fail) = 0.999^262144, about 1e-114
    assert_std(weight, bound / math.sqrt(3))  # the standard deviation of U(-a, a) is a / sqrt(3)


@pytest.mark.claim("T13")
@pytest.mark.parametrize(("scheme", "std", "bias"), [("kaiming", math.sqrt(2 / SIZE), 0.0), ("normal", 0.1, 0.1)])
def test_normal_schemes_have_their_standard_deviation(scheme, std, bias):
    layer = initialised(scheme)
    assert_std(layer.weight, std)
    assert torch.equal(layer.bias, torch.full((SIZE,), bias))


@pytest.mark.claim("T13")
def test_kaiming_uses_fan_out():
    layer = nn.Linear(64, 1024)  # fan_in 64, fan_out 1024: the two modes differ by a factor 4
    SCHEMES["kaiming"](layer)
    assert_std(layer.weight, math.sqrt(2 / 1024))
