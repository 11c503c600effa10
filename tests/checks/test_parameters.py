"""The checks of report section 2 catch the wrong implementations they are for, and pass correct ones."""

from collections import OrderedDict

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from nnlab.checks import all_checks, all_statements, run_check, run_statement
from nnlab.checks.parameters import trained
from nnlab.parameters import block1, tied_net
from tests.checks.helpers import not_passing, results_of, variant

XAVIER = "xavier_draws_uniform_within_the_fan_bound_of_each_layer"


def kaiming_a1(m):
    """Wrong: kaiming_uniform_(a=1), bound sqrt(3 / fan_in), the same as Xavier's only on square layers."""
    if isinstance(m, nn.Linear):
        nn.init.kaiming_uniform_(m.weight, a=1)


def xavier_normal(m):
    """Wrong: the right variance, the wrong distribution."""
    if isinstance(m, nn.Linear):
        nn.init.xavier_normal_(m.weight)


def test_kaiming_a1_has_xavier_bound_on_square_layers_only():
    square, wide = nn.Linear(16, 16), nn.Linear(200, 16)
    for layer in (square, wide):
        layer.apply(kaiming_a1)
    assert square.weight.abs().max() <= (6 / 32) ** 0.5
    assert wide.weight.abs().max() < 0.8 * (6 / 216) ** 0.5  # far inside Xavier's bound: the check must see it


def test_p3_xavier_check_fails_kaiming_uniform_with_a_1():
    assert results_of(variant("parameters", xavier=kaiming_a1), "P3", XAVIER) == {XAVIER: "fail"}


def test_p3_xavier_check_fails_xavier_normal():
    assert results_of(variant("parameters", xavier=xavier_normal), "P3", XAVIER) == {XAVIER: "fail"}


def test_p3_xavier_check_passes_a_hand_written_uniform_draw():
    def xavier_by_hand(m):
        if type(m) is nn.Linear:  # the report's type test, and a bound computed by hand
            fan_out, fan_in = m.weight.shape
            bound = (6 / (fan_in + fan_out)) ** 0.5
            with torch.no_grad():
                m.weight.copy_(torch.rand_like(m.weight) * 2 * bound - bound)

    assert results_of(variant("parameters", xavier=xavier_by_hand), "P3", XAVIER) == {XAVIER: "pass"}


def init_normal_too_wide(m):
    """Wrong: N(0, 0.02²), twice the report's standard deviation."""
    if isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, std=0.02)
        nn.init.zeros_(m.bias)


def init_normal_leaving_the_bias(m):
    """Wrong: draws the weights and leaves the bias as it was."""
    if isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, std=0.01)


def test_p3_init_normal_check_fails_a_std_of_0_02_and_a_bias_left_alone():
    name = "init_normal_draws_weights_from_normal_0_001_and_zeroes_biases"
    assert results_of(variant("parameters", init_normal=init_normal_too_wide), "P3", name) == {name: "fail"}
    assert results_of(variant("parameters", init_normal=init_normal_leaving_the_bias), "P3", name) == {name: "fail"}


def my_init_per_row(m):
    """Wrong: 1 / (the row's length), not 1 / (the weight's number of entries)."""
    if isinstance(m, nn.Linear):
        with torch.no_grad():
            m.weight.fill_(1 / m.weight.shape[1])
            m.bias.zero_()


def test_p3_my_init_check_fails_one_over_the_row_length():
    name = "my_init_fills_weights_with_one_over_their_count_and_zeroes_biases"
    assert results_of(variant("parameters", my_init=my_init_per_row), "P3", name) == {name: "fail"}


def textbook_init_zeroing_below(t):
    """Wrong unless t is 5: U(-10, 10), then 0 where |w| < t."""

    def init(m):
        if isinstance(m, nn.Linear):
            with torch.no_grad():
                nn.init.uniform_(m.weight, -10, 10)
                m.weight *= m.weight.abs() >= t

    return init


def test_p3_textbook_init_check_fails_a_threshold_of_2_and_a_missing_threshold():
    name = "textbook_init_keeps_uniform_weights_with_magnitude_5_to_10_and_zeroes_the_rest"
    for t in (2, 0):
        assert results_of(variant("parameters", textbook_init=textbook_init_zeroing_below(t)), "P3", name) == {
            name: "fail"
        }, t


def on_every_module_with_a_weight(fill):
    """Wrong: an initialiser that tests hasattr(m, "weight") where it means isinstance(m, nn.Linear): it
    fills a LayerNorm's weight too (xavier_uniform_ raises on its 1-D weight instead)."""

    def init(m):
        if hasattr(m, "weight"):
            with torch.no_grad():
                fill(m.weight)

    return init


# each initialiser of section 2, as it is written with the hasattr test
TOUCHING_EVERY_WEIGHT = {
    "init_normal": on_every_module_with_a_weight(lambda w: nn.init.normal_(w, std=0.01)),
    "init_constant": on_every_module_with_a_weight(lambda w: nn.init.constant_(w, 1)),
    "xavier": on_every_module_with_a_weight(nn.init.xavier_uniform_),
    "init_42": on_every_module_with_a_weight(lambda w: nn.init.constant_(w, 42)),
    "my_init": on_every_module_with_a_weight(lambda w: w.fill_(1 / w.numel())),
    "textbook_init": on_every_module_with_a_weight(lambda w: w.uniform_(-10, 10).mul_(w.abs() >= 5)),
}


@pytest.mark.parametrize("role", TOUCHING_EVERY_WEIGHT)
def test_p3_initialisers_that_touch_every_weight_fail_the_linear_only_check(role):
    name = f"{role}_leaves_modules_other_than_linear_alone"
    lab = variant("parameters", **{role: TOUCHING_EVERY_WEIGHT[role]})
    assert results_of(lab, "P3", name) == {name: "fail"}


def block2_flattened():
    """Wrong: the four blocks' layers in one Sequential, not four nested blocks."""
    return nn.Sequential(*[layer for _ in range(4) for layer in block1()])


def test_p2_names_check_fails_a_block2_that_flattens_its_blocks_into_one_sequential():
    name = "rgnet_names_nest_four_blocks_named_block_0_to_3"
    assert results_of(variant("parameters", block2=block2_flattened), "P2", name) == {name: "fail"}


@pytest.mark.parametrize(
    ("block2", "noted"),
    [
        (lambda: nn.Sequential(OrderedDict((f"block {i}", block1()) for i in range(4))), None),
        (lambda: nn.Sequential(OrderedDict((f"block{i}", block1()) for i in range(4))), "['block0', 'block1'"),
        (lambda: nn.Sequential(*[block1() for _ in range(4)]), "['0', '1', '2', '3']"),
    ],
    ids=["ordered_dict", "names_without_spaces", "unnamed"],
)
def test_p2_passes_four_nested_blocks_under_any_names_and_notes_names_other_than_the_reports(block2, noted):
    lab = variant("parameters", block2=block2)
    results = [run_check(c, lab) for c in all_checks() if c.claim == "P2"]
    assert {r.result for r in results} == {"pass"}, [r.detail for r in results if r.result != "pass"]
    (names,) = [r for r in results if r.check == "P2:rgnet_names_nest_four_blocks_named_block_0_to_3"]
    assert (noted in names.detail) if noted else names.detail == ""


def constant_weight_leaving_the_bias(m):
    if isinstance(m, nn.Linear):
        nn.init.constant_(m.weight, 1)


def test_p4_passes_an_init_constant_that_reaches_every_layer_whatever_it_does_to_the_bias():
    lab = variant("parameters", init_constant=constant_weight_leaving_the_bias)
    assert set(results_of(lab, "P4").values()) == {"pass"}
    name = "init_constant_sets_weights_to_1_and_biases_to_0"
    assert results_of(lab, "P3", name) == {name: "fail"}  # the bias is P3's


def undone_by_its_container(m):
    """Right on a lone Linear; on a container it redraws its Linear children, which apply has already visited."""
    constant_weight_leaving_the_bias(m)
    if isinstance(m, nn.Sequential):
        for child in m.children():
            if isinstance(child, nn.Linear):
                child.reset_parameters()


@pytest.mark.parametrize("init_constant", [lambda m: None, undone_by_its_container], ids=["no_op", "undone"])
def test_p4_fails_an_init_constant_that_leaves_nested_layers_unchanged(init_constant):
    name = "init_constant_applied_to_rgnet_reaches_every_nested_linear"
    assert results_of(variant("parameters", init_constant=init_constant), "P4", name) == {name: "fail"}


class Block1OfTheOtherEdition(nn.Module):
    """Correct at the other edition's sizes, 16→32→16, its layers as attributes, one ReLU module used twice."""

    def __init__(self):
        super().__init__()
        self.up, self.down, self.act = nn.Linear(16, 32), nn.Linear(32, 16), nn.ReLU()

    def forward(self, X):
        return self.act(self.down(self.act(self.up(X))))


def block2_of_the_other_edition():
    """Four of those blocks, named without spaces."""
    return nn.Sequential(OrderedDict((f"block{i}", Block1OfTheOtherEdition()) for i in range(4)))


def test_a_block1_of_other_sizes_costs_the_one_size_check_and_no_property():
    lab = variant("parameters", block1=Block1OfTheOtherEdition, block2=block2_of_the_other_edition)
    failing = not_passing(lab, ("P2", "P4"))
    assert list(failing) == ["P2:block1_is_4_8_4_as_the_report_writes_it"], failing
    assert "yours is 16→32→16" in failing["P2:block1_is_4_8_4_as_the_report_writes_it"]


class Block1GuardingItsWidth(nn.Module):
    """Correct at the report's sizes, 4→8→4; an assert refuses any other width (its weights also read as 8→4→8)."""

    def __init__(self):
        super().__init__()
        self.hidden, self.out = nn.Linear(4, 8), nn.Linear(8, 4)

    def forward(self, X):
        assert X.shape[-1] == 4, f"block1 takes 4 features, got {X.shape[-1]}"
        return F.relu(self.out(F.relu(self.hidden(X))))


def test_a_block1_that_asserts_its_width_passes_every_check():
    assert not_passing(variant("parameters", block1=Block1GuardingItsWidth), ("P2", "P4")) == {}


def block1_without_its_last_relu():
    """Wrong: Linear(4, 8) -> ReLU -> Linear(8, 4), the last ReLU left out."""
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4))


def test_a_block1_without_its_last_relu_fails_that_check_alone_not_its_sizes_nor_rgnets():
    failing = not_passing(variant("parameters", block1=block1_without_its_last_relu), ("P2", "P4"))
    assert list(failing) == ["P2:block1_is_linear_relu_linear_relu"], failing


# --- the tied network ---------------------------------------------------------------------


def untied_net():
    """Wrong: two separate Linear(8, 8) layers, equal at the start."""
    second = nn.Linear(8, 8)
    first = nn.Linear(8, 8)
    first.load_state_dict(second.state_dict())
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), first, nn.ReLU(), second, nn.ReLU(), nn.Linear(8, 1))


class StaleSecondUse(nn.Module):
    """Wrong: one parameter, but the second use computes with a copy frozen at construction."""

    def __init__(self):
        super().__init__()
        self.first, self.shared, self.last = nn.Linear(4, 8), nn.Linear(8, 8), nn.Linear(8, 1)
        self.register_buffer("frozen_weight", self.shared.weight.detach().clone())

    def forward(self, X):
        h = F.relu(self.shared(F.relu(self.first(X))))
        return self.last(F.relu(F.linear(h, self.frozen_weight, self.shared.bias)))


class FunctionalTiedNet(nn.Module):
    """Correct, in another style: raw parameters, the shared weight stored (in, out), used twice in forward."""

    def __init__(self):
        super().__init__()
        self.w_in, self.b_in = nn.Parameter(torch.randn(4, 8) * 0.5), nn.Parameter(torch.randn(8) * 0.1)
        self.w_shared, self.b_shared = nn.Parameter(torch.randn(8, 8) * 0.35), nn.Parameter(torch.randn(8) * 0.1)
        self.w_out, self.b_out = nn.Parameter(torch.randn(8, 1) * 0.35), nn.Parameter(torch.zeros(1))

    def forward(self, X):
        h = torch.relu(X @ self.w_in + self.b_in)
        for _ in range(2):
            h = torch.relu(h @ self.w_shared + self.b_shared)
        return h @ self.w_out + self.b_out


P6 = "tied_net_uses_stay_identical_while_it_trains"


def p6_result(tied_net):
    check = next(c for c in all_checks() if c.name == P6)
    return run_check(check, variant("parameters", tied_net=tied_net))


def test_p6_fails_two_separate_layers_equal_at_the_start_because_they_drift_apart():
    result = p6_result(untied_net)
    assert result.result == "fail"
    assert "the positions are not tied" in result.detail  # not "no 8×8 weight moved": the weights did change


def untied_net_whose_square_layers_all_start_alike():
    """Wrong at 8→8→8→8→1: three separate square layers, equal at the start."""
    first, second, third = (nn.Linear(8, 8) for _ in range(3))
    second.load_state_dict(first.state_dict())
    third.load_state_dict(first.state_dict())
    return nn.Sequential(first, nn.ReLU(), second, nn.ReLU(), third, nn.ReLU(), nn.Linear(8, 1))


def test_p6_fails_an_untied_net_whose_square_layers_all_start_alike_because_they_drift_apart():
    result = p6_result(untied_net_whose_square_layers_all_start_alike)
    assert result.result == "fail"
    assert "the positions are not tied" in result.detail


def test_p6_untied_layers_do_change_and_drift_apart_under_the_checks_training():
    torch.manual_seed(0)
    net = untied_net()
    before = net[2].weight.detach().clone()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    optimizer.zero_grad()
    F.mse_loss(net(torch.randn(32, 4)), torch.randn(32, 1)).backward()
    optimizer.step()
    assert not torch.equal(net[2].weight, before)
    assert not torch.equal(net[2].weight, net[4].weight)


def test_p6_fails_a_second_use_frozen_at_construction():
    assert p6_result(StaleSecondUse).result == "fail"


class SecondUseCopiedAtEachForward(nn.Module):
    """Wrong: the second position holds a layer of its own, given the shared one's values at each forward: the
    positions compute alike, yet the optimizer trains two tensors, each with one use's gradient, apart."""

    def __init__(self):
        super().__init__()
        self.first, self.shared, self.second, self.last = (
            nn.Linear(*sizes) for sizes in ((4, 8), (8, 8), (8, 8), (8, 1))
        )

    def forward(self, X):
        with torch.no_grad():
            self.second.load_state_dict(self.shared.state_dict())
        h = F.relu(self.shared(F.relu(self.first(X))))
        return self.last(F.relu(self.second(h)))


def test_p6_fails_a_second_layer_given_the_shared_ones_values_at_each_forward_as_the_steps_train_them_apart():
    result = p6_result(SecondUseCopiedAtEachForward)
    assert result.result == "fail"
    assert "the 2 copies of the shared weight differ" in result.detail, result.detail


def test_p5_fails_two_separate_layers():
    results = results_of(variant("parameters", tied_net=untied_net), "P5")
    assert results["tied_net_holds_one_shared_square_layer_and_no_more"] == "fail"
    assert results["tied_net_shared_gradient_is_the_sum_of_both_uses"] == "fail"


def test_p5_gradient_check_fails_a_second_use_that_blocks_the_gradient():
    class DetachedSecondUse(StaleSecondUse):
        def forward(self, X):
            h = F.relu(self.shared(F.relu(self.first(X))))
            return self.last(F.relu(F.linear(h, self.shared.weight.detach(), self.shared.bias)))

    name = "tied_net_shared_gradient_is_the_sum_of_both_uses"
    assert results_of(variant("parameters", tied_net=DetachedSecondUse), "P5", name) == {name: "fail"}


def test_p5_p6_pass_a_functional_tied_net_with_transposed_weights():
    lab = variant("parameters", tied_net=FunctionalTiedNet)
    assert set(results_of(lab, "P5").values()) == {"pass"}
    assert set(results_of(lab, "P6").values()) == {"pass"}


@pytest.mark.parametrize("seed", [0, 46, 65])
def test_p5_gradient_check_passes_a_correct_net_where_its_two_uses_nearly_cancel_to_rounding(seed):
    # these initialisations give an entry where the uses' gradients cancel, their sum left with their rounding
    check = next(c for c in all_checks() if c.name == "tied_net_shared_gradient_is_the_sum_of_both_uses")
    torch.manual_seed(seed)
    check.function(variant("parameters", tied_net=FunctionalTiedNet))


def test_p6_trains_the_net_from_the_values_the_supervisor_sends_not_its_own():
    net, sent = tied_net(), tied_net()
    question = {"steps": 2, "X": torch.randn(32, 4), "y": torch.randn(32, 1), "start": list(sent.parameters())}
    answered = trained(net, question)
    optimizer = torch.optim.SGD(sent.parameters(), lr=0.1)
    for _ in range(2):
        optimizer.zero_grad()
        F.mse_loss(sent(question["X"]), question["y"]).backward()
        optimizer.step()
    for got, expected in zip(answered["parameters"], sent.parameters(), strict=True):
        torch.testing.assert_close(got, expected.detach())
    torch.testing.assert_close(answered["output"], sent(question["X"]).detach())


def test_p5_the_reports_equal_gradients_are_qualified_by_the_sum_of_both_uses():
    results = {s.name: run_statement(s) for s in all_statements() if s.claim == "P5"}
    qualified = results["the_third_and_fifth_layers_get_the_same_gradient"]
    assert qualified.result == "qualified", qualified.detail
    assert "sum of the gradients its two uses contribute" in qualified.detail
    assert "the two uses, as layers of equal values, get gradients up to" in qualified.detail  # measured, not crashed
    assert {r.result for name, r in results.items() if name != "the_third_and_fifth_layers_get_the_same_gradient"} == {
        "pass"
    }


def test_p1_p4_statements_hold_on_this_torch():
    assert {run_statement(s).result for s in all_statements() if s.claim in ("P1", "P4")} == {"pass"}


# --- P7 -------------------------------------------------------------------------------------------


class MLPWithUnregisteredOutput(nn.Module):
    """Wrong: the output layer sits in a plain list, so named_parameters() misses it."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(20, 256)
        self.layers = [nn.Linear(256, 10)]

    def forward(self, X):
        return self.layers[0](F.relu(self.hidden(X)))


def test_p7_fails_an_mlp_whose_output_layer_is_unregistered():
    name = "mlp_parameters_are_reachable_by_attribute_and_name_and_get_gradients_of_their_shape"
    assert results_of(variant("blocks", MLP=MLPWithUnregisteredOutput), "P7", name) == {name: "fail"}


class MLPWithADetachedOutputLayer(nn.Module):
    """Wrong: the output layer's parameters are used detached, so backward() gives them no gradient."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(20, 256)
        self.out = nn.Linear(256, 10)

    def forward(self, X):
        return F.linear(F.relu(self.hidden(X)), self.out.weight.detach(), self.out.bias.detach())


def test_p7_fails_an_mlp_with_parameters_that_get_no_gradient_and_names_them():
    name = "mlp_parameters_are_reachable_by_attribute_and_name_and_get_gradients_of_their_shape"
    failing = not_passing(variant("blocks", MLP=MLPWithADetachedOutputLayer), ("P7",))
    assert list(failing) == [f"P7:{name}"], failing
    assert "[('out.weight', None), ('out.bias', None)]" in failing[f"P7:{name}"]


class MLPWhoseNamesLeadElsewhere(nn.Module):
    """Wrong: named_parameters() names the hidden layer's tensors ``hidden.*``, and ``net.hidden`` is another layer,
    made afresh on each access."""

    def __init__(self):
        super().__init__()
        self.h = nn.Linear(20, 256)
        self.out = nn.Linear(256, 10)

    hidden = property(lambda self: nn.Linear(20, 256))

    def forward(self, X):
        return self.out(F.relu(self.h(X)))

    def named_parameters(self, *args, **kwargs):
        for name, p in super().named_parameters(*args, **kwargs):
            yield name.replace("h.", "hidden.", 1) if name.startswith("h.") else name, p


def tied_net_with_four_outputs():
    """Correct with a last layer of 4 outputs and a shared layer of width 16."""
    shared = nn.Linear(16, 16)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(16, 4))


def tied_net_with_square_first_layer():
    """Correct at 8→8→8→8→1: its first layer is square too, and not tied."""
    shared = nn.Linear(8, 8)
    return nn.Sequential(nn.Linear(8, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1))


def tied_net_whose_square_first_layer_starts_as_the_shared_one():
    """Correct at 8→8→8→8→1, its square first layer untied and equal to the shared one at the start (as two layers
    initialised alike are): a layer that starts as the shared one is no copy of it."""
    first, shared = nn.Linear(8, 8), nn.Linear(8, 8)
    first.load_state_dict(shared.state_dict())
    return nn.Sequential(first, nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1))


@pytest.mark.parametrize(
    ("tied_net", "message"),
    [
        (tied_net_with_four_outputs, "yours is 4→16→16→16→4"),
        (tied_net_with_square_first_layer, "yours is 8→8→8→8→1"),
        (tied_net_whose_square_first_layer_starts_as_the_shared_one, "yours is 8→8→8→8→1"),
    ],
    ids=["four_outputs", "square_first_layer", "square_first_layer_starting_as_the_shared_one"],
)
def test_a_tied_net_of_other_sizes_costs_the_one_size_check_and_no_property(tied_net, message):
    failing = not_passing(variant("parameters", tied_net=tied_net), ("P5", "P6"))
    assert list(failing) == ["P5:tied_net_is_4_8_8_8_1_as_the_report_writes_it"], failing
    assert message in failing["P5:tied_net_is_4_8_8_8_1_as_the_report_writes_it"]


# --- P3: the xavier check's level is shared among the layers (Bonferroni) -------------------------


def uniform_weights_at_ks_distance(shape: tuple[int, int], bound: float, distance: float) -> torch.Tensor:
    """Weights of ``shape`` in U(-bound, bound)'s evenly spaced quantiles, squeezed towards 0 until their
    Kolmogorov-Smirnov distance from U(-bound, bound) is ``distance``."""
    from scipy import stats as scipy_stats

    n = shape[0] * shape[1]
    quantiles = torch.linspace(-bound, bound, 2 * n + 1, dtype=torch.float64)[1::2]

    def ks(squeeze: float) -> float:
        return scipy_stats.kstest((quantiles * squeeze).numpy(), scipy_stats.uniform(-bound, 2 * bound).cdf).statistic

    low, high = 0.5, 1.0  # ks falls as squeeze rises to 1
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if ks(middle) > distance else (low, middle)
    assert ks(high) == pytest.approx(distance, rel=1e-6)
    return (quantiles * high).reshape(shape).float()


@pytest.mark.parametrize(("share", "expected"), [(0.5, "pass"), (1.02, "fail")])
def test_p3_xavier_check_tests_each_layer_at_its_bonferroni_share_of_the_level(share, expected):
    """A layer whose draws lie between the radius of a test at ALPHA and that of one at ALPHA / layers passes: the
    check as a whole fails a correct draw at most ALPHA; beyond the per-layer radius it fails."""
    from nnlab.checks.parameters import xavier_draws_uniform_within_the_fan_bound_of_each_layer as check
    from nnlab.checks.sampling import ALPHA, dkw_radius

    sizes = [(16, 200), (120, 16)]  # the probe net's Linear(200, 16) and Linear(16, 120)
    after = {}
    for layer, shape in zip(("0", "3"), sizes, strict=True):
        n, bound = shape[0] * shape[1], (6 / sum(shape)) ** 0.5
        own, shared = dkw_radius(n, ALPHA), dkw_radius(n, ALPHA / len(sizes))
        distance = own + share * (shared - own) if layer == "0" else own / 4
        after[f"{layer}.weight"] = uniform_weights_at_ks_distance(shape, bound, distance)
        after[f"{layer}.bias"] = torch.zeros(shape[0])
    if expected == "pass":
        check(None, after)
    else:
        with pytest.raises(AssertionError, match="Kolmogorov-Smirnov"):
            check(None, after)
