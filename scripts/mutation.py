"""Mutation testing of nnlab/ with mutmut, on a uniform random sample of its mutants (make mutation).

    python scripts/mutation.py                # a sample of 1,000 mutants, drawn for this commit (make mutation)
    python scripts/mutation.py --sample all   # every mutant: hours on 2 cores
    python scripts/measured.py --save         # then keep the results in docs/mutation.json (make docs), its
                                              # survivors listed in docs/mutation.md

nnlab has thousands of mutants, and mutmut takes seconds a core to test one here. A uniform random sample
estimates the share of mutants the suite catches, with an exact binomial interval (Clopper-Pearson). The sample is
drawn afresh for each commit, seeded by its hash: tests written against one sample's survivors would make that
sample's next score an overestimate, and the next commit draws another. Each run starts from scratch: mutmut keeps
its own copy of the tests and would not see new ones.

mutmut leaves decorated functions alone, and every check is one (``@judged`` judges, ``@check``, ``@statement``,
and the ``@forall`` properties inside them). So mutmut runs on a copy of the repository, ``mutation-tree/``, where those
decorators are applied after the function instead (``name = check("L1")(name)``): the same registration, the same
checks, in the same order, and bodies mutmut mutates.
"""

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
from collections import Counter
from pathlib import Path

from scipy import stats

ROOT = Path(__file__).parents[1]
TREE = ROOT / "mutation-tree"  # the copy mutmut runs in (git-ignored)
MUTANTS = TREE / "mutants"
SAMPLE = MUTANTS / "nnlab-sample.json"  # which mutants this run tests, at which commit
DEFAULT_SIZE = 1000
# One torch thread: its OpenMP pool does not survive mutmut's fork. The repeatable hypothesis profile: the same code
# gets the same score.
ENVIRONMENT = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NNLAB_HYPOTHESIS_PROFILE": "repeatable"}
# a mutant that never finishes, kills the tests' process or fails a type checker is caught too
CAUGHT = ("killed", "timeout", "segfault", "caught by type check")
# mutmut's words for a mutant it has tested; "suspicious": the tests ended oddly. Of the others it says "not checked"
# or "check was interrupted by user".
FINISHED = {*CAUGHT, "survived", "suspicious", "no tests", "skipped"}


# the decorators that register a function or make it a hypothesis test: harmless to apply after the definition
APPLIED_AFTER = {"check", "judged", "statement", "forall", "one_thread"}


def decorator_name(decorator: ast.expr) -> str | None:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return target.id if isinstance(target, ast.Name) else None


def decorators_applied_after(source: str) -> str:
    """``source`` with each function decorated only by ``APPLIED_AFTER`` decorators undecorated, and the decorators
    applied right after it (``name = d1(d2(name))``), at any depth."""
    lines = source.splitlines(keepends=True)
    edits = []  # (first line, outer first, last line, replacement), 0-based, applied from the bottom up
    for order, node in enumerate(ast.walk(ast.parse(source))):  # outer functions before the ones inside them
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.decorator_list:
            continue
        if any(decorator_name(d) not in APPLIED_AFTER for d in node.decorator_list):
            continue
        indent = " " * node.col_offset
        applied = node.name
        for decorator in reversed(node.decorator_list):
            applied = f"{ast.get_source_segment(source, decorator)}({applied})"
        first = node.decorator_list[0].lineno - 1
        # an inner function ending where its outer one does: the outer's line goes in first, so it ends up last
        edits.append((node.end_lineno, -order, node.end_lineno - 1, [f"{indent}{node.name} = {applied}\n"]))
        edits.append((first, -order, node.lineno - 2, []))
    for first, _, last, replacement in sorted(edits, reverse=True):
        lines[first : last + 1] = replacement
    return "".join(lines)


def stage() -> None:
    """TREE: the repository's tracked files as committed or changed, nnlab/'s decorators applied after."""
    shutil.rmtree(TREE, ignore_errors=True)
    for name in git("ls-files").splitlines():
        source, copy = ROOT / name, TREE / name
        if not source.is_file():
            continue  # deleted, not yet committed
        copy.parent.mkdir(parents=True, exist_ok=True)
        if name.startswith("nnlab/") and name.endswith(".py"):
            copy.write_text(decorators_applied_after(source.read_text()))
        else:
            shutil.copy2(source, copy)


def mutmut(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["mutmut", *args], cwd=TREE, env=os.environ | ENVIRONMENT, check=check, text=True)


def statuses() -> dict[str, str]:
    """``{mutant name: what mutmut says of it}`` for every mutant mutmut generated."""
    listed = subprocess.run(["mutmut", "results", "--all", "true"], cwd=TREE, check=True, capture_output=True)
    return dict(line.strip().rsplit(": ", 1) for line in listed.stdout.decode().splitlines() if ": " in line)


def draw(names: list[str], size: int | None, seed: int) -> list[str]:
    """A uniform random sample of ``size`` names (all of them for None or a size above their number), sorted."""
    if size is None or size >= len(names):
        return sorted(names)
    return sorted(random.Random(seed).sample(sorted(names), size))


def generate() -> None:
    """Generate every mutant and record which tests run which function, testing none.

    mutmut has no command for this alone: a run filtered to a name no mutant has does it, then stops.
    """
    mutmut("run", "nnlab.generate-only", check=False)
    if not (MUTANTS / "mutmut-stats.json").is_file():
        raise SystemExit("mutmut generated no mutants or collected no test statistics; its output above says why")


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def seed_of(commit: str) -> int:
    """The sample's seed when none is given: the commit's short hash read as a number."""
    return int(commit.split()[0], 16)


def run(size: int | None, seed: int | None) -> None:
    commit = git("rev-parse", "--short", "HEAD")
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += " with changes"  # mutmut tests the working tree; summary() refuses to keep what it gives
    seed = seed_of(commit) if seed is None else seed
    stage()
    generate()
    population = statuses()
    sample = draw(list(population), size, seed)
    record = {"seed": seed, "population": len(population), "commit": commit, "names": sample}
    SAMPLE.write_text(json.dumps(record, indent=1) + "\n")
    print(f"testing {len(sample):,} of {len(population):,} mutants (seed {seed}, commit {record['commit']})")
    # every mutant: no names, as thousands of them would each be matched against every mutant
    mutmut("run", "--max-children", str(os.cpu_count() or 1), *(sample if len(sample) < len(population) else []))


def command_for(size: int, population: int, seed: int, commit: str) -> str:
    """The command that draws this sample again, at its commit."""
    if size == population:
        return "make mutation SAMPLE=all"
    if seed != seed_of(commit):
        return f"python scripts/mutation.py --sample {size} --seed {seed}"
    return "make mutation" + ("" if size == DEFAULT_SIZE else f" SAMPLE={size}")


def module_of(mutant: str) -> str:
    """``nnlab.checks.fileio.x_save__mutmut_3`` -> ``checks.fileio``: the module under nnlab/ a mutant is in."""
    parts = mutant.removeprefix("nnlab.").split(".")
    return ".".join(part for part in parts if not part.startswith(("x_", "xǁ"))) or "__init__"


def share(part: int, whole: int) -> dict:
    """``part / whole`` with its exact 95% binomial interval (Clopper-Pearson)."""
    low, high = stats.binomtest(part, whole).proportion_ci(0.95, method="exact")
    return {"share": part / whole, "low": low, "high": high}


def summary(said: dict[str, str], record: dict) -> dict:
    """The sample's counts, the shares caught with their intervals, its survivors; refuses an unfinished run."""
    sampled = {name: said.get(name, "missing") for name in record["names"]}
    unfinished = Counter(status for status in sampled.values() if status not in FINISHED)
    if unfinished:
        raise ValueError(f"the run did not finish ({dict(unfinished)}): run make mutation again")
    if record["commit"].endswith("with changes"):
        raise ValueError(f"the run tested uncommitted changes ({record['commit']}): commit, then make mutation")
    counts = Counter(sampled.values())
    caught = sum(counts[status] for status in CAUGHT)
    tested = caught + counts["survived"]
    if not tested:
        raise ValueError("no sampled mutant has a test that runs it: draw a larger sample")
    return {
        "population": record["population"],
        "sample": len(sampled),
        "seed": record["seed"],
        "commit": record["commit"],
        "command": command_for(len(sampled), record["population"], record["seed"], record["commit"]),
        "counts": {status: counts[status] for status in sorted(FINISHED)},
        "caught": share(caught, len(sampled)),
        "caught_of_tested": share(caught, tested),
        "survivors": sorted(name for name, status in sampled.items() if status == "survived"),
        "no_tests_by_module": dict(
            Counter(module_of(name) for name, status in sampled.items() if status == "no tests").most_common()
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sample", default=str(DEFAULT_SIZE), help=f"how many mutants, or all (default {DEFAULT_SIZE})"
    )
    parser.add_argument("--seed", type=int, help="the sample's seed (default: the commit's short hash as a number)")
    args = parser.parse_args()
    if args.sample != "all" and not (args.sample.isdigit() and int(args.sample) > 0):
        parser.error(f"--sample takes a positive number of mutants or all, not {args.sample!r}")
    run(None if args.sample == "all" else int(args.sample), args.seed)


if __name__ == "__main__":
    main()
