"""Every registered check fails at least one wrong lab of the suite: no check passes whatever it is given.

The wrong labs, and the checks each must fail, are ``wrong_labs.WRONG_LABS``; only those pairs run. That the reference
lab passes every check is ``tests/test_claims.py``'s ``test_check`` (its ``nnlab-`` cases), not repeated here.
"""

import pytest

from nnlab.checks import all_checks, run_check
from tests.checks.wrong_labs import WRONG_LABS

# {check id: why no wrong lab fails it}, for a check whose property no implementation of its roles can lack
EXEMPT: dict[str, str] = {}

CHECKS = {c.id: c for c in all_checks()}
DECLARED = {check_id for wrong in WRONG_LABS for check_id in wrong.fails}


def test_every_registered_check_is_the_target_of_a_wrong_lab_or_exempt_with_a_reason():
    uncaught = sorted(set(CHECKS) - DECLARED - set(EXEMPT))
    assert not uncaught, f"no wrong lab is declared to fail {uncaught}: add one to wrong_labs.py"
    unexplained = [check_id for check_id, reason in EXEMPT.items() if not reason.strip()]
    assert not unexplained, f"exempt without a reason: {unexplained}"


def test_the_table_and_the_exemptions_name_only_registered_checks_and_exempt_none_a_wrong_lab_fails():
    unknown = sorted((DECLARED | set(EXEMPT)) - set(CHECKS))
    assert not unknown, f"no check is registered as {unknown}"
    needless = sorted(DECLARED & set(EXEMPT))
    assert not needless, f"exempt, yet a wrong lab is declared to fail them: {needless}"


def test_each_wrong_lab_has_a_name_of_its_own_and_a_check_to_fail():
    names = [wrong.name for wrong in WRONG_LABS]
    assert sorted({name for name in names if names.count(name) > 1}) == []
    assert [wrong.name for wrong in WRONG_LABS if not wrong.fails] == []


PAIRS = [
    pytest.param(wrong.lab, check_id, id=f"{wrong.name} fails {check_id}")
    for wrong in WRONG_LABS
    for check_id in wrong.fails
    if check_id in CHECKS  # an unknown id fails the test above instead
]


@pytest.mark.parametrize(("lab", "check_id"), PAIRS)
def test_a_wrong_lab_fails_each_check_it_is_declared_to_fail(lab, check_id):
    outcome = run_check(CHECKS[check_id], lab)
    assert outcome.result == "fail", f"{outcome.result}: {outcome.detail}"
