"""The ledger's own rules: how check results and test outcomes combine into a claim's verdict."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.ledger import Ledger, render_markdown


def result(claim: str, outcome: str, check: str = "a_property") -> dict:
    return {"claim": claim, "check": check, "result": outcome, "detail": f"{check} gave {outcome}"}


def ledger_with(claim="L7", tests=(), **results) -> Ledger:
    """A ledger where ``claim`` has these marked-test outcomes and ``implementation=result`` check results."""
    ledger = Ledger(run="now")
    for i, outcome in enumerate(tests):
        ledger.tests[claim][f"tests/test_x.py::test_{i}"] = outcome
    for implementation, outcome in results.items():
        ledger.add_result(implementation, result(claim, outcome))
    return ledger


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ({}, "untested"),
        ({"nnlab": "pass", "report": "pass"}, "holds"),
        ({"nnlab": "pass", "report": "qualified"}, "qualified"),
        ({"nnlab": "pass", "report": "fail"}, "refuted"),
        ({"nnlab": "pass", "report": "pass", "torch": "fail"}, "refuted"),
        ({"nnlab": "pass", "report": "qualified", "torch": "pass"}, "qualified"),
        ({"nnlab": "fail", "report": "qualified"}, "failed"),
        ({"nnlab": "missing", "report": "pass"}, "failed"),
        ({"torch": "error"}, "failed"),
        ({"nnlab": "pass", "report": "missing"}, "untested"),
    ],
    ids=[
        "none",
        "holds",
        "qualified",
        "refuted",
        "torch-refutes",
        "worst-wins",
        "reference-fails",
        "reference-lacks-a-role",
        "statement-wrong",
        "document-lacks-a-role",
    ],
)
def test_verdict_follows_from_the_documents_result_when_the_reference_passes(results, expected):
    assert ledger_with(**results).verdict("L7")[0] == expected


def test_the_chapters_result_decides_t_claims_and_the_reports_is_ignored():
    ledger = ledger_with("T12", nnlab="pass", chapter="qualified", report="fail")
    assert ledger.verdict("T12")[0] == "qualified"


def test_a_failing_marked_test_fails_the_claim_whatever_the_results():
    assert ledger_with(tests=("passed", "failed"), nnlab="pass", report="pass").verdict("L7")[0] == "failed"


def test_passing_marked_tests_alone_say_holds_and_why():
    verdict, why = ledger_with(tests=("passed",)).verdict("L7")
    assert (verdict, why) == ("holds", "no check of the documents' code; nnlab's tests pass")


def test_why_is_the_detail_of_the_result_behind_the_verdict():
    assert ledger_with(nnlab="pass", report="qualified").verdict("L7")[1] == "[a_property] a_property gave qualified"


def test_every_catalogued_claim_appears_in_the_ledger_with_its_results():
    ledger = ledger_with(nnlab="pass", report="qualified")
    rows = ledger.rows()
    assert [row["id"] for row in rows] == list(ledger.catalogue)
    l7 = next(row for row in rows if row["id"] == "L7")
    assert l7["results"]["report"] == {
        "result": "qualified",
        "detail": "[a_property] a_property gave qualified",
        "partial": False,
        "run": "now",
    }
    assert "| **L7**" in render_markdown(rows, "now") and "| qualified | qualified |  | pass |" in render_markdown(
        rows, "now"
    )


L7_CHECK = "L7:parallel_block_concatenates_for_any_widths"  # registered checks, so an earlier result of theirs is kept
L1_CHECK = "L1:mlp_maps_any_batch_to_its_output_width"


def test_a_partial_run_keeps_earlier_results_marked_with_their_run(tmp_path):
    earlier = Ledger(run="now")
    earlier.add_result("report", result("L7", "qualified", L7_CHECK))
    earlier.add_result("nnlab", result("L7", "pass", L7_CHECK))
    earlier.add_result("report", result("L1", "pass", L1_CHECK))
    earlier.tests["L1"]["tests/test_blocks.py::test_mlp_refuses_wrong_width_naming_it"] = "passed"
    earlier.write(tmp_path)
    partial = Ledger(run="later")
    partial.add_result("nnlab", result("L7", "pass", L7_CHECK))  # L7 runs again for nnlab only; L1 does not run
    rows = {row["id"]: row for row in partial.write(tmp_path)}
    assert rows["L7"]["verdict"] == "qualified"
    assert rows["L7"]["results"]["report"]["run"] == "now"
    assert rows["L7"]["results"]["nnlab"]["run"] == "later"
    assert rows["L1"]["kept_from"] == "now" and rows["L1"]["verdict"] == "holds"
    assert rows["L1"]["tests"] == ["tests/test_blocks.py::test_mlp_refuses_wrong_width_naming_it"]
    assert rows["L2"]["verdict"] == "untested" and "kept_from" not in rows["L2"]


def test_an_earlier_result_of_a_check_that_no_longer_exists_is_dropped(tmp_path):
    earlier = Ledger(run="now")
    earlier.add_result("report", result("C1", "fail", "C1:a_check_since_renamed"))
    earlier.write(tmp_path)
    later = Ledger(run="later")
    later.add_result("report", result("C1", "pass", "C1:centered_output_has_mean_zero"))
    later.add_result("nnlab", result("C1", "pass", "C1:centered_output_has_mean_zero"))
    row = next(row for row in later.write(tmp_path) if row["id"] == "C1")
    assert row["verdict"] == "holds" and "C1:a_check_since_renamed" not in row["checks"]["report"]


def test_a_measured_result_is_kept_until_measured_again(tmp_path):
    earlier = Ledger(run="now")
    earlier.add_result("report", {**result("M3", "fail", "M3:tanh_ends_at_the_texts_0_8335"), "measured": True})
    earlier.write(tmp_path)
    row = next(row for row in Ledger(run="later").write(tmp_path) if row["id"] == "M3")
    assert (row["verdict"], row["kept_from"]) == ("refuted", "now")


def test_a_document_lacking_a_role_is_untested_never_holds():
    ledger = ledger_with(tests=("passed",), nnlab="pass")
    ledger.add_result("report", result("L7", "qualified", "L7:first"))
    ledger.add_result("report", result("L7", "missing", "L7:second"))
    assert ledger.verdict("L7")[0] == "qualified"
    ledger.add_result("report", result("L7", "pass", "L7:first"))
    assert ledger.verdict("L7")[0] == "untested"


def test_nnlab_lacking_a_role_fails_the_claim_even_where_the_checks_it_could_run_pass():
    ledger = ledger_with(tests=("passed",), report="pass")
    ledger.add_result("nnlab", result("L7", "pass", "L7:first"))
    assert ledger.verdict("L7")[0] == "holds"
    ledger.add_result("nnlab", result("L7", "missing", "L7:second"))
    verdict, why = ledger.verdict("L7")
    assert verdict == "failed" and why.startswith("nnlab's reference is partial")


def test_results_from_another_torch_are_not_kept(tmp_path):
    ledger_with(nnlab="pass", report="qualified").write(tmp_path)
    stale = json.loads((tmp_path / "ledger.json").read_text())
    (tmp_path / "ledger.json").write_text(json.dumps({**stale, "torch": "1.0.0"}))
    rows = {row["id"]: row for row in Ledger(run="later").write(tmp_path)}
    assert rows["L7"]["verdict"] == "untested"


def test_an_unknown_claim_is_refused():
    ledger = Ledger()
    with pytest.raises(pytest.UsageError, match="not in claims.toml"):
        ledger.check_known("Z9", "tests/test_x.py::test")


SUITE = """
import pytest
from nnlab.checks.run import Result

@pytest.mark.claim("L7")
@pytest.mark.parametrize("n", range(4))
def test_result(n, record_result, evidence):
    implementation = "report" if n % 2 else "nnlab"
    record_result(implementation, Result(f"L7:check_{n}", "L7", "qualified" if n == 3 else "pass", f"detail {n}"))
    evidence("L7", f"evidence {n}")
"""


def test_pytest_n_2_hands_the_workers_results_to_the_controllers_ledger(tmp_path):
    (tmp_path / "test_suite.py").write_text(SUITE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    root = Path(__file__).parents[1]
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(tmp_path),
        "-c",
        str(tmp_path / "pytest.ini"),
        "-p",
        "tests.ledger",
        "-n",
        "2",
        "-q",
        "-p",
        "no:cacheprovider",
        "--ledger-dir",
        str(tmp_path / "reports"),
    ]
    env = {**os.environ, "PYTHONPATH": str(root)}
    subprocess.run(command, cwd=tmp_path, env=env, check=True, capture_output=True, timeout=300)
    ledger = json.loads((tmp_path / "reports" / "ledger.json").read_text())
    l7 = next(row for row in ledger["claims"] if row["id"] == "L7")
    assert sorted(l7["checks"]["report"]) == ["L7:check_1", "L7:check_3"]
    assert sorted(l7["checks"]["nnlab"]) == ["L7:check_0", "L7:check_2"]
    assert (l7["verdict"], l7["why"]) == ("qualified", "[check_3] detail 3")
    assert sorted(l7["evidence"]) == [f"evidence {n}" for n in range(4)] and len(l7["tests"]) == 4
    assert ledger["torch"] == torch.__version__
