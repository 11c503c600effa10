"""Tutorial 3.3: claims T6 to T8.

Dropout statistics use 10^6 elements. The zeroed fraction has standard error
``sqrt(p (1 - p) / n)``; the mean of the output has standard error
``sqrt(p / (1 - p) / n)``. At 6 standard errors a false failure has
probability about 2e-9 per check, below the one in a million we allow.
"""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnlab.tutorial.common_layers import ActivationSet, BatchNormNet, DropoutNet
from nnlab.checks.strategies import tensors

SIGMAS = 6
N = 1_000_000

any_shape = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)


@pytest.mark.claim("T6")
@given(x=tensors(any_shape, low=-20, high=20, dtype=torch.float64))
def test_activations_keep_shape_and_satisfy_their_definitions(x):
    y = ActivationSet()(x)
    assert all(out.shape == x.shape for out in y.values())
    torch.testing.assert_close(y["relu"], torch.maximum(x, torch.zeros_like(x)))
    torch.testing.assert_close(y["leaky_relu"], torch.where(x > 0, x, 0.1 * x))
    torch.testing.assert_close(y["elu"], torch.where(x > 0, x, torch.expm1(x)))
    torch.testing.assert_close(y["gelu"], x * 0.5 * (1 + torch.erf(x / math.sqrt(2))))
    torch.testing.assert_close(y["swish"], x * torch.sigmoid(x))


WHY_T6 = (
    "Tanh is odd and Sigmoid satisfies s(-x) = 1 - s(x); their open ranges (-1, 1) and (0, 1) hold in "
    "exact arithmetic, but in float32 tanh(10) and sigmoid(17) round to exactly 1."
)


@pytest.mark.claim("T6", verdict="qualified", why=WHY_T6)
@given(x=tensors(any_shape, low=-50, high=50))
def test_tanh_is_odd_and_sigmoid_is_symmetric_within_closed_bounds(x):
    y = ActivationSet()(x)
    torch.testing.assert_close(torch.tanh(-x), -y["tanh"])
    torch.testing.assert_close(torch.sigmoid(-x), 1 - y["sigmoid"])
    assert (y["tanh"].abs() <= 1).all() and ((y["sigmoid"] >= 0) & (y["sigmoid"] <= 1)).all()


@pytest.mark.claim("T6", verdict="qualified")
def test_float32_tanh_and_sigmoid_reach_their_bounds():
    assert torch.tanh(torch.tensor(10.0)).item() == 1.0
    assert torch.sigmoid(torch.tensor(17.0)).item() == 1.0
    moderate = torch.linspace(-8, 8, 1001)
    assert (torch.tanh(moderate).abs() < 1).all()


@pytest.mark.claim("T7")
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_zeroes_about_p_and_scales_survivors_to_keep_the_mean(p):
    y = nn.Dropout(p).train()(torch.ones(N))
    zeroed = (y == 0).double().mean().item()
    assert abs(zeroed - p) < SIGMAS * math.sqrt(p * (1 - p) / N)
    torch.testing.assert_close(y[y != 0], torch.full_like(y[y != 0], 1 / (1 - p)))
    assert abs(y.double().mean().item() - 1) < SIGMAS * math.sqrt(p / (1 - p) / N)


@pytest.mark.claim("T7")
def test_dropout_is_random_in_train_mode_and_the_identity_in_eval():
    model, x = DropoutNet(), torch.randn(5, 10)
    model.train()
    assert not torch.equal(model(x), model(x))
    model.eval()
    assert torch.equal(model(x), model(x)) and model(x).shape == (5, 1)
    dropout = nn.Dropout(0.5).eval()
    assert torch.equal(dropout(x), x)


@pytest.mark.claim("T8")
@given(x=tensors((st.integers(2, 16), st.integers(1, 6)), dtype=torch.float64))
def test_batchnorm_train_mode_normalises_each_feature_and_updates_running_stats(x):
    bn = nn.BatchNorm1d(x.shape[1], dtype=torch.float64).train()
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2)
        bn.bias.uniform_(-1, 1)
    y = bn(x)
    mean, biased, unbiased = x.mean(0), x.var(0, unbiased=False), x.var(0, unbiased=True)
    torch.testing.assert_close(y, (x - mean) / torch.sqrt(biased + bn.eps) * bn.weight + bn.bias)
    torch.testing.assert_close(bn.running_mean, 0.9 * torch.zeros_like(mean) + 0.1 * mean)
    torch.testing.assert_close(bn.running_var, 0.9 * torch.ones_like(mean) + 0.1 * unbiased)


@pytest.mark.claim("T8")
@given(x=tensors((st.integers(1, 16), 4), dtype=torch.float64))
def test_batchnorm_eval_mode_uses_running_statistics(x):
    bn = nn.BatchNorm1d(4, dtype=torch.float64)
    bn.train()(torch.randn(32, 4, dtype=torch.float64) * 3 + 1)
    bn.eval()
    expected = (x - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias
    torch.testing.assert_close(bn(x), expected)


@pytest.mark.claim("T8")
def test_batchnorm_refuses_a_batch_of_one_in_train_mode():
    model = BatchNormNet().train()
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        model(torch.randn(1, 10))
    assert model.eval()(torch.randn(1, 10)).shape == (1, 1)
