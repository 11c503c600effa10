"""The general properties' own tooling (nnlab/checks/module_properties.py)."""

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
