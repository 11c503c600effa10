"""The claim checks of ``nnlab.checks``, run on every implementation the suite knows; their results feed the ledger.

- nnlab's reference must pass every check: it is the corrected lab.
- The documents' code (``report`` for L, P, C, F claims, ``chapter`` for T
  claims) gets whatever result its behaviour earns; a reproduction that lacks
  a role is a bug in the reproduction.
- The documents' statements about torch are checked against the installed
  torch; a statement whose correction does not hold either is a wrong check.
"""

import pytest

from nnlab.checks import all_checks, all_statements, run_check, run_statement
from nnlab.labs import DOCUMENT_OF_CLAIM, LABS


def runs():
    for check in all_checks():
        for implementation in ("nnlab", DOCUMENT_OF_CLAIM[check.claim[0]]):
            yield pytest.param(
                implementation, check, id=f"{implementation}-{check.id}", marks=pytest.mark.claim(check.claim)
            )


@pytest.mark.parametrize(("implementation", "check"), runs())
def test_check(implementation, check, claim_result):
    result = run_check(check, LABS[implementation])
    claim_result(implementation, result)
    if implementation == "nnlab":
        assert result.result == "pass", result.detail
    else:
        assert result.result != "missing", f"the {implementation} reproduction lacks a role: {result.detail}"


@pytest.mark.parametrize(
    "statement", [pytest.param(s, id=s.id, marks=pytest.mark.claim(s.claim)) for s in all_statements()]
)
def test_statement(statement, claim_result):
    result = run_statement(statement)
    claim_result("torch", result)
    assert result.result != "error", result.detail
