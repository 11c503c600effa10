"""Checks of report section 5's model: the Fashion-MNIST MLP that claims M1 to M4 train.

Role (section ``classifier``): ``MLP(activation=nn.ReLU(), dropout_rate=0.0)``,
``784 -> 256 -> 128 -> 10`` with the activation and dropout after each hidden
layer, taking ``(b, 1, 28, 28)`` images (the report flattens them itself).
What it learns on the real data is measured by the slow tests
(``tests/test_fashion_mnist.py``).

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import hypothesis_torch as ht
import torch
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from nnlab.checks.blocks import linear_sizes, parameter_count, parameters_by_shape
from nnlab.checks.expect import assert_close
from nnlab.checks.registry import check
from nnlab.checks.strategies import forall

SIZES = ((784, 256), (256, 128), (128, 10))
SHAPES = [(256, 784), (256,), (128, 256), (128,), (10, 128), (10,)]
# mostly-black images: hypothesis draws the few lit pixels, so an example stays small enough to shrink
images = ht.tensor_strategy(
    dtype=torch.float32,
    shape=(3, 1, 28, 28),
    elements=st.floats(0, 1, width=32),
    fill=st.just(0.0),
    layout=torch.strided,
    device=torch.device("cpu"),
    requires_grad=False,
)


def mlp_as_the_report_writes_it(net: nn.Module, X: torch.Tensor, activation) -> torch.Tensor:
    """``fc3(act(fc2(act(fc1(flatten(X))))))`` from the network's parameters, matched by shape."""
    w1, b1, w2, b2, w3, b3 = parameters_by_shape(net, SHAPES)
    as_out_in = [w if w.shape[0] == b.shape[0] else w.T for w, b in ((w1, b1), (w2, b2), (w3, b3))]
    hidden = activation(F.linear(X.flatten(1), as_out_in[0], b1))
    return F.linear(activation(F.linear(hidden, as_out_in[1], b2)), as_out_in[2], b3)


@check("M1")
def classifier_mlp_has_the_layers_784_256_128_10(lab):
    """MLP() has exactly the parameters of Linear 784→256, 256→128, 128→10 and maps (b, 1, 28, 28) images to (b, 10)."""
    net = lab.classifier.MLP()
    assert parameter_count(net) == linear_sizes(*SIZES), f"{parameter_count(net)} parameters"
    out = net(torch.rand(5, 1, 28, 28))
    assert out.shape == (5, 10), f"output of shape {tuple(out.shape)} for 5 images"


@check("M1")
def classifier_mlp_applies_the_activation_it_is_given_after_each_hidden_layer(lab):
    """MLP(activation=f) in eval mode computes fc3(f(fc2(f(fc1(x))))) for ReLU, Sigmoid and Tanh."""
    activations = (nn.ReLU(), nn.Sigmoid(), nn.Tanh())
    nets = [lab.classifier.MLP(activation=activation).eval() for activation in activations]

    @forall(X=images)
    def prop(X):
        for net, activation in zip(nets, activations):
            assert_close(net(X), mlp_as_the_report_writes_it(net, X, activation))

    prop()


@check("M1")
def classifier_mlp_drops_hidden_units_in_training_only(lab):
    """MLP(dropout_rate=0.5) draws new dropout masks in train mode and computes the plain network in eval mode."""
    net = lab.classifier.MLP(dropout_rate=0.5)
    X = torch.rand(8, 1, 28, 28)
    net.train()
    assert not torch.equal(net(X), net(X)), "two train-mode calls gave the same output: no dropout"
    net.eval()
    assert_close(net(X), mlp_as_the_report_writes_it(net, X, nn.ReLU()))


def routing_weights(net: nn.Module) -> None:
    """Set the network's weights (matched by shape, either layout) to route units, so dropout masks can be read.

    Pixel j feeds hidden unit j of the first layer; first-layer unit j feeds second-layer unit j; logits k and
    k + 5 both read second-layer unit k (k < 5). All biases are 0.
    """
    w1, b1, w2, b2, w3, b3 = parameters_by_shape(net, SHAPES)
    routes = [torch.eye(256, 784), torch.eye(128, 256), torch.eye(5, 128).repeat(2, 1)]
    with torch.no_grad():
        for w, route in zip((w1, w2, w3), routes):
            w.copy_(route if w.shape == route.shape else route.T)
        for b in (b1, b2, b3):
            b.zero_()


@check("M1")
def classifier_mlp_drops_out_after_each_hidden_activation_only(lab):
    """In training, MLP(dropout_rate=0.5) masks each hidden layer's activations, not the input pixels or the logits.

    The weights are set to route (``routing_weights``) and the images are all ones, so the model as the report
    writes it, fc3(drop2(relu(fc2(drop1(relu(fc1(x))))))), gives logit k = logit k + 5 = m1 m2 for a first- and
    a second-layer mask value m1, m2 in {0, 2}: every logit is 0 or 4, and logits k and k + 5 agree. Whatever
    the masks, nothing else can come out. Dropout on one hidden layer only or on the input instead gives 2s;
    dropout on the input as well gives 8s; dropout on the logits gives 8s or unequal pairs (on 16 images, such
    a model gives no tell-tale value with a probability under 1e-4).
    """
    net = lab.classifier.MLP(dropout_rate=0.5)
    routing_weights(net)
    with torch.no_grad():
        out = net.train()(torch.ones(16, 1, 28, 28))
    values = sorted({round(v, 6) for v in out.flatten().tolist()})
    assert set(values) <= {0.0, 4.0}, (
        f"train-mode logits take the values {values}; with one mask on each hidden layer (kept units scaled by 2) "
        "they can only be 0 or 4"
    )
    pairs = out[:, 5:] - out[:, :5]
    assert pairs.abs().max() < 1e-6, (
        f"logits k and k + 5 read the same hidden unit but differ (by up to {pairs.abs().max():.3g}): "
        "dropout acts on the logits"
    )
