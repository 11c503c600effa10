"""`pytest --nnlab-lab PATH` (nnlab/pytest_plugin.py), run by pytester in this process with the plugin named by -p,
as nnlab is not reinstalled to test it; and the grader's hypothesis settings, which it shares with nnlab check."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import torch._inductor.config  # noqa: F401  (see CHECK_IDS)
from hypothesis import settings

from nnlab.checks import all_checks
from nnlab.checks.graders_settings import GRADERS_SETTINGS, under_graders_settings
from tests.grading.conftest import EXAMPLES

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


def test_each_check_is_one_test_named_after_the_lab_and_the_check(pytester):
    run = pytester.inline_run(*PLUGIN, "--nnlab-lab", str(PER_ROW_CENTERING), "--collect-only")
    [finished] = run.getcalls("pytest_collection_finish")
    assert [item.name for item in finished.session.items] == [f"per_row_centering-{id_}" for id_ in CHECK_IDS]


def test_k_picks_checks_by_id_a_failure_shows_the_result_and_detail_and_a_missing_role_skips(pytester):
    run = pytester.inline_run(*PLUGIN, "--nnlab-lab", str(PER_ROW_CENTERING), "-k", "centering-C1: or centering-L7:")
    passed, skipped, failed = run.listoutcomes()
    picked = [f"per_row_centering-{id_}" for id_ in CHECK_IDS if id_.startswith(("C1:", "L7:"))]
    assert sorted(r.head_line for r in passed + skipped + failed) == sorted(picked)
    assert [r.head_line for r in failed] == ["per_row_centering-C1:centered_layer_subtracts_the_mean_of_the_whole_batch"]
    assert failed[0].longreprtext.startswith("fail: CenteredLayer()(X) is X - X.mean(), the mean over the whole")
    assert "question 1 of" in failed[0].longreprtext  # the counterexample the judge found
    assert skipped and all("defines no 'ParallelBlock'" in r.longreprtext for r in skipped if "L7" in r.head_line)


def test_a_lab_path_that_does_not_exist_is_a_usage_error(pytester):
    run = pytester.runpytest(*PLUGIN, "--nnlab-lab", "no/such/lab")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    assert "--nnlab-lab no/such/lab: no such file or folder; give your lab" in run.stderr.str()


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
    for plugin in ([], ["-p", "nnlab.pytest_plugin"]):
        run = subprocess.run(
            [sys.executable, "-m", "pytest", *plugin, "--nnlab-lab", str(PER_ROW_CENTERING), "-k", "C1", "-q"],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
        )
        assert "1 failed, 4 passed, 1 skipped" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]


SEEN_SETTINGS = """
from pathlib import Path

from hypothesis import settings
from torch import nn

class CenteredLayer(nn.Module):
    def forward(self, X):
        Path(__file__).with_name("seen.txt").write_text(f"{settings.default.max_examples} {settings.default.derandomize}")
        return X - X.mean()
"""
OWN_PROFILE = """
from hypothesis import settings

settings.register_profile("nnlab-check", max_examples=3, derandomize=False)
settings.load_profile("nnlab-check")
"""
PARAMETRIZED = """
from nnlab.checks import load_lab, parametrize_with_checks

@parametrize_with_checks(load_lab("lab.py"))
def test_lab(lab, check):
    check(lab)
"""


@pytest.fixture
def profile_kept():
    """The suite's hypothesis profile, loaded again after a pytester run in which a conftest loaded its own."""
    loaded = settings.get_current_profile_name()
    yield
    settings.load_profile(loaded)


@pytest.mark.parametrize("way", ["plugin", "parametrize_with_checks"])
def test_a_students_own_hypothesis_profile_leaves_the_checks_the_graders_settings(pytester, profile_kept, way):
    pytester.makepyfile(lab=SEEN_SETTINGS)
    pytester.makeconftest(OWN_PROFILE)  # under the grader's profile name, even
    options = ["--nnlab-lab", "lab.py"] if way == "plugin" else [pytester.makepyfile(test_lab=PARAMETRIZED)]
    run = pytester.runpytest(*PLUGIN, *options, "-k", "C1 and whole_batch")
    run.assert_outcomes(passed=1)
    assert (pytester.path / "seen.txt").read_text() == f"{GRADERS_SETTINGS.max_examples} True"


def test_graders_settings_are_loaded_for_the_block_and_the_profile_before_is_loaded_again():
    before = settings.get_current_profile_name()
    with under_graders_settings():
        assert settings.default.max_examples == GRADERS_SETTINGS.max_examples and settings.default.derandomize
    assert settings.get_current_profile_name() == before
