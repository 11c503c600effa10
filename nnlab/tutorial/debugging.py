"""Tutorial 3.10: a model that reports on its own forward pass, and weight histograms."""

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from nnlab._validation import check_features  # noqa: E402
from nnlab.plots import save  # noqa: E402


class DebugModel(nn.Module):
    """``10 -> 20 -> 10 -> 1``; with ``debug=True`` it prints each stage's shape and statistics.

    The printing reads the tensors and changes none of them: the output is the
    same with the flag on or off. ``std`` is the population standard deviation
    (``correction=0``): the chapter's sample ``std()`` is undefined, and warns,
    for a one-element tensor such as the output for a batch of one.
    """

    def __init__(self, debug: bool = True):
        super().__init__()
        self.fc1 = nn.Linear(10, 20)
        self.fc2 = nn.Linear(20, 10)
        self.fc3 = nn.Linear(10, 1)
        self.debug = debug

    def extra_repr(self) -> str:
        return f"debug={self.debug}"

    def _report(self, stage: str, x: torch.Tensor) -> None:
        if self.debug:
            print(f"{stage}: shape={tuple(x.shape)}, mean={x.mean().item():.4f}, std={x.std(correction=0).item():.4f}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_features(x, 10, "DebugModel")
        self._report("input", x)
        x1 = F.relu(self.fc1(x))
        self._report("fc1", x1)
        if self.debug:
            print(f"fc1 active fraction: {(x1 > 0).float().mean().item():.4f}")
        x2 = F.relu(self.fc2(x1))
        self._report("fc2", x2)
        x3 = self.fc3(x2)
        self._report("output", x3)
        return x3


PANEL_INCHES = (5, 4)
COLUMNS = 3
BINS = 50


def weight_histograms(model: nn.Module, layer_name: str | None = None) -> Figure:
    """Histogram of every weight tensor of ``model`` (names containing ``layer_name``, if given), one panel each.

    Panels fill rows of ``COLUMNS``, each ``PANEL_INCHES`` in size, titled
    with the tensor's name, mean and standard deviation; the chapter stopped at
    three panels.
    """
    weights = [
        (name, p.detach().float().cpu().flatten())
        for name, p in model.named_parameters()
        if "weight" in name and (layer_name is None or layer_name in name)
    ]
    if not weights:
        raise ValueError(
            f"{type(model).__name__} has no weight tensors" + (f" matching {layer_name!r}." if layer_name else ".")
        )
    columns = min(len(weights), COLUMNS)
    rows = math.ceil(len(weights) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(PANEL_INCHES[0] * columns, PANEL_INCHES[1] * rows), squeeze=False)
    for ax, (name, values) in zip(axes.flat, weights):
        ax.hist(values.numpy(), bins=BINS, alpha=0.7)
        ax.set_title(f"{name}\nmean {values.mean():.4f}, std {values.std():.4f}" if values.numel() > 1 else name)
        ax.set_xlabel("weight value")
        ax.set_ylabel("count")
    for ax in axes.flat[len(weights) :]:
        fig.delaxes(ax)
    fig.tight_layout()
    return fig


def plot_weight_histograms(model: nn.Module, path: str | Path, layer_name: str | None = None, dpi: int = 100) -> Path:
    """``weight_histograms`` written to ``path`` (its folder is made if missing); the chapter showed them on screen."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return save(weight_histograms(model, layer_name), path, dpi)
