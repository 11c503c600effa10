"""For the tests of the checks themselves: a claim's checks on a variant of the reference lab, and the statements
of some claims in this torch."""

import functools

from nnlab.checks import Result, all_checks, all_statements, run_check, run_statement
from nnlab.labs import REFERENCE


def results_of(lab, claim: str, name: str | None = None) -> dict[str, str]:
    """``{check name: result}`` for ``claim``'s checks (or the one named ``name``) on ``lab``."""
    checks = [c for c in all_checks() if c.claim == claim and (name is None or c.name == name)]
    assert checks, f"no check {name or ''} for {claim}"
    return {c.name: run_check(c, lab).result for c in checks}


def result(lab, claim: str, name: str) -> str:
    """The result of ``claim``'s check ``name`` on ``lab``."""
    return results_of(lab, claim, name)[name]


def variant(section: str, **roles):
    """The reference lab with ``roles`` of ``section`` swapped in."""
    return REFERENCE.replace("variant", **{section: roles})


def not_passing(lab, claims: tuple[str, ...]) -> dict[str, str]:
    """``{check id: detail}`` of the checks of ``claims`` that do not pass on ``lab``."""
    return {r.check: r.detail for c in all_checks() if c.claim in claims and (r := run_check(c, lab)).result != "pass"}


def wrong_results(claim: str, roles: dict, expected: dict[str, str]) -> dict[str, str]:
    """``{check name: result}`` for the checks of ``claim`` named in ``expected``, with the chapter's ``roles``."""
    lab = variant("chapter", **roles)
    return {name: outcome for n in expected for name, outcome in results_of(lab, claim, n).items()}


def another_style_failures(role: str, written: object, prefixes: tuple[str, ...]) -> dict[str, str]:
    """``{check id: detail}`` of the T11 to T20 checks of ``role`` (names starting with ``prefixes``) that fail
    the reference lab with ``written`` as the chapter's ``role``."""
    lab = REFERENCE.replace("another style", chapter={role: written})
    checks = [c for c in all_checks() if c.claim in {f"T{i}" for i in range(11, 21)} and c.name.startswith(prefixes)]
    assert checks, f"no checks of {role}"
    return {c.id: r.detail for c in checks if (r := run_check(c, lab)).result != "pass"}


@functools.cache
def statement_results(*claims: str) -> dict[str, Result]:
    """``{statement name: Result}`` for the statements of ``claims``, run once."""
    results = {s.name: run_statement(s) for s in all_statements() if s.claim in claims}
    assert results, f"no statement of {claims}"
    return results


def statements_not_passing(*claims: str) -> dict[str, str]:
    """``{statement name: result}`` for the statements of ``claims`` that do not pass in this torch."""
    return {name: r.result for name, r in statement_results(*claims).items() if r.result != "pass"}
