"""Tutorial 3.3: claims T6 to T8, nnlab's own side.

What the chapter says about activations, dropout and batch normalisation is
about torch itself: those are statements in ``nnlab.checks.chapter.common_layers``,
checked against the installed torch. Here: nnlab's demonstration modules.
"""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnlab.checks.strategies import tensors
from nnlab.tutorial.common_layers import ActivationSet, BatchNormNet, DropoutNet

any_shape = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)


@pytest.mark.claim("T6")
@given(x=tensors(any_shape, low=-20, high=20, dtype=torch.float64))
def test_activation_set_applies_each_named_activation(x):
    y = ActivationSet()(x)
    assert list(y) == ["relu", "leaky_relu", "elu", "gelu", "swish", "tanh", "sigmoid"]
    assert all(out.shape == x.shape for out in y.values())
    torch.testing.assert_close(y["relu"], torch.maximum(x, torch.zeros_like(x)))
    torch.testing.assert_close(y["leaky_relu"], torch.where(x > 0, x, 0.1 * x))
    torch.testing.assert_close(y["elu"], torch.where(x > 0, x, torch.expm1(x)))
    torch.testing.assert_close(y["gelu"], x * 0.5 * (1 + torch.erf(x / math.sqrt(2))))
    torch.testing.assert_close(y["swish"], x / (1 + torch.exp(-x)))
    torch.testing.assert_close(y["tanh"], torch.tanh(x))
    torch.testing.assert_close(y["sigmoid"], 1 / (1 + torch.exp(-x)))


@pytest.mark.claim("T7")
def test_dropout_net_is_random_in_train_mode_and_deterministic_in_eval():
    model, x = DropoutNet(), torch.randn(5, 10)
    model.train()
    assert not torch.equal(model(x), model(x))
    model.eval()
    assert torch.equal(model(x), model(x)) and model(x).shape == (5, 1)
    assert sum(isinstance(m, nn.Dropout) for m in model.modules()) == 2


@pytest.mark.claim("T8")
def test_batchnorm_net_refuses_a_batch_of_one_in_train_mode():
    model = BatchNormNet().train()
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        model(torch.randn(1, 10))
    assert model.eval()(torch.randn(1, 10)).shape == (1, 1)
