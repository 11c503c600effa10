"""Report section 2, parameter management: claims P1 to P7.

Statistical tests draw 65,536 weights from a fresh (unseeded) layer and state
their tolerance in standard errors; at 6 standard errors a false failure
happens about once in 10^9 runs.
"""

import copy
import math
import types

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnlab import MLP, count_parameters, tied_net
from nnlab.parameters import (
    init_42,
    init_constant,
    init_inverse_numel,
    init_normal,
    init_textbook,
    init_xavier,
    rgnet,
    single_hidden_net,
)
from nnlab.checks.strategies import batches

BIG = 256  # a Linear(BIG, BIG) holds 65,536 weights, enough for the statistics below
SIGMAS = 6


@pytest.mark.claim("P1")
def test_first_layer_shapes_and_parameter_names():
    net = single_hidden_net()
    assert net[0].weight.shape == (8, 4)
    assert net[0].bias.shape == (8,)
    named = net.named_parameters()
    assert isinstance(named, types.GeneratorType)
    assert [name for name, _ in named] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert net(torch.rand(2, 4)).shape == (2, 1)


@pytest.mark.claim("P2")
def test_rgnet_has_18_named_parameters_with_nested_names():
    names = [name for name, _ in rgnet().named_parameters()]
    assert len(names) == 18
    assert names[:4] == ["0.block 0.0.weight", "0.block 0.0.bias", "0.block 0.2.weight", "0.block 0.2.bias"]
    assert names[-2:] == ["1.weight", "1.bias"]


@pytest.mark.claim("P2")
def test_rgnet_parameter_count_follows_from_layer_sizes():
    block1 = (4 * 8 + 8) + (8 * 4 + 4)
    assert count_parameters(rgnet()) == 4 * block1 + (4 * 1 + 1) == 309


def big_linear(init) -> nn.Linear:
    layer = nn.Linear(BIG, BIG)
    layer.apply(init)
    return layer


@pytest.mark.claim("P3")
def test_init_normal_has_std_001_and_zero_bias():
    layer = big_linear(init_normal)
    w, n = layer.weight.double(), layer.weight.numel()
    # sample mean: standard error 0.01 / sqrt(n); sample std: standard error about 0.01 / sqrt(2 n)
    assert abs(w.mean().item()) < SIGMAS * 0.01 / math.sqrt(n)
    assert abs(w.std().item() - 0.01) < SIGMAS * 0.01 / math.sqrt(2 * n)
    assert torch.equal(layer.bias, torch.zeros(BIG))


@pytest.mark.claim("P3")
@pytest.mark.parametrize(
    ("init", "weight_value", "bias_zeroed"),
    [(init_constant, 1.0, True), (init_42, 42.0, False), (init_inverse_numel, 1 / (4 * 8), True)],
    ids=["constant_1", "constant_42", "inverse_numel"],
)
def test_constant_inits_fill_exactly(init, weight_value, bias_zeroed):
    layer = nn.Linear(4, 8)
    bias_before = layer.bias.detach().clone()
    layer.apply(init)
    assert torch.equal(layer.weight, torch.full((8, 4), weight_value))
    assert torch.equal(layer.bias, torch.zeros(8) if bias_zeroed else bias_before)


@pytest.mark.claim("P3")
def test_xavier_uniform_fills_its_bound_and_stays_inside():
    layer = big_linear(init_xavier)
    bound = math.sqrt(6 / (BIG + BIG))
    largest = layer.weight.abs().max().item()
    assert largest <= bound
    # P(max |w| < 0.999 bound) = 0.999^65536 < 1e-28 for a uniform draw
    assert largest > 0.999 * bound


@pytest.mark.claim("P3")
def test_textbook_init_zeroes_small_weights_and_keeps_the_rest_in_5_to_10():
    layer = big_linear(init_textbook)
    w = layer.weight
    kept = w[w != 0].abs()
    assert ((kept >= 5) & (kept <= 10)).all()
    # each weight is zeroed with probability 1/2; the zeroed fraction has standard error 0.5 / sqrt(n)
    zeroed = (w == 0).double().mean().item()
    assert abs(zeroed - 0.5) < SIGMAS * 0.5 / math.sqrt(w.numel())


@pytest.mark.claim("P3")
def test_initialisers_leave_non_linear_modules_alone():
    norm = nn.BatchNorm1d(3)
    before = copy.deepcopy(norm.state_dict())
    for init in (init_normal, init_constant, init_xavier, init_42, init_inverse_numel, init_textbook):
        norm.apply(init)
    assert all(torch.equal(before[k], v) for k, v in norm.state_dict().items())


@pytest.mark.claim("P4")
def test_apply_visits_every_submodule_once_nested_ones_included():
    net = rgnet()
    visited = []
    net.apply(visited.append)
    assert len(visited) == len(list(net.modules())) == 1 + 1 + 4 * 5 + 1
    assert {id(m) for m in visited} == {id(m) for m in net.modules()}


@pytest.mark.claim("P4")
@given(depth=st.integers(1, 5))
def test_apply_reaches_the_deepest_layer(depth):
    net = nn.Linear(2, 2)
    for _ in range(depth):
        net = nn.Sequential(net)
    net.apply(init_42)
    deepest = net
    for _ in range(depth):
        deepest = deepest[0]
    assert torch.equal(deepest.weight, torch.full((2, 2), 42.0))


@pytest.mark.claim("P5")
def test_tied_positions_hold_the_same_parameter():
    net = tied_net()
    assert net[2].weight is net[4].weight
    assert net[2].weight.data_ptr() == net[4].weight.data_ptr()
    with torch.no_grad():
        net[2].weight[0, 0] = 100.0
    assert net[4].weight[0, 0].item() == 100.0


@pytest.mark.claim("P5")
def test_tied_net_shares_the_layer_it_is_given_and_refuses_other_shapes():
    shared = nn.Linear(8, 8)
    net = tied_net(shared)
    assert net[2] is shared and net[4] is shared
    assert [type(m) for m in net] == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    with pytest.raises(ValueError, match=r"^tied_net needs a Linear\(8, 8\) to share, got Linear\(in_features=8"):
        tied_net(nn.Linear(8, 4))


@pytest.mark.claim("P5")
def test_tied_parameter_is_listed_once_but_saved_under_both_keys():
    net = tied_net()
    assert len(list(net.parameters())) == 6  # first layer 2, shared 2, last layer 2
    assert {"2.weight", "4.weight", "2.bias", "4.bias"} <= set(net.state_dict())
    assert count_parameters(net) == (4 * 8 + 8) + (8 * 8 + 8) + (8 + 1)


def untie(net: nn.Sequential) -> nn.Sequential:
    """The same network with two independent copies of the shared layer."""
    untied = copy.deepcopy(net)
    untied[4] = copy.deepcopy(untied[2])
    return untied


WHY_P5 = (
    "The report shows that both positions' gradients are equal, which is true of any one tensor. "
    "What tying means: the shared weight's gradient is the sum of the gradients two untied copies receive."
)


@pytest.mark.claim("P5", verdict="qualified", why=WHY_P5)
@given(X=batches(4, low=-3, high=3))
def test_tied_gradient_is_sum_of_both_uses(X):
    tied = tied_net()
    untied = untie(tied)
    for net in (tied, untied):
        net(X).square().sum().backward()
    torch.testing.assert_close(tied[2].weight.grad, untied[2].weight.grad + untied[4].weight.grad)
    torch.testing.assert_close(tied[2].bias.grad, untied[2].bias.grad + untied[4].bias.grad)


WHY_P6 = (
    "The report's printed gradient row was all zero, so its run never showed an update; here the shared "
    "weights move and both positions stay identical."
)


@pytest.mark.claim("P6", why=WHY_P6)
@given(steps=st.integers(1, 20))
def test_shared_layer_stays_identical_while_it_trains(steps):
    torch.manual_seed(0)  # a seed whose ReLUs are not all dead, so the shared layer does get gradients
    net = tied_net()
    X, y = torch.rand(8, 4), torch.rand(8, 1)
    before = net[2].weight.detach().clone()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.mse_loss(net(X), y).backward()
        optimizer.step()
    assert net[2].weight is net[4].weight
    assert torch.equal(net[2].weight, net[4].weight)
    assert not torch.equal(net[2].weight, before)


@pytest.mark.claim("P7")
def test_mlp_parameters_reachable_by_attribute_and_name_with_own_shape_gradients():
    net = MLP()
    by_name = dict(net.named_parameters())
    by_attribute = {
        "hidden.weight": net.hidden.weight,
        "hidden.bias": net.hidden.bias,
        "output.weight": net.output.weight,
        "output.bias": net.output.bias,
    }
    assert list(by_name) == list(by_attribute)
    assert all(by_name[name] is p for name, p in by_attribute.items())
    net(torch.rand(2, 20)).sum().backward()
    for name, p in by_name.items():
        assert p.grad is not None and p.grad.shape == p.shape, name
