"""The lab's experiment (report section 5): four configurations, several seeds, mean and spread.

``run_experiment`` trains every configuration with every seed;
``summarize`` reduces the runs to a mean, a standard deviation and a
confidence interval per epoch; ``nnlab.stats`` tests the report's claims M1
to M4 on them. ``results_markdown`` words the whole, as ``nnlab lab`` saves it
in results.json, for summary.md.
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from nnlab.classifier import FashionMLP
from nnlab.data import FashionMNIST
from nnlab.many_runs import train_many
from nnlab.stats import REPORTED, describe
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


def run_many(
    config: Config, data: FashionMNIST, seeds: Sequence[int], recipe: Recipe = REPORT_RECIPE, progress=None
) -> list[History]:
    """``run(config, data, seed)`` for every seed, trained together as one batched model (``nnlab.many_runs``).

    Each run starts from the weights ``run`` gives its seed and draws its dropout
    masks from a generator of its own, seeded from the global RNG's state after
    building its model (``run``'s ``nn.Dropout`` draws other masks from that
    state: same distribution, not the same masks); torch's global RNG is left
    as it was.
    """
    models, generators = [], []
    device = data.train.images.device
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        for seed in seeds:
            torch.manual_seed(seed)
            models.append(config.build().to(device))
            generator = torch.Generator(device=device)
            generator.set_state(torch.cuda.get_rng_state(device) if device.type == "cuda" else torch.get_rng_state())
            generators.append(generator)
    return train_many(models, data, seeds, recipe, generators, progress)


def run_experiment(
    data: FashionMNIST,
    configs: dict[str, Config] = CONFIGS,
    seeds=(REPORT_SEED,),
    recipe: Recipe = REPORT_RECIPE,
    batched: bool = True,
) -> list[dict]:
    """Every configuration with every seed, as ``{"config", "seed", "history"}`` records.

    ``batched``: all seeds of a configuration train together (``run_many``);
    else one after another (``run``). One progress bar over all epochs, quiet
    when the output is not a terminal.
    """
    runs = []
    with tqdm(total=len(configs) * len(seeds) * recipe.epochs, unit="epoch", disable=None) as progress:
        for name, config in configs.items():
            if batched:
                progress.set_description(f"{name}, {len(seeds)} seeds")
                histories = run_many(config, data, seeds, recipe, progress)
            else:
                histories = []
                for seed in seeds:
                    progress.set_description(f"{name} seed {seed}")
                    histories.append(run(config, data, seed, recipe, progress))
            runs += [{"config": name, "seed": s, "history": h.as_dict()} for s, h in zip(seeds, histories)]
    return runs


def summarize(runs: list[dict]) -> dict[str, dict[str, dict[str, list[float]]]]:
    """``summary[config][metric]`` is ``{"mean", "std", "low", "high"}`` over seeds, each a list, one entry per epoch.

    ``std`` is the sample standard deviation (0 for a single seed); ``low`` and
    ``high`` bound the mean's confidence interval (``nnlab.stats.LEVEL``; the
    mean itself for a single seed).
    """
    by_config: dict[str, list[dict]] = {}
    for record in runs:
        by_config.setdefault(record["config"], []).append(record["history"])
    summary = {}
    for config, histories in by_config.items():
        summary[config] = {}
        for metric in METRICS:
            per_epoch = list(zip(*(h[metric] for h in histories)))
            means = [describe(values) if len(values) > 1 else None for values in per_epoch]
            summary[config][metric] = {
                "mean": [statistics.fmean(values) for values in per_epoch],
                "std": [m.sd if m else 0.0 for m in means],
                "low": [m.confidence.low if m else statistics.fmean(v) for m, v in zip(means, per_epoch)],
                "high": [m.confidence.high if m else statistics.fmean(v) for m, v in zip(means, per_epoch)],
            }
    return summary


def final_epoch_table(results: dict) -> str:
    """Each configuration's final epoch, mean ± sd over seeds, beside the report's test accuracy: a markdown table."""
    seeds = len(results["meta"]["seeds"])
    lines = [
        "| configuration | training loss | training accuracy | test accuracy | report's test accuracy |",
        "|---|---|---|---|---|",
    ]
    for config, metrics in results["summary"].items():
        finals = [(metrics[metric]["mean"][-1], metrics[metric]["std"][-1]) for metric in METRICS]
        cells = [f"{mean:.4f} ± {sd:.4f}" if seeds > 1 else f"{mean:.4f}" for mean, sd in finals]
        lines.append(f"| {CONFIGS[config].label} | {' | '.join(cells)} | {REPORTED[config]:.4f} |")
    return "\n".join(lines)


def claims_in_words(results: dict) -> list[str]:
    """The tests of the report's claims M1 to M4, one line each."""
    return [f"{s['claim']}: {s['text']}" for s in results["statistics"]]


def results_markdown(results: dict) -> str:
    """summary.md: what ran, the final epoch's table and the tests of M1 to M4, from results.json's document."""
    meta = results["meta"]
    spread = ", mean ± sample standard deviation over seeds." if len(meta["seeds"]) > 1 else "."
    lines = [
        "# Fashion-MNIST: the lab's experiment",
        "",
        f"{meta['epochs']} epochs, seeds {meta['seeds']}, {meta['device']}, torch {meta['torch']},"
        f" {meta['seconds']:.0f} s. Final epoch{spread}",
        "",
        final_epoch_table(results),
        "",
        "## The report's claims M1 to M4, tested over the seeds (nnlab.stats)",
        "",
        *(f"- {line}" for line in claims_in_words(results)),
        "",
    ]
    return "\n".join(lines)
