"""The checks of T19, T20 (tutorial 3.10) catch the wrong code they are for and pass correct code in other styles."""

import math

import pytest
import torch
from torch import nn

from nnlab.checks.chapter import debugging as checks_debugging
from nnlab.labs import CHAPTER, REFERENCE
from nnlab.tutorial import debugging
from tests.checks.helpers import another_style_failures, result, results_of, wrong_results

# ---------------------------------------------------------------- T19: the debug model


class DebugAlwaysPrinting(debugging.DebugModel):
    def forward(self, x):
        debug, self.debug = self.debug, True
        try:
            return super().forward(x)
        finally:
            self.debug = debug


class DebugChangingItsOutput(debugging.DebugModel):
    def forward(self, x):
        out = super().forward(x)
        return out * 2 if self.debug else out


class DebugPrintingNoShapes(debugging.DebugModel):
    def _report(self, stage, x):
        if self.debug:
            print(f"{stage}: mean={x.mean().item():.4f}")


class DebugPrintingTheStdAsTheMean(debugging.DebugModel):
    def _report(self, stage, x):
        if self.debug:
            print(f"{stage}: shape={tuple(x.shape)}, mean={x.std(correction=0).item():.4f}")


class DebugPrintingTransposedShapes(debugging.DebugModel):
    def _report(self, stage, x):
        if self.debug:
            print(f"{stage}: shape={tuple(x.shape)[::-1]}, mean={x.mean().item():.4f}")


def raw_debug_model(show):
    """A DebugModel with raw weights stored (in, out), ``x @ w + b``, printing each stage with ``show(t)``."""

    class RawDebugModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.debug = True
            self.w1, self.b1 = nn.Parameter(torch.randn(10, 20) / 3), nn.Parameter(torch.randn(20) / 3)
            self.w2, self.b2 = nn.Parameter(torch.randn(20, 10) / 4), nn.Parameter(torch.randn(10) / 4)
            self.w3, self.b3 = nn.Parameter(torch.randn(10, 1) / 3), nn.Parameter(torch.randn(1) / 3)

        def forward(self, x):
            stages = [x]
            stages.append(torch.relu(x @ self.w1 + self.b1))
            stages.append(torch.relu(stages[-1] @ self.w2 + self.b2))
            stages.append(stages[-1] @ self.w3 + self.b3)
            if self.debug:
                for t in stages:
                    print(show(t))
            return stages[-1]

    return RawDebugModel


DEBUG_FORMATS = {
    "tuple and fixed point": lambda t: f"{tuple(t.shape)} mean {t.mean().item():.4f}",
    "b x w and exponent": lambda t: f"{t.shape[0]}x{t.shape[1]} mean={t.mean().item():.3e}",
    "list": lambda t: f"shape {list(t.shape)}, mean {t.mean().item():+.5f}",
    "torch.Size and tensor": lambda t: f"{t.shape} {t.mean().detach()}",
    "times sign and %g": lambda t: f"[{t.shape[0]} × {t.shape[1]}] μ={t.mean().item():g}",
}


@pytest.mark.parametrize("show", DEBUG_FORMATS.values(), ids=DEBUG_FORMATS.keys())
def test_a_debug_model_with_transposed_raw_weights_and_any_print_format_passes(show):
    lab = REFERENCE.replace("another style", chapter={"DebugModel": raw_debug_model(show)})
    assert set(results_of(lab, "T19").values()) == {"pass"}


# ---------------------------------------------------------------- T20: weight histograms


def histograms_ignoring_the_name(model, layer_name=None):
    return debugging.weight_histograms(model)


def histograms_one_figure_each(model, layer_name=None):
    from matplotlib.figure import Figure

    figures = []
    for name, p in model.named_parameters():
        if "weight" in name and (layer_name is None or layer_name in name):
            fig = Figure()
            ax = fig.add_subplot()
            ax.hist(p.detach().flatten().numpy(), bins=10)
            ax.set_title(name)
            figures.append(fig)
    return tuple(figures)


def test_histograms_returned_as_a_tuple_of_figures_pass():
    lab = REFERENCE.replace("another style", chapter={"visualize_weights": histograms_one_figure_each})
    assert set(results_of(lab, "T20").values()) == {"pass"}


def histograms_on_a_grid_with_an_empty_axes(model, layer_name=None):
    import matplotlib.pyplot as plt

    weights = [(n, p) for n, p in model.named_parameters() if "weight" in n and (layer_name is None or layer_name in n)]
    fig, axes = plt.subplots(2, math.ceil((len(weights) + 1) / 2), squeeze=False)
    for ax, (name, p) in zip(axes.flat, weights):
        ax.hist(p.detach().flatten().numpy(), bins=10)
        ax.set_title(name)
    return fig  # one axes or more left empty: no histogram, so no panel


def test_histograms_on_a_grid_with_an_empty_axes_left_pass():
    lab = REFERENCE.replace("another style", chapter={"visualize_weights": histograms_on_a_grid_with_an_empty_axes})
    assert set(results_of(lab, "T20").values()) == {"pass"}


def test_the_chapters_three_panel_histograms_are_qualified():
    assert result(CHAPTER, "T20", "weight_histograms_have_one_panel_per_weight_tensor") == "qualified"


def test_the_chapters_code_passes_every_other_t19_t20_check():
    results = {**results_of(CHAPTER, "T19"), **results_of(CHAPTER, "T20")}
    del results["weight_histograms_have_one_panel_per_weight_tensor"]  # qualified: the test above
    assert set(results.values()) == {"pass"}


# ---------------------------------------------------------------- each wrong variant above fails its checks

# (claim, the roles swapped in, {check: result} for the checks named), the id naming what is wrong
WRONG_VARIANTS = [
    pytest.param(
        "T19",
        {"DebugModel": DebugAlwaysPrinting},
        {"debug_model_prints_nothing_when_off_and_computes_the_same": "fail"},
        id="T19 debug model printing when off",
    ),
    pytest.param(
        "T19",
        {"DebugModel": DebugChangingItsOutput},
        {"debug_model_prints_nothing_when_off_and_computes_the_same": "fail"},
        id="T19 debug model whose output depends on the flag",
    ),
    pytest.param(
        "T19",
        {"DebugModel": DebugPrintingNoShapes},
        {"debug_model_prints_each_stages_shape_and_mean_when_on": "fail"},
        id="T19 debug model printing no shapes",
    ),
    pytest.param(
        "T19",
        {"DebugModel": DebugPrintingTheStdAsTheMean},
        {"debug_model_prints_each_stages_shape_and_mean_when_on": "fail"},
        id="T19 debug model printing the std as the mean",
    ),
    pytest.param(
        "T19",
        {"DebugModel": DebugPrintingTransposedShapes},
        {"debug_model_prints_each_stages_shape_and_mean_when_on": "fail"},
        id="T19 debug model printing transposed shapes",
    ),
    pytest.param(
        "T20",
        {"visualize_weights": histograms_ignoring_the_name},
        {"weight_histograms_of_a_named_layer_only": "fail"},
        id="T20 histograms ignoring layer_name",
    ),
]


@pytest.mark.parametrize(("claim", "roles", "expected"), WRONG_VARIANTS)
def test_the_checks_of_the_properties_a_wrong_variant_breaks_fail(claim, roles, expected):
    assert wrong_results(claim, roles, expected) == expected


# ---------------------------------------------------------------- correct, in another style


def histograms_in_a_column(model, layer_name=None):
    import matplotlib.pyplot as plt

    weights = [
        (n, p.detach().flatten())
        for n, p in model.named_parameters()
        if n.endswith("weight") and (layer_name is None or layer_name in n)
    ]
    fig, axes = plt.subplots(len(weights), 1, squeeze=False)
    for ax, (name, values) in zip(axes[:, 0], weights):
        ax.hist(values.numpy(), bins=20)
        ax.set_title(name)
    return fig


# Correct roles in styles that neither nnlab's reference nor examples/correct_lab (which the suite runs
# through every check) uses; each runs through only the checks of its own role.
ANOTHER_STYLE = {
    "visualize_weights": (histograms_in_a_column, ("weight_histograms_",)),
}


@pytest.mark.parametrize("role", ANOTHER_STYLE)
def test_a_correct_role_in_another_style_passes_every_check_of_its_role(role):
    assert not another_style_failures(role, *ANOTHER_STYLE[role])


# ---------------------------------------------------------------- T19: reading the chapter's stages off any layout


def stored(weight: torch.Tensor, transposed: bool) -> nn.Parameter:
    """``weight`` (nn.Linear's (out, in) layout) as a parameter, stored (in, out) when ``transposed``."""
    return nn.Parameter(weight.T.clone() if transposed else weight.clone())


@pytest.mark.parametrize("layout", [(a, b, c) for a in (False, True) for b in (False, True) for c in (False, True)])
def test_debug_readings_find_the_stages_of_the_10_20_10_1_model_whatever_layout_each_weight_is_stored_in(layout):
    torch.manual_seed(0)
    weights = [torch.randn(20, 10), torch.randn(10, 20), torch.randn(1, 10)]
    biases = [torch.randn(20), torch.randn(10), torch.randn(1)]
    model = nn.Module()
    model.params = nn.ParameterList([stored(w, t) for w, t in zip(weights, layout)] + biases)
    x = torch.randn(3, 10)
    h1 = torch.relu(x @ weights[0].T + biases[0])
    h2 = torch.relu(h1 @ weights[1].T + biases[1])
    expected = [x, h1, h2, h2 @ weights[2].T + biases[2]]
    readings = checks_debugging.debug_readings(model)
    assert any(
        all(torch.allclose(got, want, atol=1e-5) for got, want in zip(reading(x), expected, strict=True))
        for reading in readings
    ), f"no reading of layout {layout} gives the model's stages"


@pytest.mark.parametrize(
    "shapes",
    [
        [(20, 11), (10, 20), (1, 10), (20,), (10,), (1,)],  # a hidden weight off, the output weight right
        [(20, 10), (10, 20), (2, 10), (20,), (10,), (1,)],  # the hidden weights right, the output weight off
        [(20, 10), (10, 20), (1, 10), (20,), (10,), (2,)],  # a bias off
        [(20, 10), (10, 20), (1, 10), (20,), (10,)],  # a bias missing
    ],
)
def test_debug_readings_reject_parameters_not_of_linear_10_20_then_20_10_then_10_1(shapes):
    model = nn.Module()
    model.params = nn.ParameterList([nn.Parameter(torch.zeros(s)) for s in shapes])
    with pytest.raises(AssertionError, match="not those of Linear"):
        checks_debugging.debug_readings(model)
