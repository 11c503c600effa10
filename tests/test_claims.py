"""The claim checks of ``nnlab.checks``, run on every implementation the suite knows; their results feed the ledger.

- nnlab's reference must pass every check: it is the corrected lab. So must
  ``examples/correct_lab``, a correct lab written unlike nnlab: a check it
  fails is a false alarm.
- The documents' code (``report`` for L, P, C, F claims, ``chapter`` for T
  claims) gets whatever result its behaviour earns; a reproduction that lacks
  a role is a bug in the reproduction.
- The documents' statements about torch are checked against the installed
  torch; a statement whose correction does not hold either is a wrong check.
"""

from pathlib import Path

import pytest

from nnlab.checks import all_checks, all_statements, load_lab, run_check, run_statement
from nnlab.labs import DOCUMENT_OF_CLAIM, LABS

EXAMPLE = Path(__file__).parents[1] / "examples" / "correct_lab"


RUNS = [
    pytest.param(implementation, check, id=f"{implementation}-{check.id}", marks=pytest.mark.claim(check.claim))
    for check in all_checks()
    for implementation in ("nnlab", DOCUMENT_OF_CLAIM[check.claim[0]])
]


@pytest.mark.parametrize(("implementation", "check"), RUNS)
def test_check(implementation, check, record_result):
    result = run_check(check, LABS[implementation])
    record_result(implementation, result)
    if implementation == "nnlab":
        assert result.result == "pass", result.detail
    else:
        assert result.result != "missing", f"the {implementation} reproduction lacks a role: {result.detail}"


@pytest.fixture(scope="module")
def example_lab():
    return load_lab(EXAMPLE)


@pytest.mark.parametrize("check", [pytest.param(c, id=c.id, marks=pytest.mark.claim(c.claim)) for c in all_checks()])
def test_a_correct_lab_in_another_style_passes(check, example_lab):
    result = run_check(check, example_lab)
    assert result.result == "pass", result.detail


@pytest.mark.parametrize(
    "statement", [pytest.param(s, id=s.id, marks=pytest.mark.claim(s.claim)) for s in all_statements()]
)
def test_statement(statement, record_result):
    result = run_statement(statement)
    record_result("torch", result)
    assert result.result != "error", result.detail
