"""nnlab's command line. `nnlab lab` runs the lab's experiment on the real Fashion-MNIST: the main job."""

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

from nnlab.data import DataNotFoundError, load_fashion_mnist
from nnlab.experiment import CONFIGS, compare, run_experiment, seeds_from, summarize
from nnlab.plots import write_figures
from nnlab.training import Recipe, pick_device

# the report's final test accuracies after 10 epochs, seed 42 (its own log)
REPORTED_TEST_ACC = {"relu": 0.8808, "sigmoid": 0.8360, "tanh": 0.8751, "relu_dropout": 0.8745}


def summary_table(summary: dict, seeds: int) -> str:
    header = "| configuration | training loss | training accuracy | test accuracy | report's test accuracy |"
    lines = [header, "|---|---|---|---|---|"]
    for config, metrics in summary.items():
        cells = [
            f"{m['mean'][-1]:.4f} ± {m['std'][-1]:.4f}" if seeds > 1 else f"{m['mean'][-1]:.4f}"
            for m in (metrics["train_loss"], metrics["train_acc"], metrics["test_acc"])
        ]
        lines.append(f"| {CONFIGS[config].label} | {' | '.join(cells)} | {REPORTED_TEST_ACC[config]:.4f} |")
    return "\n".join(lines)


def write_summary(path: Path, summary: dict, comparisons: list[str], meta: dict) -> None:
    seeds = len(meta["seeds"])
    text = [
        "# Fashion-MNIST: the lab's experiment",
        "",
        f"{meta['epochs']} epochs, seeds {meta['seeds']}, {meta['device']}, torch {meta['torch']}, "
        f"{meta['seconds']:.0f} s. Final epoch"
        + (", mean ± sample standard deviation over seeds." if seeds > 1 else "."),
        "",
        summary_table(summary, seeds),
        "",
        "## Comparisons",
        "",
        *(f"- {line}" for line in comparisons),
        "",
    ]
    path.write_text("\n".join(text))


def lab(args: argparse.Namespace) -> int:
    device = pick_device(args.device)
    try:
        data = load_fashion_mnist(args.data_dir, download=args.download).to(device)
    except (DataNotFoundError, ImportError) as error:
        print(f"nnlab: {error}", file=sys.stderr)
        return 2
    seeds = seeds_from(args.seeds)
    recipe = Recipe(epochs=args.epochs)
    configs = {name: CONFIGS[name] for name in args.configs}
    started = time.perf_counter()
    runs = run_experiment(data, configs, seeds, recipe)
    summary = summarize(runs)
    comparisons = compare(runs)
    meta = {
        "epochs": args.epochs,
        "seeds": seeds,
        "device": str(device),
        "torch": torch.__version__,
        "recipe": asdict(recipe),
        "seconds": time.perf_counter() - started,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    document = {"runs": runs, "summary": summary, "comparisons": comparisons, "meta": meta}
    (out / "results.json").write_text(json.dumps(document, indent=2) + "\n")
    figures = write_figures(summary, out, len(seeds))
    write_summary(out / "summary.md", summary, comparisons, meta)
    print(summary_table(summary, len(seeds)))
    print(*comparisons, sep="\n")
    print(f"Wrote {out / 'results.json'}, {out / 'summary.md'} and {len(figures)} figures to {out}/")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="nnlab", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    lab_parser = commands.add_parser("lab", help="train the report's MLP configurations on Fashion-MNIST")
    lab_parser.add_argument("--out", metavar="DIR", default="results", help="output folder (default: %(default)s)")
    lab_parser.add_argument("--epochs", metavar="N", type=int, default=10, help="epochs per run (default: %(default)s)")
    lab_parser.add_argument(
        "--seeds", metavar="N", type=int, default=3, help="how many seeds, from 42 up (default: %(default)s)"
    )
    lab_parser.add_argument(
        "--device", default="auto", help="auto (CUDA if present), cpu or cuda (default: %(default)s)"
    )
    lab_parser.add_argument(
        "--data-dir", metavar="DIR", help="folder with Fashion-MNIST (else $NNLAB_DATA_DIR, then Debian's package)"
    )
    lab_parser.add_argument("--download", action="store_true", help="let torchvision download the data if not found")
    lab_parser.add_argument(
        "--configs",
        metavar="CONFIG",
        nargs="+",
        choices=list(CONFIGS),
        default=list(CONFIGS),
        help=f"any of {', '.join(CONFIGS)} (default: all)",
    )
    lab_parser.set_defaults(handler=lab)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "lab" and (args.epochs < 1 or args.seeds < 1):
        parser().error("--epochs and --seeds must be at least 1")
    return args.handler(args)
