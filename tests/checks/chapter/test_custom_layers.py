"""The checks of T10 to T12 (tutorial 3.5) catch the wrong code they are for and pass correct code in other styles."""

import json
import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from nnlab.checks import all_checks
from nnlab.checks.judged import answered, judgement
from nnlab.labs import CHAPTER, REFERENCE
from nnlab.tutorial import custom_layers
from tests.checks.helpers import (
    another_style_failures,
    result,
    results_of,
    statements_not_passing,
    variant,
    wrong_results,
)

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


# ---------------------------------------------------------------- T11: SimpleAttention


class AttentionOverTheBatch(custom_layers.SimpleAttention):
    def forward(self, h):
        weights = F.softmax(self.attention(h).squeeze(-1), dim=0)  # the wrong axis
        return (weights.unsqueeze(-1) * h).sum(dim=1), weights


class AttentionThatAverages(custom_layers.SimpleAttention):
    def forward(self, h):
        weights = F.softmax(self.attention(h).squeeze(-1), dim=-1)
        return h.mean(dim=1), weights  # not the weighted sum


# ---------------------------------------------------------------- T12: StatefulLayer


class StatefulKeepingTheGraph(custom_layers.StatefulLayer):
    def forward(self, x):
        previous = self.hidden_state if len(self.hidden_state) else x.new_zeros(len(x), self.hidden_size)
        new_hidden = torch.tanh(self.input_transform(x) + self.hidden_transform(previous))
        self.hidden_state = new_hidden  # not detached: the graph grows across calls
        return new_hidden


class StatefulThatForgets(custom_layers.StatefulLayer):
    def forward(self, x):
        self.reset_state()
        return super().forward(x)


class StatefulWithoutReset(custom_layers.StatefulLayer):
    def reset_state(self):
        pass


class BatchSizeChanged(Exception):
    """A lab's own error class."""


def stateful_refusing_with(error: type[Exception]) -> type:
    class StatefulRefusingInItsOwnWords(custom_layers.StatefulLayer):
        """Correct: refuses a new batch size with an error of the lab's choosing that names the size and the reset."""

        def forward(self, x):
            if len(self.hidden_state) not in (0, len(x)):
                raise error(f"a batch of {len(x)} after one of {len(self.hidden_state)}: call reset_state() first")
            return super().forward(x)

    return StatefulRefusingInItsOwnWords


@pytest.mark.parametrize("error", [BatchSizeChanged, AssertionError, ValueError])
def test_a_new_batch_size_refused_clearly_passes_whatever_the_errors_class(error):
    assert not another_style_failures("StatefulLayer", stateful_refusing_with(error), ("stateful_layer_",))


NEW_BATCH_SIZE = "stateful_layer_handles_or_clearly_refuses_a_new_batch_size"


def test_the_chapters_expanding_layer_is_qualified_and_nnlabs_refusal_passes():
    assert result(CHAPTER, "T12", NEW_BATCH_SIZE) == "qualified"
    assert result(REFERENCE, "T12", NEW_BATCH_SIZE) == "pass"


def test_the_chapters_expanding_layer_is_qualified_from_its_answers_alone():
    # the documents' behaviour, too, is judged where the lab's code never runs: from the refusal's classes and message
    check = next(check for check in all_checks() if check.id == f"T12:{NEW_BATCH_SIZE}")
    assert judgement(check, json.loads(json.dumps(answered(check, CHAPTER)))).result == "qualified"


# ---------------------------------------------------------------- each wrong variant above fails its checks

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
        "T11",
        {"SimpleAttention": AttentionOverTheBatch},
        {"attention_weights_are_a_distribution_over_the_sequence": "fail"},
        id="T11 attention softmax over the batch",
    ),
    pytest.param(
        "T11",
        {"SimpleAttention": AttentionThatAverages},
        {"attention_output_is_the_weighted_sum_of_the_inputs": "fail"},
        id="T11 attention averaging instead of weighting",
    ),
    pytest.param(
        "T12",
        {"StatefulLayer": StatefulKeepingTheGraph},
        {"stateful_layer_state_is_detached_from_the_graph": "fail"},
        id="T12 state kept in the graph",
    ),
    pytest.param(
        "T12",
        {"StatefulLayer": StatefulThatForgets},
        {"stateful_layer_output_depends_on_the_previous_input": "fail"},
        id="T12 state forgotten at each call",
    ),
    pytest.param(
        "T12",
        {"StatefulLayer": StatefulWithoutReset},
        {"stateful_layer_reset_restores_the_first_call": "fail"},
        id="T12 reset that keeps the state",
    ),
]


@pytest.mark.parametrize(("claim", "roles", "expected"), WRONG_VARIANTS)
def test_the_checks_of_the_properties_a_wrong_variant_breaks_fail(claim, roles, expected):
    assert wrong_results(claim, roles, expected) == expected


# ---------------------------------------------------------------- correct, in another style


class SelfResettingStateful(nn.Module):
    """Weights stored (in, out), state a plain attribute, a new batch size starts afresh."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.w_x = nn.Parameter(torch.randn(input_size, hidden_size) * 0.3)
        self.w_h = nn.Parameter(torch.randn(hidden_size, hidden_size) * 0.3)
        self.b = nn.Parameter(torch.zeros(hidden_size))
        self.state = None

    def reset_state(self):
        self.state = None

    def forward(self, x):
        if self.state is None or len(self.state) != len(x):
            self.state = x.new_zeros(len(x), self.w_h.shape[0])
        out = torch.tanh(x @ self.w_x + self.state @ self.w_h + self.b)
        self.state = out.detach()
        return out


# Correct roles in styles that neither nnlab's reference nor examples/correct_lab (which the suite runs
# through every check) uses; each runs through only the checks of its own role.
ANOTHER_STYLE = {
    "StatefulLayer": (SelfResettingStateful, ("stateful_layer_", "statefullayer_")),
}


@pytest.mark.parametrize("role", ANOTHER_STYLE)
def test_a_correct_role_in_another_style_passes_every_check_of_its_role(role):
    assert not another_style_failures(role, *ANOTHER_STYLE[role])


# ---------------------------------------------------------------- statements about torch, the chapter's own code


def test_the_t10_statement_holds_in_this_torch():
    assert statements_not_passing("T10") == {}


def test_the_chapters_custom_linear_passes_its_checks():
    """The chapter's code is right here: its CustomLinear starts from randn, then reset_parameters draws nn.Linear's."""
    assert set(results_of(CHAPTER, "T10").values()) == {"pass"}


def test_the_chapters_attention_passes_every_t11_check():
    assert set(results_of(CHAPTER, "T11").values()) == {"pass"}
