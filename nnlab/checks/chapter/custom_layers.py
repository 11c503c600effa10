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
from scipy import stats
from torch import nn
from torch.nn import functional as F

from nnlab.checks.expect import assert_close
from nnlab.checks.judged import drawn, judged, once
from nnlab.checks.registry import check, statement
from nnlab.checks.sampling import assert_distributed_as, bonferroni
from nnlab.checks.strategies import batches, forall, tensors, widths

# ---------------------------------------------------------------- T10: CustomLinear


def affine_parameters(
    layer: nn.Module, n_in: int, n_out: int, bias: bool
) -> tuple[torch.Tensor, torch.Tensor | None, bool]:
    """The layer's weight and bias parameters, and whether its weight is stored ``(in, out)``.

    Found by sizes (a weight of ``in * out`` entries, 2-D, a bias of ``out``);
    which way round the weight is stored is found from what the layer
    computes at 0 and at the unit vectors, so a square layer is read right.
    """
    parameters = list(layer.parameters())
    expected = n_in * n_out + (n_out if bias else 0)
    total = sum(p.numel() for p in parameters)
    assert total == expected, f"CustomLinear({n_in}, {n_out}, bias={bias}) has {total} parameters, not {expected}"
    weights = [p for p in parameters if tuple(p.shape) in ((n_out, n_in), (n_in, n_out))]
    assert weights, (
        f"no parameter of shape ({n_out}, {n_in}) or ({n_in}, {n_out}) among {[tuple(p.shape) for p in parameters]}"
    )
    weight = weights[0]
    rest = [p for p in parameters if p is not weight]
    if bias:
        assert len(rest) == 1 and rest[0].numel() == n_out, (
            f"the parameters besides the weight have shapes {[tuple(p.shape) for p in rest]}, not one bias of {n_out}"
        )
    with torch.no_grad():
        at_zero = layer(torch.zeros(1, n_in)).double()
        applied = (layer(torch.eye(n_in)).double() - at_zero).T  # (out, in): column i is what e_i adds
    stored = weight.detach().double()
    ways = [(False, stored)] if tuple(stored.shape) == (n_out, n_in) else []
    if tuple(stored.shape) == (n_in, n_out):
        ways.append((True, stored.T))
    for transposed, matrix in ways:
        if torch.allclose(applied, matrix, rtol=1e-4, atol=1e-5):
            return weight, (rest[0] if bias else None), transposed
    raise AssertionError(
        f"the matrix the layer applies is not its weight parameter of shape {tuple(weight.shape)}, "
        "read either way round"
    )


@st.composite
def linear_cases(draw, bias: bool):
    """Sizes, a weight ``(out, in)``, a bias and an input batch, all drawn so hypothesis can shrink them."""
    n_in, n_out = draw(widths, label="in_features"), draw(widths, label="out_features")
    W = draw(tensors((n_out, n_in), low=-2, high=2), label="W")
    b = draw(tensors((n_out,), low=-2, high=2), label="b") if bias else None
    x = draw(batches(n_in), label="x")
    return n_in, n_out, W, b, x


def custom_linear_applies(lab, case, bias: bool) -> None:
    n_in, n_out, W, b, x = case
    layer = lab.chapter.CustomLinear(n_in, n_out, bias=bias)
    weight, bias_parameter, transposed = affine_parameters(layer, n_in, n_out, bias)
    with torch.no_grad():
        weight.copy_(W.T if transposed else W)
        if bias:
            bias_parameter.copy_(b.reshape(bias_parameter.shape))
    # y[n, j] = sum_i x[n, i] W[j, i] + b[j], as an explicit sum in float64
    expected = (x.double()[:, None, :] * W.double()[None, :, :]).sum(-1)
    if bias:
        expected = expected + b.double()
    got = layer(x)
    assert tuple(got.shape) == (x.shape[0], n_out), f"output shape {tuple(got.shape)} for input {tuple(x.shape)}"
    assert_close(got.double(), expected, rtol=1e-4, atol=1e-4, msg=lambda m: f"not x W^T + b: {m}")


@check("T10")
def custom_linear_computes_x_times_weight_transposed_plus_bias(lab):
    """CustomLinear(in, out) computes x W^T + b with its own weight W (out, in) and bias b, for any sizes and values."""

    @forall(case=linear_cases(bias=True))
    def prop(case):
        custom_linear_applies(lab, case, bias=True)

    prop()


@check("T10")
def custom_linear_without_bias_has_only_a_weight_and_computes_x_times_weight_transposed(lab):
    """CustomLinear(in, out, bias=False) has only a weight W, no bias parameter, and computes x W^T."""

    @forall(case=linear_cases(bias=False))
    def prop(case):
        custom_linear_applies(lab, case, bias=False)

    prop()


INIT_SIZES = ((16, 512), (300, 24))  # (in, out): fan_in differs from fan_out, and both are large enough to test


def assert_uniform(values: torch.Tensor, bound: float, what: str) -> None:
    """``values`` are in ``[-bound, bound]`` and pass a Kolmogorov-Smirnov test against U(-bound, bound).

    The weight and the bias of each of the INIT_SIZES share ALPHA.
    """
    largest = values.detach().abs().max().item()
    assert largest <= bound * (1 + 1e-6), (
        f"{what}: |value| reaches {largest:.4g}, beyond the bound 1/sqrt(fan_in) = {bound:.4g}"
    )
    uniform = stats.uniform(loc=-bound, scale=2 * bound)
    assert_distributed_as(
        values, uniform, f"{what} against U(-{bound:.4g}, {bound:.4g})", bonferroni(2 * len(INIT_SIZES))
    )


def assert_kaiming_uniform(layer: nn.Module, n_in: int, n_out: int) -> None:
    weight, bias, _ = affine_parameters(layer, n_in, n_out, bias=True)
    bound = 1 / math.sqrt(n_in)
    assert_uniform(weight, bound, f"the weight of CustomLinear({n_in}, {n_out})")
    assert_uniform(bias, bound, f"the bias of CustomLinear({n_in}, {n_out})")


@check("T10")
def custom_linear_starts_with_the_kaiming_uniform_bounds_of_nn_linear(lab):
    """A new CustomLinear(in, out) has weight and bias from U(-1/sqrt(in), 1/sqrt(in)), as nn.Linear starts."""
    for n_in, n_out in INIT_SIZES:
        assert_kaiming_uniform(lab.chapter.CustomLinear(n_in, n_out), n_in, n_out)


@check("T10")
def custom_linear_reset_parameters_redraws_from_those_bounds(lab):
    """CustomLinear.reset_parameters() redraws weight and bias from U(-1/sqrt(in), 1/sqrt(in)), whatever they held."""
    for n_in, n_out in INIT_SIZES:
        layer = lab.chapter.CustomLinear(n_in, n_out)
        with torch.no_grad():
            for p in layer.parameters():
                p.fill_(5.0)
        layer.reset_parameters()
        assert_kaiming_uniform(layer, n_in, n_out)


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


@check("T12")
def stateful_layer_output_depends_on_the_previous_input(lab):
    """StatefulLayer's state carries across calls: the second output depends on the first call's input."""

    @forall(data=st.data(), b=small_batches)
    def prop(data, b):
        x1, x2 = data.draw(inputs(b), label="x1"), data.draw(inputs(b), label="x2")
        layer = stateful(lab)
        with torch.no_grad():
            first = layer(x1)
            assert first.shape == (b, STATE_HIDDEN), f"output of shape {tuple(first.shape)} for a batch of {b}"
            after_x1 = layer(x2)
            layer.reset_state()
            layer(x1 + 1.0)
            after_other = layer(x2)
        assert not torch.equal(after_x1, after_other), "the second output does not depend on the first input"

    prop()


@check("T12")
def stateful_layer_state_is_detached_from_the_graph(lab):
    """StatefulLayer's state is detached: backward through the second call does not reach the first input."""

    @forall(data=st.data(), b=small_batches)
    def prop(data, b):
        x1 = data.draw(inputs(b), label="x1").requires_grad_()
        x2 = data.draw(inputs(b), label="x2").requires_grad_()
        layer = stateful(lab)
        layer(x1)
        layer(x2).sum().backward()
        assert x1.grad is None, "backward through the second call reached the first call's input"
        assert x2.grad is not None, "backward through the second call did not reach its own input"

    prop()


@check("T12")
def stateful_layer_reset_restores_the_first_call(lab):
    """After reset_state(), StatefulLayer computes what it computed on its first call."""

    @forall(data=st.data(), b=small_batches)
    def prop(data, b):
        x, other = data.draw(inputs(b), label="x"), data.draw(inputs(b), label="other")
        layer = stateful(lab)
        with torch.no_grad():
            first = layer(x)
            layer(other)
            layer.reset_state()
            assert_close(layer(x), first, rtol=0, atol=0)

    prop()


@check("T12")
def stateful_layer_takes_a_new_batch_size_after_a_reset(lab):
    """After reset_state(), StatefulLayer takes a batch of another size and starts it from the initial state."""

    @forall(data=st.data(), b1=small_batches, b2=small_batches)
    def prop(data, b1, b2):
        x1, x2 = data.draw(inputs(b1), label="x1"), data.draw(inputs(b2), label="x2")
        layer = stateful(lab)
        with torch.no_grad():
            layer(x1)
            layer.reset_state()
            fresh = stateful(lab)
            fresh.load_state_dict(layer.state_dict())
            fresh.reset_state()
            assert_close(layer(x2), fresh(x2), rtol=0, atol=0)

    prop()


def stateful_layer_fails_in_expand_on_a_new_batch_size(lab):
    """The chapter's layer, after a batch of 4, fails on a batch of 3 inside expand(): torch's opaque RuntimeError."""
    layer = stateful(lab)
    layer(torch.zeros(4, STATE_IN))
    try:
        layer(torch.zeros(3, STATE_IN))
    except RuntimeError as error:
        assert "expand" in str(error), f"a RuntimeError, but not expand's: {error}"
        return
    raise AssertionError("a batch of 3 after a batch of 4 did not fail")


@check("T12", documented=stateful_layer_fails_in_expand_on_a_new_batch_size)
def stateful_layer_handles_or_clearly_refuses_a_new_batch_size(lab):
    """Without a reset, a new batch size is handled, or refused by an error that names that size and the reset."""

    @forall(b1=st.integers(2, 6), b2=small_batches)
    def prop(b1, b2):
        if b1 == b2:
            return
        layer = stateful(lab)
        with torch.no_grad():
            layer(torch.zeros(b1, STATE_IN))
            try:
                out = layer(torch.zeros(b2, STATE_IN))
            except Exception as error:  # noqa: BLE001  (a refusal of any class, an assert or the lab's own, is clear)
                message = str(error)
                assert re.search(rf"(?<!\d){b2}(?!\d)", message) and "reset" in message.lower(), (
                    f"a batch of {b2} after a batch of {b1} raised {type(error).__name__}({message!r}), "
                    f"which does not name both the batch size {b2} and the reset"
                )
                return
        assert out.shape == (b2, STATE_HIDDEN), f"output of shape {tuple(out.shape)} for a batch of {b2}"

    prop()
