"""Checks of tutorial section 3.5, custom layers: claims T10 to T12, on any implementation.

Roles (section ``chapter``): ``CustomLinear(in_features, out_features, bias=True)``,
``SimpleAttention(hidden_size)`` (``(batch, seq, hidden) -> (output, weights)``) and
``StatefulLayer(input_size, hidden_size)`` with ``reset_state()``. That
``F.linear`` computes the linear layer is a statement.

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import functools
import math
import re

import torch
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from nnlab.checks.expect import assert_close
from nnlab.checks.judged import Probe, drawn, judged, once
from nnlab.checks.registry import statement
from nnlab.checks.sampling import assert_distributed_as, bonferroni, uniform
from nnlab.checks.strategies import batches, forall, tensors, widths

# ---------------------------------------------------------------- T10: CustomLinear


def shown(layer: nn.Module, n_in: int) -> dict:
    """What the layer's weight is read from: its parameters, in its order, and its outputs at 0 and at the unit
    vectors of ``n_in`` features."""
    with torch.no_grad():
        return {
            "parameters": [p.detach().clone() for p in layer.parameters()],
            "at zero": layer(torch.zeros(1, n_in)),
            "at units": layer(torch.eye(n_in)),
        }


def affine_reading(found: dict, n_in: int, n_out: int, bias: bool) -> tuple[int, int | None, bool]:
    """Where the layer ``shown`` keeps its weight and bias among its parameters, and whether its weight is stored
    ``(in, out)``.

    Found by sizes (a weight of ``in * out`` entries, 2-D, a bias of ``out``);
    which way round the weight is stored is found from what the layer
    computes at 0 and at the unit vectors, so a square layer is read right.
    """
    parameters = found["parameters"]
    expected = n_in * n_out + (n_out if bias else 0)
    total = sum(p.numel() for p in parameters)
    assert total == expected, f"CustomLinear({n_in}, {n_out}, bias={bias}) has {total} parameters, not {expected}"
    weights = [i for i, p in enumerate(parameters) if tuple(p.shape) in ((n_out, n_in), (n_in, n_out))]
    assert weights, (
        f"no parameter of shape ({n_out}, {n_in}) or ({n_in}, {n_out}) among {[tuple(p.shape) for p in parameters]}"
    )
    weight = weights[0]
    rest = [i for i in range(len(parameters)) if i != weight]
    if bias:
        assert len(rest) == 1 and parameters[rest[0]].numel() == n_out, (
            f"the parameters besides the weight have shapes {[tuple(parameters[i].shape) for i in rest]}, "
            f"not one bias of {n_out}"
        )
    at_zero = found["at zero"].double()
    applied = (found["at units"].double() - at_zero).T  # (out, in): column i is what e_i adds
    stored = parameters[weight].double()
    ways = [(False, stored)] if tuple(stored.shape) == (n_out, n_in) else []
    if tuple(stored.shape) == (n_in, n_out):
        ways.append((True, stored.T))
    for transposed, matrix in ways:
        if torch.allclose(applied, matrix, rtol=1e-4, atol=1e-5):
            return weight, (rest[0] if bias else None), transposed
    raise AssertionError(
        f"the matrix the layer applies is not its weight parameter of shape {tuple(stored.shape)}, "
        "read either way round"
    )


@st.composite
def linear_cases(draw, bias: bool):
    """Sizes, a weight ``(out, in)``, a bias (None: ``bias=False``) and an input batch, all drawn so hypothesis can
    shrink them."""
    n_in, n_out = draw(widths, label="in_features"), draw(widths, label="out_features")
    W = draw(tensors((n_out, n_in), low=-2, high=2), label="W")
    b = draw(tensors((n_out,), low=-2, high=2), label="b") if bias else None
    x = draw(batches(n_in), label="x")
    return n_in, n_out, W, b, x


def applied_with_the_questions_weights(lab, case: list) -> dict:
    """A new CustomLinear of the case's sizes, with a bias where the case has one, as ``shown``; then its output on
    ``x`` once it holds ``W`` and ``b``."""
    n_in, n_out, W, b, x = case
    layer = lab.chapter.CustomLinear(n_in, n_out, bias=b is not None)
    found = shown(layer, n_in)
    weight, bias_at, transposed = affine_reading(found, n_in, n_out, bias=b is not None)
    parameters = list(layer.parameters())
    with torch.no_grad():
        parameters[weight].copy_(W.T if transposed else W)
        if b is not None:
            parameters[bias_at].copy_(b.reshape(parameters[bias_at].shape))
    return {**found, "y": layer(x)}


def custom_linear_applies(case: list, found: dict) -> None:
    """Both forward checks' judge: the layer reads as affine, and once it holds ``W`` and ``b`` (if any) it maps
    ``x`` to ``x W^T + b``."""
    n_in, n_out, W, b, x = case
    affine_reading(found, n_in, n_out, bias=b is not None)
    # y[n, j] = sum_i x[n, i] W[j, i] + b[j], as an explicit sum in float64
    expected = (x.double()[:, None, :] * W.double()[None, :, :]).sum(-1)
    if b is not None:
        expected = expected + b.double()
    got = found["y"]
    assert tuple(got.shape) == (x.shape[0], n_out), f"output shape {tuple(got.shape)} for input {tuple(x.shape)}"
    assert_close(got.double(), expected, rtol=1e-4, atol=1e-4, msg=lambda m: f"not x W^T + b: {m}")


@judged("T10", ask=functools.partial(drawn, linear_cases(bias=True)), answer=applied_with_the_questions_weights)
def custom_linear_computes_x_times_weight_transposed_plus_bias(case, found):
    """CustomLinear(in, out) computes x W^T + b with its own weight W (out, in) and bias b, for any sizes and values."""
    custom_linear_applies(case, found)


@judged("T10", ask=functools.partial(drawn, linear_cases(bias=False)), answer=applied_with_the_questions_weights)
def custom_linear_without_bias_has_only_a_weight_and_computes_x_times_weight_transposed(case, found):
    """CustomLinear(in, out, bias=False) has only a weight W, no bias parameter, and computes x W^T."""
    custom_linear_applies(case, found)


INIT_SIZES = ((16, 512), (300, 24))  # (in, out): fan_in differs from fan_out, and both are large enough to test


def assert_uniform(values: torch.Tensor, bound: float, what: str) -> None:
    """``values`` are in ``[-bound, bound]`` and pass a Kolmogorov-Smirnov test against U(-bound, bound).

    The weight and the bias of each of the INIT_SIZES share ALPHA.
    """
    largest = values.detach().abs().max().item()
    assert largest <= bound * (1 + 1e-6), (
        f"{what}: |value| reaches {largest:.4g}, beyond the bound 1/sqrt(fan_in) = {bound:.4g}"
    )
    assert_distributed_as(
        values, uniform(-bound, bound), f"{what} against U(-{bound:.4g}, {bound:.4g})", bonferroni(2 * len(INIT_SIZES))
    )


def assert_kaiming_uniform(found: dict, n_in: int, n_out: int) -> None:
    weight, bias, _ = affine_reading(found, n_in, n_out, bias=True)
    bound = 1 / math.sqrt(n_in)
    assert_uniform(found["parameters"][weight], bound, f"the weight of CustomLinear({n_in}, {n_out})")
    assert_uniform(found["parameters"][bias], bound, f"the bias of CustomLinear({n_in}, {n_out})")


def new_layers(lab, question: None) -> list[dict]:
    """A new CustomLinear of each of the INIT_SIZES, as ``shown``."""
    return [shown(lab.chapter.CustomLinear(n_in, n_out), n_in) for n_in, n_out in INIT_SIZES]


@judged("T10", ask=once, answer=new_layers)
def custom_linear_starts_with_the_kaiming_uniform_bounds_of_nn_linear(question, layers):
    """A new CustomLinear(in, out) has weight and bias from U(-1/sqrt(in), 1/sqrt(in)), as nn.Linear starts."""
    for (n_in, n_out), found in zip(INIT_SIZES, layers, strict=True):
        assert_kaiming_uniform(found, n_in, n_out)


def reset_layers(lab, question: None) -> list[dict]:
    """A CustomLinear of each of the INIT_SIZES, as ``shown`` once its parameters, all set to 5, are reset."""
    layers = []
    for n_in, n_out in INIT_SIZES:
        layer = lab.chapter.CustomLinear(n_in, n_out)
        with torch.no_grad():
            for p in layer.parameters():
                p.fill_(5.0)
        layer.reset_parameters()
        layers.append(shown(layer, n_in))
    return layers


@judged("T10", ask=once, answer=reset_layers)
def custom_linear_reset_parameters_redraws_from_those_bounds(question, layers):
    """CustomLinear.reset_parameters() redraws weight and bias from U(-1/sqrt(in), 1/sqrt(in)), whatever they held."""
    for (n_in, n_out), found in zip(INIT_SIZES, layers, strict=True):
        assert_kaiming_uniform(found, n_in, n_out)


def reprs_with_and_without_bias(lab, question: None) -> list[str]:
    return [repr(lab.chapter.CustomLinear(13, 7)), repr(lab.chapter.CustomLinear(13, 7, bias=False))]


@judged("T10", ask=once, answer=reprs_with_and_without_bias)
def custom_linear_repr_shows_its_sizes_and_bias(question, reprs):
    """repr(CustomLinear(in, out)) shows both sizes, and tells bias=True from bias=False."""
    with_bias, without = reprs
    for size in ("13", "7"):
        assert re.search(rf"(?<!\d){size}(?!\d)", with_bias), f"{with_bias!r} does not show the size {size}"
    assert with_bias != without, f"bias=True and bias=False print alike: {with_bias!r}"


def f_linear_is_x_times_weight_transposed_plus_bias():
    """F.linear(x, W, b) is x W^T + b, and F.linear(x, W) is x W^T."""

    @forall(case=linear_cases(bias=True))
    def prop(case):
        _, _, W, b, x = case
        expected = (x.double()[:, None, :] * W.double()[None, :, :]).sum(-1)
        assert_close(F.linear(x, W).double(), expected, rtol=1e-4, atol=1e-4)
        assert_close(F.linear(x, W, b).double(), expected + b.double(), rtol=1e-4, atol=1e-4)

    prop()


@statement("T10", truth=f_linear_is_x_times_weight_transposed_plus_bias, when_wrong="refuted")
def f_linear_computes_the_linear_layer():
    """F.linear(input, weight, bias), the chapter's CustomLinear.forward, computes x W^T + b."""
    f_linear_is_x_times_weight_transposed_plus_bias()


# ---------------------------------------------------------------- T11: attention


HIDDEN = 4
sequences = tensors((st.integers(1, 3), st.integers(1, 6), HIDDEN), low=-5, high=5, dtype=torch.float64)


def attended(lab, h: torch.Tensor) -> list:
    return list(lab.chapter.SimpleAttention(HIDDEN).double()(h))


def assert_shapes(h: torch.Tensor, out: torch.Tensor, weights: torch.Tensor) -> None:
    assert out.shape == (h.shape[0], HIDDEN), f"output of shape {tuple(out.shape)} for input {tuple(h.shape)}"
    assert weights.shape == h.shape[:2], f"weights of shape {tuple(weights.shape)} for input {tuple(h.shape)}"


@judged("T11", ask=functools.partial(drawn, sequences), answer=attended)
def attention_weights_are_a_distribution_over_the_sequence(h, found):
    """SimpleAttention's weights are non-negative and sum to 1 over the sequence, for each batch row."""
    out, weights = found
    assert_shapes(h, out, weights)
    assert (weights >= 0).all(), f"negative weights {weights[weights < 0].tolist()}"
    assert_close(weights.sum(dim=1), torch.ones(h.shape[0], dtype=torch.float64))


@judged("T11", ask=functools.partial(drawn, sequences), answer=attended)
def attention_output_is_the_weighted_sum_of_the_inputs(h, found):
    """SimpleAttention's output is sum_t weights[t] * h[t]: a convex combination, inside the inputs' range."""
    out, weights = found
    assert_shapes(h, out, weights)
    expected = sum(weights[:, t, None] * h[:, t] for t in range(h.shape[1]))
    assert_close(out, expected)
    slack = 1e-9
    inside = (out >= h.min(dim=1).values - slack) & (out <= h.max(dim=1).values + slack)
    assert inside.all(), "the output leaves the range of the sequence's entries"


def permuted_sequences() -> list[dict]:
    """Any sequence ``h``, a permutation of its steps, and ``h`` with its steps permuted."""
    drawn_pairs = drawn(sequences.flatmap(lambda h: st.tuples(st.just(h), st.permutations(range(h.shape[1])))))
    return [{"h": h, "permutation": list(order), "permuted": h[:, list(order)]} for h, order in drawn_pairs]


def attended_before_and_after_permuting(lab, question: dict) -> list:
    attention = lab.chapter.SimpleAttention(HIDDEN).double()
    return [*attention(question["h"]), *attention(question["permuted"])]


@judged("T11", ask=permuted_sequences, answer=attended_before_and_after_permuting)
def permuting_the_sequence_permutes_the_weights_and_keeps_the_output(question, found):
    """Permuting the sequence permutes SimpleAttention's weights the same way and leaves its output unchanged."""
    out, weights, permuted_out, permuted_weights = found
    permutation = torch.tensor(question["permutation"])
    assert_close(permuted_weights, weights[:, permutation])
    assert_close(permuted_out, out)


# ---------------------------------------------------------------- T12: state

STATE_IN, STATE_HIDDEN = 6, 5


def stateful(lab):
    return lab.chapter.StatefulLayer(STATE_IN, STATE_HIDDEN)


small_batches = st.integers(1, 6)


def inputs(batch: int) -> st.SearchStrategy:
    # |x| <= 1 keeps tanh far from saturation, where two states could round to the same output
    return tensors((batch, STATE_IN), low=-1, high=1)


def batch_pairs(sizes: st.SearchStrategy) -> list:
    """Two input batches ``(x1, x2)`` of any sizes ``sizes`` draws."""
    return drawn(sizes.flatmap(lambda size: st.tuples(inputs(size[0]), inputs(size[1]))))


def pairs_of_one_size() -> list:
    """Two input batches ``(x1, x2)`` of one size, any size."""
    return batch_pairs(small_batches.map(lambda b: (b, b)))


def after_one_input_and_after_another(lab, pair: list) -> list:
    """The first output, on ``x1``; the next, on ``x2``; once reset, the output on ``x2`` after ``x1 + 1``."""
    x1, x2 = pair
    layer = stateful(lab)
    with torch.no_grad():
        first = layer(x1)
        after_x1 = layer(x2)
        layer.reset_state()
        layer(x1 + 1.0)
        return [first, after_x1, layer(x2)]


@judged("T12", ask=pairs_of_one_size, answer=after_one_input_and_after_another)
def stateful_layer_output_depends_on_the_previous_input(pair, outputs):
    """StatefulLayer's state carries across calls: the second output depends on the first call's input."""
    first, after_x1, after_other = outputs
    b = pair[0].shape[0]
    assert first.shape == (b, STATE_HIDDEN), f"output of shape {tuple(first.shape)} for a batch of {b}"
    assert not torch.equal(after_x1, after_other), "the second output does not depend on the first input"


def gradients_through_the_second_call(lab, pair: list) -> list:
    """What ``x1`` and ``x2`` get (None: nothing) from backward() of the sum of the second call's output."""
    x1, x2 = (x.requires_grad_() for x in pair)
    layer = stateful(lab)
    layer(x1)
    layer(x2).sum().backward()
    return [x1.grad, x2.grad]


@judged("T12", ask=pairs_of_one_size, answer=gradients_through_the_second_call)
def stateful_layer_state_is_detached_from_the_graph(pair, gradients):
    """StatefulLayer's state is detached: backward through the second call does not reach the first input."""
    first, second = gradients
    assert first is None, "backward through the second call reached the first call's input"
    assert second is not None, "backward through the second call did not reach its own input"


def first_call_and_after_a_reset(lab, pair: list) -> list:
    """The output on ``x1``, first; then on ``x1`` again, once ``x2`` has gone through and the layer is reset."""
    x, other = pair
    layer = stateful(lab)
    with torch.no_grad():
        first = layer(x)
        layer(other)
        layer.reset_state()
        return [first, layer(x)]


@judged("T12", ask=pairs_of_one_size, answer=first_call_and_after_a_reset)
def stateful_layer_reset_restores_the_first_call(pair, outputs):
    """After reset_state(), StatefulLayer computes what it computed on its first call."""
    first, again = outputs
    assert_close(again, first, rtol=0, atol=0)


def reset_and_fresh(lab, pair: list) -> list:
    """The output on ``x2`` of a layer reset after ``x1``, and of a fresh layer loaded with its state_dict()."""
    x1, x2 = pair
    layer = stateful(lab)
    with torch.no_grad():
        layer(x1)
        layer.reset_state()
        fresh = stateful(lab)
        fresh.load_state_dict(layer.state_dict())
        fresh.reset_state()
        return [layer(x2), fresh(x2)]


@judged(
    "T12",
    ask=functools.partial(batch_pairs, st.tuples(small_batches, small_batches)),
    answer=reset_and_fresh,
)
def stateful_layer_takes_a_new_batch_size_after_a_reset(pair, outputs):
    """After reset_state(), StatefulLayer takes a batch of another size and starts it from the initial state."""
    reset, fresh = outputs
    assert_close(reset, fresh, rtol=0, atol=0)


def after_another_batch_size(lab, sizes: list) -> dict:
    """A batch of ``b2`` zeros after one of ``b1``, no reset between: the output, or the refusal's classes (its
    type's ``__mro__``, by name) and message."""
    b1, b2 = sizes
    layer = stateful(lab)
    with torch.no_grad():
        layer(torch.zeros(b1, STATE_IN))
        try:
            return {"output": layer(torch.zeros(b2, STATE_IN))}
        except Exception as error:  # noqa: BLE001  (a refusal of any class, an assert or the lab's own, may be clear)
            return {"refused": [cls.__name__ for cls in type(error).__mro__], "message": str(error)}


def a_batch_of_3_after_4() -> list:
    return [(4, 3)]


def stateful_layer_fails_in_expand_on_a_new_batch_size(sizes, found):
    """The chapter's layer, after a batch of 4, fails on a batch of 3 inside expand(): torch's opaque RuntimeError."""
    assert "refused" in found, "a batch of 3 after a batch of 4 did not fail"
    assert "RuntimeError" in found["refused"], f"a {found['refused'][0]}, not a RuntimeError"
    assert "expand" in found["message"], f"a RuntimeError, but not expand's: {found['message']}"


FAILS_IN_EXPAND = Probe(
    a_batch_of_3_after_4, after_another_batch_size, stateful_layer_fails_in_expand_on_a_new_batch_size
)
# two batch sizes, the first at least 2: the chapter's expand() takes a batch after a batch of 1
new_batch_sizes = st.tuples(st.integers(2, 6), small_batches).filter(lambda sizes: sizes[0] != sizes[1])


@judged(
    "T12",
    ask=functools.partial(drawn, new_batch_sizes),
    answer=after_another_batch_size,
    documented=FAILS_IN_EXPAND,
)
def stateful_layer_handles_or_clearly_refuses_a_new_batch_size(sizes, found):
    """Without a reset, a new batch size is handled, or refused by an error that names that size and the reset."""
    b1, b2 = sizes
    if "refused" in found:
        message = found["message"]
        assert re.search(rf"(?<!\d){b2}(?!\d)", message) and "reset" in message.lower(), (
            f"a batch of {b2} after a batch of {b1} raised {found['refused'][0]}({message!r}), "
            f"which does not name both the batch size {b2} and the reset"
        )
        return
    out = found["output"]
    assert out.shape == (b2, STATE_HIDDEN), f"output of shape {tuple(out.shape)} for a batch of {b2}"
