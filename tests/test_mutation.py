"""make mutation's sample and what it adds up to (scripts/mutation.py), without running mutmut."""

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

SCRIPT = Path(__file__).parents[1] / "scripts" / "mutation.py"
spec = importlib.util.spec_from_file_location("mutation_script", SCRIPT)
mutation = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mutation)

names = st.lists(st.text("abcdefghij._", min_size=1, max_size=12), unique=True, max_size=40)


@given(names, st.integers(1, 50), st.integers(0, 2**32 - 1))
def test_a_sample_is_a_sorted_subset_of_the_asked_size_fixed_by_its_seed(population, size, seed):
    sample = mutation.draw(population, size, seed)
    assert sample == sorted(sample)
    assert set(sample) <= set(population)
    assert len(sample) == min(size, len(population))
    assert mutation.draw(list(reversed(population)), size, seed) == sample  # the order mutmut lists them in is moot


def test_every_mutant_is_drawn_without_a_size():
    assert mutation.draw(["b", "a", "c"], None, 0) == ["a", "b", "c"]


def test_each_mutant_is_drawn_about_equally_often():
    """Each of 10 names drawn 3 at a time in 2,000 seeds: chi-square against 600 each, false failure 1e-6."""
    from scipy import stats

    population = [f"m{i}" for i in range(10)]
    drawn = [name for seed in range(2000) for name in mutation.draw(population, 3, seed)]
    counts = [drawn.count(name) for name in population]
    assert stats.chisquare(counts).pvalue > 1e-6, counts


def record(*sampled: str, commit: str = "abc1234") -> dict:
    return {"seed": 0xABC1234, "population": 9, "commit": commit, "names": list(sampled)}


def test_the_summary_counts_only_the_sampled_mutants_and_counts_timeouts_and_crashes_as_caught():
    said = {"a": "killed", "b": "timeout", "c": "segfault", "d": "survived", "e": "no tests", "f": "survived"}
    summary = mutation.summary(said, record("a", "b", "c", "d", "e"))
    assert summary["counts"]["killed"] == 1 and summary["counts"]["survived"] == 1
    assert summary["caught"] == mutation.share(3, 5)
    assert summary["caught_of_tested"] == mutation.share(3, 4)
    assert summary["survivors"] == ["d"]
    assert (summary["sample"], summary["population"], summary["commit"]) == (5, 9, "abc1234")
    assert summary["command"] == "make mutation SAMPLE=5"


@pytest.mark.parametrize("status", ["not checked", "check was interrupted by user", None])
def test_an_unfinished_sample_is_refused(status):
    said = {"a": "killed"} | ({"b": status} if status else {})
    with pytest.raises(ValueError, match="did not finish.*run make mutation again"):
        mutation.summary(said, record("a", "b"))


@pytest.mark.parametrize(
    ("said", "commit", "refusal"),
    [
        ({"a": "killed"}, "abc1234 with changes", "tested uncommitted changes \\(abc1234 with changes\\)"),
        ({"a": "no tests"}, "abc1234", "no sampled mutant has a test"),
    ],
)
def test_a_run_of_uncommitted_code_or_without_a_tested_mutant_is_refused(said, commit, refusal):
    with pytest.raises(ValueError, match=refusal):
        mutation.summary(said, record("a", commit=commit))


def test_each_commit_draws_its_own_sample():
    """Tests written against one sample's survivors must not be scored on that same sample at the next commit."""
    assert mutation.seed_of("abc1234") == 0xABC1234 and mutation.seed_of("abc1234 with changes") == 0xABC1234
    population = [f"m{i}" for i in range(100)]
    assert mutation.draw(population, 10, mutation.seed_of("abc1234")) != mutation.draw(
        population, 10, mutation.seed_of("abc1235")
    )


@pytest.mark.parametrize(
    ("size", "population", "seed", "command"),
    [
        (1000, 9000, 0xABC1234, "make mutation"),
        (200, 9000, 0xABC1234, "make mutation SAMPLE=200"),
        (9000, 9000, 7, "make mutation SAMPLE=all"),
        (1000, 9000, 7, "python scripts/mutation.py --sample 1000 --seed 7"),
    ],
)
def test_the_saved_results_name_the_command_that_draws_the_sample_again(size, population, seed, command):
    assert mutation.command_for(size, population, seed, "abc1234") == command


@pytest.mark.parametrize("n", [1, 20, 1000])
def test_the_interval_is_clopper_pearsons(n):
    """None caught of n: the exact 95% interval is [0, 1 - 0.025^(1/n)], a bound with a closed form."""
    interval = mutation.share(0, n)
    assert interval["low"] == 0
    assert interval["high"] == pytest.approx(1 - 0.025 ** (1 / n), rel=1e-9)


@pytest.mark.parametrize(
    "mutant, module",
    [
        ("nnlab.checks.fileio.x_save__mutmut_3", "checks.fileio"),
        ("nnlab.data.xǁSplitǁto__mutmut_5", "data"),
    ],
)
def test_a_mutant_is_filed_under_its_module(mutant, module):
    assert mutation.module_of(mutant) == module


@pytest.mark.parametrize("sample", ["0", "-3", "many"])
def test_a_sample_that_is_not_a_positive_count_or_all_is_refused(sample, monkeypatch, capsys):
    monkeypatch.setattr(mutation, "run", lambda *args: pytest.fail("ran mutmut on a bad --sample"))
    monkeypatch.setattr("sys.argv", ["mutation.py", "--sample", sample])
    with pytest.raises(SystemExit):
        mutation.main()
    assert "--sample takes a positive number of mutants or all" in capsys.readouterr().err


NESTED = '''@check("L1", documented=qualified)
def a_check(lab):
    """Its docstring."""
    @forall(X=batches(3))
    @forall(Y=st.integers())
    def prop(X, Y):
        pass
    prop()

    @forall(Z=st.integers())
    def last(Z):
        return Z


@dataclass
class Kept:
    size: int
'''

NESTED_APPLIED_AFTER = '''def a_check(lab):
    """Its docstring."""
    def prop(X, Y):
        pass
    prop = forall(X=batches(3))(forall(Y=st.integers())(prop))
    prop()

    def last(Z):
        return Z
    last = forall(Z=st.integers())(last)
a_check = check("L1", documented=qualified)(a_check)


@dataclass
class Kept:
    size: int
'''


def test_registering_decorators_are_applied_after_the_function_at_any_depth_and_others_are_kept():
    assert mutation.decorators_applied_after(NESTED) == NESTED_APPLIED_AFTER


REGISTERED = """
import nnlab
from nnlab.checks import all_checks, all_statements
print(nnlab.__file__)
for c in all_checks() + all_statements():
    print(c.id, c.title)
"""


def registered_in(tree: Path) -> list[str]:
    env = os.environ | {"PYTHONPATH": str(tree)}
    run = subprocess.run([sys.executable, "-c", REGISTERED], cwd=tree, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    imported, *registered = run.stdout.splitlines()
    assert Path(imported).is_relative_to(tree), f"{imported} is not the nnlab in {tree}"
    return registered


def test_the_tree_mutmut_runs_in_registers_the_same_checks_in_the_same_order_with_no_decorator_mutmut_skips(
    tmp_path,
):
    root = SCRIPT.parents[1]
    left = []
    for source in (root / "nnlab").rglob("*.py"):
        applied = mutation.decorators_applied_after(source.read_text())
        copy = tmp_path / source.relative_to(root)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(applied)
        left += [
            f"{copy.name}:{node.lineno}"
            for node in ast.walk(ast.parse(applied))
            if isinstance(node, ast.FunctionDef)
            and any(mutation.decorator_name(d) in mutation.APPLIED_AFTER for d in node.decorator_list)
        ]
    assert left == []
    assert registered_in(tmp_path) == registered_in(root)
