"""Tutorial 3.10: claims T19 and T20."""

import contextlib
import io
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from hypothesis import given
from PIL import Image
from torch import nn

from nnlab import MultiClassifier
from nnlab.checks.strategies import batches
from nnlab.tutorial.debugging import BINS, COLUMNS, PANEL_INCHES, DebugModel, plot_weight_histograms, weight_histograms


@pytest.mark.claim("T19")
@given(x=batches(10))
def test_debug_model_prints_when_on_nothing_when_off_and_same_output(x):
    model = DebugModel()  # on by default, as in the chapter
    loud_out, quiet_out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(loud_out):
        loud = model(x)
    model.debug = False
    with contextlib.redirect_stdout(quiet_out):
        quiet = model(x)
    printed = loud_out.getvalue().splitlines()
    assert quiet_out.getvalue() == ""
    assert torch.equal(loud, quiet) and loud.shape == (x.shape[0], 1)
    stages = [line.split(":")[0] for line in printed]
    assert stages == ["input", "fc1", "fc1 active fraction", "fc2", "output"]
    hidden = torch.relu(model.fc1(x))
    assert printed[1] == (
        f"fc1: shape=({x.shape[0]}, 20), mean={hidden.mean().item():.4f}, std={hidden.std(correction=0).item():.4f}"
    )
    assert printed[2] == f"fc1 active fraction: {(hidden > 0).float().mean().item():.4f}"


def panels_with_bars(path, panels: int) -> int:
    """Count the grid cells of the image that contain histogram bars (matplotlib's first colour, C0)."""
    with Image.open(path) as png:
        image = np.asarray(png.convert("RGB")).astype(int)
    columns = min(panels, COLUMNS)
    rows = math.ceil(panels / columns)
    c0 = np.array([31, 119, 180])  # #1f77b4 at alpha 0.7 over white is (98, 160, 203)
    blended = (0.7 * c0 + 0.3 * 255).round()
    bar = (np.abs(image - blended) <= 3).all(axis=-1)
    height, width = bar.shape
    return sum(
        bar[r * height // rows : (r + 1) * height // rows, c * width // columns : (c + 1) * width // columns].sum()
        > 500
        for r in range(rows)
        for c in range(columns)
    )


@pytest.mark.claim("T20")
@pytest.mark.parametrize(
    ("model", "panels"),
    [
        (nn.Linear(3, 2), 1),
        (MultiClassifier(784, [256, 128], 10), 5),  # three Linear weights and two BatchNorm weights
        (nn.Sequential(*[nn.Linear(4, 4) for _ in range(7)]), 7),
    ],
    ids=["one", "chapter", "seven"],
)
def test_one_histogram_panel_per_weight_tensor_written_to_an_image(tmp_path, model, panels):
    open_figures = plt.get_fignums()
    path = plot_weight_histograms(model, tmp_path / "new" / "figures" / "weights.png")
    assert plt.get_fignums() == open_figures  # closed once written: a loop over many models piles up none
    columns, rows = min(panels, COLUMNS), math.ceil(panels / COLUMNS)
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (PANEL_INCHES[0] * columns * 100, PANEL_INCHES[1] * rows * 100)
    assert panels_with_bars(path, panels) == panels


@pytest.mark.claim("T20")
def test_each_panel_counts_every_entry_of_one_weight_tensor_and_names_it():
    model = MultiClassifier(784, [256, 128], 10)
    weights = {name: p.detach() for name, p in model.named_parameters() if "weight" in name}
    fig = weight_histograms(model)
    assert [ax.get_title() for ax in fig.axes] == [
        f"{name}\nmean {p.mean():.4f}, std {p.std():.4f}" for name, p in weights.items()
    ]
    for ax, p in zip(fig.axes, weights.values()):
        assert len(ax.patches) == BINS and sum(bar.get_height() for bar in ax.patches) == p.numel()
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("weight value", "count")
    plt.close(fig)


@pytest.mark.claim("T20")  # a one-entry tensor has no standard deviation: the title is the name only
def test_statistics_in_the_title_only_where_they_are_defined():
    assert weight_histograms(nn.Linear(1, 1)).axes[0].get_title() == "weight"
    layer = nn.Linear(2, 1)
    weight = layer.weight.detach()
    title = weight_histograms(layer).axes[0].get_title()
    assert title == f"weight\nmean {weight.mean():.4f}, std {weight.std():.4f}"
    plt.close("all")


@pytest.mark.parametrize("dpi", [50, 150])
def test_the_image_is_panel_inches_times_dpi_pixels(tmp_path, dpi):
    path = plot_weight_histograms(nn.Linear(3, 2), tmp_path / "weights.png", dpi=dpi)
    with Image.open(path) as image:
        assert image.size == (PANEL_INCHES[0] * dpi, PANEL_INCHES[1] * dpi)


@pytest.mark.claim("T20")
def test_histograms_of_a_named_layer_only(tmp_path):
    model = MultiClassifier(784, [256, 128], 10)
    path = plot_weight_histograms(model, tmp_path / "first.png", layer_name="network.0")
    with Image.open(path) as image:
        assert image.size == (PANEL_INCHES[0] * 100, PANEL_INCHES[1] * 100)
    with pytest.raises(ValueError, match="^MultiClassifier has no weight tensors matching 'nowhere'.$"):
        plot_weight_histograms(model, tmp_path / "none.png", layer_name="nowhere")
    with pytest.raises(ValueError, match="^ReLU has no weight tensors.$"):
        weight_histograms(nn.ReLU())


@pytest.mark.parametrize("debug", [False, True])
def test_debug_model_repr_shows_whether_it_prints(debug):
    assert f"debug={debug}" in repr(DebugModel(debug=debug))
