"""Tutorial 3.8: claims T14 and T15."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnlab import MultiClassifier

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
def test_classifier_refuses_wrong_width():
    with pytest.raises(ValueError, match=r"\(batch, 784\); got \(4, 28\)"):
        MultiClassifier(784, [64], 10)(torch.randn(4, 28))
