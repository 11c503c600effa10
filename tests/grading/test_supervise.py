"""The supervisor's side of the worker protocol, against a scripted worker: what each way of going wrong costs.

tests/grading/test_pathological.py shows real labs going wrong end to end; here
the worker is tests/grading/scripted_worker.py, so each case takes a fraction
of a second and every line of the supervisor, the reports, the summary and
Gradescope's results runs in this process.
"""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from nnlab.checks import all_checks
from nnlab.cli import main
from nnlab.grading import supervise
from nnlab.grading.gradescope import gradescope_results
from nnlab.grading.submission_report import build_report, report_markdown
from nnlab.grading.supervise import Limits, check_submission

SCRIPTED_WORKER = Path(__file__).with_name("scripted_worker.py")
LIMITS = Limits(timeout=30, check_timeout=1)
CHECKS = [(c.id, c.claim) for c in all_checks()]
FIRST, SECOND, LAST = CHECKS[0][0], CHECKS[1][0], CHECKS[-1][0]
FORGED = "wrote into nnlab's result channel (a forged or garbled result)"


@pytest.fixture(autouse=True)
def scripted_worker(monkeypatch):
    monkeypatch.setattr(supervise, "WORKER", [str(SCRIPTED_WORKER)])


@dataclass
class Script:
    """What the scripted worker does: see scripted_worker.py."""

    results: dict[str, list[str]] = field(default_factory=dict)  # check ID -> [result, detail]; the rest pass
    at: dict[str, str] = field(default_factory=dict)  # "loading", "order" or a check ID -> what goes wrong there
    roles: dict[str, list[str]] = field(default_factory=dict)  # check ID -> the roles it looks up
    error: str | None = None  # the submission's error while loading
    restored: list[str] = field(default_factory=list)
    printed: str = ""
    seconds_a_check: float = 0.0

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**asdict(self), "checks": CHECKS}))
        return path


def checked(tmp_path: Path, script: Script, limits: Limits = LIMITS) -> supervise.Checked:
    return check_submission(script.write(tmp_path / "lab.json"), "lab", limits)


def test_a_worker_that_reports_every_check_leaves_each_result_as_it_reported_it(tmp_path):
    script = Script(results={SECOND: ["fail", "the second check's counterexample"]}, restored=["torch.allclose"])
    outcome = checked(tmp_path, script)
    assert (outcome.status, outcome.error, outcome.restored) == ("checked", None, ["torch.allclose"])
    assert [r.check for r in outcome.results.values()] == [check for check, _ in CHECKS]
    assert {check: r.result for check, r in outcome.results.items() if r.result != "pass"} == {SECOND: "fail"}
    assert outcome.results[SECOND].detail == "the second check's counterexample"


@pytest.mark.parametrize(
    ("script", "status", "error"),
    [
        (Script(error="could not be loaded: NameError: nn"), "error", "could not be loaded: NameError: nn"),
        (Script(at={"loading": "hang"}), "timeout", "loading did not finish within 1 s: a loop or a download"),
        (Script(at={"loading": "exit"}), "error", "the process exited with status 3 while loading"),
        (Script(at={"loading": "crash"}), "error", "the process was killed by SIGSEGV while loading"),
        (Script(at={"loading": "forge"}), "error", FORGED),
        (Script(at={FIRST: "garble"}), "error", FORGED),
        (Script(at={"order": "swapped"}), "error", FORGED),
        (Script(at={SECOND: "forge"}), "error", FORGED),
        (Script(seconds_a_check=0.02), "timeout", "ran past its limit of 2 s"),
    ],
    ids=[
        "load error",
        "hangs loading",
        "exits loading",
        "crashes loading",
        "forges",
        "garbles",
        "reorders",
        "forges later",
        "too slow in all",
    ],
)
def test_a_worker_that_goes_wrong_ends_its_submission_with_a_reason_and_every_other_check_not_run(
    tmp_path, script, status, error
):
    outcome = checked(tmp_path, script, Limits(timeout=2, check_timeout=1))
    assert (outcome.status, outcome.error.startswith(error)) == (status, True), outcome.error
    not_run = [r for r in outcome.results.values() if r.result == "error"]
    assert not_run and all(r.detail == f"not run: {outcome.error}" for r in not_run)
    # what was reported before it went wrong stands, and nothing is reported twice or lost
    assert sorted(outcome.results) == sorted(check for check, _ in CHECKS)
    assert all(r.result == "pass" for r in outcome.results.values() if r not in not_run)


def test_a_check_that_hangs_fails_alone_and_the_later_checks_of_its_role_fail_without_running(tmp_path):
    role = "blocks.ParallelBlock"
    script = Script(at={FIRST: "hang"}, roles={FIRST: ["blocks.MLP", role], LAST: [role], SECOND: ["blocks.MLP"]})
    outcome = checked(tmp_path, script)
    assert (outcome.status, outcome.hung_roles) == ("checked", {role: FIRST})
    hung = outcome.results[FIRST]
    assert hung.result == "fail"
    assert hung.detail.endswith(f"did not finish within 1 s (the per-check limit) in {role}: a loop that never ends?")
    # the fresh worker was told which role hung: the scripted one fails the later check that needs it
    assert (outcome.results[LAST].result, outcome.results[LAST].detail) == ("fail", f"not run: {role} hung in {FIRST}")
    assert all(r.result == "pass" for check, r in outcome.results.items() if check not in (FIRST, LAST))


@pytest.mark.parametrize(("what", "why"), [("crash", "was killed by SIGSEGV"), ("exit", "exited with status 3")])
def test_a_check_whose_worker_dies_fails_alone_and_a_fresh_worker_runs_the_rest(tmp_path, what, why):
    outcome = checked(tmp_path, Script(at={SECOND: what}))
    assert (outcome.status, outcome.hung_roles) == ("checked", {})
    assert outcome.results[SECOND].result == "fail"
    assert outcome.results[SECOND].detail.endswith(f": the process {why} during this check")
    assert all(r.result == "pass" for check, r in outcome.results.items() if check != SECOND)


def test_output_past_the_limit_stops_the_submission_and_its_first_mib_is_kept(tmp_path):
    outcome = checked(tmp_path, Script(printed="epoch 1\n", at={FIRST: "print"}), Limits(output_mib=0.5))
    assert (outcome.status, outcome.error) == ("error", "runaway output: printed more than 0.5 MiB")
    assert outcome.output.startswith(b"epoch 1\nxxx") and len(outcome.output) <= supervise.OUTPUT_KEPT


def test_the_report_tells_each_claim_its_checks_results_and_what_was_put_back(tmp_path):
    claim = CHECKS[1][1]
    outcome = checked(tmp_path, Script(results={SECOND: ["fail", "Y differs"]}, restored=["torch.allclose"]))
    report = build_report(outcome)
    failed = [c for c in report["claims"] if c["result"] != "pass"]
    assert [(c["id"], c["partial"]) for c in failed] == [(claim, False)]
    assert {"check": SECOND, "result": "fail", "detail": "Y differs"} in failed[0]["checks"]
    markdown = report_markdown(report)
    assert "Put back after loading (the submission had changed them): torch.allclose." in markdown
    assert f"### {SECOND} (fail)\n\n```text\nY differs\n```" in markdown
    results = gradescope_results(report)
    assert results["score"] == len(report["claims"]) - 1
    assert [t["name"].split(":")[0] for t in results["tests"] if t["status"] == "failed"] == [claim]


def test_nnlab_check_on_a_batch_writes_each_report_the_summary_and_exits_1_for_a_failure(tmp_path, capsys):
    good, bad = Script(), Script(results={SECOND: ["fail", "wrong"]})
    paths = [good.write(tmp_path / "a" / "lab.json"), bad.write(tmp_path / "b" / "lab.json")]
    out = tmp_path / "out"
    assert main(["check", *map(str, paths), "--out", str(out), "--jobs", "2"]) == 1
    assert (
        main(["check", str(paths[0]), "--out", str(tmp_path / "alone"), "--gradescope", str(tmp_path / "g.json")]) == 0
    )
    # the same file name twice: the second submission is told apart, in the order given
    summary = json.loads((out / "summary.json").read_text())
    assert [s["submission"] for s in summary["submissions"]] == ["lab", "lab-2"]
    assert [s["counts"]["fail"] for s in summary["submissions"]] == [0, 1]
    assert {c["id"]: c["counts"]["fail"] for c in summary["claims"] if c["counts"]["fail"]} == {CHECKS[1][1]: 1}
    assert (out / "summary.png").stat().st_size > 0
    assert "| lab-2 | checked |" in (out / "summary.md").read_text()
    assert json.loads((tmp_path / "g.json").read_text())["score"] == len(summary["claims"])
    assert "[2/2] lab" in capsys.readouterr().out
