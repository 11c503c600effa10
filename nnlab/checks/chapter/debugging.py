"""Checks of tutorial section 3.10, debugging: claims T19 and T20, on any implementation.

Roles (section ``chapter``): ``DebugModel()`` with its ``debug`` flag, and
``visualize_weights(model, layer_name=None)``. The checks are judged (``nnlab.checks.judged``): the
histograms' models and weights are the grader's, and the figures come back described as data (each axes'
title and bar heights, the PNG a figure writes).

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import base64
import contextlib
import io
import re

import torch
from torch import nn

from nnlab.checks.blocks import as_linear, batches_drawn
from nnlab.checks.chapter.architectures import fixed_draws
from nnlab.checks.expect import assert_close
from nnlab.checks.judged import Probe, judged

# ---------------------------------------------------------------- T19: the debug model


def debug_readings(model: nn.Module) -> list:
    """The chapter's stages, 10 -> 20 -> 10 -> 1 with ReLUs, from the model's parameters by shape, one per reading.

    Each weight may be stored in nn.Linear's (out, in) layout or transposed (in, out): the two
    hidden weights, 20 x 10 and 10 x 20 either way, are tried in every order and layout that
    makes a 10 -> 20 -> 10 chain; each reading is a function from the input to its four stages.
    """
    params = [p.detach() for p in model.parameters()]
    shapes = sorted(tuple(p.shape) for p in params)
    vectors = sorted([(20,), (10,), (1,)])
    hidden = sorted(tuple(p.shape) for p in params if p.dim() == 2 and 1 not in p.shape)
    out_shapes = [tuple(p.shape) for p in params if p.dim() == 2 and 1 in p.shape]
    assert (
        len(params) == 6
        and sorted(s for s in shapes if len(s) == 1) == vectors
        and hidden in ([(10, 20), (10, 20)], [(10, 20), (20, 10)], [(20, 10), (20, 10)])
        and out_shapes in ([(1, 10)], [(10, 1)])
    ), f"parameters of shapes {shapes}, not those of Linear(10, 20), Linear(20, 10), Linear(10, 1)"
    bias = {p.shape[0]: p for p in params if p.dim() == 1}
    square = [p for p in params if p.dim() == 2 and 1 not in p.shape]
    w_out = next(p for p in params if p.dim() == 2 and 1 in p.shape)
    fc3 = as_linear(w_out, bias[1])
    readings = []
    for first, second in (square, square[::-1]):
        for w1 in (first, first.T):
            for w2 in (second, second.T):
                if w1.shape == (20, 10) and w2.shape == (10, 20):
                    fc1, fc2 = as_linear(w1, bias[20]), as_linear(w2, bias[10])

                    def stages(x, fc1=fc1, fc2=fc2):
                        h1 = torch.relu(fc1(x))
                        h2 = torch.relu(fc2(h1))
                        return [x, h1, h2, fc3(h2)]

                    readings.append(stages)
    return readings


def debug_model(lab) -> nn.Module:
    return lab.chapter.DebugModel()


@contextlib.contextmanager
def debug_off(model: nn.Module):
    """The model with ``debug = False``, its flag (or its lack of one) put back after."""
    had, debug = hasattr(model, "debug"), getattr(model, "debug", None)
    model.debug = False
    try:
        yield model
    finally:
        if had:
            model.debug = debug
        else:
            del model.debug


def quiet_output(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """The model's output on ``X`` with its debug flag off."""
    with debug_off(model), contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
        return model(X)


def parameters_and_probe_output(model: nn.Module) -> dict:
    """The model's parameters, and its output (debug off) on the fixed probe batch its reading is found from."""
    return {"parameters": list(model.parameters()), "output": quiet_output(model, debug_probe())}


def debug_probe() -> torch.Tensor:
    return torch.randn(16, 10, generator=torch.Generator().manual_seed(16)) * 3


def debug_reference(survey: dict):
    """The reading of the model's parameters (see ``debug_readings``) whose output on the probe is the model's own."""
    readings = debug_readings(nn.ParameterList(survey["parameters"]))
    with torch.no_grad():
        return min(readings, key=lambda f: (f(debug_probe())[-1] - survey["output"]).abs().max().item())


def batches_and_stages(survey: dict) -> list[dict]:
    """Any (b, 10) batch in [-3, 3], with the chapter's four stages of it, computed from the model's own layers."""
    stages = debug_reference(survey)
    with torch.no_grad():
        return [{"X": X, "stages": stages(X)} for X in batches_drawn(10, -3, 3)]


def printed(function) -> tuple[str, object]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = function()
    return buffer.getvalue(), result


# A number as printed: 0.0597, -.5, +0.0597, 5.975e-02, 6E-2, 0 (not a digit inside a name such as fc1).
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")
# Between a shape's two sizes: a comma, ×, * or another symbol, spaces, or the letter x or the word by.
SHAPE_SEPARATOR = r"(?:\s*[^\w\s.+\-]\s*|\s+|\s*(?:x|X|by)\s*)"


def prints_shape(text: str, b: int, w: int) -> bool:
    """Whether ``text`` writes the shape (b, w): ``(b, w)``, ``[b, w]``, ``torch.Size([b, w])``, ``bxw``, ``b × w``."""
    return re.search(rf"(?<![\w.]){b}{SHAPE_SEPARATOR}{w}(?![\w.])", text) is not None


def prints_number_near(text: str, value: float) -> bool:
    """Whether ``text`` prints a number within rounding (5e-3, or 0.5% of a large value) of ``value``."""
    tolerance = max(5e-3, 5e-3 * abs(value))
    return any(abs(float(n) - value) <= tolerance for n in NUMBER.findall(text))


def printed_output(model: nn.Module, question: dict) -> str:
    text, _ = printed(lambda: model(question["X"]))
    return text


@judged("T19", ask=batches_and_stages, answer=printed_output, subject=debug_model, survey=parameters_and_probe_output)
def debug_model_prints_each_stages_shape_and_mean_when_on(question, text):
    """DebugModel (debug on, as built) prints each stage's shape and mean: input, 10→20, 20→10, 10→1."""
    for stage in question["stages"]:
        b, w = stage.shape
        assert prints_shape(text, b, w), f"no shape ({b}, {w}) in what it printed:\n{text}"
        mean = stage.mean().item()
        assert prints_number_near(text, mean), f"no mean {mean:.4f} of a ({b}, {w}) stage in:\n{text}"


def loud_and_quiet(model: nn.Module, question: dict) -> dict:
    """The model's output as built (debug on), then what it prints and outputs with ``debug = False``."""
    X = question["X"]
    _, loud = printed(lambda: model(X))
    with debug_off(model):
        text, quiet = printed(lambda: model(X))
    return {"loud": loud, "text": text, "quiet": quiet}


@judged("T19", ask=batches_and_stages, answer=loud_and_quiet, subject=debug_model, survey=parameters_and_probe_output)
def debug_model_prints_nothing_when_off_and_computes_the_same(question, found):
    """DebugModel prints nothing with debug = False, and its output is the same with the flag on or off."""
    assert found["text"] == "", f"printed with debug off: {found['text']!r}"
    assert_close(found["quiet"], found["loud"], rtol=0, atol=0)
    assert_close(found["quiet"], question["stages"][-1])


# ---------------------------------------------------------------- T20: weight histograms


def histogram_figures(function):
    """The figures ``function()`` draws: the ones it returns (one, a list or a tuple), or else those pyplot opened."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    before = set(plt.get_fignums())
    try:
        result = function()
        opened = [plt.figure(n) for n in plt.get_fignums() if n not in before]
        if isinstance(result, Figure):
            return [result]
        if isinstance(result, (list, tuple)) and result and all(isinstance(f, Figure) for f in result):
            return list(result)
        return opened
    finally:
        for n in set(plt.get_fignums()) - before:
            plt.close(n)


def histogram_model() -> nn.Module:
    """Five weight tensors: three Linear weights and two BatchNorm weights."""
    return nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.Linear(5, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


# the models whose weights are drawn, by what the questions call them
HISTOGRAM_MODELS = {"Linear(3, 2)": lambda: nn.Linear(3, 2), "three Linear, two BatchNorm1d": histogram_model}


def histogram_question(model: str, layer_name: str | None = None) -> dict:
    """The model to draw, with its state (its parameters drawn here, the same in every process), and the weights a
    panel each is for: those whose names contain ``layer_name``, if given."""
    built = HISTOGRAM_MODELS[model]()
    with torch.no_grad():
        for seed, p in enumerate(built.parameters()):
            p.copy_(fixed_draws(seed, *p.shape))
    weights = {n: p for n, p in built.named_parameters() if "weight" in n and (layer_name is None or layer_name in n)}
    return {"model": model, "state": dict(built.state_dict()), "layer_name": layer_name, "weights": weights}


def figures_drawn_for(lab, question: dict) -> list:
    """The figures the lab's visualize_weights draws for the question's model (and layer name, if any)."""
    model = HISTOGRAM_MODELS[question["model"]]()
    model.load_state_dict(question["state"])
    if question["layer_name"] is None:
        return histogram_figures(lambda: lab.chapter.visualize_weights(model))
    return histogram_figures(lambda: lab.chapter.visualize_weights(model, layer_name=question["layer_name"]))


def drawn_axes(lab, question: dict) -> list[dict]:
    """Each axes of the figures drawn, in order: its title and the heights of its bars."""
    described = []
    for fig in figures_drawn_for(lab, question):
        for ax in fig.axes:
            heights = torch.tensor([bar.get_height() for bar in ax.patches], dtype=torch.float64)
            described.append({"title": ax.get_title(), "heights": heights})
    return described


def panels(axes: list[dict]) -> list[dict]:
    """The axes that hold a histogram: those with bars."""
    return [ax for ax in axes if ax["heights"].numel()]


def one_panel_per_weight(question: dict, axes: list[dict]) -> None:
    weights, drawn = question["weights"], panels(axes)
    assert len(drawn) == len(weights), (
        f"{len(drawn)} histogram panels for the {len(weights)} weight tensors {list(weights)}"
    )
    for name, p in weights.items():
        matching = [ax for ax in drawn if name in ax["title"]]
        assert matching, f"no panel titled with {name!r}; titles {[ax['title'] for ax in drawn]}"
        counted = matching[0]["heights"].sum().item()
        assert counted == p.numel(), f"the {name!r} panel counts {counted} values; the tensor has {p.numel()}"


def the_histogram_model() -> list[dict]:
    return [histogram_question("three Linear, two BatchNorm1d")]


def first_three_weights_drawn(question: dict, axes: list[dict]) -> None:
    """The chapter's visualize_weights draws the first three weight tensors only, on a 1 x 3 grid."""
    names = list(question["weights"])
    assert [next(n for n in names if n in ax["title"]) for ax in panels(axes)] == names[:3]


DRAWS_AT_MOST_THREE_PANELS = Probe(the_histogram_model, drawn_axes, first_three_weights_drawn)


def both_models() -> list[dict]:
    return [histogram_question(model) for model in HISTOGRAM_MODELS]


@judged("T20", ask=both_models, answer=drawn_axes, documented=DRAWS_AT_MOST_THREE_PANELS)
def weight_histograms_have_one_panel_per_weight_tensor(question, axes):
    """visualize_weights draws one histogram panel per weight tensor, titled with its name, counting all its entries."""
    one_panel_per_weight(question, axes)


def layer_two_of_the_histogram_model() -> list[dict]:
    return [histogram_question("three Linear, two BatchNorm1d", layer_name="2")]


@judged("T20", ask=layer_two_of_the_histogram_model, answer=drawn_axes)
def weight_histograms_of_a_named_layer_only(question, axes):
    """visualize_weights(model, layer_name) draws only the weight tensors whose names contain layer_name."""
    one_panel_per_weight(question, axes)


def first_figure_as_png(lab, question: dict) -> str | None:
    """The first figure drawn, written by its own savefig as PNG, in base64; None where no figure was drawn."""
    figures = figures_drawn_for(lab, question)
    if not figures:
        return None
    buffer = io.BytesIO()
    figures[0].savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@judged("T20", ask=the_histogram_model, answer=first_figure_as_png)
def weight_histograms_can_be_written_to_an_image_file(question, written):
    """The figure visualize_weights draws writes to a PNG image file."""
    assert written is not None, "visualize_weights drew no figure"
    image = base64.b64decode(written)
    # a PNG starts with its signature, then its header chunk
    assert image.startswith(PNG_SIGNATURE) and image[12:16] == b"IHDR", "savefig wrote no PNG"
