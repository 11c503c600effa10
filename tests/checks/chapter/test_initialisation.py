"""The checks of T13 (tutorial 3.6) catch the wrong code they are for and pass correct code in other styles."""

import math

import pytest
import torch
from torch import nn

from nnlab.checks import all_checks
from nnlab.tutorial import initialisation
from tests.checks.helpers import (
    another_style_failures,
    result,
    variant,
    wrong_results,
)

# ---------------------------------------------------------------- T13: initialisation


class XavierNormalDemo(initialisation.InitializationDemo):
    def __init__(self):
        super().__init__()
        nn.init.xavier_normal_(self.layers[0].weight)  # normal, not uniform, at the same variance


class DefaultInitDemo(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(10, 20), nn.Linear(20, 20), nn.Linear(20, 10), nn.Linear(10, 1)])


def identity_init(module):
    if isinstance(module, nn.Linear):
        nn.init.eye_(module.weight)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm1d):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def linear_only_init(module):
    if isinstance(module, nn.Linear):
        nn.init.orthogonal_(module.weight)
        nn.init.zeros_(module.bias)


ORTHONORMAL = "custom_init_makes_rows_or_columns_orthonormal_for_any_shape"


def test_an_identity_init_is_orthogonal_but_fails_the_random_draw_check():
    lab = variant("chapter", custom_init=identity_init)
    assert result(lab, "T13", ORTHONORMAL) == "pass"
    assert result(lab, "T13", "custom_init_draws_a_new_orthogonal_matrix_each_time") == "fail"


def test_an_answer_of_orthonormal_rows_in_a_weight_of_another_shape_is_judged_a_failure():
    # the answer is data: two orthonormal rows of 7 are no Linear(3, 2)'s weight, though their Gram matrix is I
    check = next(check for check in all_checks() if check.id == f"T13:{ORTHONORMAL}")
    with pytest.raises(AssertionError, match=r"a weight of shape \(2, 7\) in Linear\(3, 2\)"):
        check.probe.judge([2, 3], {"weight": torch.eye(2, 7), "bias": torch.zeros(2)})


# ---------------------------------------------------------------- each wrong variant above fails its checks

# (claim, the roles swapped in, {check: result} for the checks named), the id naming what is wrong
WRONG_VARIANTS = [
    pytest.param(
        "T13",
        {"InitializationDemo": XavierNormalDemo},
        {"demo_weights_follow_their_schemes_distributions": "fail"},
        id="T13 demo drawing xavier normal for uniform",
    ),
    pytest.param(
        "T13",
        {"InitializationDemo": DefaultInitDemo},
        {"demo_weights_follow_their_schemes_distributions": "fail"},
        id="T13 demo keeping the default weights",
    ),
    pytest.param(
        "T13",
        {"InitializationDemo": DefaultInitDemo},
        {"demo_biases_are_zero_except_the_normal_layers_0_1": "fail"},
        id="T13 demo keeping the default biases",
    ),
    pytest.param(
        "T13",
        {"custom_init": linear_only_init},
        {"custom_init_sets_batchnorm_to_weight_one_bias_zero": "fail"},
        id="T13 init skipping batchnorm",
    ),
]


@pytest.mark.parametrize(("claim", "roles", "expected"), WRONG_VARIANTS)
def test_the_checks_of_the_properties_a_wrong_variant_breaks_fail(claim, roles, expected):
    assert wrong_results(claim, roles, expected) == expected


# ---------------------------------------------------------------- correct, in another style


def init_demo_by_hand():
    layers = [nn.Linear(10, 20), nn.Linear(20, 20), nn.Linear(20, 10), nn.Linear(10, 1)]
    with torch.no_grad():
        a = math.sqrt(6 / 30)
        layers[0].weight.uniform_(-a, a)
        layers[1].weight.normal_(0, math.sqrt(2 / 20))
        layers[2].weight.normal_(0, 0.1)
        layers[3].weight.uniform_(-0.1, 0.1)
        for layer, b in zip(layers, (0.0, 0.0, 0.1, 0.0)):
            layer.bias.fill_(b)
    return nn.Sequential(*layers)


def qr_init(module):
    if isinstance(module, nn.Linear):
        rows, columns = module.weight.shape
        q, r = torch.linalg.qr(torch.randn(max(rows, columns), min(rows, columns)))
        q = q * torch.sign(torch.diagonal(r))
        with torch.no_grad():
            module.weight.copy_(q if rows >= columns else q.T)
            module.bias.zero_()
    elif isinstance(module, nn.BatchNorm1d):
        with torch.no_grad():
            module.weight.fill_(1.0)
            module.bias.fill_(0.0)


# Correct roles in styles that neither nnlab's reference nor examples/correct_lab (which the suite runs
# through every check) uses; each runs through only the checks of its own role.
ANOTHER_STYLE = {
    "InitializationDemo": (init_demo_by_hand, ("demo_",)),
    "custom_init": (qr_init, ("custom_init_",)),
}


@pytest.mark.parametrize("role", ANOTHER_STYLE)
def test_a_correct_role_in_another_style_passes_every_check_of_its_role(role):
    assert not another_style_failures(role, *ANOTHER_STYLE[role])
