"""Bad input, across every module: the error names the module, what it expected and what it got."""

import re

import pytest
import torch

from nnlab import (
    MLP,
    CustomLinear,
    FixedHiddenMLP,
    MultiClassifier,
    MyLinear,
    NestMLP,
    ResidualBlock,
    SimpleAttention,
    StatefulLayer,
    TensorDot,
)
from nnlab.classifier import FashionMLP
from nnlab.tutorial.architectures import ResidualMLP
from nnlab.tutorial.common_layers import BatchNormNet, DropoutNet
from nnlab.tutorial.debugging import DebugModel
from nnlab.tutorial.efficiency import CheckpointModel, SharedLayerModel
from nnlab.tutorial.hooks import HookModel
from nnlab.tutorial.initialisation import InitializationDemo
from nnlab.tutorial.modules import CustomModule, Perceptron

# (name in the message, the module, the width it expects)
WIDTH_CHECKED = [
    ("MLP", MLP, 20),
    ("FixedHiddenMLP", FixedHiddenMLP, 20),
    ("NestMLP", NestMLP, 20),
    ("MyLinear", lambda: MyLinear(5, 3), 5),
    ("TensorDot", lambda: TensorDot(4), 4),
    ("Perceptron", lambda: Perceptron(3), 3),
    ("CustomModule", CustomModule, 10),
    ("DropoutNet", DropoutNet, 10),
    ("BatchNormNet", BatchNormNet, 10),
    ("HookModel", HookModel, 10),
    ("CustomLinear", lambda: CustomLinear(6, 2), 6),
    ("StatefulLayer", lambda: StatefulLayer(7, 3), 7),
    ("InitializationDemo", InitializationDemo, 10),
    ("MultiClassifier", lambda: MultiClassifier(12, [4], 3), 12),
    ("ResidualBlock", lambda: ResidualBlock(8), 8),
    ("ResidualMLP", lambda: ResidualMLP(9, 4, 1, 2), 9),
    ("SharedLayerModel", lambda: SharedLayerModel(5, 4, 2), 5),
    ("CheckpointModel", lambda: CheckpointModel(width=6), 6),
    ("DebugModel", lambda: DebugModel(debug=False), 10),
]


@pytest.mark.parametrize(("name", "build", "width"), WIDTH_CHECKED, ids=[w[0] for w in WIDTH_CHECKED])
def test_wrong_width_names_module_expected_and_actual_shape(name, build, width):
    message = f"{name} expects inputs of shape (batch, {width}); got (2, {width + 1})."
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        build().eval()(torch.randn(2, width + 1))


@pytest.mark.parametrize("build", [MLP, lambda: TensorDot(4)], ids=["MLP", "TensorDot"])
def test_a_non_tensor_input_is_refused_by_type(build):
    with pytest.raises(TypeError, match="expects a torch.Tensor, got list"):
        build()([1.0, 2.0])


SIZE_CHECKED = [
    ("MyLinear", "in_units", lambda: MyLinear(0, 3)),
    ("MyLinear", "units", lambda: MyLinear(3, 0)),
    ("TensorDot", "in_features", lambda: TensorDot(0)),
    ("TensorDot", "out_features", lambda: TensorDot(3, 0)),
    ("Perceptron", "in_features", lambda: Perceptron(0)),
    ("CustomLinear", "in_features", lambda: CustomLinear(0, 2)),
    ("CustomLinear", "out_features", lambda: CustomLinear(2, 0)),
    ("SimpleAttention", "hidden_size", lambda: SimpleAttention(0)),
    ("StatefulLayer", "input_size", lambda: StatefulLayer(0, 2)),
    ("StatefulLayer", "hidden_size", lambda: StatefulLayer(2, 0)),
    ("MultiClassifier", "every size", lambda: MultiClassifier(4, [0], 2)),
    ("ResidualBlock", "hidden_size", lambda: ResidualBlock(0)),
    ("SharedLayerModel", "num_layers", lambda: SharedLayerModel(4, 4, 0)),
    ("FashionMLP", "every layer width", lambda: FashionMLP((0,))),
]


@pytest.mark.parametrize(("name", "argument", "build"), SIZE_CHECKED, ids=[f"{s[0]}-{s[1]}" for s in SIZE_CHECKED])
def test_non_positive_sizes_are_refused_naming_the_argument(name, argument, build):
    with pytest.raises(ValueError, match=f"^{re.escape(f'{name}: {argument} must be a positive integer, got 0.')}$"):
        build()
