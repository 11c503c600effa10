"""Checks of report section 2, parameter management: claims P1 to P7, on any implementation.

Roles (section ``parameters``): ``block1()``, ``block2()``, the initialisers
``init_normal``, ``init_constant``, ``xavier``, ``init_42``, ``my_init`` (the
report's: every weight ``1 / numel``, bias 0) and ``textbook_init`` (the
textbook's: ``U(-10, 10)``, then 0 where ``|w| < 5``), each applied with
``net.apply(fn)``, and ``tied_net()``, the report's network with one
``shared = nn.Linear(8, 8)`` at two positions:
``Linear(4, 8) -> ReLU -> shared -> ReLU -> shared -> ReLU -> Linear(8, 1)``.
P7 uses section 1's ``MLP()``.

What the report says about torch itself (``named_parameters()`` is a
generator, a shared layer is one ``Parameter``, ``apply`` reaches nested
modules, the tied gradient) is checked against torch as statements.

The statistical checks test their draws with ``nnlab.checks.sampling``'s
Kolmogorov-Smirnov test, whose DKW critical distance fails a correct
initialiser with probability at most ``ALPHA`` = 1e-6 (split evenly where one
check makes several tests), whatever its random-number stream.

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import copy
import functools
import itertools
import math
import types

import torch
from torch import nn
from torch.nn import functional as F

from nnlab.checks.blocks import (
    MLP_SIZES,
    arrow,
    batches_drawn,
    linear_sizes,
    mlp,
    nothing,
    output_on,
    outputs_expected,
    own_sizes,
    parameter_count,
    sizes_asked,
    through_the_chain,
)
from nnlab.checks.expect import assert_close
from nnlab.checks.judged import judged, once
from nnlab.checks.recorded import Replayed, output_if_taken, probe_batch, record
from nnlab.checks.registry import for_role, statement
from nnlab.checks.run import note
from nnlab.checks.sampling import assert_distributed_as, bonferroni, dkw_radius, normal, uniform

# --- the network the initialisers are applied to ---------------------------------------

# non-square layers in both directions, so Xavier's bound sqrt(6 / (fan_in + fan_out)) differs from
# kaiming_uniform_(a=1)'s sqrt(3 / fan_in) (too wide for the second, too narrow for the first)
PROBE_SIZES = ((200, 16), (16, 120))


def probe_net() -> tuple[nn.Sequential, list[nn.Linear], nn.LayerNorm]:
    """``Linear(200, 16) -> ReLU -> LayerNorm(16) -> Linear(16, 120)``, the norm's parameters set off their defaults."""
    first, second = (nn.Linear(n_in, n_out) for n_in, n_out in PROBE_SIZES)
    norm = nn.LayerNorm(16)
    with torch.no_grad():
        norm.weight.uniform_(2, 3)
        norm.bias.uniform_(-3, -2)
    return nn.Sequential(first, nn.ReLU(), norm, second), [first, second], norm


def probe_parameters() -> list[dict[str, torch.Tensor]]:
    """One question: the probe net's parameters before an initialiser, by ``state_dict()`` name, the same in every
    process."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net, _, _ = probe_net()
    return [{name: t.detach().clone() for name, t in net.state_dict().items()}]


# the probe net's parameters by state_dict() name: its two Linear layers', and the LayerNorm's between them
LINEARS = ("0", "3")
NORM = ("2.weight", "2.bias")


def initialised(role: str, lab, before: dict) -> dict[str, torch.Tensor]:
    """The probe net's parameters after ``net.apply({role})``, the net loaded with ``before`` first."""
    net, _, _ = probe_net()
    net.load_state_dict(before)
    net.apply(getattr(lab.parameters, role))
    return {name: t.detach() for name, t in net.state_dict().items()}


def linear_layers(after: dict) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """The probe net's Linear layers after an initialiser: a name such as ``Linear(200, 16)``, weight, bias."""
    layers = []
    for layer in LINEARS:
        weight, bias = after[f"{layer}.weight"], after[f"{layer}.bias"]
        layers.append((f"Linear({weight.shape[1]}, {weight.shape[0]})", weight, bias))
    return layers


def all_weights(after: dict) -> torch.Tensor:
    return torch.cat([weight.flatten() for _, weight, _ in linear_layers(after)])


def assert_zero_biases(role: str, after: dict) -> None:
    for name, _, bias in linear_layers(after):
        assert torch.equal(bias, torch.zeros_like(bias)), (
            f"{role} left a nonzero bias in {name}: largest |b| = {bias.abs().max().item():.3g}"
        )


def init_normal_draws_weights_from_normal_0_001_and_zeroes_biases(before, after):
    """net.apply(init_normal) draws every Linear weight from N(0, 0.01²) (DKW test, α = 1e-6) and sets
    every bias to 0.
    """
    assert_distributed_as(all_weights(after), normal(0, 0.01), "init_normal's weights against N(0, 0.01²)")
    assert_zero_biases("init_normal", after)


def init_constant_sets_weights_to_1_and_biases_to_0(before, after):
    """net.apply(init_constant) sets every Linear weight to exactly 1 and every bias to 0."""
    for name, weight, _ in linear_layers(after):
        assert torch.equal(weight, torch.ones_like(weight)), f"init_constant: weights of {name} are not all 1"
    assert_zero_biases("init_constant", after)


def xavier_draws_uniform_within_the_fan_bound_of_each_layer(before, after):
    """net.apply(xavier) draws each Linear weight from U(-a, a), a = sqrt(6 / (fan_in + fan_out)), on
    non-square layers (DKW test per layer, α = 1e-6 in all).
    """
    layers = linear_layers(after)
    for name, weight, _ in layers:
        fan_out, fan_in = weight.shape
        bound = math.sqrt(6 / (fan_in + fan_out))
        largest = weight.abs().max().item()
        assert largest <= bound * (1 + 1e-6), f"xavier on {name}: |w| reaches {largest:.4f}, beyond a = {bound:.4f}"
        what = f"xavier's weights of {name} against U(-{bound:.4f}, {bound:.4f})"
        assert_distributed_as(weight, uniform(-bound, bound), what, bonferroni(len(layers)))


def init_42_sets_every_linear_weight_to_42(before, after):
    """net.apply(init_42) sets every Linear weight to exactly 42."""
    for name, weight, _ in linear_layers(after):
        assert torch.equal(weight, torch.full_like(weight, 42.0)), f"init_42: weights of {name} are not all 42"


def my_init_fills_weights_with_one_over_their_count_and_zeroes_biases(before, after):
    """net.apply(my_init) fills each Linear weight with 1 / (its number of entries), layer by layer,
    and sets biases to 0.
    """
    for name, weight, _ in linear_layers(after):
        expected = torch.full(weight.shape, 1 / weight.numel())
        assert_close(weight, expected, msg=lambda m, name=name: f"my_init on {name}: {m}")
    assert_zero_biases("my_init", after)


def textbook_init_keeps_uniform_weights_with_magnitude_5_to_10_and_zeroes_the_rest(before, after):
    """net.apply(textbook_init): w ~ U(-10, 10) with w set to 0 where |w| < 5: half the weights 0
    (Hoeffding), the rest uniform on ±[5, 10] (DKW); α = 1e-6 in all.
    """
    w = all_weights(after).double()
    kept = w[w != 0]
    outside = kept[(kept.abs() < 5) | (kept.abs() > 10)]
    assert outside.numel() == 0, f"textbook_init kept weights outside ±[5, 10]: {outside[:5].tolist()}"
    zeroed = 1 - kept.numel() / w.numel()
    radius = dkw_radius(w.numel(), bonferroni(2))  # Hoeffding's bound for a proportion has the same form
    assert abs(zeroed - 0.5) <= radius, (
        f"textbook_init zeroed {zeroed:.3f} of the weights; P(|U(-10, 10)| < 5) = 0.5 (±{radius:.3f})"
    )
    # ±[5, 10] folded onto [-1, 1]: uniform there exactly when the kept weights are uniform on ±[5, 10]
    folded = kept.sign() * (kept.abs() - 5) / 5
    assert_distributed_as(folded, uniform(-1, 1), "textbook_init's kept weights against U(±[5, 10])", bonferroni(2))


def leaves_modules_other_than_linear_alone(role: str, before: dict, after: dict) -> None:
    """net.apply({role}) initialises Linear layers only: a LayerNorm in the net keeps its parameters."""
    changed = [name for name in NORM if not torch.equal(after[name], before[name])]
    assert not changed, f"net.apply({role}) changed the LayerNorm's {changed}"


# (role, what it must do to the Linear layers): each initialiser's own property, then that it leaves the rest alone
INITIALISERS = (
    ("init_normal", init_normal_draws_weights_from_normal_0_001_and_zeroes_biases),
    ("init_constant", init_constant_sets_weights_to_1_and_biases_to_0),
    ("xavier", xavier_draws_uniform_within_the_fan_bound_of_each_layer),
    ("init_42", init_42_sets_every_linear_weight_to_42),
    ("my_init", my_init_fills_weights_with_one_over_their_count_and_zeroes_biases),
    ("textbook_init", textbook_init_keeps_uniform_weights_with_magnitude_5_to_10_and_zeroes_the_rest),
)
for _role, _judge in INITIALISERS:
    _answer = for_role(initialised, _role, role=_role, prefix=_role)
    judged("P3", ask=probe_parameters, answer=_answer)(_judge)
for _role, _ in INITIALISERS:
    _answer = for_role(initialised, _role, role=_role, prefix=_role)
    judged("P3", ask=probe_parameters, answer=_answer)(
        for_role(leaves_modules_other_than_linear_alone, _role, role=_role, prefix=_role)
    )


# --- P1: access, on the report's single-hidden-layer net ---------------------------------


def report_net() -> nn.Sequential:
    """The report's ``nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))``."""
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))


def named_parameters_iterate_the_layers_in_order():
    """named_parameters() is an iterator over (name, parameter) pairs, layers in order, names from their positions."""
    net = report_net()
    named = net.named_parameters()
    assert iter(named) is named
    assert [(n, tuple(p.shape)) for n, p in named] == [
        ("0.weight", (8, 4)),
        ("0.bias", (8,)),
        ("2.weight", (1, 8)),
        ("2.bias", (1,)),
    ]


@statement("P1", truth=named_parameters_iterate_the_layers_in_order)
def first_layer_shapes_and_names_of_a_generator():
    """net[0].weight is (8, 4), net[0].bias is (8,); named_parameters() is a generator of 0.weight,
    0.bias, 2.weight, 2.bias (ReLU has none).
    """
    net = report_net()
    assert tuple(net[0].weight.shape) == (8, 4) and tuple(net[0].bias.shape) == (8,)
    assert isinstance(net[0].named_parameters(), types.GeneratorType), f"type {type(net[0].named_parameters())}"
    named = net.named_parameters()
    assert isinstance(named, types.GeneratorType), f"named_parameters() is a {type(named)}, not a generator"
    assert [n for n, _ in named] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert net(torch.rand(2, 4)).shape == (2, 1)


# --- P2: the nested rgnet, from the lab's block2 -----------------------------------------

BLOCK1_SIZES = ((4, 8), (8, 4))


def block1(lab) -> nn.Module:
    return lab.parameters.block1()


def block1_sizes(net: nn.Module) -> tuple[tuple[int, int], ...]:
    """block1's sizes from its parameters, so a mistake in what it computes costs its own check, not rgnet's."""
    return own_sizes(net, "block1", 2, BLOCK1_SIZES, then=F.relu)


@judged(
    "P2",
    ask=functools.partial(sizes_asked, role="block1", layers=2, report=BLOCK1_SIZES, then=F.relu),
    answer=nothing,
    subject=block1,
    survey=record,
)
def block1_is_4_8_4_as_the_report_writes_it(sizes: list, _: None) -> None:
    """block1()'s layers have the report's sizes, 4→8→4: one check, so other sizes cost this one and no property."""
    sizes = tuple(map(tuple, sizes))
    assert sizes == BLOCK1_SIZES, f"the report's block1 is {arrow(BLOCK1_SIZES)}; yours is {arrow(sizes)}"


@judged(
    "P2",
    ask=functools.partial(outputs_expected, role="block1", layers=2, reference=through_the_chain, then=F.relu),
    answer=output_on,
    subject=block1,
    survey=record,
)
def block1_is_linear_relu_linear_relu(question: dict, Y) -> None:
    """block1() computes relu(L2(relu(L1(X)))) with its own two layers, at its own sizes, for any batch."""
    assert_close(Y, question["expected"])


def rgnet(lab) -> nn.Sequential:
    """The report's ``nn.Sequential(block2(), nn.Linear(4, 1))``, at block1's own width."""
    sizes = block1_sizes(lab.parameters.block1())
    return nn.Sequential(lab.parameters.block2(), nn.Linear(sizes[-1][1], 1))


def rgnet_and_block1(lab) -> dict:
    return {"rgnet": rgnet(lab), "block1": lab.parameters.block1()}


def names_and_block1(subject: dict) -> dict:
    """rgnet's parameter names and its trainable ones' sizes, block2's children's names, and block1's record."""
    net = subject["rgnet"]
    return {
        "names": [name for name, _ in net.named_parameters()],
        "trainable": [p.numel() for p in net.parameters() if p.requires_grad],
        "blocks": [name for name, _ in net[0].named_children()],
        "block1": record(subject["block1"]),
    }


def rgnet_batches(found: dict) -> list[dict]:
    """Any batch of block1's own input width, with rgnet's names and the count four block1 and its last layer have."""
    sizes = block1_sizes(Replayed(found["block1"]))
    expected = 4 * linear_sizes(*sizes) + linear_sizes((sizes[-1][1], 1))
    count = sum(found["trainable"])
    return [
        {"X": X, "names": found["names"], "count": count, "expected": expected, "last": sizes[-1][1]}
        for X in batches_drawn(sizes[0][0])
    ]


def rgnet_output(subject: dict, question: dict):
    return subject["rgnet"](question["X"])


@judged("P2", ask=rgnet_batches, answer=rgnet_output, subject=rgnet_and_block1, survey=names_and_block1)
def rgnet_has_18_named_parameters_those_of_four_block1_and_its_last_layer(question: dict, y) -> None:
    """rgnet = Sequential(block2(), Linear(d, 1)) has 18 named parameters, those of four block1 and the last
    layer (the report's: 4 · 76 + 5 = 309 scalars), and maps (b, d) to (b, 1).
    """
    names = question["names"]
    assert len(names) == 18, f"rgnet has {len(names)} named parameters: {names}"
    assert question["count"] == question["expected"], (
        f"rgnet has {question['count']} parameters, four block1 and Linear({question['last']}, 1) have "
        f"{question['expected']}"
    )
    X = question["X"]
    assert y.shape == (X.shape[0], 1), f"rgnet gave shape {tuple(y.shape)} for {tuple(X.shape)}"


def names_nested(found: dict) -> list[dict]:
    """One question: rgnet's parameter names and block2's children's names, as surveyed."""
    return [{"names": found["names"], "blocks": found["blocks"]}]


@judged("P2", ask=names_nested, answer=nothing, subject=rgnet_and_block1, survey=names_and_block1)
def rgnet_names_nest_four_blocks_named_block_0_to_3(question: dict, _: None) -> None:
    """rgnet's parameter names nest block2's four blocks: 0.block 0.… to 0.block 3.…, four each
    (0.block 0.0.weight first), then 1.weight, 1.bias.

    The nesting is the property; the blocks' names are the report's choice, so other names are a note.
    """
    names, blocks = question["names"], question["blocks"]
    # four blocks first: the grouping below reads every name once per block
    assert len(blocks) == 4, f"block2 has {len(blocks)} children, {blocks[:8]}: the report's has four blocks"
    groups = [[n for n in names if n.startswith(f"0.{block}.")] for block in blocks]
    assert [len(g) for g in groups] == [4] * 4, (
        f"block2's children {blocks} hold {[len(g) for g in groups]} of the parameter names {names}: "
        "four blocks of four each, nested under their names, are the report's"
    )
    assert names[: 4 * 4] == [n for group in groups for n in group], f"the blocks' names are not first: {names}"
    assert names[-2:] == ["1.weight", "1.bias"], f"the last names are {names[-2:]}"
    if blocks != [f"block {i}" for i in range(4)]:
        note(f"block2 names its blocks {blocks}; the report's are 'block 0' to 'block 3'.")


# --- P4: apply reaches nested modules ----------------------------------------------------


def apply_visits_every_module():
    """apply(fn) calls fn on every module of modules(), nested ones included."""
    net = nn.Sequential(nn.Sequential(nn.Sequential(nn.Linear(2, 2)), nn.ReLU()), nn.Linear(2, 1))
    visited = []
    net.apply(visited.append)
    assert {id(m) for m in visited} == {id(m) for m in net.modules()}


@statement("P4", truth=apply_visits_every_module)
def apply_visits_every_submodule_once_nested_ones_included():
    """net.apply(fn) calls fn once on every submodule, nested ones included, children before their
    parent, then on net.
    """
    net = nn.Sequential(nn.Sequential(nn.Linear(4, 8), nn.ReLU()), nn.Sequential(nn.Sequential(nn.Linear(8, 1))))
    visited = []
    net.apply(visited.append)
    assert len(visited) == len(list(net.modules())), (
        f"apply made {len(visited)} calls for {len(list(net.modules()))} modules"
    )
    assert {id(m) for m in visited} == {id(m) for m in net.modules()}
    for module in net.modules():
        for child in module.children():
            assert visited.index(child) < visited.index(module), f"{child} visited after its parent"
    assert visited[-1] is net


def initialised_alone_and_in_rgnet(lab, question: None) -> dict:
    """Each Linear of rgnet (in ``modules()`` order): its weight before, its weight and bias after init_constant on
    a copy of it alone, and after ``rgnet.apply(init_constant)``."""
    net = rgnet(lab)
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    before = [m.weight.detach().clone() for m in linears]
    alone = [copy.deepcopy(m) for m in linears]
    for layer in alone:
        lab.parameters.init_constant(layer)
    net.apply(lab.parameters.init_constant)
    return {
        "before": before,
        "alone": [[m.weight, m.bias] for m in alone],
        "applied": [[m.weight, m.bias] for m in linears],
    }


@judged("P4", ask=once, answer=initialised_alone_and_in_rgnet)
def init_constant_applied_to_rgnet_reaches_every_nested_linear(question: None, found: dict) -> None:
    """rgnet.apply(init_constant) gives every Linear what init_constant gives it alone, the ones nested in
    block2's blocks included.

    The values themselves (weight 1, bias 0) are P3's.
    """
    # reached means "changed as init_constant changes that layer alone"; the values themselves are P3's
    before, alone, applied = found["before"], found["alone"], found["applied"]
    changed = [not torch.equal(weight, start) for (weight, _), start in zip(alone, before, strict=True)]
    assert all(changed), "init_constant leaves a Linear layer's weight as it was: whether apply reaches it cannot show"
    missed = [
        i
        for i, ((weight, bias), (weight_alone, bias_alone)) in enumerate(zip(applied, alone, strict=True))
        if not (torch.equal(weight, weight_alone) and (bias is None or torch.equal(bias, bias_alone)))
    ]
    assert not missed, (
        f"Linear layers {missed} of {len(applied)} (in modules() order) did not get what init_constant gives "
        "each of them alone"
    )


# --- P5, P6: the tied network -------------------------------------------------------------


def report_tied_net(shared: nn.Linear, second: nn.Linear | None = None) -> nn.Sequential:
    """The report's net with ``shared`` at positions 2 and 4 (or ``second`` at 4, untied)."""
    second = shared if second is None else second
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), second, nn.ReLU(), nn.Linear(8, 1))


def untied_copy(net: nn.Sequential) -> nn.Sequential:
    """The report's tied net with position 4 holding a copy of the shared layer: equal values, its own parameters."""
    untied = report_tied_net(nn.Linear(8, 8), nn.Linear(8, 8))
    untied.load_state_dict(net.state_dict())
    assert untied[2].weight is not untied[4].weight and torch.equal(untied[2].weight, untied[4].weight)
    return untied


def tied_gradient_is_the_sum_of_both_uses():
    """The shared weight's one gradient is the sum of the gradients its two uses contribute; positions
    2 and 4 show that one tensor.
    """
    tied = report_tied_net(nn.Linear(8, 8))
    untied = untied_copy(tied)
    X = torch.rand(2, 4)
    for net in (tied, untied):
        net(X).square().sum().backward()
    assert tied[2].weight.grad is tied[4].weight.grad
    assert_close(tied[2].weight.grad, untied[2].weight.grad + untied[4].weight.grad)
    assert_close(tied[2].bias.grad, untied[2].bias.grad + untied[4].bias.grad)


@statement("P5", truth=tied_gradient_is_the_sum_of_both_uses)
def the_third_and_fifth_layers_get_the_same_gradient():
    """The report's 梯度是否相同: True, read as the third and the fifth layer each getting the same gradient
    for its use.
    """
    tied = report_tied_net(nn.Linear(8, 8))
    untied = untied_copy(tied)  # each use's gradient on its own: the layers as two layers with equal values
    untied(torch.rand(2, 4)).square().sum().backward()
    g2, g4 = untied[2].weight.grad, untied[4].weight.grad
    gap = (g2 - g4).abs().max().item()
    assert torch.allclose(g2, g4), f"the two uses, as layers of equal values, get gradients up to {gap:.3g} apart"


def shared_layer_is_one_module():
    """Both positions hold the one shared module."""
    shared = nn.Linear(8, 8)
    net = report_tied_net(shared)
    assert net[2] is shared and net[4] is shared


@statement("P5", truth=shared_layer_is_one_module)
def tied_positions_hold_one_parameter_and_a_write_shows_at_both():
    """net[2].weight and net[4].weight are one Parameter (same id and data_ptr); writing net[2]'s changes net[4]'s."""
    net = report_tied_net(nn.Linear(8, 8))
    assert id(net[2].weight) == id(net[4].weight)
    assert net[2].weight.data_ptr() == net[4].weight.data_ptr()
    with torch.no_grad():
        net[2].weight[0, 0] = 100.0
    assert net[4].weight[0, 0].item() == 100.0


@statement("P5", truth=shared_layer_is_one_module)
def parameters_yield_the_shared_one_once_and_state_dict_lists_both_keys():
    """parameters() yields the shared weight and bias once, while state_dict() lists them under 2.* and 4.*."""
    net = report_tied_net(nn.Linear(8, 8))
    assert len(list(net.parameters())) == 6, f"parameters() yields {len(list(net.parameters()))} tensors"
    assert {"2.weight", "2.bias", "4.weight", "4.bias"} <= set(net.state_dict()), (
        f"state_dict() keys: {list(net.state_dict())}"
    )


TIED_SIZES = ((4, 8), (8, 8), (8, 1))
LAYER_PARTS = ("w1", "b1", "s_w", "s_b", "w3", "b3")  # tied_reference's arguments
READING = (*LAYER_PARTS, "index", "transposed")  # what a question holds of a reading


def tied_reference(w1, b1, s_w, s_b, w3, b3):
    """``Linear(d, h) -> ReLU -> S -> ReLU -> S -> ReLU -> Linear(h, o)`` from torch primitives, ``S`` used twice."""

    def forward(X, s_w_second=None, s_b_second=None):
        h = F.relu(X @ w1.T + b1)
        h = F.relu(h @ s_w.T + s_b)
        h = F.relu(h @ (s_w if s_w_second is None else s_w_second).T + (s_b if s_b_second is None else s_b_second))
        return h @ w3.T + b3

    return forward


def reading_computes(parts: dict, X: torch.Tensor, y: torch.Tensor | None) -> bool:
    """Whether the reading ``parts`` of the tied net's parameters, S at both positions, computes ``y`` from ``X``."""
    if X.shape[-1] != parts["w1"].shape[1]:  # a reading of another input width
        return False
    with torch.no_grad():
        expected = tied_reference(**{k: parts[k] for k in LAYER_PARTS})(X)
    return isinstance(y, torch.Tensor) and y.shape == expected.shape and torch.allclose(expected, y, 1e-5, 1e-6)


def tied_layouts(params: list[torch.Tensor]):
    """Every reading of ``params`` as the tied net's layers, by shape alone: a square weight S of width h, a first
    weight (h, d) and a last (o, h) in either layout, two h-biases and an o-bias (the report's: d 4, h 8, o 1).
    ``index`` is S's position in ``params``, ``transposed`` whether S is stored (in, out), ``ends`` the first and
    the last layer's weights' positions."""
    matrices = [(i, p) for i, p in enumerate(params) if p.dim() == 2]
    vectors = [p for p in params if p.dim() == 1]
    for (index, s_w), (at_first, first), (at_last, last) in itertools.permutations(matrices, 3):
        h = s_w.shape[0]
        if s_w.shape != (h, h):
            continue
        for w1, w3 in itertools.product((first, first.T), (last, last.T)):
            if w1.shape[0] != h or w3.shape[1] != h:
                continue
            for b1, s_b, b3 in itertools.permutations(vectors, 3):
                if b1.shape == s_b.shape == (h,) and b3.shape == (w3.shape[0],):
                    for transposed in (False, True):
                        parts = {"w1": w1, "b1": b1, "s_w": s_w.T if transposed else s_w, "s_b": s_b, "w3": w3}
                        yield {**parts, "b3": b3, "index": index, "transposed": transposed, "ends": [at_first, at_last]}


def tied_sizes(parts: dict) -> tuple[tuple[int, int], ...]:
    return tuple((w.shape[1], w.shape[0]) for w in (parts["w1"], parts["s_w"], parts["w3"]))


def tied_arrangements(net: nn.Module) -> list[dict]:
    """The tied net's parameters in their places, found by behaviour, at its own sizes: each reading of its
    parameters whose reference (S at both positions) computes the net's output on the probe batch of its input
    width (``nnlab.checks.recorded``'s, so a ``Replayed`` record is read as the net); more than one only where dead
    ReLUs hide the difference, or square layers start equal.
    """
    params = [p.detach() for p in net.parameters()]
    outputs: dict[int, torch.Tensor | None] = {}  # by input width; None where the net refuses that width
    found = []
    for parts in tied_layouts(params):
        width = parts["w1"].shape[1]
        if width not in outputs:
            outputs[width] = output_if_taken(net, probe_batch(width))
        if reading_computes(parts, probe_batch(width), outputs[width]):
            found.append(parts)
    assert found, (
        f"tied_net's parameters, of shapes {[tuple(p.shape) for p in params]}, compute Linear -> ReLU -> S -> ReLU "
        "-> S -> ReLU -> Linear with no one square S at both positions"
    )
    return found


def tied_net(lab) -> nn.Module:
    return lab.parameters.tied_net()


def tied_sizes_asked(recorded: dict) -> list:
    """One question: the tied net's own sizes, read from its record; the report's where a reading has them."""
    found = {tied_sizes(parts) for parts in tied_arrangements(Replayed(recorded))}
    return [TIED_SIZES if TIED_SIZES in found else min(found)]


@judged("P5", ask=tied_sizes_asked, answer=nothing, subject=tied_net, survey=record)
def tied_net_is_4_8_8_8_1_as_the_report_writes_it(sizes: list, _: None) -> None:
    """tied_net()'s layers have the report's sizes, Linear(4, 8), the shared Linear(8, 8), Linear(8, 1): one check,
    so other sizes cost this one and no property."""
    sizes = tuple(map(tuple, sizes))
    assert sizes == TIED_SIZES, f"the report's tied_net is 4→8→8→8→1; yours is {arrow((*sizes[:2], *sizes[1:]))}"


def counts_asked(recorded: dict) -> list[dict]:
    """One question: the tied net's trainable scalars, from its record, and how many its three layers hold."""
    net = Replayed(recorded)
    return [{"count": parameter_count(net), "expected": linear_sizes(*tied_sizes(tied_arrangements(net)[0]))}]


@judged("P5", ask=counts_asked, answer=nothing, subject=tied_net, survey=record)
def tied_net_holds_one_shared_square_layer_and_no_more(counts: dict, _: None) -> None:
    """tied_net()'s parameters are those of its first layer, one shared square layer and its last: the tied layer
    adds its parameters once."""
    assert counts["count"] == counts["expected"], (
        f"tied_net has {counts['count']} parameters; its three layers, one shared, have {counts['expected']}"
    )


def batches_and_readings(recorded: dict) -> list[dict]:
    """Any batch of the tied net's input width, with the readings of its record's parameters that compute its
    output (``READING``: S's values and its position among the parameters)."""
    readings = tied_arrangements(Replayed(recorded))
    questions = []
    for width in sorted({parts["w1"].shape[1] for parts in readings}):
        at_width = [{k: parts[k] for k in READING} for parts in readings if parts["w1"].shape[1] == width]
        questions += [{"X": X, "readings": at_width} for X in batches_drawn(width)]
    return questions


def gradients_on(net: nn.Module, question: dict) -> list:
    """Each parameter's gradient (None: it got none) after backward() of the sum of the squares of net(X)."""
    net.zero_grad()
    net(question["X"]).square().sum().backward()
    return [p.grad for p in net.parameters()]


def sum_of_both_uses(parts: dict, X: torch.Tensor) -> torch.Tensor:
    """The gradient of S's weight in the reading ``parts`` that the sum of the squares of its reference's output on
    ``X`` gives: each use's, as two layers with equal values, added."""
    leaves = {k: parts[k].detach().clone().requires_grad_(True) for k in LAYER_PARTS}
    second_w, second_b = (leaves[k].detach().clone().requires_grad_(True) for k in ("s_w", "s_b"))
    tied_reference(**leaves)(X, second_w, second_b).square().sum().backward()
    return leaves["s_w"].grad + second_w.grad


@judged("P5", ask=batches_and_readings, answer=gradients_on, subject=tied_net, survey=record)
def tied_net_shared_gradient_is_the_sum_of_both_uses(question: dict, gradients: list) -> None:
    """tied_net() uses one square layer at both positions, and its weight's gradient is the sum of what
    each use contributes.
    """
    gaps = []
    for parts in question["readings"]:
        got = gradients[parts["index"]]
        assert got is not None, "the shared weight got no gradient"
        got = got.T if parts["transposed"] else got
        expected = sum_of_both_uses(parts, question["X"])
        # relative to the gradient's scale: an entry where the two uses cancel keeps the rounding of their size
        if torch.allclose(got, expected, rtol=1e-4, atol=1e-6 + 1e-5 * expected.abs().max().item()):
            return
        gaps.append((got - expected).abs().max().item())
    raise AssertionError(
        f"the shared weight's gradient is not the sum of its two uses': off by {min(gaps):.3g} at least"
    )


TRAINING_ROWS = 32


def training_runs(recorded: dict) -> list[dict]:
    """For 1 to 6 SGD steps: a batch of the tied net's input width, the targets of its output width, and the
    parameters' values it starts from, its record's."""
    parts = tied_arrangements(Replayed(recorded))[0]
    generator = torch.Generator().manual_seed(0)
    return [
        {
            "steps": steps,
            "X": torch.randn(TRAINING_ROWS, parts["w1"].shape[1], generator=generator),
            "y": torch.randn(TRAINING_ROWS, parts["w3"].shape[0], generator=generator),
            "start": recorded["parameters"],
        }
        for steps in range(1, 7)
    ]


def trained(net: nn.Module, question: dict) -> dict:
    """The net's parameters after ``steps`` SGD steps (lr 0.1) on the mean squared error to ``y``, from the values
    ``start``, and its output on ``X`` after them."""
    with torch.no_grad():
        for p, value in zip(net.parameters(), question["start"], strict=True):
            p.copy_(value)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(question["steps"]):
        optimizer.zero_grad()
        F.mse_loss(net(question["X"]), question["y"]).backward()
        optimizer.step()
    # the parameters as the steps left them: the forward that gives the output may write to them
    after = [p.detach().clone() for p in net.parameters()]
    with torch.no_grad():
        return {"parameters": after, "output": net(question["X"])}


def copies_apart(parts: dict, before: list[torch.Tensor], after: list[torch.Tensor]) -> tuple[int, float]:
    """The parameters that start equal to the reading's S (S included; its first and last layer, which may be
    square and start equal to it too, not): how many, and how far apart training took them (0.0: not at all)."""
    start = before[parts["index"]]
    copies = [
        i for i, p in enumerate(before) if i not in parts["ends"] and p.shape == start.shape and torch.equal(p, start)
    ]
    return len(copies), max((after[i] - after[parts["index"]]).abs().max().item() for i in copies)


@judged("P6", ask=training_runs, answer=trained, subject=tied_net, survey=record)
def tied_net_uses_stay_identical_while_it_trains(question: dict, found: dict) -> None:
    """After any number of SGD steps on tied_net()'s parameters(), its weights have moved and both
    positions still hold one square layer.
    """
    steps, before, after = question["steps"], question["start"], found["parameters"]
    tied = [parts for parts in tied_layouts(after) if reading_computes(parts, question["X"], found["output"])]
    assert tied, (
        f"after {steps} steps no one square layer at both positions computes tied_net's output: "
        "the positions are not tied"
    )
    moved = [parts for parts in tied if not torch.equal(after[parts["index"]], before[parts["index"]])]
    assert moved, f"after {steps} steps the shared weight has not moved: the run never trained it"
    apart = [copies_apart(parts, before, after) for parts in moved]
    count, gap = min(apart, key=lambda counted: counted[1])
    assert not gap, (
        f"after {steps} steps the {count} copies of the shared weight differ by up to {gap:.3g}: "
        "the positions are not tied"
    )


# --- P7: section 1's MLP, by attribute and by name -----------------------------------------


def mlp_input(recorded: dict) -> list[dict]:
    """One batch of MLP's own input width: reachability holds at any size."""
    width = own_sizes(Replayed(recorded), "MLP", 2, MLP_SIZES)[0][0]
    return [{"X": batches_drawn(width)[0]}]


def reached_and_gradients(net: nn.Module, question: dict) -> dict:
    """MLP's parameter names, the shape of each and of its gradient after a backward(), and then the parameters'
    values after the i-th name's attribute path is filled with i + 1: each is its own path's exactly when every
    name's value is its own number."""
    named = list(net.named_parameters())
    net(question["X"]).sum().backward()
    found = {
        "names": [name for name, _ in named],
        "shapes": [list(p.shape) for _, p in named],
        "gradients": [None if p.grad is None else list(p.grad.shape) for _, p in named],
    }
    with torch.no_grad():
        for number, (name, _) in enumerate(named, 1):
            reached = functools.reduce(getattr, name.split("."), net)
            if isinstance(reached, torch.Tensor):
                reached.fill_(number)
    found["filled"] = [p.detach().clone() for _, p in named]
    return found


@judged("P7", ask=mlp_input, answer=reached_and_gradients, subject=mlp, survey=record)
def mlp_parameters_are_reachable_by_attribute_and_name_and_get_gradients_of_their_shape(question, found) -> None:
    """Each of MLP's named parameters is the attribute its dotted name leads to, and after backward()
    each has a gradient of its own shape.
    """
    names = found["names"]
    filled = zip(names, found["filled"], strict=True)
    unreached = [name for number, (name, p) in enumerate(filled, 1) if not torch.equal(p, torch.full_like(p, number))]
    assert not unreached, f"net.{unreached[0]} is not the parameter named {unreached[0]!r}"
    wrong = [
        (name, gradient if gradient is None else tuple(gradient))
        for name, shape, gradient in zip(names, found["shapes"], found["gradients"], strict=True)
        if gradient != shape
    ]
    assert not wrong, f"parameters without a gradient of their own shape: {wrong}"
