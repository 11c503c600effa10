"""Tutorial 3.1 and 3.2: claims T1 to T5."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnlab import CustomLinear, count_parameters, freeze, unfreeze
from nnlab.tutorial.modules import CustomModule, Perceptron
from nnlab.checks.strategies import batches, tensors

# float32 sigmoid(z) is strictly inside (0, 1) for |z| <= 15 (1 - sigmoid(15) = 3e-7 > eps / 2)
MODERATE = 15.0


WHY_T1 = (
    "In exact arithmetic sigmoid lies in (0, 1); in float32 it rounds to exactly 1.0 from z = 17 and to 0.0 "
    "below about z = -104, so the output is in [0, 1], and in the open interval only for moderate z."
)


@pytest.mark.claim("T1", verdict="qualified", why=WHY_T1)
@given(x=batches(2, low=-1e6, high=1e6))
def test_perceptron_output_is_in_closed_unit_interval_for_any_input(x):
    perceptron = Perceptron(2)
    y = perceptron(x)
    assert y.shape == (x.shape[0],)
    torch.testing.assert_close(y, torch.sigmoid(x @ perceptron.weight + perceptron.bias))
    assert ((y >= 0) & (y <= 1)).all()


@pytest.mark.claim("T1", verdict="qualified")
@given(z=st.floats(-MODERATE, MODERATE, width=32))
def test_perceptron_output_is_strictly_inside_for_moderate_pre_activations(z):
    perceptron = Perceptron(1)
    with torch.no_grad():
        perceptron.weight.fill_(1.0)
        perceptron.bias.zero_()
    y = perceptron(torch.tensor([[z]]))
    assert 0 < y.item() < 1


@pytest.mark.claim("T1", verdict="qualified")
@pytest.mark.parametrize(("z", "saturated"), [(17.0, 1.0), (-104.0, 0.0)])
def test_float32_sigmoid_reaches_the_bounds(z, saturated):
    assert torch.sigmoid(torch.tensor(z)).item() == saturated


@pytest.mark.claim("T1")
def test_perceptron_parameters_are_registered_and_trainable():
    perceptron = Perceptron(2)
    assert [name for name, _ in perceptron.named_parameters()] == ["weight", "bias"]
    perceptron(torch.tensor([[1.0, 2.0]])).sum().backward()
    assert all(p.grad is not None for p in perceptron.parameters())


@pytest.mark.claim("T2")
def test_bare_parameter_is_registered_and_buffer_is_state_not_parameter():
    model = CustomModule()
    parameters = dict(model.named_parameters())
    assert "custom_param" in parameters and "running_mean" not in parameters
    assert [name for name, _ in model.named_buffers()] == ["running_mean"]
    assert {"custom_param", "running_mean"} <= set(model.state_dict())
    assert model.running_mean.shape == model.custom_param.shape == (5,) and not model.running_mean.any()


@pytest.mark.claim("T2")
def test_buffer_moves_with_to():
    model = CustomModule().to(torch.float64)
    assert model.running_mean.dtype == torch.float64 and model.custom_param.dtype == torch.float64
    assert model.to("meta").running_mean.device.type == "meta"


MODE_DEPENDENT_LEAVES = [lambda: nn.Dropout(0.5), lambda: nn.BatchNorm1d(3), lambda: nn.Linear(3, 3), nn.ReLU]


def random_trees():
    """Nested Sequentials of layers, some of which behave differently in train and eval mode."""
    leaf = st.sampled_from(MODE_DEPENDENT_LEAVES).map(lambda make: make())
    nest = lambda children: st.lists(children, min_size=1, max_size=3).map(lambda ms: nn.Sequential(*ms))  # noqa: E731
    return st.recursive(leaf, nest, max_leaves=12)


@pytest.mark.claim("T3")
@given(model=random_trees(), start_in_train=st.booleans())
def test_train_and_eval_reach_every_submodule(model, start_in_train):
    model.train(start_in_train)
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


@pytest.mark.claim("T4")
def test_counting_freezing_and_unfreezing_a_model():
    model = CustomModule()
    total = (10 * 5 + 5) + (5 * 1 + 1) + 5
    assert count_parameters(model, trainable_only=True) == count_parameters(model) == total
    freeze(model)
    assert count_parameters(model, trainable_only=True) == 0
    unfreeze(model)
    assert count_parameters(model, trainable_only=True) == total


@pytest.mark.claim("T4")
def test_freezing_one_layer_touches_only_that_layer():
    model = CustomModule()
    freeze(model.linear1)
    frozen = {name for name, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {"linear1.weight", "linear1.bias"}
    assert count_parameters(model, trainable_only=True) == count_parameters(model) - (10 * 5 + 5)


@pytest.mark.claim("T4")
@given(x=batches(10))
def test_frozen_layer_gets_no_gradient(x):
    model = CustomModule().eval()
    freeze(model.linear1)
    model(x).sum().backward()
    assert model.linear1.weight.grad is None and model.linear2.weight.grad is not None


@pytest.mark.claim("T5")
@pytest.mark.parametrize(
    "layer", [nn.Linear(5, 3, bias=False), CustomLinear(5, 3, bias=False)], ids=["nn.Linear", "CustomLinear"]
)
def test_bias_false_leaves_bias_none_and_out_of_parameters(layer):
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert "bias" not in layer.state_dict()
    torch.testing.assert_close(layer(torch.ones(2, 5)), torch.ones(2, 5) @ layer.weight.T)


@pytest.mark.claim("T5")
@given(x=tensors((st.integers(1, 4), 5)))
def test_custom_linear_without_bias_is_linear_without_offset(x):
    layer = CustomLinear(5, 3, bias=False)
    torch.testing.assert_close(layer(2 * x), 2 * layer(x))
