"""`nnlab check` as graders call it: options, exit status, adapters, the summary and Gradescope's results."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import torch

from nnlab.cli import main
from nnlab.grading.submission_report import report_markdown
from nnlab.grading.supervise import FORGED
from tests.grading.conftest import BATCH, EXAMPLES, GRADESCOPE_SCHEMA

SHARED_BATCH = pytest.mark.xdist_group("grading")  # the tests that read the batch run where it was checked
GRADESCOPE = Path(__file__).parents[2] / "gradescope"

CENTERED_LAYER = """
from torch import nn

class {name}(nn.Module):
    def forward(self, X):
        return X - X.mean()
"""


def centred_lab(folder: Path, name: str = "CenteredLayer") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lab.py").write_text(CENTERED_LAYER.format(name=name))
    return folder


def test_a_correct_submission_exits_0_with_its_provided_claim_passing_and_the_rest_missing(tmp_path):
    out = tmp_path / "out"
    # a folder holding one file, as Gradescope hands over an upload
    assert main(["check", str(centred_lab(tmp_path / "alice")), "--out", str(out), "--jobs", "1"]) == 0
    report = json.loads((out / "alice" / "report.json").read_text())
    assert {c["id"]: c["result"] for c in report["claims"] if c["result"] != "missing"} == {"C1": "pass"}


def test_an_adapter_binds_roles_under_other_names(tmp_path):
    submission = centred_lab(tmp_path / "bob", name="MeanRemover")
    adapter = tmp_path / "adapter.py"
    adapter.write_text(
        "from types import SimpleNamespace\n"
        "from nnlab.checks import Lab\n"
        "from nnlab.checks.lab import import_file\n\n"
        "def lab(path):\n"
        "    code = import_file(path / 'lab.py', 'bobs_lab')\n"
        "    return Lab('bob', layers=SimpleNamespace(CenteredLayer=code.MeanRemover))\n"
    )
    out = tmp_path / "out"
    without = main(["check", str(submission), "--out", str(out / "plain")])
    assert main(["check", str(submission), "--out", str(out / "adapted"), "--adapter", str(adapter)]) == 0
    assert without == 0  # nothing found under the documents' names: every claim missing, none failed
    claims = json.loads((out / "adapted" / "bob" / "report.json").read_text())["claims"]
    assert next(c for c in claims if c["id"] == "C1")["result"] == "pass"


def test_relative_paths_name_the_graders_files_even_though_the_worker_runs_elsewhere(tmp_path, monkeypatch):
    # the worker runs in a temporary folder: a path as the grader typed it must be resolved before that
    centred_lab(tmp_path / "dave", name="MeanRemover")
    (tmp_path / "adapters").mkdir()
    (tmp_path / "adapters" / "roles.json").write_text('{"CenteredLayer": "MeanRemover"}')
    (tmp_path / "adapters" / "renamed.py").write_text(
        "import json\n"
        "from pathlib import Path\n"
        "from types import SimpleNamespace\n"
        "from nnlab.checks import Lab\n"
        "from nnlab.checks.lab import import_file\n\n"
        "ROLES = json.loads((Path(__file__).parent / 'roles.json').read_text())  # a file beside the adapter\n\n"
        "def lab(path):\n"
        "    code = import_file(path / 'lab.py', 'daves_lab')\n"
        "    return Lab('dave', layers=SimpleNamespace(**{r: getattr(code, n) for r, n in ROLES.items()}))\n"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["check", "dave", "--out", "out", "--adapter", "adapters/renamed.py", "--jobs", "1"]) == 0
    claims = json.loads((tmp_path / "out" / "dave" / "report.json").read_text())["claims"]
    assert next(c for c in claims if c["id"] == "C1")["result"] == "pass"


def test_an_adapter_that_returns_no_lab_is_the_submissions_error(tmp_path):
    adapter = tmp_path / "adapter.py"
    adapter.write_text("def lab(path):\n    return {}\n")
    out = tmp_path / "out"
    assert main(["check", str(centred_lab(tmp_path / "carol")), "--out", str(out), "--adapter", str(adapter)]) == 1
    report = json.loads((out / "carol" / "report.json").read_text())
    assert report["status"] == "error"
    assert (
        report["error"]
        == "could not be loaded: TypeError: the adapter's lab(path) returned dict, not an nnlab.checks.Lab"
    )


# a submission that finds the result channel among its open files and writes a line of its own into it
WRITES_INTO_EVERY_FILE = """
import os
for fd in range(3, 64):
    try:
        os.write(fd, {line!r})
    except OSError:
        pass
"""
FORGERIES = {  # the line, and why the supervisor refuses it
    "forged_results": (b'{"event": "done"}\n', "Forged: a line without the worker's token"),
    "garbled_line": (b"null\n", "AttributeError: 'NoneType' object has no attribute 'pop'"),
}


@pytest.mark.parametrize("name", FORGERIES)
def test_a_line_written_into_the_result_channel_is_refused_and_the_batch_goes_on(name, tmp_path):
    submission = tmp_path / f"{name}.py"
    line, why = FORGERIES[name]
    submission.write_text(WRITES_INTO_EVERY_FILE.format(line=line))
    out = tmp_path / "out"
    assert main(["check", str(submission), str(centred_lab(tmp_path / "honest")), "--out", str(out)]) == 1
    report = json.loads((out / name / "report.json").read_text())
    assert (report["status"], report["error"]) == ("tampered", f"tampered with the grader: {FORGED} ({why})")
    honest = json.loads((out / "honest" / "report.json").read_text())
    assert honest["status"] == "checked"
    assert next(c for c in honest["claims"] if c["id"] == "C1")["result"] == "pass"


def test_a_dangling_link_in_a_submission_is_copied_as_it_is(tmp_path):
    submission = centred_lab(tmp_path / "linked")
    (submission / "data").symlink_to(tmp_path / "nowhere")
    assert main(["check", str(submission), "--out", str(tmp_path / "out")]) == 0


def test_a_reports_messages_name_the_users_folder_never_the_temporary_copy(tmp_path):
    submission = centred_lab(tmp_path / "linked")
    (submission / "lab.py").rename(submission / "layers.py")
    (submission / "blocks.py").symlink_to(tmp_path / "nowhere.py")
    assert main(["check", str(submission), "--out", str(tmp_path / "out")]) == 1
    report = json.loads((tmp_path / "out" / "linked" / "report.json").read_text())
    assert report["error"] == (
        "could not be loaded: FileNotFoundError: blocks.py could not be read (a link that leads nowhere: "
        f"No such file or directory): {submission / 'blocks.py'}"
    )
    assert "nnlab-check-" not in json.dumps(report)


def test_repeated_names_get_a_suffix_that_is_no_other_submissions_name(tmp_path):
    from nnlab.grading.batch import submission_names

    paths = [tmp_path / "x" / "lab.py", tmp_path / "y" / "lab.py", tmp_path / "z" / "lab-2.py"]
    assert submission_names(paths) == ["lab", "lab-3", "lab-2"]


@SHARED_BATCH
def test_report_json_has_the_published_fields_and_values(batch):
    for path in batch.out.glob("*/report.json"):
        report = json.loads(path.read_text())
        assert report["submission"] == path.parent.name
        assert report["status"] in ("checked", "error", "timeout", "memory")
        assert (report["error"] is None) == (report["status"] == "checked")
        for claim in report["claims"]:
            assert claim["result"] in ("pass", "qualified", "fail", "missing", "error")
            assert isinstance(claim["id"], str) and isinstance(claim["detail"], str)
            assert isinstance(claim["partial"], bool) and not (claim["partial"] and claim["result"] == "missing")


@SHARED_BATCH
def test_the_summary_counts_every_submissions_claims_and_draws_them(batch):
    summary = json.loads((batch.out / "summary.json").read_text())
    names = [s["submission"] for s in summary["submissions"]]
    assert names == [p.stem if p.is_file() else p.name for p in BATCH]  # in the order given
    for entry in summary["submissions"]:
        claims = batch.report(entry["submission"])["claims"]
        assert sum(entry["counts"].values()) == len(claims)
        assert entry["counts"]["fail"] == sum(c["result"] == "fail" for c in claims)
    c1 = next(c for c in summary["claims"] if c["id"] == "C1")
    assert c1["counts"]["fail"] == 2  # per_row_centering, patches_torch
    markdown = (batch.out / "summary.md").read_text()
    assert all(f"| {name} |" in markdown for name in names)
    assert (batch.out / "summary.png").read_bytes().startswith(b"\x89PNG")


def gradescope_fields_are_valid(results: dict) -> None:
    """Gradescope's results.json as its specification has it, its scores adding up and each test's status its own."""
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    for test in results["tests"]:
        assert 0 <= test["score"] <= test["max_score"]
        assert (test["score"] == test["max_score"]) == (test["status"] == "passed")
    assert results["score"] == pytest.approx(sum(test["score"] for test in results["tests"]))
    assert results["max_score"] == sum(test["max_score"] for test in results["tests"])


def test_run_autograder_writes_gradescopes_results_for_a_submission_scored_by_the_course_file(tmp_path):
    root = tmp_path / "autograder"
    shutil.copytree(EXAMPLES / "per_row_centering", root / "submission")
    # the course file `make gradescope` puts in the zip, which Gradescope unpacks in source/
    (root / "source").mkdir()
    (root / "source" / "course.toml").write_text(
        '[claims.C1]\npoints = 2\n[claims.C2]\n[claims.L1]\nvisibility = "hidden"'
    )
    run = subprocess.run(
        [str(GRADESCOPE / "run_autograder")], env=os.environ | {"AUTOGRADER_ROOT": str(root)}, capture_output=True
    )
    assert run.returncode == 0, run.stderr.decode()
    results = json.loads((root / "results" / "results.json").read_text())
    gradescope_fields_are_valid(results)
    scores = {test["name"].split(":")[0]: (test["score"], test["max_score"]) for test in results["tests"]}
    assert scores == {"L1": (0.0, 1.0), "C1": (0.0, 2.0), "C2": (1.0, 1.0)}  # the claims it counts, no other
    assert results["tests"][0]["visibility"] == "hidden"
    c1 = next(test for test in results["tests"] if test["name"].startswith("C1:"))
    assert c1["output"].startswith("fail. [centered_layer_subtracts_the_mean_of_the_whole_batch]")
    assert (root / "results" / "nnlab" / "submission" / "report.md").is_file()


@SHARED_BATCH
def test_gradescope_results_of_a_submission_that_did_not_load_say_why(batch):
    from nnlab.grading.course import every_claim
    from nnlab.grading.gradescope import gradescope_results

    results = gradescope_results(batch.report("syntax_error"), every_claim())
    gradescope_fields_are_valid(results)
    assert results["score"] == 0 and results["output"].startswith("Not checked (error): could not be loaded")


def test_a_partial_pass_shows_how_many_checks_ran_and_scores_no_point():
    from nnlab.grading.course import Counted, Course
    from nnlab.grading.gradescope import gradescope_results

    checks = [{"check": "L6:a", "result": "pass", "detail": ""}, {"check": "L6:b", "result": "missing", "detail": ""}]
    claim = {"id": "L6", "title": "t", "result": "pass", "detail": "Partial: 1 of 2", "partial": True, "checks": checks}
    report = {"submission": "s", "status": "checked", "error": None, "claims": [claim], "seconds": 1.0}
    report |= {"restored": [], "outlived": [], "notebooks": [], "nnlab": "0", "torch": "2"}
    report["sandbox"] = "not sandboxed (--sandbox off)"
    (test,) = gradescope_results(report, Course({"L6": Counted()}))["tests"]
    assert (test["score"], test["status"]) == (0.0, "failed")
    assert test["output"].startswith("pass (partial: 1 of 2 checks ran).")
    assert "| L6 | pass (partial: 1 of 2 checks ran) |" in report_markdown(report)


def test_the_example_pytest_file_runs_the_checks_as_tests_of_the_users_own_suite():
    example = EXAMPLES / "correct_lab" / "test_my_lab.py"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(example), "-k", "L7", "-q", "-p", "no:cacheprovider"],
        cwd=example.parent,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert "2 passed" in run.stdout  # L7's two checks, one test each, on the sample lab


def test_a_correct_save_and_load_passes_on_whatever_threads_the_grader_runs(tmp_path):
    """F1 and F2's verdicts do not depend on the grader's thread count: the worker (``--jobs 1``: every core)
    computes both the saved and the reloaded outputs, and the grader, here on another count, checks the saved ones
    against its own to float32 rounding; nnlab check leaves the grader's count as it was."""
    lab = tmp_path / "saves_and_loads"
    lab.mkdir()
    shutil.copy(EXAMPLES / "correct_lab" / "fileio.py", lab)
    worker_threads = os.cpu_count() or 1
    grader_threads = 1 if worker_threads > 1 else 2  # 1 and 2 threads round a batch-norm MLP's outputs apart
    before = torch.get_num_threads()
    torch.set_num_threads(grader_threads)
    try:
        main(["check", str(lab), "--out", str(tmp_path / "out"), "--jobs", "1"])
        after = torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
    claims = json.loads((tmp_path / "out" / lab.name / "report.json").read_text())["claims"]
    assert {c["id"]: c["result"] for c in claims if c["id"] in ("F1", "F2")} == {"F1": "pass", "F2": "pass"}
    assert after == grader_threads
