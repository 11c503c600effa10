"""The checks of T1 to T5 (tutorial 3.1 and 3.2) catch the wrong code they are for and pass correct code."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from nnlab.labs import CHAPTER
from tests.checks.helpers import (
    not_passing,
    results_of,
    statements_not_passing,
    variant,
    wrong_results,
)

# ---------------------------------------------------------------- T1: the perceptron


class DoubleSigmoidPerceptron(nn.Module):
    """Wrong: sigmoid of a sigmoid, in [0, 1] but not the sigmoid of an affine function."""

    def __init__(self, input_size):
        super().__init__()
        self.linear = nn.Linear(input_size, 1)

    def forward(self, x):
        return torch.sigmoid(torch.sigmoid(self.linear(x)) * 4)


class ReluPerceptron(DoubleSigmoidPerceptron):
    """Wrong: a ReLU unit, unbounded above."""

    def forward(self, x):
        return F.relu(self.linear(x))


class LinearLayerPerceptron(DoubleSigmoidPerceptron):
    """Correct, in another style: nn.Linear(n, 1) and nn.Sigmoid, one element out."""

    def forward(self, x):
        return nn.Sigmoid()(self.linear(x))


def t1(perceptron):
    return results_of(variant("chapter", Perceptron=perceptron), "T1")


def test_t1_catches_a_perceptron_that_is_not_a_sigmoid_of_an_affine_function():
    assert t1(DoubleSigmoidPerceptron) == {
        "perceptron_output_is_in_the_closed_unit_interval": "pass",
        "perceptron_is_the_sigmoid_of_an_affine_function": "fail",
    }


def test_t1_passes_a_perceptron_built_from_linear_and_sigmoid_and_the_chapters_plain_class():
    assert set(t1(LinearLayerPerceptron).values()) == {"pass"}
    assert set(results_of(CHAPTER, "T1").values()) == {"pass"}


# ---------------------------------------------------------------- T2, T3: CustomModule


class CustomModuleBase(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1, self.linear2 = nn.Linear(10, 5), nn.Linear(5, 1)
        self.custom_param = nn.Parameter(torch.randn(5))
        self.register_buffer("running_mean", torch.zeros(5))

    def forward(self, x):
        return self.linear2(F.dropout(F.relu(self.linear1(x)), 0.2, self.training))


class CustomModuleWithPlainTensor(CustomModuleBase):
    """Wrong: running_mean a plain tensor attribute, not a buffer."""

    def __init__(self):
        super().__init__()
        del self._buffers["running_mean"]
        self.running_mean = torch.zeros(5)


class CustomModuleWithUnregisteredParameter(CustomModuleBase):
    """Wrong: custom_param a plain tensor that requires grad, invisible to parameters()."""

    def __init__(self):
        super().__init__()
        del self._parameters["custom_param"]
        self.custom_param = torch.randn(5, requires_grad=True)


class CustomModuleAlwaysDropping(CustomModuleBase):
    """Wrong: dropout on in eval mode too."""

    def forward(self, x):
        return self.linear2(F.dropout(F.relu(self.linear1(x)), 0.2, training=True))


class CustomModuleTrainingOnlyItself(CustomModuleBase):
    """Wrong: train() sets the module's own flag and leaves linear1 in eval mode."""

    def train(self, mode=True):
        super().train(mode)
        self.linear1.training = False
        return self


class CustomModuleEvaluatingOnlyItself(CustomModuleBase):
    """Wrong: eval() sets the module's own flag and leaves linear1 in training mode."""

    def train(self, mode=True):
        super().train(mode)
        self.linear1.training = True
        return self


class CustomModuleNeverDropping(CustomModuleBase):
    """Wrong: no dropout in train mode either."""

    def forward(self, x):
        return self.linear2(F.relu(self.linear1(x)))


@pytest.mark.parametrize(
    ("custom_module", "says"),
    [
        (CustomModuleTrainingOnlyItself, "train() left a submodule in eval mode"),
        (CustomModuleEvaluatingOnlyItself, "eval() left a submodule in training mode"),
        (CustomModuleAlwaysDropping, "dropout is still on"),
        (CustomModuleNeverDropping, "no dropout"),
    ],
)
def test_t3_modes_check_names_the_mode_switch_a_custom_module_gets_wrong(custom_module, says):
    failing = not_passing(variant("chapter", CustomModule=custom_module), ("T3",))
    detail = failing["T3:custom_module_eval_turns_dropout_off_and_train_back_on"]
    assert says in detail, detail


def test_t2_t3_pass_a_custom_module_with_functional_dropout():
    lab = variant("chapter", CustomModule=CustomModuleBase)
    assert set(results_of(lab, "T2").values()) == set(results_of(lab, "T3").values()) == {"pass"}


# ---------------------------------------------------------------- T4: counting and freezing


def count_all(model):
    """Wrong: counts frozen parameters too."""
    return sum(p.numel() for p in model.parameters())


def count_per_module(model):
    """Wrong: counts a tied parameter once per module holding it."""
    # named_modules: its remove_duplicate is older than modules()' (torch 2.1 has it)
    every_use = (m for _, m in model.named_modules(remove_duplicate=False))
    return sum(p.numel() for m in every_use for p in m.parameters(recurse=False) if p.requires_grad)


def freeze_weights_only(layer):
    """Wrong: freezes the weights and leaves the biases training."""
    for name, p in layer.named_parameters():
        if name.endswith("weight"):
            p.requires_grad = False


def unfreeze_top_level(model):
    """Wrong: unfreezes only the model's own parameters, not its submodules'."""
    for p in model.parameters(recurse=False):
        p.requires_grad = True


def test_t4_passes_freezing_written_with_requires_grad_assignment():
    def count(model):
        return sum(p.numel() for p in model.parameters() if p.requires_grad)

    def set_all(flag):
        def apply(model):
            for p in model.parameters():
                p.requires_grad = flag

        return apply

    lab = variant(
        "chapter",
        count_parameters=count,
        freeze_model=set_all(False),
        unfreeze_model=set_all(True),
        freeze_layer=set_all(False),
    )
    assert set(results_of(lab, "T4").values()) == {"pass"}


# ---------------------------------------------------------------- each wrong variant above fails its checks

FREEZE_ROUND_TRIP = "freeze_model_freezes_everything_and_unfreeze_model_restores_everything"
COUNT = "count_parameters_counts_trainable_scalars_once_each"


# (claim, the roles swapped in, {check: result} for the checks named), the id naming what is wrong
WRONG_VARIANTS = [
    pytest.param(
        "T1",
        {"Perceptron": ReluPerceptron},
        {"perceptron_output_is_in_the_closed_unit_interval": "fail"},
        id="T1 perceptron leaving the unit interval",
    ),
    pytest.param(
        "T2",
        {"CustomModule": CustomModuleWithPlainTensor},
        {"custom_module_buffer_is_saved_and_moved_but_not_trained": "fail"},
        id="T2 buffer kept as a plain tensor",
    ),
    pytest.param(
        "T2",
        {"CustomModule": CustomModuleWithUnregisteredParameter},
        {"custom_module_registers_its_bare_parameter": "fail"},
        id="T2 parameter kept as a plain tensor",
    ),
    pytest.param(
        "T3",
        {"CustomModule": CustomModuleAlwaysDropping},
        {"custom_module_eval_turns_dropout_off_and_train_back_on": "fail"},
        id="T3 dropout ignoring eval",
    ),
    pytest.param("T4", {"count_parameters": count_all}, {COUNT: "fail"}, id="T4 counting frozen parameters"),
    pytest.param(
        "T4", {"count_parameters": count_per_module}, {COUNT: "fail"}, id="T4 counting a tied parameter twice"
    ),
    pytest.param(
        "T4",
        {"freeze_layer": freeze_weights_only, "freeze_model": freeze_weights_only},
        {"freeze_layer_touches_only_that_layer": "fail", FREEZE_ROUND_TRIP: "fail"},
        id="T4 freezing only the weights",
    ),
    pytest.param(
        "T4",
        {"unfreeze_model": unfreeze_top_level},
        {FREEZE_ROUND_TRIP: "fail"},
        id="T4 unfreezing only the top level",
    ),
]


@pytest.mark.parametrize(("claim", "roles", "expected"), WRONG_VARIANTS)
def test_the_checks_of_the_properties_a_wrong_variant_breaks_fail(claim, roles, expected):
    assert wrong_results(claim, roles, expected) == expected


# ---------------------------------------------------------------- statements about torch


def test_the_t1_to_t5_statements_hold_in_this_torch_but_the_open_interval_one_float32_saturation_qualifies():
    assert statements_not_passing("T1", "T2", "T3", "T4", "T5") == {
        "perceptron_sigmoid_output_lies_in_the_open_unit_interval": "qualified"
    }


@pytest.mark.parametrize("claim", ["T1", "T2", "T3", "T4"])  # T5 is about torch only
def test_the_chapters_code_passes_its_checks(claim):
    assert set(results_of(CHAPTER, claim).values()) == {"pass"}
