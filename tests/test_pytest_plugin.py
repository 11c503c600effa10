"""`pytest --nnlab-lab PATH` (nnlab/pytest_plugin.py), run by pytester in this process with the plugin named by -p,
as nnlab is not reinstalled to test it; and the grader's hypothesis settings, which it shares with nnlab check."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch._inductor.config  # noqa: F401  (see CHECK_IDS)
from hypothesis import settings

from nnlab.checks import all_checks, load_lab, run_check
from nnlab.checks.graders_settings import graders_settings, under_graders_settings
from nnlab.cli import main
from tests.grading.conftest import EXAMPLES
from tests.notebooks import CENTERED_LAYER, notebook_of, write_notebook

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

pytest_plugins = ["pytester"]

ROOT = Path(__file__).parents[1]
# A pytester run unloads the modules first imported inside it, which must be imported before: every check file,
# whose checks a second import would register twice, and the inductor config that torch.use_deterministic_algorithms
# (which each check calls) imports, whose triton extension aborts the process when loaded twice.
CHECK_IDS = [check.id for check in all_checks()]
PLUGIN = ["-p", "nnlab.pytest_plugin", "-p", "no:cacheprovider"]
PER_ROW_CENTERING = EXAMPLES / "per_row_centering"


def test_without_nnlab_lab_the_plugin_adds_no_tests(pytester):
    pytester.makepyfile("def test_own():\n    pass\n")
    pytester.runpytest(*PLUGIN).assert_outcomes(passed=1)


def test_k_picks_checks_by_id_a_failure_shows_the_result_and_detail_and_a_missing_role_skips(pytester):
    run = pytester.inline_run(*PLUGIN, "--nnlab-lab", str(PER_ROW_CENTERING), "-k", "centering-C1: or centering-L7:")
    passed, skipped, failed = run.listoutcomes()
    picked = [f"per_row_centering-{id_}" for id_ in CHECK_IDS if id_.startswith(("C1:", "L7:"))]
    assert sorted(r.head_line for r in passed + skipped + failed) == sorted(picked)
    [failure] = failed
    assert failure.head_line == "per_row_centering-C1:centered_layer_subtracts_the_mean_of_the_whole_batch"
    assert failure.longreprtext.startswith("fail: CenteredLayer()(X) is X - X.mean(), the mean over the whole")
    assert "question 1 of" in failure.longreprtext  # the counterexample the judge found
    assert skipped and all("defines no 'ParallelBlock'" in r.longreprtext for r in skipped)


@pytest.mark.parametrize(
    ("lab", "why"),
    [("no/such/lab", "no such file or folder"), ("notes.txt", "not a .py or .ipynb file")],
    ids=["absent", "txt"],
)
def test_a_lab_path_that_is_no_lab_is_a_usage_error_naming_the_fix(pytester, lab, why):
    pytester.makefile(".txt", notes="my notes")
    run = pytester.runpytest(*PLUGIN, "--nnlab-lab", lab)
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    assert f"--nnlab-lab {lab}: {why}; give your lab, a .py or .ipynb file or a folder" in run.stderr.str()


def test_a_notebook_lab_is_checked_as_its_script_is(pytester):
    notebook = notebook_of(PER_ROW_CENTERING / "layers.py", pytester.path / "layers.ipynb")
    run = pytester.inline_run(*PLUGIN, "--nnlab-lab", str(notebook), "-k", "layers-C1:")
    passed, skipped, failed = run.listoutcomes()
    assert [r.head_line for r in failed] == ["layers-C1:centered_layer_subtracts_the_mean_of_the_whole_batch"]
    assert len(passed) == sum(id_.startswith("C1:") for id_ in CHECK_IDS) - 1 and not skipped


def test_a_notebook_labs_dropped_lines_and_failed_cells_are_in_the_terminal_summary(pytester):
    notebook = write_notebook(
        pytester.path / "lab.ipynb", "!pip install d2l", "layer = CenteredLayer()", CENTERED_LAYER
    )
    run = pytester.runpytest(*PLUGIN, "--nnlab-lab", str(notebook), "-k", "lab-C1:")
    summary = run.stdout.str().partition("nnlab notebooks")[2].splitlines()
    assert summary[1:4] == [
        "lab: lab.ipynb",
        "  cell 1: dropped !pip install d2l",
        "  cell 2 failed: NameError: name 'CenteredLayer' is not defined (lab.ipynb, cell 2, line 1)",
    ]


def test_each_check_of_each_lab_given_is_one_test_named_after_the_lab_and_the_check(pytester):
    second = pytester.makepyfile(second=(PER_ROW_CENTERING / "layers.py").read_text())
    run = pytester.inline_run(*PLUGIN, "--nnlab-lab", str(PER_ROW_CENTERING), "--nnlab-lab", str(second), "--co")
    [finished] = run.getcalls("pytest_collection_finish")
    names = [f"{lab}-{id_}" for lab in ("per_row_centering", "second") for id_ in CHECK_IDS]
    assert [item.name for item in finished.session.items] == names


def test_a_lab_that_raises_at_import_is_a_collection_error_naming_the_error(pytester):
    lab = pytester.makepyfile(lab="raise RuntimeError('my lab is broken')\n")
    run = pytester.runpytest(*PLUGIN, "--nnlab-lab", str(lab))
    assert run.ret == pytest.ExitCode.INTERRUPTED
    run.assert_outcomes(errors=1)
    assert "RuntimeError: my lab is broken" in run.stdout.str()


def test_the_pytest11_entry_point_names_the_plugin_module(pytester):
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["pytest11"]
    # named as the module, so that `-p nnlab.pytest_plugin` finds the plugin the entry point registered
    assert declared == {"nnlab.pytest_plugin": "nnlab.pytest_plugin"}
    assert "--nnlab-lab=PATH" in pytester.runpytest("-p", declared["nnlab.pytest_plugin"], "--help").stdout.str()


def test_the_plugin_loaded_by_its_entry_point_also_loads_by_p_once(tmp_path):
    """Installed, pytest loads the plugin in every run; `-p nnlab.pytest_plugin` then must not register it twice."""
    installed = tmp_path / "site" / "nnlab_entry_point-0.dist-info"  # the entry point as pip would install it
    installed.mkdir(parents=True)
    (installed / "METADATA").write_text("Metadata-Version: 2.1\nName: nnlab-entry-point\nVersion: 0\n")
    (installed / "entry_points.txt").write_text("[pytest11]\nnnlab.pytest_plugin = nnlab.pytest_plugin\n")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed.parent), str(ROOT)])}
    lab = shutil.copytree(PER_ROW_CENTERING, tmp_path / "per_row_centering")  # out of reach of nnlab's own addopts
    for plugin in ([], ["-p", "nnlab.pytest_plugin"]):
        run = subprocess.run(
            [sys.executable, "-m", "pytest", *plugin, "--nnlab-lab", str(lab), "-k", "C1", "-q"],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
        )
        assert "1 failed, 4 passed, 1 skipped" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]


PARAMETRIZED = """
from nnlab.checks import load_lab, parametrize_with_checks

@parametrize_with_checks(load_lab({lab!r}))
def test_lab(lab, check):
    check(lab)
"""
WAYS = ("nnlab check", "plugin", "parametrize_with_checks")


def results(way: str, lab: Path, pytester: pytest.Pytester) -> dict[str, str]:
    """Each check's result for the lab named ``lab``, as ``way`` gives it."""
    if way == "nnlab check":
        out = pytester.path / "check-results"
        main(["check", str(lab), "--out", str(out), "--sandbox", "off", "--jobs", "1"])
        report = json.loads((out / "lab" / "report.json").read_text())
        return {check["check"]: check["result"] for claim in report["claims"] for check in claim["checks"]}
    if way == "plugin":
        return results_as_tested(pytester.inline_run(*PLUGIN, "--nnlab-lab", str(lab)))
    return results_as_tested(pytester.inline_run(*PLUGIN, pytester.makepyfile(PARAMETRIZED.format(lab=str(lab)))))


def results_as_tested(run: pytest.HookRecorder) -> dict[str, str]:
    """Each check's result as its test reports it: passed is ``pass``, skipped ``missing``, a failure the result its
    message starts with (``CheckFailed``'s, in a traceback for ``parametrize_with_checks``)."""
    found = {}
    for report in run.getreports("pytest_runtest_logreport"):
        if report.when != "call":
            continue
        check = report.nodeid.rsplit("lab-", 1)[1].removesuffix("]")
        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash.message.removeprefix("nnlab.checks.CheckFailed: ") if crash else str(report.longrepr)
        found[check] = "pass" if report.passed else "missing" if report.skipped else message.split(":")[0]
    return found


def mixed_lab(folder: Path) -> Path:
    """per_row_centering's layers (C1 fails) and python_list_sequential's blocks (L3 fails) with a ParallelBlock that
    sums, as the report's does (L7 is qualified); the other sections missing."""
    folder.mkdir()
    shutil.copy(EXAMPLES / "per_row_centering" / "layers.py", folder)
    blocks = (EXAMPLES / "python_list_sequential" / "blocks.py").read_text()
    concatenating = "torch.cat((self.net1(X), self.net2(X)), dim=-1)"
    assert concatenating in blocks
    (folder / "blocks.py").write_text(blocks.replace(concatenating, "self.net1(X) + self.net2(X)"))
    return folder


def test_nnlab_check_the_plugin_and_parametrize_with_checks_give_each_check_the_same_result(pytester):
    lab = mixed_lab(pytester.path / "lab")
    graded, plugin, parametrized = (results(way, lab, pytester) for way in WAYS)
    assert set(graded.values()) == {"pass", "qualified", "fail", "missing"}
    assert sorted(graded) == sorted(CHECK_IDS)  # every check, grouped by claim
    assert plugin == graded
    assert parametrized == graded


OWN_PROFILE = """
from hypothesis import settings
from torch import nn

settings.register_profile("nnlab-check", max_examples=3, derandomize=False)  # under the grader's profile name, even
settings.load_profile("nnlab-check")

class CenteredLayer(nn.Module):
    def forward(self, X):
        graders = settings.default.max_examples == {max_examples} and settings.default.derandomize
        return X - X.mean() if graders else X  # right only under the grader's settings
"""


@pytest.fixture
def profile_kept():
    """The suite's hypothesis profile, loaded again after a pytester run in which a lab loaded its own."""
    loaded = settings.get_current_profile_name()
    yield
    settings.load_profile(loaded)


@pytest.mark.parametrize("way", WAYS)
def test_a_lab_that_loads_its_own_hypothesis_profile_is_checked_under_the_graders_settings(pytester, profile_kept, way):
    lab = pytester.makepyfile(lab=OWN_PROFILE.format(max_examples=graders_settings().max_examples))
    assert results(way, lab, pytester)["C1:centered_layer_subtracts_the_mean_of_the_whole_batch"] == "pass"


def test_graders_settings_are_loaded_for_the_block_and_the_profile_before_is_loaded_again():
    before = settings.get_current_profile_name()
    with under_graders_settings():
        assert settings.default.max_examples == graders_settings().max_examples and settings.default.derandomize
    assert settings.get_current_profile_name() == before


def test_the_graders_settings_are_built_anew_so_changing_one_in_place_changes_no_later_check():
    changed = graders_settings()
    for name in [name for name in vars(changed) if "max_examples" in name]:  # as code under check could
        object.__setattr__(changed, name, 1)
    assert changed.max_examples == 1
    assert graders_settings().max_examples == 50


REVERSED_SEQUENTIAL = """
from torch import nn


class MySequential(nn.Module):
    def __init__(self, *modules):
        super().__init__()
        for index, module in enumerate(modules):
            self.add_module(str(index), module)

    def forward(self, X):
        for module in reversed(list(self._modules.values())):
            X = module(X)
        return X
"""


def test_a_failing_checks_detail_under_pytest_is_its_detail_in_a_plain_python_process(tmp_path):
    # pytest rewrites the asserts of a package that declares a pytest11 plugin: a rewritten check's failure would
    # carry its operands' reprs, memory addresses among them, and differ from what nnlab check reports
    lab_file = tmp_path / "blocks.py"
    lab_file.write_text(REVERSED_SEQUENTIAL)
    script = (
        "import json, sys\n"
        "from nnlab.checks import all_checks, load_lab, run_check\n"
        "lab = load_lab(sys.argv[1])\n"
        "print(json.dumps({c.id: run_check(c, lab).detail for c in all_checks() if c.claim == 'L3'}))\n"
    )
    ran = subprocess.run([sys.executable, "-c", script, str(lab_file)], capture_output=True, text=True, check=True)
    plain = json.loads(ran.stdout)
    lab = load_lab(lab_file)
    under_pytest = {c.id: run_check(c, lab).detail for c in all_checks() if c.claim == "L3"}
    assert plain["L3:my_sequential_applies_children_in_insertion_order"]  # it fails, with its counterexample
    assert under_pytest == plain
