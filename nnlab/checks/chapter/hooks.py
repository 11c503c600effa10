"""Checks of tutorial section 3.4, forward hooks: claim T9, on any implementation.

Role (section ``chapter``): ``HookDemo()``: ``Linear(10, 20)``, ReLU,
``Linear(20, 10)``, ReLU, ``Linear(10, 1)``, whose ``activations`` dict holds
the last outputs of the first two linear layers under ``"fc1"`` and ``"fc2"``.
What the section says of forward hooks themselves is a statement; HookDemo's checks are judged
(``nnlab.checks.judged``), its layers read off its record.

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import itertools

import torch
from torch import nn

from nnlab.checks.blocks import batches_drawn, output_on
from nnlab.checks.expect import assert_close
from nnlab.checks.judged import judged
from nnlab.checks.recorded import Replayed, probe_batch, record
from nnlab.checks.registry import statement
from nnlab.checks.strategies import batches, forall


def forward_hook_sees_the_output_and_leaves_it_unchanged_until_removed():
    """A forward hook returning None sees the module's output, leaves it as it was, and stops after handle.remove()."""

    @forall(x=batches(4))
    def prop(x):
        layer = nn.Linear(4, 3)
        seen = []
        handle = layer.register_forward_hook(lambda module, inputs, output: seen.append(output.detach().clone()))
        y = layer(x)
        expected = x.double() @ layer.weight.detach().double().T + layer.bias.detach().double()
        assert_close(y.double(), expected, rtol=1e-5, atol=1e-5)
        assert len(seen) == 1 and torch.equal(seen[0], y), "the hook did not see the output the module returned"
        handle.remove()
        layer(x)
        assert len(seen) == 1, "the hook ran after handle.remove()"

    prop()


@statement("T9", truth=forward_hook_sees_the_output_and_leaves_it_unchanged_until_removed, when_wrong="refuted")
def forward_hooks_capture_outputs_without_changing_them_until_removed():
    """Forward hooks capture intermediate outputs, do not change the output, and stop after handle.remove()."""
    forward_hook_sees_the_output_and_leaves_it_unchanged_until_removed()


HOOK_SIZES = ((10, 20), (20, 10), (10, 1))  # (in, out) of fc1, fc2, fc3


def oriented(p: torch.Tensor, n_in: int, n_out: int) -> list[torch.Tensor]:
    """``p`` read as an ``(out, in)`` matrix: as stored, transposed, both (square), or neither."""
    p = p.detach().double()
    ways = []
    if tuple(p.shape) == (n_out, n_in):
        ways.append(p)
    if tuple(p.shape) == (n_in, n_out) and n_in != n_out:
        ways.append(p.T)
    return ways


def linear_stack(model: nn.Module, sizes, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The ``(W (out, in), b)`` of each layer of a ReLU stack of ``sizes``, matched to the model's parameters.

    Weights are the 2-D parameters, biases the others, found by their sizes;
    which weight belongs to which layer, and which way round it is stored, is
    decided by the model's own output.
    """
    parameters = list(model.parameters())
    matrices = [p for p in parameters if p.dim() == 2]
    vectors = [p for p in parameters if p.dim() != 2]
    assert len(matrices) == len(vectors) == len(sizes), (
        f"parameters of shapes {[tuple(p.shape) for p in parameters]}, not one weight and one bias per layer of {sizes}"
    )
    biases = []
    for _, n_out in sizes:
        match = [b for b in vectors if b.numel() == n_out and all(b is not c for c in biases)]
        assert match, f"no bias of {n_out} among {[tuple(p.shape) for p in vectors]}"
        biases.append(match[0])
    biases = [b.detach().double().reshape(-1) for b in biases]
    with torch.no_grad():
        output = model(x).double()
    for order in itertools.permutations(matrices):
        for weights in itertools.product(*(oriented(p, n_in, n_out) for p, (n_in, n_out) in zip(order, sizes))):
            layers = list(zip(weights, biases))
            if torch.allclose(relu_stack(layers, x.double())[-1], output, rtol=1e-4, atol=1e-5):
                return layers
    raise AssertionError(
        f"no arrangement of the parameters as Linear {' -> '.join(str(s[0]) for s in sizes)} -> {sizes[-1][1]} "
        "with ReLUs between computes the model's output"
    )


def relu_stack(layers, x: torch.Tensor) -> list[torch.Tensor]:
    """Each layer's output (before its ReLU) of ``x`` through Linear, ReLU, ..., Linear: explicit sums in float64."""
    outputs = []
    for i, (W, b) in enumerate(layers):
        if i:
            x = torch.clamp(outputs[-1], min=0)
        outputs.append((x[:, None, :] * W[None, :, :]).sum(-1) + b)
    return outputs


def hook_demo(lab) -> nn.Module:
    return lab.chapter.HookDemo()


def batches_through_its_layers(recorded: dict) -> list[dict]:
    """Any (b, 10) batch, with the outputs of HookDemo's three layers on it, computed from its own parameters:
    those of its record (``nnlab.checks.recorded``) whose ReLU stack gives the output it recorded."""
    layers = linear_stack(Replayed(recorded), HOOK_SIZES, probe_batch(HOOK_SIZES[0][0]))
    questions = []
    for X in batches_drawn(HOOK_SIZES[0][0]):
        *first_two, output = relu_stack(layers, X.double())
        questions.append({"X": X, "layers": first_two, "output": output})
    return questions


@judged("T9", ask=batches_through_its_layers, answer=output_on, subject=hook_demo, survey=record)
def hook_demo_computes_its_three_layers_unchanged_by_the_hooks(question: dict, y) -> None:
    """HookDemo is Linear 10->20, ReLU, Linear 20->10, ReLU, Linear 10->1 on (b, 10): recording changes nothing."""
    X = question["X"]
    assert y.shape == (X.shape[0], 1), f"HookDemo gave shape {tuple(y.shape)} for {tuple(X.shape)}"
    # its own float32 layers against the same layers in float64
    assert_close(y.double(), question["output"], rtol=1e-4, atol=1e-5)


def recorded_activations(model: nn.Module, question: dict) -> dict:
    """What HookDemo.activations holds after a call on the batch."""
    model(question["X"])
    return dict(model.activations)


@judged("T9", ask=batches_through_its_layers, answer=recorded_activations, subject=hook_demo, survey=record)
def hook_demo_records_the_outputs_of_its_first_two_layers(question: dict, recorded: dict) -> None:
    """After each call, HookDemo.activations["fc1"], ["fc2"] hold its first two linear layers' outputs for the batch."""
    assert set(recorded) == {"fc1", "fc2"}, f"activations has keys {sorted(recorded)}"
    for name, want in zip(("fc1", "fc2"), question["layers"]):
        got = recorded[name]
        assert tuple(got.shape) == tuple(want.shape), (
            f"activations[{name!r}] has shape {tuple(got.shape)}, not {tuple(want.shape)}"
        )
        assert_close(got.double(), want, rtol=1e-4, atol=1e-5, msg=lambda m, name=name: f"activations[{name!r}]: {m}")
