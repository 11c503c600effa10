"""Untrusted code: each pathological sample lab ends in a report with a one-line reason, and the batch finishes."""

import pytest

from tests.grading.conftest import BATCH

pytestmark = pytest.mark.xdist_group("grading")  # one batch run, shared by the tests on one worker

NOT_LOADED = [
    ("syntax_error", "error", "could not be loaded: SyntaxError: expected ':' (syntax_error.py, line 4)"),
    (
        "raises_at_import",
        "error",
        "FileNotFoundError: [Errno 2] No such file or directory: 'weights.pt' (raises_at_import.py, line 5)",
    ),
    ("exits_at_import", "error", "could not be loaded: called sys.exit(0)"),
    ("hangs_at_import", "timeout", "loading did not finish within 20 s"),
    ("prints_forever", "error", "runaway output: printed more than 32 MiB"),
    ("eats_memory", "memory", "ran out of its 2 GiB of memory while loading"),
]


@pytest.mark.parametrize(("name", "status", "reason"), NOT_LOADED, ids=[case[0] for case in NOT_LOADED])
def test_a_submission_that_cannot_be_loaded_gets_a_report_saying_why(batch, name, status, reason):
    report = batch.report(name)
    assert (report["status"], report["submission"], reason in report["error"]) == (status, name, True), report["error"]
    assert "\n" not in report["error"]
    assert {c["result"] for c in report["claims"]} == {"error"}
    assert all(c["detail"].endswith(f"not run: {report['error']}") for c in report["claims"])
    assert f"Status: **{status}** ({report['error']})" in (batch.out / name / "report.md").read_text()


def test_the_batch_finishes_with_a_report_for_every_submission_and_exit_status_1(batch):
    assert batch.exit_status == 1
    assert sorted(p.parent.name for p in batch.out.glob("*/report.json")) == sorted(
        p.stem if p.is_file() else p.name for p in BATCH
    )


def test_a_hang_in_one_check_costs_that_check_not_the_others(batch):
    report = batch.report("hangs_in_forward")
    assert report["status"] == "checked" and report["error"] is None
    hung = batch.claim("hangs_in_forward", "L7")
    assert hung["result"] == "fail"
    first, *later = hung["checks"]
    assert "did not finish within 20 s (the per-check limit) in blocks.ParallelBlock" in first["detail"]
    # the role that hung is not run again: the later checks that need it fail at once, naming the first
    assert later and all(
        f"not run: blocks.ParallelBlock did not finish within the per-check limit in {first['check']}" in c["detail"]
        for c in later
    )
    # the checks after the hang ran in a fresh worker, and the section's correct role kept its results
    assert batch.claim("hangs_in_forward", "L1")["result"] == "pass"
    assert batch.claim("hangs_in_forward", "L2")["result"] == "pass"


def test_what_a_submission_prints_is_kept_beside_its_report_up_to_a_mib(batch):
    printed = (batch.out / "prints_forever" / "output.txt").read_bytes()
    assert len(printed) == 2**20 and printed.startswith(b"epoch loss ===")
    assert not (batch.out / "per_row_centering" / "output.txt").exists()
