"""The claim checks of ``nnlab.checks``, run on every implementation the suite knows; their results feed the ledger.

- nnlab's reference must pass every check: it is the corrected lab. So must
  ``examples/correct_lab``, a correct lab written unlike nnlab: a check it
  fails is a false alarm.
- The documents' code (``report`` for L, P, C, F claims, ``chapter`` for T
  claims) and the documents' statements about torch get exactly the result
  ``expected_results.toml`` declares for them (``pass`` where it declares
  nothing): the suite's verdicts are pinned, so a reproduction, a check or a
  torch that changes one fails here, whichever way it changes.
"""

import sys
from pathlib import Path

import pytest
import torch
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from nnlab.checks import all_checks, all_statements, load_lab, run_check, run_statement
from nnlab.labs import DOCUMENT_OF_CLAIM, LABS

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

EXAMPLE = Path(__file__).parents[1] / "examples" / "correct_lab"
EXPECTED_RESULTS = Path(__file__).with_name("expected_results.toml")
EXPECTED = tomllib.loads(EXPECTED_RESULTS.read_text())


def expected_result(implementation: str, check_id: str, torch_version: str = torch.__version__) -> str:
    """What ``expected_results.toml`` declares for ``check_id`` on ``implementation`` under this torch."""
    declared = EXPECTED.get(implementation, {}).get(check_id, "pass")
    if isinstance(declared, str):
        return declared
    release = Version(Version(torch_version).base_version)  # a nightly or NGC build (2.6.0a0+...) as its release
    matching = [result for versions, result in declared.items() if release in SpecifierSet(versions)]
    if len(matching) != 1:
        raise ValueError(
            f"{EXPECTED_RESULTS.name}: {check_id} on {implementation} declares {len(matching)} results for torch "
            f"{torch_version} ({declared}); give each version range one result, with no gap or overlap."
        )
    return matching[0]


def assert_expected(implementation: str, result) -> None:
    expected = expected_result(implementation, result.check)
    assert result.result == expected, (
        f"{result.check} on {implementation}: {result.result}, but {EXPECTED_RESULTS.name} declares {expected}. "
        f"If the change is right, declare the new result there. Detail: {result.detail}"
    )


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
        assert_expected(implementation, result)


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
    assert_expected("torch", result)


def test_every_declared_result_names_a_registered_check_on_its_implementation():
    registered = {
        "torch": {s.id for s in all_statements()},
        **{doc: {c.id for c in all_checks() if DOCUMENT_OF_CLAIM[c.claim[0]] == doc} for doc in ("report", "chapter")},
    }
    assert set(EXPECTED) <= set(registered), f"unknown implementations in {EXPECTED_RESULTS.name}"
    stale = {impl: sorted(set(declared) - registered[impl]) for impl, declared in EXPECTED.items()}
    assert not any(stale.values()), f"{EXPECTED_RESULTS.name} declares results of no such check: {stale}"


@pytest.mark.parametrize(
    ("version", "result"),
    [
        ("2.5.1+cu121", "pass"),
        ("2.6.0", "qualified"),
        ("2.6.0a0+ecf3bae40a.nv25.01", "qualified"),
        ("2.15.0+cu132", "qualified"),
    ],
)
def test_a_version_dependent_result_is_read_for_the_running_torch(version, result):
    assert expected_result("report", "F2:whole_module_loads_back_and_reproduces_the_outputs", version) == result


def test_version_ranges_that_leave_a_torch_without_a_result_are_refused(monkeypatch):
    monkeypatch.setitem(EXPECTED, "report", {"F2:x": {"<2.6": "pass", ">2.6": "qualified"}})
    with pytest.raises(ValueError, match="declares 0 results for torch 2.6.0"):
        expected_result("report", "F2:x", "2.6.0")
