"""The checks of report section 1 catch the wrong implementations they are for, and pass correct ones."""

import re

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import nnlab.blocks
from nnlab.checks import all_checks, all_statements, claim_result, run_check, run_statement
from nnlab.checks.blocks import parameters_by_shape
from nnlab.labs import REPORT
from tests.checks.helpers import not_passing, results_of, variant


class MLPWithTanh(nn.Module):
    """Wrong: the report's MLP has a ReLU between its layers."""

    def __init__(self):
        super().__init__()
        self.hidden, self.output = nn.Linear(20, 256), nn.Linear(256, 10)

    def forward(self, X):
        return self.output(torch.tanh(self.hidden(X)))


class MLPWithRawWeights(nn.Module):
    """Correct, in another style: raw parameters, the weight stored (in, out), addmm instead of Linear."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(20, 256) * 0.05)
        self.b1 = nn.Parameter(torch.zeros(256))
        self.w2 = nn.Parameter(torch.randn(256, 10) * 0.05)
        self.b2 = nn.Parameter(torch.zeros(10))

    def forward(self, X):
        return torch.addmm(self.b2, F.relu(torch.addmm(self.b1, X, self.w1)), self.w2)


class ChildrenSequential(nn.Module):
    """d2l-en's MySequential: forward loops over self.children(), which yields a repeated module once."""

    def __init__(self, *modules):
        super().__init__()
        for position, module in enumerate(modules):
            self.add_module(str(position), module)

    def forward(self, X):
        for module in self.children():
            X = module(X)
        return X


def test_l3_catches_a_sequential_that_runs_a_child_given_twice_once():
    results = results_of(variant("blocks", MySequential=ChildrenSequential), "L3")
    assert results.pop("my_sequential_applies_a_child_given_twice_twice") == "fail"
    assert set(results.values()) == {"pass"}  # the other L3 checks draw chains without repeats: they cannot tell


class SequentialBrokenForOneChild(nn.Module):
    """Wrong: a single child takes a path of its own, which reads a name bound only in the class body."""

    from torch.nn import Identity as passthrough  # noqa: F401  (a class attribute, not a global of forward)

    def __init__(self, *modules):
        super().__init__()
        for position, module in enumerate(modules):
            self.add_module(str(position), module)

    def forward(self, X):
        if len(self._modules) == 1:
            return passthrough()(next(iter(self._modules.values()))(X))  # noqa: F821  (NameError: the bug)
        for module in self._modules.values():
            X = module(X)
        return X


def test_l3_catches_a_sequential_that_breaks_for_one_child():
    results = results_of(variant("blocks", MySequential=SequentialBrokenForOneChild), "L3")
    assert results.pop("my_sequential_equals_nn_sequential_on_the_same_children") == "fail"
    assert set(results.values()) == {"pass"}  # the other L3 checks give two or more children


class FixedHiddenMLPOfShape11(nn.Module):
    """Correct, in another style: the constant a buffer, and the one number returned as a (1, 1) tensor."""

    def __init__(self):
        super().__init__()
        self.register_buffer("R", torch.rand(20, 20))
        self.layer = nn.Linear(20, 20)

    def forward(self, X):
        X = self.layer(F.relu(self.layer(X) @ self.R + 1))
        while X.abs().sum() > 1:
            X /= 2
        return X.sum().view(1, 1)


def test_l5_passes_a_fixed_hidden_mlp_returning_one_number_of_shape_1_1_and_notes_the_shape():
    lab = variant("blocks", FixedHiddenMLP=FixedHiddenMLPOfShape11)
    results = [run_check(c, lab) for c in all_checks() if c.claim == "L5"]
    assert {r.check: r.result for r in results} == {r.check: "pass" for r in results}
    noted = [r.check for r in results if "returns shape (1, 1); the report's returns shape ()" in r.detail]
    assert "L5:fixed_hidden_output_is_at_most_one_in_magnitude" in noted


class FixedHiddenMLPWithoutTheSum(FixedHiddenMLPOfShape11):
    """Wrong: the halved activations themselves, not their sum."""

    def forward(self, X):
        X = self.layer(F.relu(self.layer(X) @ self.R + 1))
        while X.abs().sum() > 1:
            X /= 2
        return X


def test_l5_fails_a_fixed_hidden_mlp_that_returns_more_than_one_number():
    results = results_of(variant("blocks", FixedHiddenMLP=FixedHiddenMLPWithoutTheSum), "L5")
    assert results["fixed_hidden_output_is_at_most_one_in_magnitude"] == "fail"
    assert results["fixed_hidden_applies_one_linear_layer_twice_around_its_constant"] == "fail"


class LazyMLP(nn.Module):
    """d2l-en's MLP: LazyLinear layers, whose parameters exist only after a first forward."""

    def __init__(self):
        super().__init__()
        self.hidden, self.out = nn.LazyLinear(256), nn.LazyLinear(10)

    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))


class LazyNestMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.LazyLinear(64), nn.ReLU(), nn.LazyLinear(32), nn.ReLU())
        self.linear = nn.LazyLinear(16)

    def forward(self, X):
        return self.linear(self.net(X))


def test_an_mlp_built_from_lazy_layers_passes_every_check_of_its_roles():
    lab = variant("blocks", MLP=LazyMLP, NestMLP=LazyNestMLP)
    for claim in ("L1", "L2", "L6", "P7"):
        assert set(results_of(lab, claim).values()) == {"pass"}, claim


class NestMLPWithoutInnerReLU(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.Linear(64, 32), nn.ReLU())
        self.linear = nn.Linear(32, 16)

    def forward(self, X):
        return self.linear(self.net(X))


def test_l6_catches_a_nest_mlp_missing_a_relu():
    results = results_of(variant("blocks", NestMLP=NestMLPWithoutInnerReLU), "L6")
    assert results.pop("nest_mlp_applies_relu_after_each_of_its_first_two_layers") == "fail"
    assert set(results.values()) == {"pass"}  # its shapes and parameter counts are right: only the function tells


def test_l2_catches_an_mlp_whose_activation_is_not_relu():
    assert results_of(variant("blocks", MLP=MLPWithTanh), "L2") == {
        "torch_sequential_of_the_same_layers_computes_mlp": "fail"
    }


def test_l1_l2_pass_an_mlp_with_raw_transposed_weights():
    lab = variant("blocks", MLP=MLPWithRawWeights)
    assert set(results_of(lab, "L1").values()) == set(results_of(lab, "L2").values()) == {"pass"}


def chimera_missing_two_of_its_parts():
    """Wrong: a Linear(20, 20) and FixedHiddenMLP, without NestMLP and Linear(16, 20)."""
    return nn.Sequential(nn.Linear(20, 20), REPORT.blocks.FixedHiddenMLP())


def test_l6_catches_a_chimera_missing_two_of_its_parts():
    lab = variant("blocks", chimera=chimera_missing_two_of_its_parts)
    assert results_of(lab, "L6", "chimera_runs_end_to_end_with_all_its_parts") == {
        "chimera_runs_end_to_end_with_all_its_parts": "fail"
    }


class SummingParallel(nn.Module):
    def __init__(self, net1, net2):
        super().__init__()
        self.net1, self.net2 = net1, net2

    def forward(self, X):
        return self.net1(X) + self.net2(X)


class StackingParallel(SummingParallel):
    """Wrong in a way the documents are not: stacks the outputs on a new axis."""

    def forward(self, X):
        return torch.stack((self.net1(X), self.net2(X)))


def test_l7_qualifies_the_reports_sum_and_fails_other_combinations():
    name = "parallel_block_concatenates_for_any_widths"
    assert results_of(variant("blocks", ParallelBlock=SummingParallel), "L7", name) == {name: "qualified"}
    assert results_of(variant("blocks", ParallelBlock=StackingParallel), "L7", name) == {name: "fail"}


def test_l5_qualifies_a_constant_kept_as_a_plain_attribute():
    results = results_of(REPORT, "L5")
    assert results["fixed_hidden_reloads_to_the_same_function"] == "qualified"
    assert results["fixedhiddenmlp_to_float64_moves_everything"] == "qualified"


class FixedHiddenMLPWithATransientBuffer(nn.Module):
    """As the report does, in another style: the constant, R, is a non-persistent buffer (saved by no
    state_dict(), moved by .to()), used transposed; the layer is called fc."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(20, 20)
        self.register_buffer("R", torch.rand(20, 20), persistent=False)

    def forward(self, X):
        X = self.fc(torch.relu(self.fc(X) @ self.R.T + 1))
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()


class FixedHiddenMLPWithAMatmulOnTheLeft(nn.Module):
    """As the report does, in another style: a plain tensor attribute named constant, multiplied from the left;
    the halving factor is a saved buffer, so state_dict() holds more than the layer."""

    def __init__(self):
        super().__init__()
        self.constant = torch.rand((20, 20), requires_grad=False)
        self.layer = nn.Linear(20, 20)
        self.register_buffer("halving", torch.tensor(0.5))

    def forward(self, X):
        hidden = F.relu(torch.matmul(self.constant, self.layer(X).T).T + 1)
        out = self.layer(hidden)
        while out.abs().sum() > 1:
            out = out * self.halving
        return out.sum()


@pytest.mark.parametrize("written", [FixedHiddenMLPWithATransientBuffer, FixedHiddenMLPWithAMatmulOnTheLeft])
def test_l5_qualifies_any_constant_kept_out_of_the_state_dict_and_nothing_else(written):
    lab = variant("blocks", FixedHiddenMLP=written)
    results = [run_check(c, lab) for c in all_checks() if c.claim == "L5"]
    assert claim_result(results).result == "qualified", {r.check: r.detail for r in results if r.result != "pass"}


class FixedHiddenMLPWithAnInPlaceReLU(nn.Module):
    """Wrong, with the report's plain tensor constant: it scales ReLU's output in place, which ReLU's backward needs,
    so backward raises."""

    def __init__(self):
        super().__init__()
        self.rand_weight = torch.rand(20, 20)
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = F.relu(self.linear(X) @ self.rand_weight + 1)
        X.mul_(1.0)
        X = self.linear(X)
        while X.abs().sum() > 1:
            X = X / 2
        return X.sum()


def test_l5_fails_a_broken_backward_that_the_reports_constant_does_not_explain():
    lab = variant("blocks", FixedHiddenMLP=FixedHiddenMLPWithAnInPlaceReLU)
    (gradient,) = [c for c in all_checks() if c.id == "L5:fixedhiddenmlp_every_parameter_gets_a_gradient"]
    outcome = run_check(gradient, lab)
    assert outcome.result == "fail"
    assert "inplace" in outcome.detail and "plain tensor" not in outcome.detail
    assert claim_result(run_check(c, lab) for c in all_checks() if c.claim == "L5").result == "fail"


class FixedHiddenMLPWithAnUnsavedOffset(nn.Module):
    """Wrong in a way the report is not: its constant is a saved buffer, but a random offset it adds is a plain
    tensor, so a reload computes otherwise for a reason of its own."""

    def __init__(self):
        super().__init__()
        self.register_buffer("rand_weight", torch.rand(20, 20))
        self.offset = torch.rand(20)
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = self.linear(F.relu(self.linear(X) @ self.rand_weight + self.offset))
        while X.abs().sum() > 1:
            X = X / 2
        return X.sum()


def test_l5_fails_a_reload_that_differs_for_an_unsaved_tensor_other_than_the_constant():
    name = "fixed_hidden_reloads_to_the_same_function"
    assert results_of(variant("blocks", FixedHiddenMLP=FixedHiddenMLPWithAnUnsavedOffset), "L5", name) == {name: "fail"}


class DetachedFixedHidden(nn.Module):
    """Wrong: computes with .data, so its layer never receives a gradient."""

    def __init__(self):
        super().__init__()
        self.register_buffer("rand_weight", torch.rand(20, 20))
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = F.linear(X, self.linear.weight.data, self.linear.bias.data)
        X = F.relu(X @ self.rand_weight + 1)
        X = F.linear(X, self.linear.weight.data, self.linear.bias.data)
        while X.abs().sum() > 1:
            X = X / 2
        return X.sum()


def test_general_properties_catch_a_layer_that_computes_with_data():
    name = "fixedhiddenmlp_every_parameter_gets_a_gradient"
    assert results_of(variant("blocks", FixedHiddenMLP=DetachedFixedHidden), "L5", name) == {name: "fail"}


def test_l4_refutes_only_the_gradient_consequence():
    results = {s.name: run_statement(s) for s in all_statements() if s.claim == "L4"}
    assert results["list_held_blocks_cannot_compute_gradients"].result == "fail"
    assert "autograd filled .grad" in results["list_held_blocks_cannot_compute_gradients"].detail
    assert results["list_held_blocks_are_invisible_to_parameters_state_dict_to_and_optimizers"].result == "pass"


class MLPOfTheOtherEdition(nn.Module):
    """Correct at the book's other edition's sizes, 784→256→10, its layers in an nn.Sequential."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))

    def forward(self, X):
        return self.net(X)


class NestMLPEndingAt30(nn.Module):
    """Correct with a last layer of 30 outputs; its layers registered last first."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(32, 30)
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())

    def forward(self, X):
        return self.linear(self.net(X))


def chimera_ending_at_30():
    """The report's chimera around a NestMLP ending at 30."""
    return nn.Sequential(NestMLPEndingAt30(), nn.Linear(30, 20), nnlab.blocks.FixedHiddenMLP())


class RefusingOtherWidths(MLPOfTheOtherEdition):
    """784→256→10 that refuses another width with its own guard (nnlab's check_features raises ValueError)."""

    def __init__(self, refusal: type[Exception] = ValueError):
        super().__init__()
        self.refusal = refusal

    def forward(self, X):
        if X.shape[-1] != 784:
            raise self.refusal(f"expected 784 features, got {X.shape[-1]}")
        return super().forward(X)


class MLPNarrowingThenWidening(nn.Module):
    """Correct at 20→10→20: its weights' shapes, (10, 20) and (20, 10), read as 10→20→10 too."""

    def __init__(self):
        super().__init__()
        self.hidden, self.out = nn.Linear(20, 10), nn.Linear(10, 20)

    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))


def nest_mlp_10_10_20():
    """Correct NestMLP at 20→10→10→20: by their shapes alone its weights read as 10→10→20→10 too."""
    return nn.Sequential(nn.Linear(20, 10), nn.ReLU(), nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 20))


def chimera_ending_at_20():
    return nn.Sequential(nest_mlp_10_10_20(), nn.Linear(20, 20), nnlab.blocks.FixedHiddenMLP())


@pytest.mark.parametrize(
    ("roles", "size_check", "message"),
    [
        ({"MLP": MLPOfTheOtherEdition}, "L1:mlp_is_20_256_10_as_the_report_writes_it", "yours is 784→256→10"),
        ({"MLP": RefusingOtherWidths}, "L1:mlp_is_20_256_10_as_the_report_writes_it", "yours is 784→256→10"),
        ({"MLP": MLPNarrowingThenWidening}, "L1:mlp_is_20_256_10_as_the_report_writes_it", "yours is 20→10→20"),
        (
            {"NestMLP": NestMLPEndingAt30, "chimera": chimera_ending_at_30},
            "L6:nest_mlp_is_20_64_32_16_as_the_report_writes_it",
            "yours is 20→64→32→30",
        ),
        (
            {"NestMLP": nest_mlp_10_10_20, "chimera": chimera_ending_at_20},
            "L6:nest_mlp_is_20_64_32_16_as_the_report_writes_it",
            "yours is 20→10→10→20",
        ),
    ],
    ids=["mlp", "guarded_mlp", "mlp_whose_weights_read_backwards", "nest_mlp", "nest_mlp_with_a_square_layer"],
)
def test_other_sizes_cost_the_one_size_check_and_no_property(roles, size_check, message):
    failing = not_passing(variant("blocks", **roles), ("L1", "L2", "L6", "P7"))
    assert list(failing) == [size_check], failing
    assert message in failing[size_check]


def test_parameters_by_shape_takes_either_layout_once_and_names_what_a_missing_shape_was_sought_among():
    layer = nn.Linear(3, 2)
    weight, bias = parameters_by_shape(layer, [(3, 2), (2,)])  # the weight stored (2, 3): either way round
    assert torch.equal(weight, layer.weight) and torch.equal(bias, layer.bias)
    with pytest.raises(AssertionError, match=re.escape("no parameter of shape (2,) among []")):
        parameters_by_shape(layer, [(2, 3), (2,), (2,)])  # the bias is taken once only
    with pytest.raises(AssertionError, match=re.escape("no parameter of shape (4, 4) among [(2, 3), (2,)]")):
        parameters_by_shape(layer, [(4, 4)])
