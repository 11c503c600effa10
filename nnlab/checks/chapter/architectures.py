"""Checks of tutorial section 3.8, architectures: claims T14 and T15, on any implementation.

Roles (section ``chapter``): ``MultiClassifier(input_size, hidden_sizes,
num_classes, dropout_rate)``, ``ResidualBlock(hidden_size)`` and
``ResNet(input_size, hidden_size, num_blocks, num_classes)`` (the residual MLP).

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import contextlib
import itertools
import math

import torch
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from nnlab.checks.blocks import linear_sizes, parameter_count
from nnlab.checks.expect import assert_close
from nnlab.checks.registry import check
from nnlab.checks.strategies import forall, tensors

# ---------------------------------------------------------------- T14: the classifier


@contextlib.contextmanager
def one_thread():
    """Run a check on one intra-op thread, putting the count back after.

    Train-mode BatchNorm opens an OpenMP parallel region even for a (6, 8) batch; on a loaded machine each
    region waits for a descheduled worker thread (30 ms a call instead of 0.02 ms, 10 s a check), while
    tensors this small gain nothing from a second thread.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


CLASSES = 5
FEATURES = 12
hidden_lists = st.lists(st.integers(1, 8), min_size=0, max_size=3)


def classifier(lab, hidden: list[int], dropout_rate: float) -> nn.Module:
    return lab.chapter.MultiClassifier(FEATURES, hidden, CLASSES, dropout_rate).double()


def classifier_inputs(low: float = -10, high: float = 10) -> st.SearchStrategy:
    return tensors((st.integers(2, 6), FEATURES), low=low, high=high, dtype=torch.float64)


@check("T14")
@one_thread()
def classifier_softmax_is_a_distribution_over_the_classes(lab):
    """MultiClassifier maps (b, in) to (b, classes) logits whose softmax is a distribution, in train and eval mode."""

    @forall(hidden=hidden_lists, x=classifier_inputs(), train=st.booleans())
    def prop(hidden, x, train):
        out = classifier(lab, hidden, 0.2).train(train)(x)
        assert out.shape == (x.shape[0], CLASSES), f"output of shape {tuple(out.shape)} for input {tuple(x.shape)}"
        probabilities = torch.softmax(out, dim=1)
        assert torch.isfinite(probabilities).all() and (probabilities >= 0).all()
        assert_close(probabilities.sum(dim=1), torch.ones(x.shape[0], dtype=torch.float64))

    prop()


@check("T14")
def classifier_has_linear_and_batchnorm_parameters_per_hidden_size(lab):
    """MultiClassifier has a Linear's and a BatchNorm's parameters per hidden size, then the output Linear's."""

    @forall(hidden=hidden_lists)
    def prop(hidden):
        sizes = [FEATURES, *hidden]
        expected = linear_sizes(*zip(sizes, hidden), (sizes[-1], CLASSES)) + 2 * sum(hidden)
        count = parameter_count(classifier(lab, hidden, 0.2))
        assert count == expected, (
            f"{count} parameters for hidden sizes {hidden}; Linear + BatchNorm per size gives {expected}"
        )

    prop()


@check("T14")
@one_thread()
def classifier_batchnorm_follows_the_first_linear_layer(lab):
    """In training mode MultiClassifier ignores a shift of all input rows: batch norm follows the first Linear."""

    @forall(
        hidden=st.lists(st.integers(1, 8), min_size=1, max_size=3),
        x=classifier_inputs(),
        shift=tensors((FEATURES,), dtype=torch.float64),
    )
    def prop(hidden, x, shift):
        model = classifier(lab, hidden, 0.0).train()
        assert_close(model(x + shift), model(x), rtol=1e-7, atol=1e-7)

    prop()


@check("T14")
@one_thread()
def classifier_dropout_closes_the_last_hidden_block(lab):
    """With dropout_rate=1 in training mode, the last hidden block outputs zeros: every row gets the same logits."""

    @forall(hidden=st.lists(st.integers(1, 8), min_size=1, max_size=3), x=classifier_inputs())
    def prop(hidden, x):
        out = classifier(lab, hidden, 1.0).train()(x)
        assert_close(out, out[:1].expand_as(out), rtol=0, atol=0)

    prop()


@check("T14")
@one_thread()
def classifier_in_eval_mode_treats_each_row_alone(lab):
    """In eval mode MultiClassifier is deterministic and each row's output depends on that row only."""

    @forall(hidden=hidden_lists, x=classifier_inputs())
    def prop(hidden, x):
        model = classifier(lab, hidden, 0.5).eval()
        out = model(x)
        assert_close(model(x), out, rtol=0, atol=0)
        assert_close(torch.cat([model(x[i : i + 1]) for i in range(len(x))]), out)

    prop()


# ---------------------------------------------------------------- T15: residual


def square_and_vectors(module: nn.Module, h: int) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    params = list(module.parameters())
    return [p for p in params if tuple(p.shape) == (h, h)], [p for p in params if tuple(p.shape) == (h,)]


@check("T15")
@one_thread()
def residual_block_keeps_the_shape(lab):
    """ResidualBlock(h) maps (b, h) to (b, h), in train and eval mode."""

    @forall(x=tensors((st.integers(2, 6), st.integers(1, 8)), dtype=torch.float64), train=st.booleans())
    def prop(x, train):
        out = lab.chapter.ResidualBlock(x.shape[1]).double().train(train)(x)
        assert out.shape == x.shape, f"output of shape {tuple(out.shape)} for input {tuple(x.shape)}"

    prop()


# one strategy object per width: hypothesis works out a strategy's properties once per object, not per draw
branch_vectors = {h: tensors((h,), low=-2, high=2, dtype=torch.float64) for h in range(2, 9)}
block_inputs = {h: tensors((st.integers(2, 6), h), dtype=torch.float64) for h in range(2, 9)}


@check("T15")
@one_thread()
def residual_block_adds_its_input_back_before_the_last_relu(lab):
    """With its h x h weights zeroed, ResidualBlock (eval) is relu(x + c), c constant: x joins before the last ReLU."""

    @forall(data=st.data(), h=st.integers(2, 8))
    def prop(data, h):
        block = lab.chapter.ResidualBlock(h).double().eval()
        squares, vectors = square_and_vectors(block, h)
        assert len(squares) == 2, f"{len(squares)} parameters of shape ({h}, {h}), not the branch's two Linear weights"
        with torch.no_grad():
            for p in squares:
                p.zero_()
            for p in vectors:  # biases and BatchNorm affine parameters: any values
                p.copy_(data.draw(branch_vectors[h], label="vector"))
            far = 1000.0
            c = block(torch.full((1, h), far, dtype=torch.float64)) - far  # relu(far + c) = far + c for |c| < far
            x = data.draw(block_inputs[h], label="x")
            assert_close(block(x), torch.relu(x + c))

    prop()


BLOCK_H = 5
BN_EPS = 1e-5  # BatchNorm1d's default


def residual_branch_reference(x, w1, w2, vectors, stats) -> torch.Tensor:
    """``relu(x + bn2(fc2(relu(bn1(fc1(x))))))`` in eval mode, from F.linear and F.batch_norm."""
    b1, gamma1, beta1, b2, gamma2, beta2 = vectors
    mean1, var1, mean2, var2 = stats
    inner = F.batch_norm(F.linear(x, w1, b1), mean1, var1, gamma1, beta1, training=False, eps=BN_EPS)
    branch = F.batch_norm(F.linear(torch.relu(inner), w2, b2), mean2, var2, gamma2, beta2, training=False, eps=BN_EPS)
    return torch.relu(x + branch)


def closest_assignment(target: torch.Tensor, x: torch.Tensor, candidates) -> tuple[float, tuple]:
    """The candidate ``(w1, w2, vectors, stats)`` whose reference output on ``x`` is nearest ``target``."""
    best = (math.inf, ())
    for candidate in candidates:
        with torch.no_grad():
            gap = (residual_branch_reference(x, *candidate) - target).abs().max().item()
        if gap < best[0]:
            best = (gap, candidate)
        if gap < 1e-9:
            break
    return best


@check("T15")
@one_thread()
def residual_block_in_eval_mode_is_relu_of_x_plus_bn2_fc2_relu_bn1_fc1(lab):
    """In eval mode ResidualBlock(h) computes relu(x + bn2(fc2(relu(bn1(fc1(x)))))) with its running statistics.

    The block's tensors are matched to the roles by behaviour: its two h x h weights (either order, either
    layout), its six h-vector parameters (Linear biases, BatchNorm weights and biases) and its four h-vector
    float buffers (running means and variances, which a few train-mode calls on shifted data make non-trivial).
    First all six parameter vectors get one random value, so only the weights and statistics need placing;
    then each gets its own, and the permutation that reproduces the block is found. Hypothesis then draws
    inputs for that assignment. A branch missing its inner ReLU, or with the norms before the Linear layers,
    matches no assignment.
    """
    h = BLOCK_H
    block = lab.chapter.ResidualBlock(h).double()
    squares, vectors = square_and_vectors(block, h)
    stats = [b for b in block.buffers() if b.is_floating_point() and tuple(b.shape) == (h,)]
    assert len(squares) == 2, f"{len(squares)} parameters of shape ({h}, {h}), not the branch's two Linear weights"
    assert len(vectors) == 6, f"{len(vectors)} parameters of shape ({h},), not 2 Linear biases and 2 BatchNorm affines"
    assert len(stats) == 4, f"{len(stats)} float buffers of shape ({h},), not 2 BatchNorm running means and variances"
    with torch.no_grad():
        block.train()
        for shift in (3.0, -1.0, 2.0):
            block(torch.randn(16, h, dtype=torch.float64) * 2 + shift)
        block.eval()
        stats = [b.detach().clone() for b in block.buffers() if b.is_floating_point() and tuple(b.shape) == (h,)]
        probe = torch.randn(8, h, dtype=torch.float64) * 3

        def weight_pairs():
            for first, second in itertools.permutations(squares):
                for t1, t2 in itertools.product((False, True), repeat=2):
                    yield first.T if t1 else first, second.T if t2 else second

        shared = (torch.rand(h, dtype=torch.float64) + 0.5) * torch.sign(torch.randn(h, dtype=torch.float64))
        for p in vectors:
            p.copy_(shared)
        gap, found = closest_assignment(
            block(probe),
            probe,
            ((w1, w2, [shared] * 6, order) for w1, w2 in weight_pairs() for order in itertools.permutations(stats)),
        )
        assert gap < 1e-6, (
            f"with all six h-vectors equal, no placing of its weights and running statistics makes the block "
            f"relu(x + bn2(fc2(relu(bn1(fc1(x)))))); the closest differs by {gap:.3g}"
        )
        w1, w2, _, order = found
        for p in vectors:
            p.copy_((torch.rand(h, dtype=torch.float64) + 0.5) * torch.sign(torch.randn(h, dtype=torch.float64)))
        values = [p.detach() for p in vectors]
        gap, found = closest_assignment(
            block(probe), probe, ((w1, w2, roles, order) for roles in itertools.permutations(values))
        )
        assert gap < 1e-6, (
            f"no placing of its six h-vectors as Linear biases and BatchNorm weights and biases makes the block "
            f"relu(x + bn2(fc2(relu(bn1(fc1(x)))))); the closest differs by {gap:.3g}"
        )

    @forall(x=tensors((st.integers(1, 6), h), dtype=torch.float64))
    def prop(x):
        with torch.no_grad():
            assert_close(block(x), residual_branch_reference(x, *found))

    prop()


@check("T15")
def residual_block_has_two_linear_and_two_batchnorm_layers(lab):
    """ResidualBlock(h) has the parameters of two Linear(h, h) and two BatchNorm1d(h): 2(h² + h) + 4h."""

    @forall(h=st.integers(1, 16))
    def prop(h):
        count = parameter_count(lab.chapter.ResidualBlock(h))
        assert count == 2 * (h * h + h) + 4 * h, f"{count} parameters; expected {2 * (h * h + h) + 4 * h}"

    prop()


@check("T15")
@one_thread()
def residual_mlp_parameter_count_follows_from_its_sizes(lab):
    """ResNet(in, h, n, c) has (in h + h) + n (2(h² + h) + 4h) + (h c + c) parameters and maps (b, in) to (b, c)."""

    @forall(sizes=st.tuples(st.integers(1, 12), st.integers(1, 12), st.integers(0, 3), st.integers(1, 6)))
    def prop(sizes):
        n_in, h, blocks, classes = sizes
        model = lab.chapter.ResNet(n_in, h, blocks, classes)
        expected = linear_sizes((n_in, h), (h, classes)) + blocks * (2 * (h * h + h) + 4 * h)
        assert parameter_count(model) == expected, (
            f"{parameter_count(model)} parameters for {sizes}; expected {expected}"
        )
        out = model.eval()(torch.randn(3, n_in))
        assert out.shape == (3, classes), f"output of shape {tuple(out.shape)}"

    prop()
