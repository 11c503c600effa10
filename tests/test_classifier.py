"""Report section 5: the classifier (M6), the report's MLP for 28x28 images."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from nnlab.checks.strategies import batch_sizes
from nnlab.classifier import FashionMLP
from nnlab.parameters import count_parameters


@pytest.mark.claim("M6")
def test_report_network_is_784_256_128_10():
    net = FashionMLP()
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(784, 256), (256, 128), (128, 10)]


def test_classifier_prints_its_configuration():
    net = FashionMLP(hidden=(64,), activation="tanh", dropout=0.3)
    assert repr(net).startswith("FashionMLP(\n  hidden=(64,), activation='tanh', dropout=0.3\n")


@pytest.mark.claim("M6")
@given(hidden=st.lists(st.integers(1, 64), min_size=1, max_size=4), batch=batch_sizes)
def test_hidden_sizes_are_a_parameter(hidden, batch):
    net = FashionMLP(tuple(hidden))
    widths = [784, *hidden, 10]
    assert count_parameters(net) == sum(a * b + b for a, b in zip(widths, widths[1:]))
    assert net(torch.rand(batch, 1, 28, 28)).shape == (batch, 10)


@pytest.mark.claim("M6")
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden": ()}, "at least one hidden layer"),
        ({"activation": "gelu"}, "activation must be one of"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"hidden": (0,)}, "positive integer"),
    ],
)
def test_classifier_refuses_bad_configuration(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FashionMLP(**kwargs)


@pytest.mark.claim("M6")
def test_classifier_refuses_wrong_image_size():
    with pytest.raises(ValueError, match=r"\(batch, 784\) or \(batch, 1, 28, 28\).*got \(2, 1, 14, 14\)"):
        FashionMLP()(torch.rand(2, 1, 14, 14))
