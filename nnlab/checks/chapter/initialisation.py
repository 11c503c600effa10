"""Checks of tutorial section 3.6, initialisation: claim T13, on any implementation.

Roles (section ``chapter``): ``InitializationDemo()`` (four ``nn.Linear``
10→20→20→10→1 given Xavier uniform, Kaiming normal (fan_out, ReLU), N(0, 0.1²)
with bias 0.1, U(-0.1, 0.1)) and ``custom_init`` (for ``model.apply``:
orthogonal Linear weights, zero bias; BatchNorm weight 1, bias 0).

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import functools
import math

import torch
from hypothesis import strategies as st
from torch import nn

from nnlab.checks.expect import assert_close
from nnlab.checks.judged import drawn, judged, once
from nnlab.checks.sampling import assert_distributed_as, normal, uniform

# A Kolmogorov-Smirnov test of each scheme's weights, pooled over DEMOS independent demos; a
# correct scheme fails one with probability at most ALPHA = 1e-6, so the four tests fail together at most 4e-6.
DEMOS = 100
DEMO_LAYERS = [(20, 10), (20, 20), (10, 20), (1, 10)]  # (out, in): the chapter's 10 -> 20 -> 20 -> 10 -> 1


def demo_layers(params: list[torch.Tensor]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """A demo's four (weight, bias) pairs, from its parameters by their shapes: (out, in) weights and (out,)
    biases."""
    shapes = sorted(tuple(p.shape) for p in params)
    expected = sorted([*DEMO_LAYERS, *((o,) for o, _ in DEMO_LAYERS)])
    assert shapes == expected, f"parameters of shapes {shapes}, not the chapter's four layers' {expected}"
    weights = [next(p for p in params if tuple(p.shape) == shape) for shape in DEMO_LAYERS]
    biases = [p for p in params if p.dim() == 1]
    # two biases share no size but the (20,)s: the xavier and kaiming layers' biases, both zero
    paired = []
    for (out, _), weight in zip(DEMO_LAYERS, weights):
        candidates = [b for b in biases if b.shape[0] == out]
        paired.append((weight, candidates[0]))
        biases.remove(candidates[0])
    return paired


def demos_parameters(lab, question: None) -> list[list[torch.Tensor]]:
    """The parameters of DEMOS fresh demos, each demo's in its order."""
    return [list(lab.chapter.InitializationDemo().parameters()) for _ in range(DEMOS)]


def pooled(demos: list[list[torch.Tensor]]) -> list[tuple[torch.Tensor, list[torch.Tensor]]]:
    """Each layer's weights over the demos, and its biases."""
    layers = [demo_layers(params) for params in demos]
    return [
        (torch.cat([demo[i][0].flatten() for demo in layers]).double(), [demo[i][1] for demo in layers])
        for i in range(len(DEMO_LAYERS))
    ]


@judged("T13", ask=once, answer=demos_parameters)
def demo_weights_follow_their_schemes_distributions(question, demos):
    """InitializationDemo's weights: U(±√(6/30)), N(0, 2/20), N(0, 0.1²), U(±0.1), by Kolmogorov-Smirnov at 1e-6."""
    (xavier, _), (kaiming, _), (small_normal, _), (small_uniform, _) = pooled(demos)
    bound = math.sqrt(6 / (10 + 20))
    assert xavier.abs().max() <= bound, f"a Xavier weight {xavier.abs().max():.4f} outside ±{bound:.4f}"
    assert_distributed_as(xavier, uniform(-bound, bound), "layer 1, Xavier uniform (fan_in 10, fan_out 20)")
    assert_distributed_as(kaiming, normal(0, math.sqrt(2 / 20)), "layer 2, Kaiming normal (fan_out 20, ReLU gain √2)")
    assert_distributed_as(small_normal, normal(0, 0.1), "layer 3, N(0, 0.1²)")
    assert small_uniform.abs().max() <= 0.1, f"a U(-0.1, 0.1) weight {small_uniform.abs().max():.4f} outside ±0.1"
    assert_distributed_as(small_uniform, uniform(-0.1, 0.1), "layer 4, U(-0.1, 0.1)")


@judged("T13", ask=once, answer=demos_parameters)
def demo_biases_are_zero_except_the_normal_layers_0_1(question, demos):
    """InitializationDemo's biases are 0, except the N(0, 0.1²) layer's, which are all 0.1."""
    for (_, biases), expected in zip(pooled(demos), (0.0, 0.0, 0.1, 0.0)):
        for bias in biases:
            assert torch.equal(bias, torch.full_like(bias, expected)), f"bias {bias.tolist()}, expected all {expected}"


# (rows, columns): (out, in) of a Linear, wide, tall or square
weight_shapes = st.tuples(st.integers(1, 24), st.integers(1, 24))


def initialised_linear(lab, sizes: list) -> dict:
    """A Linear(columns, rows)'s weight and bias after ``apply(custom_init)``."""
    rows, columns = sizes
    layer = nn.Linear(columns, rows)
    nn.Sequential(layer).apply(lab.chapter.custom_init)
    return {"weight": layer.weight, "bias": layer.bias}


@judged("T13", ask=functools.partial(drawn, weight_shapes), answer=initialised_linear)
def custom_init_makes_rows_or_columns_orthonormal_for_any_shape(sizes, found):
    """custom_init gives Linear(in, out) orthonormal rows when out <= in, orthonormal columns when out >= in, bias 0."""
    rows, columns = sizes
    W = found["weight"].detach().double()
    assert W.shape == (rows, columns), f"a weight of shape {tuple(W.shape)} in Linear({columns}, {rows})"
    gram = W @ W.T if rows <= columns else W.T @ W
    assert_close(gram, torch.eye(min(rows, columns), dtype=torch.float64), atol=1e-5, rtol=0)
    assert torch.equal(found["bias"], torch.zeros(rows)), f"bias {found['bias'].tolist()}"


def initialised_twice(lab, question: None) -> list[torch.Tensor]:
    """An 8 x 5 Linear's weight after ``apply(custom_init)``, then after a second application."""
    layer = nn.Linear(5, 8)
    nn.Sequential(layer).apply(lab.chapter.custom_init)
    first = layer.weight.detach().clone()
    nn.Sequential(layer).apply(lab.chapter.custom_init)
    return [first, layer.weight]


@judged("T13", ask=once, answer=initialised_twice)
def custom_init_draws_a_new_orthogonal_matrix_each_time(question, weights):
    """custom_init's orthogonal weights are random: two applications to an 8 x 5 layer differ."""
    first, second = weights
    assert not torch.equal(first, second), "the same matrix twice: orthogonal, but not drawn"


def initialised_batchnorm(lab, question: None) -> dict:
    """A BatchNorm1d(7)'s weight and bias, drawn from N(0, 1), after ``apply(custom_init)`` on a net holding it."""
    bn = nn.BatchNorm1d(7)
    with torch.no_grad():
        bn.weight.normal_(), bn.bias.normal_()
    nn.Sequential(nn.Linear(3, 7), bn).apply(lab.chapter.custom_init)
    return {"weight": bn.weight, "bias": bn.bias}


@judged("T13", ask=once, answer=initialised_batchnorm)
def custom_init_sets_batchnorm_to_weight_one_bias_zero(question, found):
    """custom_init sets a BatchNorm1d's weight to 1 and its bias to 0, whatever they were."""
    weight, bias = found["weight"], found["bias"]
    assert torch.equal(weight, torch.ones(7)) and torch.equal(bias, torch.zeros(7)), (
        f"weight {weight.tolist()}, bias {bias.tolist()}"
    )
