"""The lab's claim checks, written against whatever implementation is under check.

Checks ship in the package, one file per section of the report and one per
topic of the chapter (``nnlab.checks.chapter``), so they run on any
implementation: nnlab's own (``nnlab.labs.reference``), the documents' code as
nnlab reproduces it (``nnlab.labs.report_code``, ``nnlab.labs.chapter_code``),
a student's file, a whole class's submissions.

From your own pytest suite, like scikit-learn's ``parametrize_with_checks``::

    from nnlab.checks import load_lab, parametrize_with_checks

    @parametrize_with_checks(load_lab("my_lab/"))
    def test_my_lab(lab, check):
        check(lab)

Or with no test file: ``pytest --nnlab-lab my_lab/`` (``nnlab.pytest_plugin``). Both run each check under the
grader's hypothesis settings (``nnlab.checks.graders_settings``), so they give ``nnlab check``'s results. Or without
pytest: ``run_all(lab)`` gives every check's ``Result``, under the hypothesis profile loaded.

A check's failure is its assertion's message, the same in every process. pytest rewrites the asserts of every
package whose distribution declares a ``pytest11`` plugin, as nnlab's does, and a rewritten assert adds its
operands' reprs (a bound method's memory address among them) to the message: each module of checks says
``PYTEST_DONT_REWRITE`` in its docstring, so that a pytest run reports what ``nnlab check`` reports.
"""

import importlib

from nnlab.checks.graders_settings import graded
from nnlab.checks.lab import SECTIONS, Lab, RoleMissing, load_lab
from nnlab.checks.registry import CHECKS, STATEMENTS, Check, Statement, check, statement
from nnlab.checks.run import RESULTS, ClaimResult, Result, claim_result, run_check, run_statement

# the files that declare checks, in the lab's order (the chapter's topics in claim order); importing one registers
# its checks
CHECK_FILES = (
    "blocks",
    "parameters",
    "layers",
    "fileio",
    "classifier",
    "chapter.modules",
    "chapter.common_layers",
    "chapter.hooks",
    "chapter.custom_layers",
    "chapter.initialisation",
    "chapter.architectures",
    "chapter.efficiency",
    "chapter.debugging",
    "module_properties",
)


def all_checks() -> list[Check]:
    """Every check, in the lab's order whatever order its files were imported in.

    The grader's supervisor and its worker each call this and must agree check by check, though a test, an adapter
    or a submission may have imported a section file first.
    """
    return in_file_order(CHECKS)


def all_statements() -> list[Statement]:
    return in_file_order(STATEMENTS)


def in_file_order(registered: list) -> list:
    """``registered`` sorted by its declaring file's place in CHECK_FILES (a file elsewhere: last), then as declared."""
    for name in CHECK_FILES:
        importlib.import_module(f"nnlab.checks.{name}")
    position = {f"nnlab.checks.{name}": i for i, name in enumerate(CHECK_FILES)}
    return sorted(registered, key=lambda each: position.get(each.function.__module__, len(position)))


def run_all(lab: Lab) -> list[Result]:
    return [run_check(c, lab) for c in all_checks()]


class CheckFailed(AssertionError):
    """A check did not pass; the message is its result and detail."""


def assert_passed(result: Result) -> None:
    """As a pytest test: return on ``pass``, skip ``missing`` with its detail, else raise ``CheckFailed``."""
    import pytest

    if result.result == "missing":
        pytest.skip(result.detail)
    if result.result != "pass":
        raise CheckFailed(f"{result.result}: {result.detail}")


def parametrize_with_checks(lab: Lab):
    """A pytest ``parametrize`` over every check for ``lab``: the test gets ``lab`` and ``check``.

    ``check(lab)`` runs the check under the grader's hypothesis settings, whatever profile your suite loads, so it
    gives ``nnlab check``'s result; it raises ``CheckFailed`` unless the check passes; a missing role skips.
    """
    import pytest

    def run(check: Check):
        def assert_passes(lab: Lab) -> None:
            assert_passed(graded(check, lab))

        return assert_passes

    checks = all_checks()
    return pytest.mark.parametrize(
        ("lab", "check"), [(lab, run(c)) for c in checks], ids=[f"{lab.name}-{c.id}" for c in checks]
    )


__all__ = [
    "CHECKS",
    "RESULTS",
    "SECTIONS",
    "STATEMENTS",
    "Check",
    "CheckFailed",
    "ClaimResult",
    "Lab",
    "Result",
    "RoleMissing",
    "Statement",
    "all_checks",
    "all_statements",
    "check",
    "claim_result",
    "load_lab",
    "parametrize_with_checks",
    "run_all",
    "run_check",
    "run_statement",
    "statement",
]
