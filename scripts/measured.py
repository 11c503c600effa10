"""Rewrite the measured sections of README.md and docs/*.md from the saved outputs that hold their figures.

    make test && make mutation            # produce: reports/ledger.json, reports/coverage.json, mutants/
    python scripts/measured.py --save     # keep them in docs/, then rewrite the measured sections (make docs)
    python scripts/measured.py            # rewrite them from what docs/ and benchmarks/history hold
    python scripts/measured.py --check    # exit 1 if a page differs from what they give

A measured section sits between ``<!-- measured: NAME -->`` and
``<!-- /measured -->``; ``SECTIONS[NAME]`` writes it from its source, naming
the command and the torch that produced the figures. tests/test_measured.py
runs ``--check``. The other saved outputs have their own commands:
``nnlab lab --seeds 20 --out docs/lab``, ``python -m pytest benchmarks
--benchmark-autosave`` and ``python scripts/versions.py``.
"""

import argparse
import importlib.util
import json
import re
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _load(path: Path):
    """A file of scripts/ or benchmarks/ as a module: neither folder is a package."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mutation_script = _load(ROOT / "scripts" / "mutation.py")  # make mutation's sample and what it adds up to
saved_runs = _load(ROOT / "benchmarks" / "saved_runs.py")  # the ratios and targets the benchmark tables show
versions_script = _load(ROOT / "scripts" / "versions.py")  # the ledger under each torch, and the checks' words

README = ROOT / "README.md"
DOCS = ROOT / "docs"
FILES = [README, *sorted(DOCS.glob("*.md"))]  # those without a measured section are left as they are
LAB = DOCS / "lab"
LEDGER = DOCS / "ledger.json"
COVERAGE = DOCS / "coverage.json"
MUTATION = DOCS / "mutation.json"
REPORTS = ROOT / "reports"
MARKED = re.compile(r"(<!-- measured: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /measured -->)", re.S)


def lab() -> str:
    # nnlab (and torch) only here and in save(): versions.py renders its own section where neither is installed
    from nnlab.experiment import claims_in_words, final_epoch_table

    results = json.loads((LAB / "results.json").read_text())
    meta, seeds = results["meta"], len(results["meta"]["seeds"])
    table = final_epoch_table(results)
    claims = "\n".join(f"- {line}" for line in claims_in_words(results))
    return (
        f"Measured over {seeds} seeds (`nnlab lab --seeds {seeds} --out docs/lab`, torch {meta['torch']},"
        f" {meta['device']}, {meta['seconds']:.0f} s of training; saved in `docs/lab/`), final epoch, mean ± sd"
        f" over seeds:\n\n{table}\n\nWhat the report's claims M1 to M4 come to (`nnlab/stats.py`, each test at a"
        f" false-positive rate of 0.01):\n\n{claims}\n"
    )


def _saved(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _not_saved(path: Path, command: str) -> str:
    return f"Not saved yet: run `{command}`, then `make docs` (it keeps the figures in `{path.relative_to(ROOT)}`).\n"


def ledger() -> str:
    saved = _saved(LEDGER)
    if saved is None:
        return _not_saved(LEDGER, "make test")
    counts = Counter(claim["verdict"] for claim in saved["claims"])
    rows = ["| claim | verdict | what holds instead, in the failing check's words |", "|---|---|---|"]
    for claim in saved["claims"]:
        if claim["verdict"] != "holds":
            # a table cell: |x| is no column
            instead = versions_script.what_holds_instead(claim["why"]).replace("|", "\\|")
            rows.append(f"| {claim['id']} | {claim['verdict']} | {instead} |")
    tally = ", ".join(f"{counts[verdict]} {verdict}" for verdict in ("holds", "qualified", "refuted", "failed"))
    return (
        f"The whole suite's ledger (`make test`, torch {saved['torch']}, run {saved['run']}; saved in"
        f" `docs/ledger.md` and `docs/ledger.json`): {len(saved['claims'])} claims, {tally}. The claims whose"
        f" documents are wrong:\n\n" + "\n".join(rows) + "\n"
    )


def coverage() -> str:
    saved = _saved(COVERAGE)
    if saved is None:
        return _not_saved(COVERAGE, "make test")
    totals = saved["totals"]
    return (
        f"Line and branch coverage of `nnlab/` by the whole suite: {totals['percent_covered']:.2f}%"
        f" ({totals['covered_lines']} of {totals['num_statements']} lines, {totals['covered_branches']} of"
        f" {totals['num_branches']} branches; `make test` at {saved['commit']}, torch {saved['torch']}, run"
        f" {saved['run']}; saved in"
        " `docs/coverage.json`). `make test` fails under 95%.\n"
    )


def _share(estimate: dict, census: bool) -> str:
    """A share caught; a sample's with its interval (a census has no sampling error)."""
    return f"{estimate['share']:.1%}" + ("" if census else f" ({estimate['low']:.1%} to {estimate['high']:.1%})")


def _which_mutants(saved: dict) -> str:
    if saved["sample"] == saved["population"]:
        return f"every one of the {saved['population']:,} mutants of `nnlab/`"
    sample = f"a uniform random sample of {saved['sample']:,}"
    return f"{sample} of the {saved['population']:,} mutants of `nnlab/`, drawn with seed {saved['seed']}"


def _survivors_by_module(saved: dict) -> list[tuple[str, list[str]]]:
    """The saved run's survivors grouped by their module under nnlab/, the module with most first."""
    by_module: dict[str, list[str]] = {}
    for name in saved["survivors"]:
        by_module.setdefault(mutation_script.module_of(name), []).append(name)
    return sorted(by_module.items(), key=lambda item: -len(item[1]))


def mutation() -> str:
    saved = _saved(MUTATION)
    if saved is None:
        return _not_saved(MUTATION, "make mutation")
    counts = saved["counts"]
    most = ", ".join(f"`{module}` {len(names)}" for module, names in _survivors_by_module(saved))
    untested = ", ".join(f"`{module}` {n}" for module, n in saved["no_tests_by_module"].items())
    census = saved["sample"] == saved["population"]
    odd = "".join(f", {counts[said]} {said}" for said in ("segfault", "suspicious", "skipped") if counts[said])
    return (
        f"`{saved['command']}` (mutmut on {_which_mutants(saved)}, the fast suite, at {saved['commit']},"
        f" torch {saved['torch']}; saved in `docs/mutation.json`): {counts['killed']:,} killed, {counts['timeout']}"
        f" timed out (caught: the mutant never finished), {counts['survived']} survived and {counts['no tests']} had"
        f" no test{odd}. Caught: **{_share(saved['caught'], census)}** of the mutants,"
        f" {_share(saved['caught_of_tested'], census)} of those a test runs"
        + ("" if census else " (95% intervals, exact binomial)")
        + ". Survivors by module: "
        f"{most}. With no test, by module: {untested}. `docs/mutation.md` lists the survivors and sorts their kinds.\n"
    )


def _newest_run(prefix: str) -> tuple[Path, dict] | None:
    """The newest saved benchmark run holding a group that starts with ``prefix``, or None."""
    runs = [(path, json.loads(path.read_text())) for path in saved_runs.HISTORY.glob("*/*.json")]
    for path, run in sorted(runs, key=lambda found: found[1]["datetime"], reverse=True):
        if any(bench["group"].startswith(prefix) for bench in run["benchmarks"]):
            return path, run
    return None


def _saved_run(prefix: str) -> tuple[Path, dict]:
    found = _newest_run(prefix)
    if found is None:
        raise SystemExit(f"no saved benchmark run has a group {prefix!r}; run the benchmarks with --benchmark-autosave")
    return found


def _cite(path: Path, run: dict) -> str:
    cpu = run["machine_info"]["cpu"]
    unrecorded = "not recorded (the run predates recording it)"
    torch_version = run["machine_info"].get("torch", unrecorded)
    gpu = f", GPU {run['machine_info'].get('gpu', unrecorded)}" if "cuda" in json.dumps(run["benchmarks"]) else ""
    return (
        f"saved run `{path.parent.name}/{path.name[:4]}` of {run['datetime'][:10]}, torch {torch_version},"
        f" {cpu['brand_raw']}, {cpu['count']} cores{gpu}"
    )


def trainer_speed() -> str:
    lab_path, lab_run = _saved_run(saved_runs.LAB_GROUP)
    lab_times = saved_runs.fastest_times(lab_run)[saved_runs.LAB_GROUP]
    floor = min(lab_times[name] for name in saved_runs.FLOAT32_FLOORS[saved_runs.LAB_GROUP][1])
    epoch_path, epoch_run = _saved_run(saved_runs.EPOCH_GROUP)
    epoch = saved_runs.fastest_times(epoch_run)[saved_runs.EPOCH_GROUP]
    rows = [
        "| what | time | against its float32 products | source |",
        "|---|---|---|---|",
        f"| the lab's training: 4 configurations × 10 seeds × 10 epochs, batched | {lab_times['lab']:.1f} s |"
        f" {lab_times['lab'] / floor:.2f}x (target {saved_runs.LAB_TARGET}x:"
        f" {'met' if lab_times['lab'] / floor <= saved_runs.LAB_TARGET else 'missed'}) | a |",
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


def trainer_recipes() -> str:
    rows = ["| what | where | time | test accuracy | target |", "|---|---|---|---|---|"]
    sources = []
    for group, most_seconds, least_accuracy in saved_runs.RUN_TARGETS:
        path, run = _saved_run(group)
        where = group.rsplit(", ", 1)[1]
        sources.append(f"{where}: {_cite(path, run)}")
        benches = sorted((b for b in run["benchmarks"] if b["group"] == group), key=lambda b: -b["stats"]["min"])
        slowest = benches[0]["stats"]["min"]
        met = "missed" if saved_runs.run_target_misses({"benchmarks": benches}) else "met"
        target = f"{least_accuracy} in {most_seconds:g} s: {met}"
        for bench in benches:
            seconds, info = bench["stats"]["min"], bench["extra_info"]
            speedup = f" ({slowest / seconds:.0f}x)" if seconds < slowest else ""
            fastest = bench is benches[-1]
            rows.append(
                f"| {RECIPES[info['candidate']]} | {where} | {seconds:.2f} s{speedup} | {info['test_acc']:.4f}"
                f" | {target if fastest else ''} |"
            )
    return (
        'Measured by `python -m pytest benchmarks/test_training_speed.py -k "fast_recipe or cuda"'
        f" --benchmark-autosave`, minimum times ({'; '.join(sources)}):\n\n" + "\n".join(rows) + "\n"
    )


RECIPES = {
    "fast_recipe": "`FAST_RECIPE` (Adam, one-cycle, batch 256, 5 epochs), seed 42",
    "eager": "the report's 10 epochs, eager",
    "cuda_graph": "the report's 10 epochs, each step a CUDA graph",
    "cuda_graph_tf32": 'the same with `matmul_precision="high"` (TF32)',
}


def _checked_in(group: str, target: float) -> tuple[float, str, str] | None:
    """nnlab check's minimum time in the newest saved run of ``group``, that run cited, and the target met or
    missed; None where no saved run has it."""
    found = _newest_run(group)
    if found is None:
        return None
    path, run = found
    seconds = saved_runs.fastest_times(run)[group]["nnlab check"]
    return seconds, _cite(path, run), "met" if seconds <= target else "missed"


def check_speed() -> str:
    one = _checked_in(saved_runs.CHECK_GROUP, saved_runs.CHECK_TARGET)
    if one is None:
        return "**Speed.** Not measured yet: `python -m pytest benchmarks/test_check_speed.py --benchmark-autosave`.\n"
    seconds, cited, met = one
    return (
        f"**Speed.** One submission of report sections 1 to 3 (`examples/correct_lab`'s `blocks.py`,"
        f" `parameters.py`, `layers.py`) takes {seconds:.1f} s with `--jobs 1`, worker start-up included (minimum"
        f" time; `python -m pytest benchmarks/test_check_speed.py --benchmark-autosave`, {cited});"
        f" target {saved_runs.CHECK_TARGET:g} s: {met}.{class_speed()}\n"
    )


def class_speed() -> str:
    """The class of 20's sentence, from the newest saved run that has it."""
    batch = _checked_in(saved_runs.CLASS_GROUP, saved_runs.CLASS_TARGET)
    if batch is None:
        return f" A class of {saved_runs.CLASS_SIZE}: not measured yet."
    seconds, cited, met = batch
    return (
        f" A class of {saved_runs.CLASS_SIZE} such submissions takes {seconds:.1f} s with `--jobs 2`, the reports and"
        f" the class summary included ({cited}); target {saved_runs.CLASS_TARGET:g} s: {met}."
    )


def _tensor_dot(device: str) -> str:
    path, run = _saved_run(f"tensor_dot {device}")
    table = saved_runs.fastest_times(run)
    rows = [row for row in saved_runs.tensor_dot_rows(table) if row["device"] == device]
    names = [name for name in rows[0]["vs_einsum"] if name != "einsum"]
    lines = [
        "| pass | shape (b, n, k) | "
        + " | ".join(f"`{name}` vs einsum" for name in names)
        + " | `auto` vs the fastest | `auto` vs same-FLOP matmul |",
        "|---" * (len(names) + 4) + "|",
    ]
    for row in rows:
        ratios = " | ".join(f"{row['vs_einsum'][name]:.2f}x" for name in names)
        lines.append(
            f"| {row['pass']} | {row['shape']} | {ratios} | {row['vs_best']['auto']:.2f}"
            f" | {row['vs_matmul']['auto']:.2f} |"
        )
    misses = saved_runs.tensor_dot_misses(rows)
    verdict = "every target holds in this run" if not misses else "missed: " + "; ".join(misses)
    return (
        f"Measured by `python -m pytest benchmarks/test_tensor_dot.py --benchmark-autosave` ({_cite(path, run)});"
        f" targets (`python benchmarks/saved_runs.py`): {verdict}.\n\n" + "\n".join(lines) + "\n"
    )


def mutation_survivors() -> str:
    saved = _saved(MUTATION)
    if saved is None:
        return _not_saved(MUTATION, "make mutation")
    lines = [
        f"The survivors among {_which_mutants(saved)} (`{saved['command']}` at {saved['commit']}, torch"
        f" {saved['torch']}; `docs/mutation.json`), by module; `mutmut show NAME` shows one after that run:",
        "",
    ]
    for module, names in _survivors_by_module(saved):
        lines.append(f"- `{module}` ({len(names)}): " + ", ".join(f"`{name.rsplit('.', 1)[1]}`" for name in names))
    return "\n".join(lines) + "\n"


SECTIONS = {
    "lab": lab,
    "ledger": ledger,
    "coverage": coverage,
    "mutation": mutation,
    "mutation-survivors": mutation_survivors,
    "tensor-dot-cpu": lambda: _tensor_dot("cpu"),
    "tensor-dot-cuda": lambda: _tensor_dot("cuda"),
    "check-speed": check_speed,
    "trainer-speed": trainer_speed,
    "trainer-recipes": trainer_recipes,
    "versions": versions_script.table,
}


def render(text: str, only: set[str] | None = None) -> str:
    """``text`` with its measured sections rewritten (those named in ``only``, if given)."""

    def section(match: re.Match) -> str:
        name = match["name"]
        if name not in SECTIONS:
            raise SystemExit(f"an unknown measured section {name!r} is marked; known: {', '.join(SECTIONS)}")
        if only is not None and name not in only:
            return match[0]
        return match[1] + SECTIONS[name]() + match[4]

    return MARKED.sub(section, text)


def not_one_whole_test_run(ledger: dict, coverage: dict) -> str | None:
    """Why a ledger and a coverage report are not what one whole ``make test`` of committed code left, or None."""
    incomplete = sorted(c["id"] for c in ledger["claims"] if c["verdict"] in ("untested", "failed"))
    if incomplete:
        return f"untested or failed claims ({', '.join(incomplete)})"
    if "with changes" in (ledger.get("commit") or ""):
        return f"the tests ran on uncommitted changes ({ledger['commit']})"
    # make test writes the coverage at its end; a pytest run after it rewrites the ledger alone
    measured = datetime.fromisoformat(coverage["meta"]["timestamp"]).astimezone()  # coverage.py: local time
    if datetime.fromisoformat(ledger["run"]) > measured:
        return f"the ledger is from a later pytest run ({ledger['run']}) than the coverage ({measured.isoformat()})"
    return None


def save() -> None:
    """Keep in docs/ what the last whole ``make test`` and ``make mutation`` left behind; say what was not kept."""
    ledger_path, coverage_path = REPORTS / "ledger.json", REPORTS / "coverage.json"
    if ledger_path.is_file() and coverage_path.is_file():
        ledger, covered = json.loads(ledger_path.read_text()), json.loads(coverage_path.read_text())
        if reason := not_one_whole_test_run(ledger, covered):
            print(f"not saved: the ledger and coverage in reports/: {reason}; run make test")
        else:
            LEDGER.write_text(ledger_path.read_text())
            (DOCS / "ledger.md").write_text((REPORTS / "ledger.md").read_text())
            totals = covered["totals"]
            kept = {key: ledger.get(key) for key in ("torch", "run", "commit")}
            kept |= {"command": "make test", "totals": totals}
            COVERAGE.write_text(json.dumps(kept, indent=1) + "\n")
            print(f"saved the ledger and the coverage of the run of {ledger['run']} in docs/")
    else:
        print("not saved: no reports/ledger.json and reports/coverage.json; run make test")
    if not mutation_script.SAMPLE.is_file():
        print("not saved: no mutants/ from make mutation")
        return
    record = json.loads(mutation_script.SAMPLE.read_text())
    try:
        results = mutation_script.summary(mutation_script.statuses(), record)
    except ValueError as error:
        print(f"not saved: {error}")
        return
    import torch

    kept = {"torch": torch.__version__, **results}
    MUTATION.write_text(json.dumps(kept, indent=1) + "\n")
    print(f"saved mutmut's results for {results['sample']:,} mutants in {MUTATION.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="only compare; exit 1 where a file differs")
    mode.add_argument("--save", action="store_true", help="first keep the last make test and make mutation in docs/")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=SECTIONS, help="rewrite only these sections")
    args = parser.parse_args()
    if args.save:
        save()
    stale = []
    for path in FILES:
        text = path.read_text()
        rendered = render(text, args.only and set(args.only))
        if rendered != text:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(rendered)
    if args.check:
        if stale:
            print(f"Stale measured sections in {', '.join(map(str, stale))}: run python scripts/measured.py")
        return 1 if stale else 0
    print(f"Rewrote the measured sections of {', '.join(map(str, stale)) or 'nothing: all up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
