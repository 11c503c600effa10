"""nnlab's command line. `nnlab lab` runs the lab's experiment on the real Fashion-MNIST: the main job.
`nnlab check` runs the lab's claim checks on other people's code: a student's lab, a class's, a textbook's."""

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

from nnlab.data import DataNotFoundError, load_fashion_mnist
from nnlab.experiment import (
    CONFIGS,
    claims_in_words,
    final_epoch_table,
    results_markdown,
    run_experiment,
    seeds_from,
    summarize,
)
from nnlab.grading import sandbox
from nnlab.plots import write_figures
from nnlab.stats import analyse
from nnlab.training import Recipe, pick_device


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
    statistics = analyse(runs)
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
    results = {"runs": runs, "summary": summary, "statistics": statistics, "meta": meta}
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    figures = write_figures(summary, out, len(seeds))
    (out / "summary.md").write_text(results_markdown(results))
    print(final_epoch_table(results))
    print(*claims_in_words(results), sep="\n")
    print(f"Wrote {out / 'results.json'}, {out / 'summary.md'} and {len(figures)} figures to {out}/")
    return 0


def check(args: argparse.Namespace) -> int:
    from nnlab.grading.batch import all_passed, check_batch
    from nnlab.grading.course import every_claim
    from nnlab.grading.gradebook import write_gradebook
    from nnlab.grading.gradescope import write_gradescope
    from nnlab.grading.supervise import Limits

    jobs = args.jobs or os.cpu_count() or 1
    limits = Limits(
        timeout=args.timeout,
        check_timeout=args.check_timeout or min(20.0, args.timeout),
        memory_gib=args.memory_limit,
        threads=max(1, (os.cpu_count() or 1) // jobs),
    )
    out = Path(args.out)
    paths, adapter = [Path(p) for p in args.paths], args.adapter and Path(args.adapter)
    try:
        reports = check_batch(paths, out, limits, jobs, adapter, sandbox=args.sandbox)
    except sandbox.SandboxUnavailable as error:
        print(f"nnlab: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"nnlab: stopped; the reports of what finished are under {out}/", file=sys.stderr)
        return 130
    course = args.course or every_claim()
    if args.gradescope:
        write_gradescope(reports[0], course, Path(args.gradescope))
    if args.csv:
        write_gradebook(reports, course, Path(args.csv))
    print(f"Wrote {len(reports)} report(s) under {out}/ and {out / 'summary.md'}, summary.json, summary.png")
    return 0 if all_passed(reports) else 1


CHECK_HELP = """Check labs (a .py file or a Jupyter notebook, or a folder of section scripts or notebooks,
blocks.py ... chapter.py or blocks.ipynb ...) with the claim checks. Each submission runs in processes of its own
with time and memory limits, in bubblewrap's sandbox where it works (no network, read-only files, no classmate's lab
in view). Exit status: 0 when every submission was checked and no claim it provides failed, 1 otherwise, 2 for a
usage error."""


def positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def course_file(text: str):
    """The course in the file named: read while parsing, so a mistake in it is a usage error before any check."""
    from nnlab.grading.course import CourseError, load_course

    try:
        return load_course(Path(text))
    except CourseError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="nnlab", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    lab_parser = commands.add_parser("lab", help="train the report's MLP configurations on Fashion-MNIST")
    lab_parser.add_argument("--out", metavar="DIR", default="results", help="output folder (default: %(default)s)")
    lab_parser.add_argument("--epochs", metavar="N", type=int, default=10, help="epochs per run (default: %(default)s)")
    lab_parser.add_argument(
        "--seeds",
        metavar="N",
        type=int,
        default=10,
        help="how many seeds, from 42 up; each configuration's seeds train together (default: %(default)s)",
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

    check_parser = commands.add_parser(
        "check", help="run the claim checks on other people's labs", description=CHECK_HELP
    )
    check_parser.add_argument(
        "paths", metavar="PATH", nargs="+", help="a submission: a .py or .ipynb file, or a folder"
    )
    check_parser.add_argument(
        "--out", metavar="DIR", default="check-results", help="where reports go (default: %(default)s)"
    )
    check_parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=positive(float),
        default=300.0,
        help="time for one submission in all (default: %(default)g)",
    )
    check_parser.add_argument(
        "--check-timeout",
        metavar="SECONDS",
        type=positive(float),
        help="time for one check, or for loading a submission; a check past it fails (default: 20, or --timeout)",
    )
    check_parser.add_argument(
        "--memory-limit",
        metavar="GIB",
        type=positive(float),
        default=4.0,
        help="memory for one submission (default: %(default)g)",
    )
    check_parser.add_argument(
        "--jobs", metavar="N", type=positive(int), help="submissions checked at once (default: the number of cores)"
    )
    check_parser.add_argument(
        "--adapter", metavar="FILE", help="a .py file whose lab(path) loads a submission of another layout or names"
    )
    check_parser.add_argument(
        "--sandbox",
        choices=sandbox.MODES,
        default="auto",
        help="run each submission in bwrap's sandbox: auto where bwrap works, on or refuse, off (default: auto)",
    )
    check_parser.add_argument(
        "--gradescope", metavar="FILE", help="also write Gradescope's results.json here (one submission only)"
    )
    check_parser.add_argument(
        "--course",
        metavar="FILE",
        type=course_file,
        help="a course file (TOML): the claims that count, their points and visibility (default: every claim, 1 point)",
    )
    check_parser.add_argument(
        "--csv",
        metavar="FILE",
        help="also write a gradebook here: a row per submission, each claim's points, the total",
    )
    check_parser.set_defaults(handler=check)
    return top


def check_usage(args: argparse.Namespace) -> None:
    """Stop with exit status 2 and a message naming the fix when the command cannot mean anything."""
    # a glob such as submissions/* also matches Python's bytecode cache, which is nobody's submission
    args.paths = [path for path in args.paths if Path(path).name != "__pycache__"]
    if not args.paths:
        parser().error("no submission among the paths given (only __pycache__)")
    for path in args.paths:
        if not Path(path).exists():
            parser().error(f"no submission at {path}: give a .py or .ipynb file, or a folder of them")
    if args.adapter and not Path(args.adapter).is_file():
        parser().error(f"no adapter file at {args.adapter}: give a .py file that defines lab(path)")
    if args.gradescope and len(args.paths) != 1:
        parser().error(f"--gradescope writes one submission's results; got {len(args.paths)} submissions")
    if args.check_timeout and args.check_timeout > args.timeout:
        parser().error("--check-timeout must not exceed --timeout (one check is part of a submission)")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "lab" and (args.epochs < 1 or args.seeds < 1):
        parser().error("--epochs and --seeds must be at least 1")
    if args.command == "check":
        check_usage(args)
    return args.handler(args)
