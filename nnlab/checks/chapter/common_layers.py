"""Statements of tutorial section 3.3, common layers: claims T6 to T8, checked against the installed torch.

What the chapter says of activations, dropout and batch normalisation is about
torch itself; the section defines no roles.

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import math

import torch
from hypothesis import strategies as st
from torch import nn

from nnlab.checks.chapter.modules import (
    float32_sigmoid_lies_in_the_closed_interval_and_strictly_inside_for_moderate_inputs,
)
from nnlab.checks.expect import assert_close
from nnlab.checks.registry import statement
from nnlab.checks.sampling import ALPHA, binomial_pvalue, per_example
from nnlab.checks.strategies import float32_grid, forall, tensors

# ---------------------------------------------------------------- T6: activations

ANY_SHAPE = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)


def activations_follow_their_definitions():
    """Each of the chapter's activations keeps the input's shape and equals its textbook formula, in float64."""

    @forall(x=tensors(ANY_SHAPE, low=-20, high=20, dtype=torch.float64))
    def prop(x):
        logistic = 1 / (1 + torch.exp(-x))
        expected = {
            "ReLU": (nn.ReLU(), torch.where(x > 0, x, torch.zeros_like(x))),
            "LeakyReLU(0.1)": (nn.LeakyReLU(0.1), torch.where(x > 0, x, 0.1 * x)),
            "ELU": (nn.ELU(), torch.where(x > 0, x, torch.exp(x) - 1)),
            "GELU": (nn.GELU(), x * 0.5 * (1 + torch.erf(x / math.sqrt(2)))),
            "SiLU": (nn.SiLU(), x * logistic),
            "Tanh": (nn.Tanh(), (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))),
            "Sigmoid": (nn.Sigmoid(), logistic),
        }
        for name, (activation, formula) in expected.items():
            y = activation(x)
            assert y.shape == x.shape, f"{name} turned shape {tuple(x.shape)} into {tuple(y.shape)}"
            assert_close(y, formula, msg=lambda m, name=name: f"{name}: {m}")

    prop()


@statement("T6", truth=activations_follow_their_definitions, when_wrong="refuted")
def activations_keep_shapes_and_have_their_defining_properties():
    """ReLU is max(0, x), LeakyReLU has slope 0.1 below 0, ELU, GELU, SiLU is x * sigmoid(x); each keeps the shape."""
    activations_follow_their_definitions()


def tanh_is_odd_and_in_the_closed_interval_strictly_inside_for_moderate_inputs():
    """tanh is odd; in float32 in [-1, 1] (+-1 from |x| = 9.01), inside for |x| <= 8; float64 inside for |x| <= 18."""
    x = float32_grid(-50, 50)
    y = torch.tanh(x)
    assert_close(torch.tanh(-x), -y, rtol=0, atol=0)
    assert (y.abs() <= 1).all()
    assert (y[x.abs() <= 8].abs() < 1).all()
    assert (torch.tanh(float32_grid(-18, 18).double()).abs() < 1).all()


@statement("T6", truth=tanh_is_odd_and_in_the_closed_interval_strictly_inside_for_moderate_inputs)
def tanh_is_odd_and_lies_in_the_open_interval():
    """Tanh is odd and lies in (-1, 1)."""
    x = float32_grid(-50, 50)
    y = torch.tanh(x)
    assert_close(torch.tanh(-x), -y, rtol=0, atol=0)
    reached = x[y.abs() >= 1]
    assert reached.numel() == 0, f"float32 tanh(x) is exactly +-1 for |x| >= {reached.abs().min().item()}"


def sigmoid_complements_itself_and_lies_in_the_closed_interval():
    """sigmoid(-x) = 1 - sigmoid(x); in float32 in [0, 1], inside for |x| <= 15; in float64 inside for |x| <= 36."""
    x = float32_grid(-50, 50)
    y = torch.sigmoid(x)
    assert_close(torch.sigmoid(-x), 1 - y, rtol=0, atol=1e-7)
    float32_sigmoid_lies_in_the_closed_interval_and_strictly_inside_for_moderate_inputs()


@statement("T6", truth=sigmoid_complements_itself_and_lies_in_the_closed_interval)
def sigmoid_lies_in_the_open_interval_and_complements_itself():
    """Sigmoid lies in (0, 1) with s(-x) = 1 - s(x)."""
    x = float32_grid(-50, 50)
    y = torch.sigmoid(x)
    assert_close(torch.sigmoid(-x), 1 - y, rtol=0, atol=1e-7)
    reached = x[(y <= 0) | (y >= 1)]
    assert reached.numel() == 0, f"float32 sigmoid(x) is exactly 1 for x >= {reached.min().item()}"


# ---------------------------------------------------------------- T7: dropout

DROPOUT_N = 20_000  # elements per binomial test: a fraction off by 0.02 fails it at p = 0.5
probabilities = st.floats(0.05, 0.95)


def dropout_zeroes_a_binomial_fraction_p():
    """Train-mode Dropout(p) zeroes each element with probability p: its zero count passes an exact binomial test."""

    @forall(p=probabilities)
    def prop(p):
        y = nn.Dropout(p).train()(torch.ones(DROPOUT_N))
        zeros = int((y == 0).sum())
        pvalue = binomial_pvalue(zeros, DROPOUT_N, p)
        assert pvalue > per_example(), (
            f"Dropout({p}) zeroed {zeros} of {DROPOUT_N}; a binomial({DROPOUT_N}, {p}) count that far from "
            f"{p * DROPOUT_N:.0f} has probability {pvalue:.2e} (the test's false-alarm rate is {ALPHA:g})"
        )

    prop()


@statement("T7", truth=dropout_zeroes_a_binomial_fraction_p, when_wrong="refuted")
def dropout_zeroes_about_a_fraction_p_in_train_mode():
    """In train mode, Dropout(p) zeroes about a fraction p of the elements."""
    dropout_zeroes_a_binomial_fraction_p()


def dropout_survivors_are_scaled_by_one_over_one_minus_p():
    """Each element Dropout(p) keeps is x / (1 - p), to float32 rounding; every other one is 0."""

    @forall(p=probabilities, x=tensors(ANY_SHAPE, low=0.5, high=10))
    def prop(p, x):
        y = nn.Dropout(p).train()(x)
        kept = y != 0
        assert_close(y[kept].double(), x[kept].double() / (1 - p), rtol=1e-6, atol=0)

    prop()


@statement("T7", truth=dropout_survivors_are_scaled_by_one_over_one_minus_p, when_wrong="refuted")
def dropout_scales_survivors_to_keep_the_expectation():
    """The elements Dropout(p) keeps are scaled by 1 / (1 - p), so the expectation is kept: E[y] = x."""
    # E[y] = (1 - p) * x / (1 - p) + p * 0 = x follows from this scaling and the fraction p, which has its own statement
    dropout_survivors_are_scaled_by_one_over_one_minus_p()


def dropout_is_random_in_train_mode_and_the_identity_in_eval():
    """Two train-mode calls on the same input differ; in eval mode Dropout returns its input exactly."""

    @forall(p=probabilities, x=tensors(ANY_SHAPE, low=-10, high=10))
    def prop(p, x):
        dropout = nn.Dropout(p)
        assert torch.equal(dropout.eval()(x), x), "eval-mode Dropout changed its input"

    prop()
    dropout, ones = nn.Dropout(0.5).train(), torch.ones(1000)
    # two equal masks of 1000 fair coins: probability 2^-1000
    assert not torch.equal(dropout(ones), dropout(ones)), "two train-mode calls drew the same mask"


@statement("T7", truth=dropout_is_random_in_train_mode_and_the_identity_in_eval, when_wrong="refuted")
def dropout_is_random_in_train_mode_and_deterministic_in_eval():
    """Dropout is random in train mode and the identity in eval mode."""
    dropout_is_random_in_train_mode_and_the_identity_in_eval()


# ---------------------------------------------------------------- T8: batch normalisation

feature_batches = tensors((st.integers(2, 16), st.integers(1, 6)), dtype=torch.float64)


def batchnorm_train_normalises_and_moves_running_statistics():
    """Train-mode BatchNorm1d divides by the biased batch variance; running stats move by 0.1, running_var unbiased."""

    @forall(x=feature_batches)
    def prop(x):
        bn = nn.BatchNorm1d(x.shape[1], dtype=torch.float64).train()
        with torch.no_grad():
            bn.weight.uniform_(0.5, 2)
            bn.bias.uniform_(-1, 1)
        gamma, beta = bn.weight.detach().clone(), bn.bias.detach().clone()
        y = bn(x)
        n = x.shape[0]
        mean = x.sum(0) / n
        biased = ((x - mean) ** 2).sum(0) / n
        assert_close(y, (x - mean) / torch.sqrt(biased + 1e-5) * gamma + beta, msg=lambda m: f"output: {m}")
        assert_close(bn.running_mean, 0.1 * mean, msg=lambda m: f"running_mean: {m}")
        assert_close(bn.running_var, 0.9 + 0.1 * biased * n / (n - 1), msg=lambda m: f"running_var: {m}")

    prop()


@statement("T8", truth=batchnorm_train_normalises_and_moves_running_statistics, when_wrong="refuted")
def batchnorm_normalises_over_the_batch_with_momentum_0_1():
    """Train-mode BatchNorm1d normalises each feature over the batch; running stats move by 0.1, var unbiased."""
    batchnorm_train_normalises_and_moves_running_statistics()


def batchnorm_eval_uses_running_statistics():
    """Eval-mode BatchNorm1d normalises with the running statistics, and leaves them as they were."""

    @forall(x=tensors((st.integers(1, 16), 4), dtype=torch.float64))
    def prop(x):
        bn = nn.BatchNorm1d(4, dtype=torch.float64)
        bn.train()(torch.randn(32, 4, dtype=torch.float64) * 3 + 1)
        bn.eval()
        mean, var = bn.running_mean.clone(), bn.running_var.clone()
        expected = (x - mean) / torch.sqrt(var + 1e-5) * bn.weight.detach() + bn.bias.detach()
        assert_close(bn(x), expected)
        assert torch.equal(bn.running_mean, mean) and torch.equal(bn.running_var, var), (
            "eval mode moved the running statistics"
        )

    prop()


@statement("T8", truth=batchnorm_eval_uses_running_statistics, when_wrong="refuted")
def batchnorm_eval_mode_uses_running_statistics():
    """In eval mode BatchNorm1d uses the running statistics."""
    batchnorm_eval_uses_running_statistics()


def batchnorm_refuses_one_sample_in_train_mode():
    """Train-mode BatchNorm1d raises ValueError on a batch of one (no variance to divide by); eval mode accepts it."""
    bn = nn.BatchNorm1d(3)
    try:
        bn.train()(torch.randn(1, 3))
    except ValueError:
        assert bn.eval()(torch.randn(1, 3)).shape == (1, 3)
        return
    raise AssertionError("BatchNorm1d in train mode accepted a batch of one")


@statement("T8", truth=batchnorm_refuses_one_sample_in_train_mode, when_wrong="refuted")
def batchnorm_batch_of_one_in_train_mode_is_an_error():
    """A batch of one in train mode is an error for BatchNorm1d."""
    batchnorm_refuses_one_sample_in_train_mode()
