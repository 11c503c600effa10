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


def t10(layer, *names):
    """The T10 results of the reference with ``layer`` as its CustomLinear: of the checks named, or of all."""
    lab = variant("chapter", CustomLinear=layer)
    if not names:
        return results_of(lab, "T10")
    return {name: result for n in names for name, result in results_of(lab, "T10", n).items()}


FORWARD = "custom_linear_computes_x_times_weight_transposed_plus_bias"
NO_BIAS = "custom_linear_without_bias_has_only_a_weight_and_computes_x_times_weight_transposed"
START = "custom_linear_starts_with_the_kaiming_uniform_bounds_of_nn_linear"
RESET = "custom_linear_reset_parameters_redraws_from_those_bounds"


def test_t10_catches_a_custom_linear_that_forgets_its_bias():
    assert t10(LinearForgettingBias, FORWARD) == {FORWARD: "fail"}


def test_t10_catches_a_custom_linear_that_reshapes_instead_of_transposing():
    assert t10(LinearReshapingWeight, FORWARD, NO_BIAS) == {FORWARD: "fail", NO_BIAS: "fail"}


def test_t10_catches_a_custom_linear_that_keeps_randn_weights():
    assert t10(LinearWithRandnInit, START, RESET, FORWARD) == {START: "fail", RESET: "fail", FORWARD: "pass"}


def test_t10_catches_kaiming_uniform_with_its_default_slope():
    assert t10(LinearWithDefaultKaiming, START, RESET) == {START: "fail", RESET: "fail"}


def test_t10_catches_a_bound_taken_from_out_features():
    results = t10(LinearStoredInOutWithLibraryInit, START, RESET, FORWARD, NO_BIAS)
    assert results == {START: "fail", RESET: "fail", FORWARD: "pass", NO_BIAS: "pass"}


def test_t10_catches_a_custom_linear_that_ignores_bias_false():
    assert t10(LinearAlwaysWithBias, NO_BIAS) == {NO_BIAS: "fail"}


def test_t10_catches_a_custom_linear_that_computes_with_data():
    name = "customlinear_every_parameter_gets_a_gradient"
    assert t10(LinearOnData, name) == {name: "fail"}


def test_t10_passes_a_custom_linear_stored_transposed_with_its_own_repr():
    assert set(t10(TransposedLinear).values()) == {"pass"}


def test_t10_catches_a_repr_without_the_sizes():
    class Unprinted(LinearBase):
        def extra_repr(self):
            return ""

    name = "custom_linear_repr_shows_its_sizes_and_bias"
    assert t10(Unprinted, name) == {name: "fail"}


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


def test_t1_catches_a_perceptron_whose_output_leaves_the_unit_interval():
    assert t1(ReluPerceptron)["perceptron_output_is_in_the_closed_unit_interval"] == "fail"


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


def test_t2_catches_a_buffer_kept_as_a_plain_tensor():
    results = results_of(variant("chapter", CustomModule=CustomModuleWithPlainTensor), "T2")
    assert results["custom_module_buffer_is_saved_and_moved_but_not_trained"] == "fail"


def test_t2_catches_a_parameter_kept_as_a_plain_tensor():
    results = results_of(variant("chapter", CustomModule=CustomModuleWithUnregisteredParameter), "T2")
    assert results["custom_module_registers_its_bare_parameter"] == "fail"


def test_t3_catches_dropout_that_ignores_eval():
    name = "custom_module_eval_turns_dropout_off_and_train_back_on"
    assert results_of(variant("chapter", CustomModule=CustomModuleAlwaysDropping), "T3", name) == {name: "fail"}


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


def test_t4_catches_counting_frozen_parameters():
    assert (
        results_of(variant("chapter", count_parameters=count_all), "T4")[
            "count_parameters_counts_trainable_scalars_once_each"
        ]
        == "fail"
    )


def test_t4_catches_counting_a_tied_parameter_twice():
    assert (
        results_of(variant("chapter", count_parameters=count_per_module), "T4")[
            "count_parameters_counts_trainable_scalars_once_each"
        ]
        == "fail"
    )


def test_t4_catches_freezing_only_the_weights():
    lab = variant("chapter", freeze_layer=freeze_weights_only, freeze_model=freeze_weights_only)
    results = results_of(lab, "T4")
    assert results["freeze_layer_touches_only_that_layer"] == "fail"
    assert results["freeze_model_freezes_everything_and_unfreeze_model_restores_everything"] == "fail"


def test_t4_catches_unfreezing_only_the_top_level():
    name = "freeze_model_freezes_everything_and_unfreeze_model_restores_everything"
    assert results_of(variant("chapter", unfreeze_model=unfreeze_top_level), "T4", name) == {name: "fail"}


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


def test_t9_catches_recording_after_the_relu():
    name = "hook_demo_records_the_outputs_of_its_first_two_layers"
    assert results_of(variant("chapter", HookDemo=HookDemoRecordingAfterReLU), "T9", name) == {name: "fail"}


def test_t9_catches_a_hook_that_changes_the_output():
    name = "hook_demo_computes_its_three_layers_unchanged_by_the_hooks"
    assert results_of(variant("chapter", HookDemo=HookDemoWithMeddlingHook), "T9", name) == {name: "fail"}


def test_t9_passes_hooks_on_a_sequential():
    assert set(results_of(variant("chapter", HookDemo=SequentialHookDemo), "T9").values()) == {"pass"}


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
