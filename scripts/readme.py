"""Rewrite the README's measured sections from the saved outputs that hold their figures.

    python scripts/readme.py           # rewrite README.md
    python scripts/readme.py --check   # exit 1 if README.md differs from what the saved outputs give

A measured section sits between ``<!-- measured: NAME -->`` and
``<!-- /measured -->``; ``SECTIONS[NAME]`` writes it from its source, naming
the command and the torch that produced the figures. tests/test_readme.py
runs ``--check``.
"""

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
LAB = ROOT / "docs" / "lab"
HISTORY = ROOT / "benchmarks" / "history"
VERSIONS = ROOT / "docs" / "versions.md"
LAB_GROUP = "the lab's training, 10 seeds per configuration, cpu"
EPOCH_GROUP = "epoch of the report's recipe, cpu"
MARKED = re.compile(r"(<!-- measured: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /measured -->)", re.S)


def lab() -> str:
    meta = json.loads((LAB / "results.json").read_text())["meta"]
    summary = (LAB / "summary.md").read_text()
    table = summary[summary.index("| configuration") : summary.index("\n\n## ")]
    claims = summary[summary.index("- M1:") :].rstrip("\n")
    seeds = len(meta["seeds"])
    return (
        f"Measured over {seeds} seeds (`nnlab lab --seeds {seeds} --out docs/lab`, torch {meta['torch']},"
        f" {meta['device']}, {meta['seconds']:.0f} s of training; saved in `docs/lab/`), final epoch, mean ± sd"
        f" over seeds:\n\n{table}\n\nWhat the report's claims M1 to M4 come to (`nnlab/stats.py`, each test at a"
        f" false-positive rate of 0.01):\n\n{claims}\n"
    )


def _benchmark_run(group: str) -> tuple[Path, dict]:
    """The newest saved benchmark run holding ``group``."""
    runs = sorted(HISTORY.glob("*/*.json"), key=lambda p: p.name)
    for path in reversed(runs):
        run = json.loads(path.read_text())
        if any(bench["group"] == group for bench in run["benchmarks"]):
            return path, run
    raise SystemExit(f"no saved benchmark run has the group {group!r}; run the benchmarks with --benchmark-autosave")


def _fastest(run: dict, group: str) -> dict[str, float]:
    return {b["extra_info"]["candidate"]: b["stats"]["min"] for b in run["benchmarks"] if b["group"] == group}


def _cite(path: Path, run: dict) -> str:
    cpu = run["machine_info"]["cpu"]
    torch_version = run["machine_info"].get("torch", "not recorded in this run")
    where = f"{cpu['brand_raw']}, {cpu['count']} cores"
    return f"saved run `{path.parent.name}/{path.name[:4]}`, torch {torch_version}, {where}"


def trainer_speed() -> str:
    lab_path, lab_run = _benchmark_run(LAB_GROUP)
    lab_times = _fastest(lab_run, LAB_GROUP)
    floor = min(lab_times["products_bmm"], lab_times["products_mm"])
    epoch_path, epoch_run = _benchmark_run(EPOCH_GROUP)
    epoch = _fastest(epoch_run, EPOCH_GROUP)
    rows = [
        "| what | time | against its float32 products | source |",
        "|---|---|---|---|",
        f"| the lab's training: 4 configurations × 10 seeds × 10 epochs, batched | {lab_times['lab']:.1f} s |"
        f" {lab_times['lab'] / floor:.2f}x (target 1.6x) | a |",
        f"| its matrix products alone: stacked `bmm` / one run at a time (`mm`) | {lab_times['products_bmm']:.1f} s /"
        f" {lab_times['products_mm']:.1f} s | the floor | a |",
        f"| one epoch of one model, `train` | {epoch['in_memory']:.2f} s |"
        f" {epoch['in_memory'] / epoch['products']:.2f}x | b |",
        f"| one epoch of the report's `DataLoader` loop | {epoch['dataloader']:.2f} s |"
        f" {epoch['dataloader'] / epoch['products']:.1f}x | b |",
    ]
    return (
        "Measured by `python -m pytest benchmarks/test_training_speed.py --benchmark-autosave`, minimum times"
        f" (a: {_cite(lab_path, lab_run)}; b: {_cite(epoch_path, epoch_run)}):\n\n" + "\n".join(rows) + "\n"
    )


def versions() -> str:
    text = VERSIONS.read_text()
    return text[text.index("Written by") :]


SECTIONS = {"lab": lab, "trainer-speed": trainer_speed, "versions": versions}


def render(readme: str) -> str:
    def section(match: re.Match) -> str:
        name = match["name"]
        if name not in SECTIONS:
            raise SystemExit(f"README.md marks an unknown measured section {name!r}; known: {', '.join(SECTIONS)}")
        return match[1] + SECTIONS[name]() + match[4]

    return MARKED.sub(section, readme)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 where README.md differs")
    args = parser.parse_args()
    readme = README.read_text()
    rendered = render(readme)
    if args.check:
        if rendered != readme:
            print("README.md's measured sections differ from the saved outputs: run python scripts/readme.py")
            return 1
        return 0
    README.write_text(rendered)
    print(f"Rewrote the measured sections of {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
