"""The general properties' own tooling (nnlab/checks/module_properties.py)."""

import pytest
from torch import nn

from nnlab.checks.module_properties import input_width
from nnlab.checks.roles import MODULE_ROLES

MLP_ROLE = next(r for r in MODULE_ROLES if (r.section, r.role) == ("blocks", "MLP"))


def test_a_module_without_parameters_is_given_the_tables_width():
    assert input_width(MLP_ROLE, nn.ReLU()) == MLP_ROLE.input_shape[-1]


class RefusingOtherWidths(nn.Sequential):
    """784→256→10 that refuses another width with its own guard, as a student's or nnlab's MLP may."""

    def __init__(self, refusal: type[Exception]):
        super().__init__(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
        self.refusal = refusal

    def forward(self, X):
        if X.shape[-1] != 784:
            raise self.refusal(f"expected 784 features, got {X.shape[-1]}")
        return super().forward(X)


@pytest.mark.parametrize("refusal", [ValueError, AssertionError, LookupError])
def test_a_module_that_refuses_the_tables_width_is_given_its_first_weights_input_width(refusal):
    assert input_width(MLP_ROLE, RefusingOtherWidths(refusal)) == 784
