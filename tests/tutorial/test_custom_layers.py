"""Tutorial 3.5: claims T10 to T12."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from nnlab import CustomLinear, SimpleAttention, StatefulLayer
from nnlab.checks.strategies import batches, tensors, widths


@pytest.mark.claim("T10")
@given(x=batches(6), out=widths, bias=st.booleans())
def test_custom_linear_equals_f_linear(x, out, bias):
    layer = CustomLinear(6, out, bias=bias)
    torch.testing.assert_close(layer(x), F.linear(x, layer.weight, layer.bias), rtol=0, atol=0)


@pytest.mark.claim("T10")
@given(seed=st.integers(0, 2**32 - 1), sizes=st.tuples(widths, widths))
def test_reset_parameters_draws_exactly_what_nn_linear_draws(seed, sizes):
    torch.manual_seed(seed)
    custom = CustomLinear(*sizes)
    torch.manual_seed(seed)
    reference = nn.Linear(*sizes)
    assert torch.equal(custom.weight, reference.weight) and torch.equal(custom.bias, reference.bias)


@pytest.mark.claim("T10")
def test_reset_parameters_fills_the_kaiming_uniform_bound():
    layer = CustomLinear(256, 256)
    bound = 1 / math.sqrt(256)
    for p in (layer.weight, layer.bias):
        assert p.abs().max().item() <= bound
    # P(max |w| < 0.99 bound) = 0.99^65536 ~ 1e-286 for a uniform draw
    assert layer.weight.abs().max().item() > 0.99 * bound


@pytest.mark.claim("T10")
def test_extra_repr_shows_sizes_and_bias():
    assert repr(CustomLinear(10, 5)) == "CustomLinear(in_features=10, out_features=5, bias=True)"
    assert repr(CustomLinear(10, 5, bias=False)) == "CustomLinear(in_features=10, out_features=5, bias=False)"


@pytest.mark.claim("T10")
def test_custom_linear_refuses_wrong_width():
    with pytest.raises(ValueError, match=r"\(batch, 10\); got \(3, 9\)"):
        CustomLinear(10, 5)(torch.randn(3, 9))


sequences = tensors((st.integers(1, 3), st.integers(1, 8), 4), low=-5, high=5, dtype=torch.float64)


@pytest.mark.claim("T11")
@given(h=sequences)
def test_attention_weights_are_a_distribution_over_the_sequence(h):
    _, weights = SimpleAttention(4).double()(h)
    assert weights.shape == h.shape[:2]
    assert (weights >= 0).all()
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(h.shape[0], dtype=torch.float64))


@pytest.mark.claim("T11")
@given(h=sequences)
def test_attention_output_is_a_convex_combination_of_the_inputs(h):
    out, weights = SimpleAttention(4).double()(h)
    torch.testing.assert_close(out, torch.einsum("bt,bth->bh", weights, h))
    slack = 1e-12
    assert ((out >= h.min(dim=1).values - slack) & (out <= h.max(dim=1).values + slack)).all()


@pytest.mark.claim("T11")
@given(data=st.data(), h=sequences)
def test_permuting_the_sequence_permutes_weights_and_keeps_output(data, h):
    permutation = torch.tensor(data.draw(st.permutations(range(h.shape[1]))))
    attention = SimpleAttention(4).double()
    out, weights = attention(h)
    permuted_out, permuted_weights = attention(h[:, permutation])
    torch.testing.assert_close(permuted_weights, weights[:, permutation])
    torch.testing.assert_close(permuted_out, out)


@pytest.mark.claim("T11")
def test_attention_scores_have_no_bias_a_softmax_would_ignore_anyway():
    attention = SimpleAttention(4)
    assert [name for name, _ in attention.named_parameters()] == ["attention.weight"]
    assert repr(attention).startswith("SimpleAttention(\n  hidden_size=4")


@pytest.mark.claim("T11")
@pytest.mark.parametrize("shape", [(2, 5), (2, 5, 3), (2, 0, 4)])
def test_attention_refuses_wrong_shapes(shape):
    with pytest.raises(ValueError, match=r"\(batch, seq, 4\) with seq >= 1"):
        SimpleAttention(4)(torch.randn(shape))


@pytest.mark.claim("T12")
@given(x=batches(10))
def test_state_carries_across_calls_and_is_detached(x):
    layer = StatefulLayer(10, 20)
    first = layer(x)
    second = layer(x)
    assert not torch.equal(first, second)  # same input, different state
    torch.testing.assert_close(second, torch.tanh(layer.input_transform(x) + layer.hidden_transform(first)))
    assert not layer.hidden_state.requires_grad and layer.hidden_state.grad_fn is None


def test_stateful_layer_prints_its_sizes():
    assert repr(StatefulLayer(3, 4)).startswith("StatefulLayer(\n  input_size=3, hidden_size=4\n")


@pytest.mark.claim("T12")
@given(x=batches(10))
def test_reset_returns_to_the_first_call(x):
    layer = StatefulLayer(10, 20)
    first = layer(x)
    layer(x)
    layer.reset_state()
    torch.testing.assert_close(layer(x), first, rtol=0, atol=0)


WHY_T12 = (
    "The chapter's layer fails with an opaque expand error when the batch size changes after the first call; "
    "state belongs to one batch, so nnlab's layer refuses the change clearly until reset_state()."
)


@pytest.mark.claim("T12", verdict="qualified", why=WHY_T12)
def test_a_new_batch_size_is_refused_until_reset():
    layer = StatefulLayer(10, 20)
    layer(torch.randn(4, 10))
    with pytest.raises(ValueError, match="state for a batch of 4 but got a batch of 3. Call reset_state"):
        layer(torch.randn(3, 10))
    layer.reset_state()
    assert layer(torch.randn(3, 10)).shape == (3, 20)


@pytest.mark.claim("T12")
def test_stateful_layer_refuses_a_sequence_shaped_input():
    with pytest.raises(ValueError, match=r"^StatefulLayer expects \(batch, 7\); got \(2, 4, 7\).$"):
        StatefulLayer(7, 3)(torch.randn(2, 4, 7))


@pytest.mark.claim("T12")
def test_state_is_a_non_persistent_buffer_that_moves_with_the_layer():
    layer = StatefulLayer(10, 20)
    layer(torch.randn(4, 10))
    assert "hidden_state" in dict(layer.named_buffers()) and "hidden_state" not in layer.state_dict()
    assert layer.to(torch.float64).hidden_state.dtype == torch.float64
