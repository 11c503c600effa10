"""The lab's experiment (report section 5): four configurations, several seeds, mean and spread.

``run_experiment`` trains every configuration with every seed;
``summarize`` reduces the runs to a mean and standard deviation per epoch;
``compare`` states, from those numbers, what the report's claims M2 to M4
come to.
"""

import statistics
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from nnlab.classifier import FashionMLP
from nnlab.data import FashionMNIST
from nnlab.training import REPORT_RECIPE, History, Recipe, train


@dataclass(frozen=True)
class Config:
    label: str
    activation: str
    dropout: float = 0.0
    hidden: tuple[int, ...] = (256, 128)

    def build(self) -> FashionMLP:
        return FashionMLP(self.hidden, self.activation, self.dropout)


CONFIGS = {
    "relu": Config("ReLU", "relu"),
    "sigmoid": Config("Sigmoid", "sigmoid"),
    "tanh": Config("Tanh", "tanh"),
    "relu_dropout": Config("ReLU + dropout 0.3", "relu", dropout=0.3),
}
METRICS = ("train_loss", "train_acc", "test_acc")
REPORT_SEED = 42


def seeds_from(count: int, first: int = REPORT_SEED) -> list[int]:
    """``count`` seeds starting at the report's 42."""
    if count < 1:
        raise ValueError(f"Need at least one seed, got {count}.")
    return list(range(first, first + count))


def run(config: Config, data: FashionMNIST, seed: int, recipe: Recipe = REPORT_RECIPE, progress=None) -> History:
    """One training run: the seed fixes the initial weights, the batch order and the dropout masks."""
    torch.manual_seed(seed)
    model = config.build().to(data.train.images.device)
    return train(model, data, recipe, seed=seed, progress=progress)


def run_experiment(
    data: FashionMNIST, configs: dict[str, Config] = CONFIGS, seeds=(REPORT_SEED,), recipe: Recipe = REPORT_RECIPE
) -> list[dict]:
    """Every configuration with every seed, as ``{"config", "seed", "history"}`` records.

    One progress bar over all epochs, quiet when the output is not a terminal.
    """
    runs = []
    with tqdm(total=len(configs) * len(seeds) * recipe.epochs, unit="epoch", disable=None) as progress:
        for name, config in configs.items():
            for seed in seeds:
                progress.set_description(f"{name} seed {seed}")
                history = run(config, data, seed, recipe, progress)
                runs.append({"config": name, "seed": seed, "history": history.as_dict()})
    return runs


def summarize(runs: list[dict]) -> dict[str, dict[str, dict[str, list[float]]]]:
    """``summary[config][metric]`` is ``{"mean": [...], "std": [...]}`` over seeds, one entry per epoch.

    ``std`` is the sample standard deviation (0 for a single seed).
    """
    by_config: dict[str, list[dict]] = {}
    for record in runs:
        by_config.setdefault(record["config"], []).append(record["history"])
    summary = {}
    for config, histories in by_config.items():
        summary[config] = {}
        for metric in METRICS:
            per_epoch = list(zip(*(h[metric] for h in histories)))
            summary[config][metric] = {
                "mean": [statistics.fmean(values) for values in per_epoch],
                "std": [statistics.stdev(values) if len(values) > 1 else 0.0 for values in per_epoch],
            }
    return summary


def paired_differences(runs: list[dict], a: str, b: str, metric: str, epoch: int = -1) -> list[float]:
    """``metric(a) - metric(b)`` at ``epoch``, seed by seed (each seed shares the batch order)."""
    values = {(r["config"], r["seed"]): r["history"][metric][epoch] for r in runs}
    seeds = sorted(seed for config, seed in values if config == a and (b, seed) in values)
    return [values[a, s] - values[b, s] for s in seeds]


def describe(differences: list[float]) -> str:
    mean = statistics.fmean(differences)
    spread = f" ± {statistics.stdev(differences):.4f} (sd)" if len(differences) > 1 else ""
    wins = sum(d > 0 for d in differences)
    return f"{mean:+.4f}{spread}, positive in {wins} of {len(differences)} seeds"


def compare(runs: list[dict]) -> list[str]:
    """The report's comparisons (M2 to M4), stated from the measured numbers."""
    present = {r["config"] for r in runs}
    lines = []
    if {"relu", "sigmoid"} <= present:
        lines.append(
            f"ReLU - Sigmoid, final test accuracy: {describe(paired_differences(runs, 'relu', 'sigmoid', 'test_acc'))}."
        )
        first = {c: statistics.fmean(r["history"]["test_acc"][0] for r in runs if r["config"] == c) for c in present}
        slowest = min(first, key=first.get)
        lines.append(f"Lowest epoch-1 test accuracy: {CONFIGS[slowest].label} ({first[slowest]:.4f}).")
    if {"relu", "tanh"} <= present:
        lines.append(
            f"Tanh - ReLU, final test accuracy: {describe(paired_differences(runs, 'tanh', 'relu', 'test_acc'))}."
        )
    if {"relu", "relu_dropout"} <= present:
        gap = {
            c: [r["history"]["train_acc"][-1] - r["history"]["test_acc"][-1] for r in runs if r["config"] == c]
            for c in ("relu", "relu_dropout")
        }
        lines += [
            "Dropout - none, final training accuracy: "
            f"{describe(paired_differences(runs, 'relu_dropout', 'relu', 'train_acc'))}.",
            f"Train-test gap: {statistics.fmean(gap['relu']):.4f} without dropout, "
            f"{statistics.fmean(gap['relu_dropout']):.4f} with.",
            "Dropout - none, final test accuracy: "
            f"{describe(paired_differences(runs, 'relu_dropout', 'relu', 'test_acc'))}.",
        ]
    return lines
