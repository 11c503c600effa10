"""The ledger's own rules: how test outcomes combine into a claim's verdict."""

import pytest

from tests.ledger import Ledger, render_markdown


def ledger_with(*results):
    """A ledger where claim L1 has the given ``(outcome, verdict, why)`` results, one test each."""
    ledger = Ledger(config=None)
    for i, result in enumerate(results):
        ledger.tests["L1"][f"tests/test_x.py::test_{i}"] = result
    return ledger


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ([], "untested"),
        ([("skipped", "holds", "")], "untested"),
        ([("passed", "holds", "")], "holds"),
        ([("passed", "holds", ""), ("passed", "qualified", "only when")], "qualified"),
        ([("passed", "qualified", "only when"), ("passed", "refuted", "false")], "refuted"),
        ([("passed", "refuted", "false"), ("failed", "holds", "")], "failed"),
        ([("passed", "refuted", "false"), ("skipped", "holds", "")], "refuted"),
    ],
    ids=["none", "skipped", "holds", "qualified-wins", "refuted-wins", "failure-wins", "skip-ignored"],
)
def test_verdict_is_failed_else_strongest_passing_verdict(results, expected):
    assert ledger_with(*results).verdict("L1")[0] == expected


def test_why_comes_from_the_tests_behind_the_verdict():
    ledger = ledger_with(("passed", "holds", "plain"), ("passed", "refuted", "wrong"), ("passed", "refuted", "wrong"))
    assert ledger.verdict("L1") == ("refuted", ["wrong"])


def test_every_catalogued_claim_appears_in_the_ledger_tested_or_not():
    ledger = ledger_with(("passed", "holds", ""))
    rows = ledger.rows()
    assert [row["id"] for row in rows] == list(ledger.catalogue)
    assert {row["verdict"] for row in rows} == {"holds", "untested"}
    assert "| **L1**" in render_markdown(rows)
