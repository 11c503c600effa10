"""Tutorial 3.5: claims T10 to T12.

What CustomLinear computes and how it starts are claim checks (``nnlab.checks.chapter.custom_layers``); here, nnlab's
own promises: the same draws as ``nn.Linear`` from the same seed, its exact repr, its error message.
"""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnlab import CustomLinear, SimpleAttention, StatefulLayer
from nnlab.checks.strategies import widths


@pytest.mark.claim("T10")
@given(seed=st.integers(0, 2**32 - 1), sizes=st.tuples(widths, widths))
def test_reset_parameters_draws_exactly_what_nn_linear_draws(seed, sizes):
    torch.manual_seed(seed)
    custom = CustomLinear(*sizes)
    torch.manual_seed(seed)
    reference = nn.Linear(*sizes)
    assert torch.equal(custom.weight, reference.weight) and torch.equal(custom.bias, reference.bias)


@pytest.mark.claim("T10")
def test_extra_repr_shows_sizes_and_bias():
    assert repr(CustomLinear(10, 5)) == "CustomLinear(in_features=10, out_features=5, bias=True)"
    assert repr(CustomLinear(10, 5, bias=False)) == "CustomLinear(in_features=10, out_features=5, bias=False)"


@pytest.mark.claim("T10")
def test_custom_linear_refuses_wrong_width():
    with pytest.raises(ValueError, match=r"\(batch, 10\); got \(3, 9\)"):
        CustomLinear(10, 5)(torch.randn(3, 9))


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


def test_stateful_layer_prints_its_sizes():
    assert repr(StatefulLayer(3, 4)).startswith("StatefulLayer(\n  input_size=3, hidden_size=4\n")


@pytest.mark.claim("T12")
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
