"""Figures of the experiment (report section 5): per-epoch curves, each mean in its confidence interval's band.

Matplotlib with the Agg backend: files only, no screen needed.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from nnlab.experiment import CONFIGS, METRICS  # noqa: E402
from nnlab.stats import LEVEL  # noqa: E402

TITLES = {"train_loss": "Training loss", "train_acc": "Training accuracy", "test_acc": "Test accuracy"}
COMPARISONS = {
    "compare_activations.png": ("ReLU, Sigmoid and Tanh", ("relu", "sigmoid", "tanh")),
    "compare_dropout.png": ("ReLU with and without dropout", ("relu", "relu_dropout")),
    "compare_all.png": ("All configurations", tuple(CONFIGS)),
}


def _draw(axes, summary: dict, configs, show_legend: bool) -> None:
    for ax, metric in zip(axes, METRICS):
        for config in configs:
            mean, low, high = (summary[config][metric][key] for key in ("mean", "low", "high"))
            epochs = range(1, len(mean) + 1)
            line = ax.plot(epochs, mean, marker="o", markersize=3, label=CONFIGS[config].label)[0]
            if low != high:
                ax.fill_between(epochs, low, high, color=line.get_color(), alpha=0.2)
        ax.set_title(TITLES[metric])
        ax.set_xlabel("Epoch")
        ax.set_ylabel("Loss" if metric == "train_loss" else "Accuracy")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    if show_legend:
        axes[0].legend()


def curves_figure(summary: dict, configs, title: str, seeds: int) -> Figure:
    """Three panels (training loss, training accuracy, test accuracy) against the epoch, one line per config."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    _draw(axes, summary, configs, show_legend=len(configs) > 1)
    band = f"mean over {seeds} seeds, band: its {LEVEL:.0%} confidence interval" if seeds > 1 else "one seed"
    fig.suptitle(f"{title} ({band})")
    fig.tight_layout()
    return fig


def save(fig: Figure, path: Path, dpi: int = 100) -> Path:
    """Write ``fig`` to ``path`` and close it (pyplot keeps every open figure alive)."""
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def write_figures(summary: dict, out: Path, seeds: int) -> list[Path]:
    """One figure per configuration, then the report's comparisons among those present."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [save(curves_figure(summary, (c,), CONFIGS[c].label, seeds), out / f"curves_{c}.png") for c in summary]
    for name, (title, configs) in COMPARISONS.items():
        present = [c for c in configs if c in summary]
        if len(present) < len(configs):  # the title must not name a configuration that was not run
            title = ", ".join(CONFIGS[c].label for c in present)
        if len(present) > 1:
            paths.append(save(curves_figure(summary, present, title, seeds), out / name))
    return paths
