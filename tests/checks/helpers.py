"""Running one claim's checks on a variant of the reference lab, for the tests of the checks themselves."""

from nnlab.checks import all_checks, run_check
from nnlab.labs import REFERENCE


def results_of(lab, claim: str, name: str | None = None) -> dict[str, str]:
    """``{check name: result}`` for ``claim``'s checks (or the one named ``name``) on ``lab``."""
    checks = [c for c in all_checks() if c.claim == claim and (name is None or c.name == name)]
    assert checks, f"no check {name or ''} for {claim}"
    return {c.name: run_check(c, lab).result for c in checks}


def variant(section: str, **roles):
    """The reference lab with ``roles`` of ``section`` swapped in."""
    return REFERENCE.replace("variant", **{section: roles})
