"""Checks of tutorial section 3.9, efficiency: claims T16 to T18, on any implementation.

Roles (section ``chapter``): ``MemoryEfficientModel(input_size, hidden_size,
num_layers)`` (one layer reused ``num_layers`` times), ``CheckpointModel()``
(1000 wide) and ``OptimizedModel()``. What the section says of
``torch.jit.script`` is a statement. The checks are judged (``nnlab.checks.judged``): the grader draws the
batches, the parameter entries to differentiate and reads OptimizedModel's layers off its record; the lab's
code answers with outputs, gradient entries, losses and the shapes it keeps for backward.

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import functools
import math
import warnings

import torch
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from nnlab.checks.blocks import as_linear, linear_sizes, output_on, parameter_count
from nnlab.checks.chapter.architectures import fixed_draws
from nnlab.checks.expect import assert_close
from nnlab.checks.judged import Probe, drawn, judged, once
from nnlab.checks.recorded import Replayed, probe_batch, record
from nnlab.checks.registry import statement
from nnlab.checks.strategies import batches, tensors

# ---------------------------------------------------------------- T16: a reused layer

SHARED_IN, SHARED_HIDDEN = 5, 3


def shared_model(lab, num_layers: int) -> nn.Module:
    return lab.chapter.MemoryEfficientModel(SHARED_IN, SHARED_HIDDEN, num_layers)


def trainable_sizes(lab, num_layers: int) -> list[int]:
    return [p.numel() for p in shared_model(lab, num_layers).parameters() if p.requires_grad]


@judged("T16", ask=functools.partial(drawn, st.integers(1, 30)), answer=trainable_sizes)
def reused_layer_keeps_the_parameter_count_whatever_the_depth(num_layers, sizes):
    """MemoryEfficientModel(in, h, n) has (in h + h) + (h² + h) + (h + 1) parameters, whatever n."""
    count = sum(sizes)
    expected = linear_sizes((SHARED_IN, SHARED_HIDDEN), (SHARED_HIDDEN, SHARED_HIDDEN), (SHARED_HIDDEN, 1))
    assert count == expected, f"{count} parameters at num_layers={num_layers}; one reused layer gives {expected}"


def depths_and_batches() -> list[dict]:
    """Any depth from 1 to 8, and any batch of the model's input width in [-3, 3]."""
    drawn_pairs = drawn(st.tuples(st.integers(1, 8), batches(SHARED_IN, low=-3, high=3)))
    return [{"num_layers": num_layers, "x": x.double()} for num_layers, x in drawn_pairs]


def doubling_model(lab, question: dict) -> dict:
    """The model with its reused layer set to 2I and every bias to 0: its first and last weights, and its output."""
    model = shared_model(lab, question["num_layers"]).double()
    params = {tuple(p.shape): p for p in model.parameters() if p.dim() == 2}
    w_in = next(p for shape, p in params.items() if sorted(shape) == [SHARED_HIDDEN, SHARED_IN])
    w_out = next(p for shape, p in params.items() if sorted(shape) == [1, SHARED_HIDDEN])
    with torch.no_grad():
        params[(SHARED_HIDDEN, SHARED_HIDDEN)].copy_(2 * torch.eye(SHARED_HIDDEN))
        for p in model.parameters():
            if p.dim() == 1:
                p.zero_()
        return {"w_in": w_in, "w_out": w_out, "y": model(question["x"])}


@judged("T16", ask=depths_and_batches, answer=doubling_model)
def reused_layer_runs_num_layers_times(question, found):
    """With the reused layer set to 2I and every bias 0, MemoryEfficientModel computes 2^n · W_out relu(W_in x)."""
    first = as_linear(found["w_in"], torch.zeros(SHARED_HIDDEN, dtype=torch.float64)).double()
    last = as_linear(found["w_out"], torch.zeros(1, dtype=torch.float64)).double()
    with torch.no_grad():
        expected = 2.0 ** question["num_layers"] * last(torch.relu(first(question["x"])))
    assert_close(found["y"], expected)


# ---------------------------------------------------------------- T17: checkpointing

CHECKPOINT_WIDTH = 1000


def shapes_given_a_gradient(lab, question: None) -> list[list[int]]:
    """The shapes of CheckpointModel's parameters that a loss on its output gives a gradient."""
    model = lab.chapter.CheckpointModel()
    model(torch.randn(2, CHECKPOINT_WIDTH)).sum().backward()
    return [list(p.shape) for p in model.parameters() if p.grad is not None]


def only_the_last_layer_is_given_a_gradient(question: None, trained: list) -> None:
    """The chapter's checkpoint() is reentrant (torch's default): on an input needing no gradient only layer4 trains."""
    assert sorted(trained) == [[1], [1, CHECKPOINT_WIDTH]], f"gradients reached the parameters of shapes {trained}"


CHECKPOINTED_LAYERS_GET_NO_GRADIENT = Probe(once, shapes_given_a_gradient, only_the_last_layer_is_given_a_gradient)


def checkpoint_batch(dtype: torch.dtype = torch.float32) -> list[torch.Tensor]:
    """The one question of a CheckpointModel check: a fixed (2, 1000) batch, the same in every process."""
    return [fixed_draws(CHECKPOINT_WIDTH, 2, CHECKPOINT_WIDTH).to(dtype)]


def outputs_three_ways(lab, x: torch.Tensor) -> dict:
    """CheckpointModel's output on ``x`` under no_grad, with autograd recording, and on ``x`` needing a gradient."""
    model = lab.chapter.CheckpointModel()
    with torch.no_grad():
        plain = model(x)
    return {"plain": plain, "recording": model(x), "input_needing_a_gradient": model(x.clone().requires_grad_())}


@judged("T17", ask=checkpoint_batch, answer=outputs_three_ways)
def checkpointing_gives_the_outputs_of_the_plain_forward(x, outputs):
    """CheckpointModel's output with autograd recording equals its plain forward's, run under no_grad."""
    plain = outputs["plain"]
    assert plain.shape == (2, 1), f"output of shape {tuple(plain.shape)} for input (2, {CHECKPOINT_WIDTH})"
    assert_close(outputs["recording"], plain, rtol=0, atol=0)
    assert_close(outputs["input_needing_a_gradient"], plain, rtol=0, atol=0)


def loss_of(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    out = model(x)
    return (out * torch.linspace(0.5, 1.5, out.numel(), dtype=out.dtype).view(out.shape)).sum()


def checkpoint_model_in_float64(lab) -> nn.Module:
    return lab.chapter.CheckpointModel().double()


def parameter_shapes(model: nn.Module) -> list[list[int]]:
    return [list(p.shape) for p in model.parameters()]


ENTRIES_PER_PARAMETER = 16
DIFFERENCE_STEP = 1e-6


def entries_to_differentiate(shapes: list) -> list[dict]:
    """A fixed float64 batch, and for each parameter, in order, a few of its entries (flat indices), drawn here."""
    entries = [
        torch.randint(math.prod(shape), (ENTRIES_PER_PARAMETER,), generator=torch.Generator().manual_seed(index))
        for index, shape in enumerate(shapes)
    ]
    return [{"x": checkpoint_batch(torch.float64)[0], "entries": entries}]


def gradients_and_nudged_losses(model: nn.Module, question: dict) -> dict:
    """The loss's gradient at the asked entries (None: no gradient), and the loss with each entry moved ± the step."""
    x = question["x"]
    loss_of(model, x).backward()
    gradients, nudged = [], []
    for p, entries in zip(model.parameters(), question["entries"]):
        gradients.append(None if p.grad is None else p.grad.reshape(-1)[entries])
        losses = []
        with torch.no_grad():
            for index in entries.tolist():
                flat = p.view(-1)
                flat[index] += DIFFERENCE_STEP
                up = loss_of(model, x)
                flat[index] -= 2 * DIFFERENCE_STEP
                down = loss_of(model, x)
                flat[index] += DIFFERENCE_STEP
                losses.append(torch.stack([up, down]))
        nudged.append(losses)
    return {"gradients": gradients, "nudged": nudged}


@judged(
    "T17",
    ask=entries_to_differentiate,
    answer=gradients_and_nudged_losses,
    subject=checkpoint_model_in_float64,
    survey=parameter_shapes,
    documented=CHECKPOINTED_LAYERS_GET_NO_GRADIENT,
)
def checkpointing_gives_the_gradients_of_the_plain_forward(question, found):
    """CheckpointModel's gradients on an input needing none (training data) match central differences."""
    assert len(found["gradients"]) == len(question["entries"]), "not one gradient per parameter"
    for index, (entries, gradient, nudged) in enumerate(zip(question["entries"], found["gradients"], found["nudged"])):
        assert gradient is not None, f"no gradient for parameter {index}"
        for entry, analytic, (up, down) in zip(entries.tolist(), gradient.tolist(), nudged):
            numeric = ((up - down) / (2 * DIFFERENCE_STEP)).item()
            assert math.isclose(analytic, numeric, rel_tol=1e-4, abs_tol=1e-6), (
                f"parameter {index}, entry {entry}: gradient {analytic:.6g}, central difference {numeric:.6g}"
            )


def saved_for_backward(function) -> list[list[int]]:
    """The shapes of the tensors ``function()`` keeps for the backward pass."""
    shapes = []

    def pack(tensor):
        shapes.append(list(tensor.shape))
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        function()
    return shapes


def kept_for_backward(lab, x: torch.Tensor) -> list[list[int]]:
    """The shapes of the tensors CheckpointModel keeps for backward, on ``x`` needing a gradient."""
    model = lab.chapter.CheckpointModel()
    return saved_for_backward(lambda: model(x.clone().requires_grad_()))


@judged("T17", ask=checkpoint_batch, answer=kept_for_backward)
def checkpointing_keeps_fewer_tensors_for_backward(x, kept):
    """CheckpointModel keeps fewer tensors for backward than a plain Linear-ReLU x3, Linear forward of any width."""
    width = 8
    plain = nn.Sequential(*[m for _ in range(3) for m in (nn.Linear(width, width), nn.ReLU())], nn.Linear(width, 1))
    expected = len(saved_for_backward(lambda: plain(torch.randn(2, width, requires_grad=True))))
    assert len(kept) < expected, (
        f"CheckpointModel keeps {len(kept)} tensors for backward; the plain forward keeps {expected}"
    )


# ---------------------------------------------------------------- T18: compilation


def optimized_references(model: nn.Module) -> list:
    """The chapter's computation, 100 -> 200 -> 100 -> 1 with LeakyReLU(0.01), from the model's parameters by shape.

    The two hidden weights, 200 x 100 and 100 x 200, are told apart by layout: both in nn.Linear's
    (out, in), or both transposed; one function for each reading.
    """
    params = [p.detach() for p in model.parameters()]
    shapes = sorted(tuple(p.shape) for p in params)
    expected = sorted([(200, 100), (200,), (100, 200), (100,), (1, 100), (1,)])
    assert shapes in (expected, sorted([(100, 200), (200,), (200, 100), (100,), (100, 1), (1,)])), (
        f"parameters of shapes {shapes}, not those of Linear(100, 200), Linear(200, 100), Linear(100, 1)"
    )
    by_shape = {tuple(p.shape): p for p in params}
    w_out = next(p for p in params if p.dim() == 2 and 1 in p.shape)
    readings = []
    for w1, w2 in ((by_shape[(200, 100)], by_shape[(100, 200)]), (by_shape[(100, 200)].T, by_shape[(200, 100)].T)):
        layers = [as_linear(w1, by_shape[(200,)]), as_linear(w2, by_shape[(100,)]), as_linear(w_out, by_shape[(1,)])]
        readings.append(
            lambda x, layers=layers: layers[2](F.leaky_relu(layers[1](F.leaky_relu(layers[0](x), 0.01)), 0.01))
        )
    return readings


OPTIMIZED_WIDTH = 100


def optimized_model(lab) -> nn.Module:
    return lab.chapter.OptimizedModel()


def batches_through_the_chapters_layers(recorded: dict) -> list[dict]:
    """Any (1 or 2, 100) batch in [-3, 3], with the chapter's output on it, computed from the model's parameters:
    those of its record (``nnlab.checks.recorded``), read as the layers whose output is the one it recorded."""
    model = Replayed(recorded)
    assert parameter_count(model) == linear_sizes((100, 200), (200, 100), (100, 1)), (
        f"{parameter_count(model)} parameters"
    )
    probe = probe_batch(OPTIMIZED_WIDTH)
    recorded_output = model(probe)
    with torch.no_grad():
        expected = min(optimized_references(model), key=lambda f: (f(probe) - recorded_output).abs().max().item())
        X = drawn(tensors((st.integers(1, 2), OPTIMIZED_WIDTH), low=-3, high=3))
        return [{"X": x, "expected": expected(x)} for x in X]


@judged("T18", ask=batches_through_the_chapters_layers, answer=output_on, subject=optimized_model, survey=record)
def optimized_model_is_three_layers_with_leaky_relu_between(question, y):
    """OptimizedModel computes Linear(100, 200), LeakyReLU(0.01), Linear(200, 100), LeakyReLU(0.01), Linear(100, 1)."""
    assert_close(y, question["expected"])


def batches_of_one_and_five() -> list[torch.Tensor]:
    """Fixed batches of 1 and 5 rows: compiled with dynamic shapes, the model must take both."""
    return [fixed_draws(batch, batch, OPTIMIZED_WIDTH).float() for batch in (1, 5)]


def compiled_optimized_model(lab) -> dict:
    """OptimizedModel, and torch.compile of it (graph capture, the aot_eager backend: no C++ compiler needed)."""
    import torch._dynamo  # an attribute of torch only once imported, before torch 2.1

    torch._dynamo.reset()
    model = lab.chapter.OptimizedModel()
    return {"eager": model, "compiled": torch.compile(model, backend="aot_eager", dynamic=True)}


def compiled_then_eager(models: dict, x: torch.Tensor) -> dict:
    """The compiled model's output on ``x``, then the eager model's, in that order, as a program would call them."""
    compiled = models["compiled"](x)
    return {"compiled": compiled, "eager": models["eager"](x)}


@judged("T18", ask=batches_of_one_and_five, answer=compiled_then_eager, subject=compiled_optimized_model)
def compiled_optimized_model_computes_what_eager_computes(x, outputs):
    """torch.compile(OptimizedModel()) computes what the eager model computes (graph capture, aot_eager backend)."""
    assert_close(outputs["compiled"], outputs["eager"], rtol=0, atol=0)


# The chapter's model for scripting, in torch primitives: a scripted activation inside a scripted module.
# torch.jit.script warns that TorchScript is deprecated from torch 2.10 on (docs/versions.md: 2.9.1 does not)
SCRIPT_DEPRECATED_FROM = (2, 10)


def torch_version() -> tuple[int, int]:
    major, minor = torch.__version__.split(".")[:2]
    return int(major), int(minor)


def scripted_chapter_model() -> tuple[nn.Module, nn.Module, list[warnings.WarningMessage]]:
    """The chapter's OptimizedModel in torch primitives, scripted as the chapter does; the warnings scripting raised."""

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2, self.fc3 = nn.Linear(100, 200), nn.Linear(200, 100), nn.Linear(100, 1)

        def forward(self, x):
            x = F.leaky_relu(self.fc1(x), 0.01)
            x = F.leaky_relu(self.fc2(x), 0.01)
            return self.fc3(x)

    model = Model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scripted = torch.jit.script(model)
    return model, scripted, caught


def deprecation_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, (DeprecationWarning, FutureWarning, UserWarning))
        and "torch.jit.script" in str(w.message)
        and ("deprecated" in str(w.message) or "not supported" in str(w.message))
    ]


def scripting_computes_eager_outputs_and_warns_it_is_deprecated():
    """Scripting computes the eager outputs, but torch.jit.script warns that it is deprecated (torch >= 2.10)."""
    model, scripted, caught = scripted_chapter_model()
    x = torch.randn(16, 100)
    assert_close(scripted(x), model(x), rtol=0, atol=0)
    if torch_version() >= SCRIPT_DEPRECATED_FROM:
        assert deprecation_warnings(caught), (
            f"torch {torch.__version__}: torch.jit.script raised no deprecation warning; "
            f"it raised {[str(w.message) for w in caught]}"
        )


@statement("T18", truth=scripting_computes_eager_outputs_and_warns_it_is_deprecated, when_wrong="qualified")
def scripting_the_model_compiles_it_to_the_same_computation():
    """Section 3.9.2: torch.jit.script compiles the model for better performance, to the same outputs."""
    model, scripted, caught = scripted_chapter_model()
    deprecated = deprecation_warnings(caught)
    assert not deprecated, f"torch {torch.__version__}: torch.jit.script warns {deprecated[0]!r}"
    x = torch.randn(16, 100)
    assert_close(scripted(x), model(x), rtol=0, atol=0)
