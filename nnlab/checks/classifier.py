"""Checks of report section 5's model: the Fashion-MNIST MLP that claims M1 to M4 train.

Role (section ``classifier``): ``MLP(activation=nn.ReLU(), dropout_rate=0.0)``,
``784 -> 256 -> 128 -> 10`` with the activation and dropout after each hidden
layer, taking ``(b, 1, 28, 28)`` images (the report flattens them itself).
What it learns on the real data is measured by the slow tests
(``tests/test_fashion_mnist.py``). Its checks are judged (``nnlab.checks.judged``): the images and any weights
it is given are the grader's, and so is the verdict, from its outputs and parameters.

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import hypothesis_torch as ht
import torch
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from nnlab.checks.blocks import linear_sizes, output_on, parameters_by_shape, parameters_of
from nnlab.checks.expect import assert_close
from nnlab.checks.judged import drawn, judged

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


def fixed_images(count: int) -> torch.Tensor:
    """``count`` images of uniform pixels, the same in every process."""
    return torch.rand(count, 1, 28, 28, generator=torch.Generator().manual_seed(count))


def classifier_mlp(lab) -> nn.Module:
    return lab.classifier.MLP()


def images_and_count(parameters: list[torch.Tensor]) -> list[dict]:
    """One question: 5 images, with the number of MLP's trainable scalars, from its parameters."""
    return [{"X": fixed_images(5), "count": sum(p.numel() for p in parameters if p.requires_grad)}]


@judged("M1", ask=images_and_count, answer=output_on, subject=classifier_mlp, survey=parameters_of)
def classifier_mlp_has_the_layers_784_256_128_10(question: dict, out) -> None:
    """MLP() has exactly the parameters of Linear 784→256, 256→128, 128→10 and maps (b, 1, 28, 28) images to (b, 10)."""
    assert question["count"] == linear_sizes(*SIZES), f"{question['count']} parameters"
    assert out.shape == (5, 10), f"output of shape {tuple(out.shape)} for 5 images"


ACTIVATIONS = (nn.ReLU, nn.Sigmoid, nn.Tanh)


def mlps_of_each_activation(lab) -> list[nn.Module]:
    return [lab.classifier.MLP(activation=activation()).eval() for activation in ACTIVATIONS]


def parameters_of_each(nets: list[nn.Module]) -> list[list[torch.Tensor]]:
    return [parameters_of(net) for net in nets]


def images_and_outputs(surveyed: list[list[torch.Tensor]]) -> list[dict]:
    """Any (3, 1, 28, 28) images, with what each MLP computes on them as the report writes it, from its parameters."""
    with torch.no_grad():
        return [
            {
                "X": X,
                "expected": [
                    mlp_as_the_report_writes_it(nn.ParameterList(parameters), X, activation())
                    for parameters, activation in zip(surveyed, ACTIVATIONS, strict=True)
                ],
            }
            for X in drawn(images)
        ]


def outputs_of_each(nets: list[nn.Module], question: dict) -> list:
    return [net(question["X"]) for net in nets]


@judged(
    "M1", ask=images_and_outputs, answer=outputs_of_each, subject=mlps_of_each_activation, survey=parameters_of_each
)
def classifier_mlp_applies_the_activation_it_is_given_after_each_hidden_layer(question: dict, outputs: list) -> None:
    """MLP(activation=f) in eval mode computes fc3(f(fc2(f(fc1(x))))) for ReLU, Sigmoid and Tanh."""
    for out, expected in zip(outputs, question["expected"], strict=True):
        assert_close(out, expected)


def mlp_dropping_half(lab) -> nn.Module:
    return lab.classifier.MLP(dropout_rate=0.5)


def images_and_plain_output(parameters: list[torch.Tensor]) -> list[dict]:
    """One question: 8 images, with what the plain network (no dropout) computes on them, from MLP's parameters."""
    X = fixed_images(8)
    with torch.no_grad():
        return [{"X": X, "plain": mlp_as_the_report_writes_it(nn.ParameterList(parameters), X, nn.ReLU())}]


def train_twice_then_eval(net: nn.Module, question: dict) -> dict:
    """Two train-mode outputs on the images, then an eval-mode one."""
    X = question["X"]
    trained = [net.train()(X), net(X)]
    return {"train": trained, "eval": net.eval()(X)}


@judged(
    "M1", ask=images_and_plain_output, answer=train_twice_then_eval, subject=mlp_dropping_half, survey=parameters_of
)
def classifier_mlp_drops_hidden_units_in_training_only(question: dict, found: dict) -> None:
    """MLP(dropout_rate=0.5) draws new dropout masks in train mode and computes the plain network in eval mode."""
    assert not torch.equal(*found["train"]), "two train-mode calls gave the same output: no dropout"
    assert_close(found["eval"], question["plain"])


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


def routed_values(parameters: list[torch.Tensor]) -> list[dict]:
    """One question: MLP's parameters, by position, set to route units (``routing_weights``), and 16 images of ones."""
    routed = nn.ParameterList(p.detach().clone() for p in parameters)
    routing_weights(routed)
    return [{"values": [p.detach() for p in routed], "X": torch.ones(16, 1, 28, 28)}]


def routed_training_output(net: nn.Module, question: dict):
    """The network's train-mode output, its parameters set to the question's values."""
    with torch.no_grad():
        for p, value in zip(net.parameters(), question["values"], strict=True):
            p.copy_(value)
        return net.train()(question["X"])


@judged("M1", ask=routed_values, answer=routed_training_output, subject=mlp_dropping_half, survey=parameters_of)
def classifier_mlp_drops_out_after_each_hidden_activation_only(question: dict, out) -> None:
    """In training, MLP(dropout_rate=0.5) masks each hidden layer's activations, not the input pixels or the logits.

    The weights are set to route (``routing_weights``) and the images are all ones, so the model as the report
    writes it, fc3(drop2(relu(fc2(drop1(relu(fc1(x))))))), gives logit k = logit k + 5 = m1 m2 for a first- and
    a second-layer mask value m1, m2 in {0, 2}: every logit is 0 or 4, and logits k and k + 5 agree. Whatever
    the masks, nothing else can come out. Dropout on one hidden layer only or on the input instead gives 2s;
    dropout on the input as well gives 8s; dropout on the logits gives 8s or unequal pairs (on 16 images, such
    a model gives no tell-tale value with a probability under 1e-4).
    """
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
