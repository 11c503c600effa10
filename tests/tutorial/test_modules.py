"""Tutorial 3.1 and 3.2: claims T1 to T5, nnlab's own side.

What the chapter's roles must do (the perceptron's range and formula, the
custom module's parameter and buffer, train and eval, counting and freezing)
and what it says about torch are claim checks in ``nnlab.checks.chapter.modules``.
Here: what nnlab's versions promise beyond the chapter's.
"""

import pytest
import torch

from nnlab import CustomLinear, count_parameters, freeze, unfreeze
from nnlab.tutorial.modules import CustomModule, Perceptron


@pytest.mark.claim("T1")
def test_perceptron_parameters_are_registered_and_trainable():
    """Unlike the chapter's plain class, nnlab's perceptron is an nn.Module: optimizers see its weight and bias."""
    perceptron = Perceptron(2)
    assert [name for name, _ in perceptron.named_parameters()] == ["weight", "bias"]
    perceptron(torch.tensor([[1.0, 2.0]])).sum().backward()
    assert all(p.grad is not None for p in perceptron.parameters())


@pytest.mark.claim("T1")
def test_perceptron_takes_a_batch_as_well_as_one_sample():
    perceptron = Perceptron(3)
    batch = torch.randn(4, 3)
    assert perceptron(batch).shape == (4,)
    torch.testing.assert_close(perceptron(batch[1]), perceptron(batch)[1])


@pytest.mark.claim("T4")
def test_counting_freezing_and_unfreezing_a_model():
    """count_parameters counts all parameters unless told trainable_only; freeze and unfreeze take several modules."""
    model = CustomModule()
    total = (10 * 5 + 5) + (5 * 1 + 1) + 5
    assert count_parameters(model, trainable_only=True) == count_parameters(model) == total
    freeze(model.linear1, model.linear2)
    assert count_parameters(model) == total
    assert count_parameters(model, trainable_only=True) == 5
    unfreeze(model)
    assert count_parameters(model, trainable_only=True) == total


@pytest.mark.claim("T5")
def test_custom_linear_without_bias_keeps_bias_as_none():
    """nnlab's CustomLinear, like nn.Linear, keeps a ``bias`` attribute set to None rather than none at all."""
    layer = CustomLinear(5, 3, bias=False)
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert "bias" not in layer.state_dict()
