"""The checks of chapter sections 3.1 to 3.5 (T1 to T10) catch the wrong code they are for, and pass correct code."""

import functools
import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from nnlab.checks import all_statements, run_statement
from nnlab.labs import CHAPTER
from tests.checks.helpers import results_of, variant

# ---------------------------------------------------------------- T10: CustomLinear


class LinearBase(nn.Module):
    """A plain linear layer whose subclasses each get one thing wrong."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1])
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class LinearForgettingBias(LinearBase):
    """Wrong: registers a bias and never adds it."""

    def forward(self, x):
        return x @ self.weight.T


class LinearReshapingWeight(LinearBase):
    """Wrong: reads the (out, in) weight as (in, out) with reshape, which on non-square sizes is not the transpose."""

    def forward(self, x):
        out = x @ self.weight.reshape(self.weight.shape[1], self.weight.shape[0])
        return out if self.bias is None else out + self.bias


class LinearWithRandnInit(LinearBase):
    """Wrong: keeps torch.randn's N(0, 1) start instead of nn.Linear's bounds."""

    def reset_parameters(self):
        with torch.no_grad():
            self.weight.normal_()
            if self.bias is not None:
                self.bias.normal_()


class LinearWithDefaultKaiming(LinearBase):
    """Wrong: kaiming_uniform_ with its default a = 0, a bound sqrt(6) times nn.Linear's."""

    def reset_parameters(self):
        nn.init.kaiming_uniform_(self.weight)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -1 / math.sqrt(self.weight.shape[1]), 1 / math.sqrt(self.weight.shape[1]))


class LinearStoredInOutWithLibraryInit(nn.Module):
    """Wrong: stores the weight (in, out) and lets kaiming_uniform_ take fan_in from it, which is then out_features."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.w = nn.Parameter(torch.empty(in_features, out_features))
        self.b = nn.Parameter(torch.empty(out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.kaiming_uniform_(self.w, a=math.sqrt(5))
        if self.b is not None:
            nn.init.uniform_(self.b, -1 / math.sqrt(self.w.shape[0]), 1 / math.sqrt(self.w.shape[0]))

    def forward(self, x):
        return x @ self.w + (0 if self.b is None else self.b)


class LinearAlwaysWithBias(LinearBase):
    """Wrong: ignores bias=False."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__(in_features, out_features, bias=True)


class LinearOnData(LinearBase):
    """Wrong: computes with .data, so no gradient ever reaches its parameters."""

    def forward(self, x):
        return F.linear(x, self.weight.data, self.bias.data if self.bias is not None else None)


class LinearWithoutSizesInRepr(LinearBase):
    """Wrong: a repr that shows neither the sizes nor the bias."""

    def extra_repr(self):
        return ""


class TransposedLinear(nn.Module):
    """Correct, in another style: the weight stored (in, out), addmm, the bounds computed by hand, a repr of its own."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.sizes = (in_features, out_features)
        self.kernel = nn.Parameter(torch.empty(in_features, out_features))
        if bias:
            self.offset = nn.Parameter(torch.empty(1, out_features))
        else:
            self.offset = None
        self.reset_parameters()

    def reset_parameters(self):
        bound = self.sizes[0] ** -0.5
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.rand_like(p) * 2 * bound - bound)

    def forward(self, x):
        if self.offset is None:
            return x.mm(self.kernel)
        return torch.addmm(self.offset, x, self.kernel)

    def __repr__(self):
        return f"TransposedLinear[{self.sizes[0]} -> {self.sizes[1]}{'' if self.offset is not None else ', no offset'}]"


FORWARD = "custom_linear_computes_x_times_weight_transposed_plus_bias"
NO_BIAS = "custom_linear_without_bias_has_only_a_weight_and_computes_x_times_weight_transposed"
START = "custom_linear_starts_with_the_kaiming_uniform_bounds_of_nn_linear"
RESET = "custom_linear_reset_parameters_redraws_from_those_bounds"


def test_t10_passes_a_custom_linear_stored_transposed_with_its_own_repr():
    assert set(results_of(variant("chapter", CustomLinear=TransposedLinear), "T10").values()) == {"pass"}


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


def test_t2_t3_pass_a_custom_module_with_functional_dropout():
    lab = variant("chapter", CustomModule=CustomModuleBase)
    assert set(results_of(lab, "T2").values()) == set(results_of(lab, "T3").values()) == {"pass"}


# ---------------------------------------------------------------- T4: counting and freezing


def count_all(model):
    """Wrong: counts frozen parameters too."""
    return sum(p.numel() for p in model.parameters())


def count_per_module(model):
    """Wrong: counts a tied parameter once per module holding it."""
    return sum(
        p.numel() for m in model.modules(remove_duplicate=False) for p in m.parameters(recurse=False) if p.requires_grad
    )


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


# ---------------------------------------------------------------- T9: HookDemo


class HookDemoRecordingAfterReLU(nn.Module):
    """Wrong: records the activations after the ReLU, not the layers' outputs."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(10, 20), nn.Linear(20, 10), nn.Linear(10, 1)
        self.activations = {}

    def forward(self, x):
        h1 = F.relu(self.fc1(x))
        h2 = F.relu(self.fc2(h1))
        self.activations = {"fc1": h1.detach(), "fc2": h2.detach()}
        return self.fc3(h2)


class HookDemoWithMeddlingHook(HookDemoRecordingAfterReLU):
    """Wrong: a hook that returns a value replaces the output, here scaled by 2."""

    def __init__(self):
        super().__init__()
        for name in ("fc1", "fc2"):
            getattr(self, name).register_forward_hook(self.recorder(name))

    def recorder(self, name):
        def hook(module, inputs, output):
            self.activations[name] = output.detach()
            return output * 2

        return hook

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class SequentialHookDemo(nn.Module):
    """Correct, in another style: the layers in a Sequential, the hooks registered in a loop by index."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 10), nn.ReLU(), nn.Linear(10, 1))
        self.activations = {}
        for name, index in (("fc1", 0), ("fc2", 2)):
            self.net[index].register_forward_hook(
                lambda m, i, o, name=name: self.activations.__setitem__(name, o.detach())
            )

    def forward(self, x):
        return self.net(x)


def test_t9_passes_hooks_on_a_sequential():
    assert set(results_of(variant("chapter", HookDemo=SequentialHookDemo), "T9").values()) == {"pass"}


# ---------------------------------------------------------------- each wrong variant above fails its checks

FREEZE_ROUND_TRIP = "freeze_model_freezes_everything_and_unfreeze_model_restores_everything"
COUNT = "count_parameters_counts_trainable_scalars_once_each"

# (claim, the roles swapped in, {check: result} for the checks named), the id naming what is wrong
WRONG_VARIANTS = [
    pytest.param("T10", {"CustomLinear": LinearForgettingBias}, {FORWARD: "fail"}, id="T10 linear forgetting its bias"),
    pytest.param(
        "T10",
        {"CustomLinear": LinearReshapingWeight},
        {FORWARD: "fail", NO_BIAS: "fail"},
        id="T10 linear reshaping instead of transposing",
    ),
    pytest.param(
        "T10",
        {"CustomLinear": LinearWithRandnInit},
        {START: "fail", RESET: "fail", FORWARD: "pass"},
        id="T10 linear keeping randn weights",
    ),
    pytest.param(
        "T10",
        {"CustomLinear": LinearWithDefaultKaiming},
        {START: "fail", RESET: "fail"},
        id="T10 kaiming_uniform_ with its default slope",
    ),
    pytest.param(
        "T10",
        {"CustomLinear": LinearStoredInOutWithLibraryInit},
        {START: "fail", RESET: "fail", FORWARD: "pass", NO_BIAS: "pass"},
        id="T10 bound taken from out_features",
    ),
    pytest.param("T10", {"CustomLinear": LinearAlwaysWithBias}, {NO_BIAS: "fail"}, id="T10 linear ignoring bias=False"),
    pytest.param(
        "T10",
        {"CustomLinear": LinearOnData},
        {"customlinear_every_parameter_gets_a_gradient": "fail"},
        id="T10 linear computing with .data",
    ),
    pytest.param(
        "T10",
        {"CustomLinear": LinearWithoutSizesInRepr},
        {"custom_linear_repr_shows_its_sizes_and_bias": "fail"},
        id="T10 repr without the sizes",
    ),
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
    pytest.param(
        "T9",
        {"HookDemo": HookDemoRecordingAfterReLU},
        {"hook_demo_records_the_outputs_of_its_first_two_layers": "fail"},
        id="T9 recording after the relu",
    ),
    pytest.param(
        "T9",
        {"HookDemo": HookDemoWithMeddlingHook},
        {"hook_demo_computes_its_three_layers_unchanged_by_the_hooks": "fail"},
        id="T9 hook changing the output",
    ),
]


@pytest.mark.parametrize(("claim", "roles", "expected"), WRONG_VARIANTS)
def test_the_checks_of_the_properties_a_wrong_variant_breaks_fail(claim, roles, expected):
    lab = variant("chapter", **roles)
    assert {name: result for n in expected for name, result in results_of(lab, claim, n).items()} == expected


# ---------------------------------------------------------------- statements about torch


@functools.cache
def statement_results():
    return {s.name: run_statement(s) for s in all_statements() if s.claim in {f"T{i}" for i in range(1, 11)}}


def test_open_interval_statements_are_qualified_by_float32_saturation():
    results = statement_results()
    for name in (
        "perceptron_sigmoid_output_lies_in_the_open_unit_interval",
        "tanh_is_odd_and_lies_in_the_open_interval",
        "sigmoid_lies_in_the_open_interval_and_complements_itself",
    ):
        assert results[name].result == "qualified", results[name]
    assert "exactly 1 for x >= 16.75" in results["sigmoid_lies_in_the_open_interval_and_complements_itself"].detail


def test_the_other_t1_to_t10_statements_hold_in_this_torch():
    results = statement_results()
    qualified = {name for name, r in results.items() if r.result == "qualified"}
    assert len(qualified) == 3
    assert all(r.result == "pass" for name, r in results.items() if name not in qualified), results


@pytest.mark.parametrize("claim", ["T1", "T2", "T3", "T4", "T9", "T10"])  # T5 to T8 are about torch only
def test_the_chapters_code_passes_its_checks(claim):
    """The chapter's code is right here: its CustomLinear starts from randn, then reset_parameters draws nn.Linear's."""
    assert set(results_of(CHAPTER, claim).values()) == {"pass"}
