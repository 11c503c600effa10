"""Tutorial 3.8: claims T14 and T15."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnlab import MultiClassifier, ResidualBlock, count_parameters
from nnlab.tutorial.architectures import ResidualMLP
from nnlab.checks.strategies import tensors

hidden_lists = st.lists(st.integers(1, 16), min_size=0, max_size=3)


@pytest.mark.claim("T14")
@given(hidden=hidden_lists)
def test_classifier_stacks_linear_batchnorm_relu_dropout_per_hidden_size(hidden):
    model = MultiClassifier(12, hidden, 5, dropout_rate=0.3)
    kinds = [type(m) for m in model.network]
    assert kinds == [nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Dropout] * len(hidden) + [nn.Linear]
    assert [m.out_features for m in model.network if isinstance(m, nn.Linear)] == [*hidden, 5]
    assert all(m.p == 0.3 for m in model.network if isinstance(m, nn.Dropout))


@pytest.mark.claim("T14")
@given(hidden=hidden_lists, x=tensors((st.integers(2, 8), 12), dtype=torch.float64), train=st.booleans())
def test_softmax_of_classifier_output_sums_to_one(hidden, x, train):
    model = MultiClassifier(12, hidden, 5).double().train(train)
    probabilities = torch.softmax(model(x), dim=1)
    assert probabilities.shape == (x.shape[0], 5) and (probabilities >= 0).all()
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(x.shape[0], dtype=torch.float64))


@pytest.mark.claim("T14")
def test_classifier_refuses_wrong_width():
    with pytest.raises(ValueError, match=r"\(batch, 784\); got \(4, 28\)"):
        MultiClassifier(784, [64], 10)(torch.randn(4, 28))


@pytest.mark.claim("T15")
@given(x=tensors((st.integers(2, 8), st.integers(1, 8)), dtype=torch.float64), train=st.booleans())
def test_residual_block_keeps_shape_and_adds_input_before_last_relu(x, train):
    block = ResidualBlock(x.shape[1]).double().train(train)
    torch.manual_seed(0)
    out = block(x)
    torch.manual_seed(0)  # the same dropout mask for the branch computed alone
    torch.testing.assert_close(out, torch.relu(block.branch(x) + x))
    assert out.shape == x.shape


@pytest.mark.claim("T15")
@given(x=tensors((st.integers(2, 8), 6), dtype=torch.float64))
def test_residual_block_with_a_silenced_branch_is_relu_of_its_input(x):
    block = ResidualBlock(6).double()
    with torch.no_grad():
        block.bn2.weight.zero_(), block.bn2.bias.zero_()
    torch.testing.assert_close(block(x), torch.relu(x))


@pytest.mark.claim("T15")
@given(sizes=st.tuples(st.integers(1, 20), st.integers(1, 20), st.integers(0, 4), st.integers(1, 10)))
def test_residual_mlp_parameter_count_follows_from_its_sizes(sizes):
    inputs, hidden, blocks, classes = sizes
    model = ResidualMLP(inputs, hidden, blocks, classes)
    per_block = 2 * (hidden * hidden + hidden) + 2 * (2 * hidden)  # two Linears, two BatchNorms
    expected = (inputs * hidden + hidden) + blocks * per_block + (hidden * classes + classes)
    assert count_parameters(model) == expected
    assert model.eval()(torch.randn(3, inputs)).shape == (3, classes)


@pytest.mark.claim("T15")
def test_chapter_residual_mlp_has_the_counted_parameters():
    assert count_parameters(ResidualMLP(100, 256, 4, 10)) == (100 * 256 + 256) + 4 * (
        2 * (256 * 256 + 256) + 4 * 256
    ) + (256 * 10 + 10)
