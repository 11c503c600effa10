"""The general properties' own tooling (nnlab/checks/module_properties.py)."""

import importlib

import pytest
from torch import nn

from nnlab.checks.module_properties import input_width
from nnlab.checks.roles import MODULE_ROLES
from tests.checks.test_blocks import RefusingOtherWidths

MLP_ROLE = next(r for r in MODULE_ROLES if (r.section, r.role) == ("blocks", "MLP"))


def test_a_module_without_parameters_is_given_the_tables_width():
    assert input_width(MLP_ROLE, nn.ReLU()) == MLP_ROLE.input_shape[-1]


@pytest.mark.parametrize("refusal", [ValueError, AssertionError, LookupError])
def test_a_module_that_refuses_the_tables_width_is_given_its_first_weights_input_width(refusal):
    assert input_width(MLP_ROLE, RefusingOtherWidths(refusal)) == 784


DOCUMENTED = [(role, prop) for role in MODULE_ROLES for prop in role.documented]


@pytest.mark.parametrize(("role", "prop"), DOCUMENTED, ids=[f"{r.role} {p}" for r, p in DOCUMENTED])
def test_each_documented_probe_the_table_names_is_found_under_its_file_and_name(role, prop):
    file, _, name = role.documented[prop].rpartition(".")
    probe = role.documented_probe(prop)
    assert probe is not None and probe is vars(importlib.import_module(f"nnlab.checks.{file}"))[name]


def test_a_property_the_documents_are_not_wrong_about_has_no_documented_probe():
    assert MLP_ROLE.documented_probe("every_parameter_gets_a_gradient") is None
