"""How checks are declared (nnlab/checks/registry.py)."""

import json
import subprocess
import sys

import pytest

from nnlab.checks import registry
from nnlab.checks.registry import Check, Statement, check, for_role, statement


def test_a_check_for_one_role_forwards_the_role_and_the_lab_and_is_named_and_worded_for_it():
    seen = []

    def keeps_its_shape(subject, lab):
        """{role} keeps the shape of its input {unlike a dict: {x: 1}}."""
        seen.append((subject, lab))

    check = for_role(keeps_its_shape, "the spec", role="MLP", prefix="mlp")
    check("the lab")
    assert seen == [("the spec", "the lab")]
    assert check.__name__ == "mlp_keeps_its_shape"
    assert check.__doc__ == "MLP keeps the shape of its input {unlike a dict: {x: 1}}."


ORDER_AFTER_IMPORTING = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
from nnlab.checks import all_checks, all_statements
print(json.dumps([c.id for c in all_checks() + all_statements()]))
"""


def checks_in_order_after_importing(*modules: str) -> list[str]:
    run = subprocess.run([sys.executable, "-c", ORDER_AFTER_IMPORTING, *modules], capture_output=True, check=True)
    return json.loads(run.stdout)


def test_the_order_of_the_checks_does_not_depend_on_which_section_file_was_imported_first():
    # the grader's supervisor and worker compare check ids in order; a test or an adapter may import any file first
    canonical = checks_in_order_after_importing()
    assert checks_in_order_after_importing("nnlab.checks.module_properties", "nnlab.checks.chapter.hooks") == canonical
    assert checks_in_order_after_importing("nnlab.checks.parameters") == canonical


def test_check_and_statement_register_the_function_they_decorate_unchanged_with_what_they_are_given(monkeypatch):
    monkeypatch.setattr(registry, "CHECKS", [])
    monkeypatch.setattr(registry, "STATEMENTS", [])

    def as_documented(lab):
        """What the documents' code does."""

    def truth():
        """What holds instead."""

    def keeps_its_shape(lab):
        """The layer keeps its input's shape."""

    def as_worded():
        """The documents' wording."""

    assert check("X1", documented=as_documented)(keeps_its_shape) is keeps_its_shape
    assert statement("X1", truth, "refuted")(as_worded) is as_worded
    assert registry.CHECKS == [Check("X1", keeps_its_shape, as_documented)]
    assert registry.CHECKS[0].documented is as_documented
    assert registry.STATEMENTS == [Statement("X1", as_worded, truth, "refuted")]
    assert (registry.STATEMENTS[0].truth, registry.STATEMENTS[0].when_wrong) == (truth, "refuted")


def test_a_statement_is_refused_unless_wrong_means_qualified_or_refuted():
    with pytest.raises(ValueError, match="when_wrong must be 'qualified' or 'refuted', got 'wrong'."):
        statement("X1", lambda: None, "wrong")
