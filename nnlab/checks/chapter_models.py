"""Checks of the tutorial chapter, sections 3.5 to 3.10: claims T11 to T20, on any implementation.

Roles (section ``chapter``), under the chapter's names and signatures:
``SimpleAttention(hidden_size)`` (``(batch, seq, hidden) -> (output, weights)``),
``StatefulLayer(input_size, hidden_size)`` with ``reset_state()``,
``InitializationDemo()`` (four ``nn.Linear`` 10→20→20→10→1 given Xavier
uniform, Kaiming normal (fan_out, ReLU), N(0, 0.1²) with bias 0.1, U(-0.1, 0.1)),
``custom_init`` (for ``model.apply``: orthogonal Linear weights, zero bias;
BatchNorm weight 1, bias 0),
``MultiClassifier(input_size, hidden_sizes, num_classes, dropout_rate)``,
``ResidualBlock(hidden_size)``, ``ResNet(input_size, hidden_size, num_blocks, num_classes)``
(the residual MLP), ``MemoryEfficientModel(input_size, hidden_size, num_layers)``
(one layer reused ``num_layers`` times), ``CheckpointModel()`` (1000 wide),
``OptimizedModel()``, ``DebugModel()`` with its ``debug`` flag, and
``visualize_weights(model, layer_name=None)``.

Layers are found by the shapes of their parameters and by what they compute,
never by attribute names; every expected value comes from torch primitives
or from the sizes the chapter states.
"""

import contextlib
import io
import itertools
import math
import re
import warnings

import torch
from hypothesis import strategies as st
from scipy import stats
from torch import nn
from torch.nn import functional as F

from nnlab.checks.blocks import as_linear, linear_sizes, parameter_count
from nnlab.checks.expect import assert_close
from nnlab.checks.registry import check, statement
from nnlab.checks.sampling import assert_distributed_as
from nnlab.checks.strategies import batches, forall, tensors

# ---------------------------------------------------------------- T11: attention


HIDDEN = 4
sequences = tensors((st.integers(1, 3), st.integers(1, 6), HIDDEN), low=-5, high=5, dtype=torch.float64)


def attend(lab, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    out, weights = lab.chapter.SimpleAttention(HIDDEN).double()(h)
    assert out.shape == (h.shape[0], HIDDEN), f"output of shape {tuple(out.shape)} for input {tuple(h.shape)}"
    assert weights.shape == h.shape[:2], f"weights of shape {tuple(weights.shape)} for input {tuple(h.shape)}"
    return out, weights


@check("T11")
def attention_weights_are_a_distribution_over_the_sequence(lab):
    """SimpleAttention's weights are non-negative and sum to 1 over the sequence, for each batch row."""

    @forall(h=sequences)
    def prop(h):
        _, weights = attend(lab, h)
        assert (weights >= 0).all(), f"negative weights {weights[weights < 0].tolist()}"
        assert_close(weights.sum(dim=1), torch.ones(h.shape[0], dtype=torch.float64))

    prop()


@check("T11")
def attention_output_is_the_weighted_sum_of_the_inputs(lab):
    """SimpleAttention's output is sum_t weights[t] * h[t]: a convex combination, inside the inputs' range."""

    @forall(h=sequences)
    def prop(h):
        out, weights = attend(lab, h)
        expected = sum(weights[:, t, None] * h[:, t] for t in range(h.shape[1]))
        assert_close(out, expected)
        slack = 1e-9
        inside = (out >= h.min(dim=1).values - slack) & (out <= h.max(dim=1).values + slack)
        assert inside.all(), "the output leaves the range of the sequence's entries"

    prop()


@check("T11")
def permuting_the_sequence_permutes_the_weights_and_keeps_the_output(lab):
    """Permuting the sequence permutes SimpleAttention's weights the same way and leaves its output unchanged."""

    @forall(data=st.data(), h=sequences)
    def prop(data, h):
        permutation = torch.tensor(data.draw(st.permutations(range(h.shape[1])), label="permutation"))
        attention = lab.chapter.SimpleAttention(HIDDEN).double()
        out, weights = attention(h)
        permuted_out, permuted_weights = attention(h[:, permutation])
        assert_close(permuted_weights, weights[:, permutation])
        assert_close(permuted_out, out)

    prop()


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
            except (ValueError, RuntimeError) as error:
                message = str(error)
                assert re.search(rf"(?<!\d){b2}(?!\d)", message) and "reset" in message.lower(), (
                    f"a batch of {b2} after a batch of {b1} raised {type(error).__name__}({message!r}), "
                    f"which does not name both the batch size {b2} and the reset"
                )
                return
        assert out.shape == (b2, STATE_HIDDEN), f"output of shape {tuple(out.shape)} for a batch of {b2}"

    prop()


# ---------------------------------------------------------------- T13: initialisation

# A Kolmogorov-Smirnov test of each scheme's weights, pooled over DEMOS independent demos; a
# correct scheme fails one with probability at most ALPHA = 1e-6, so the four tests fail together at most 4e-6.
DEMOS = 100
DEMO_LAYERS = [(20, 10), (20, 20), (10, 20), (1, 10)]  # (out, in): the chapter's 10 -> 20 -> 20 -> 10 -> 1


def demo_layers(demo: nn.Module) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The demo's four (weight, bias) pairs, by their shapes: (out, in) weights and (out,) biases."""
    params = [p.detach() for p in demo.parameters()]
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


def pooled(lab) -> list[tuple[torch.Tensor, list[torch.Tensor]]]:
    """Each layer's weights over DEMOS fresh demos, and its biases."""
    layers = [demo_layers(lab.chapter.InitializationDemo()) for _ in range(DEMOS)]
    return [
        (torch.cat([demo[i][0].flatten() for demo in layers]).double(), [demo[i][1] for demo in layers])
        for i in range(len(DEMO_LAYERS))
    ]


@check("T13")
def demo_weights_follow_their_schemes_distributions(lab):
    """InitializationDemo's weights: U(±√(6/30)), N(0, 2/20), N(0, 0.1²), U(±0.1), by Kolmogorov-Smirnov at 1e-6."""
    (xavier, _), (kaiming, _), (normal, _), (uniform, _) = pooled(lab)
    bound = math.sqrt(6 / (10 + 20))
    assert xavier.abs().max() <= bound, f"a Xavier weight {xavier.abs().max():.4f} outside ±{bound:.4f}"
    assert_distributed_as(xavier, stats.uniform(-bound, 2 * bound), "layer 1, Xavier uniform (fan_in 10, fan_out 20)")
    assert_distributed_as(
        kaiming, stats.norm(0, math.sqrt(2 / 20)), "layer 2, Kaiming normal (fan_out 20, ReLU gain √2)"
    )
    assert_distributed_as(normal, stats.norm(0, 0.1), "layer 3, N(0, 0.1²)")
    assert uniform.abs().max() <= 0.1, f"a U(-0.1, 0.1) weight {uniform.abs().max():.4f} outside ±0.1"
    assert_distributed_as(uniform, stats.uniform(-0.1, 0.2), "layer 4, U(-0.1, 0.1)")


@check("T13")
def demo_biases_are_zero_except_the_normal_layers_0_1(lab):
    """InitializationDemo's biases are 0, except the N(0, 0.1²) layer's, which are all 0.1."""
    for (_, biases), expected in zip(pooled(lab), (0.0, 0.0, 0.1, 0.0)):
        for bias in biases:
            assert torch.equal(bias, torch.full_like(bias, expected)), f"bias {bias.tolist()}, expected all {expected}"


@check("T13")
def custom_init_makes_rows_or_columns_orthonormal_for_any_shape(lab):
    """custom_init gives Linear(in, out) orthonormal rows when out <= in, orthonormal columns when out >= in, bias 0."""

    @forall(rows=st.integers(1, 24), columns=st.integers(1, 24))
    def prop(rows, columns):
        layer = nn.Linear(columns, rows)
        nn.Sequential(layer).apply(lab.chapter.custom_init)
        W = layer.weight.detach().double()
        gram = W @ W.T if rows <= columns else W.T @ W
        assert_close(gram, torch.eye(min(rows, columns), dtype=torch.float64), atol=1e-5, rtol=0)
        assert torch.equal(layer.bias, torch.zeros(rows)), f"bias {layer.bias.tolist()}"

    prop()


@check("T13")
def custom_init_draws_a_new_orthogonal_matrix_each_time(lab):
    """custom_init's orthogonal weights are random: two applications to an 8 x 5 layer differ."""
    layer = nn.Linear(5, 8)
    nn.Sequential(layer).apply(lab.chapter.custom_init)
    first = layer.weight.detach().clone()
    nn.Sequential(layer).apply(lab.chapter.custom_init)
    assert not torch.equal(first, layer.weight), "the same matrix twice: orthogonal, but not drawn"


@check("T13")
def custom_init_sets_batchnorm_to_weight_one_bias_zero(lab):
    """custom_init sets a BatchNorm1d's weight to 1 and its bias to 0, whatever they were."""
    bn = nn.BatchNorm1d(7)
    with torch.no_grad():
        bn.weight.normal_(), bn.bias.normal_()
    nn.Sequential(nn.Linear(3, 7), bn).apply(lab.chapter.custom_init)
    assert torch.equal(bn.weight, torch.ones(7)) and torch.equal(bn.bias, torch.zeros(7)), (
        f"weight {bn.weight.tolist()}, bias {bn.bias.tolist()}"
    )


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


# ---------------------------------------------------------------- T16: a reused layer

SHARED_IN, SHARED_HIDDEN = 5, 3


def shared_model(lab, num_layers: int) -> nn.Module:
    return lab.chapter.MemoryEfficientModel(SHARED_IN, SHARED_HIDDEN, num_layers)


@check("T16")
def reused_layer_keeps_the_parameter_count_whatever_the_depth(lab):
    """MemoryEfficientModel(in, h, n) has (in h + h) + (h² + h) + (h + 1) parameters, whatever n."""

    @forall(num_layers=st.integers(1, 30))
    def prop(num_layers):
        count = parameter_count(shared_model(lab, num_layers))
        expected = linear_sizes((SHARED_IN, SHARED_HIDDEN), (SHARED_HIDDEN, SHARED_HIDDEN), (SHARED_HIDDEN, 1))
        assert count == expected, f"{count} parameters at num_layers={num_layers}; one reused layer gives {expected}"

    prop()


@check("T16")
def reused_layer_runs_num_layers_times(lab):
    """With the reused layer set to 2I and every bias 0, MemoryEfficientModel computes 2^n · W_out relu(W_in x)."""

    @forall(num_layers=st.integers(1, 8), x=batches(SHARED_IN, low=-3, high=3))
    def prop(num_layers, x):
        model = shared_model(lab, num_layers).double()
        params = {tuple(p.shape): p for p in model.parameters() if p.dim() == 2}
        w_in = next(p for shape, p in params.items() if sorted(shape) == [SHARED_HIDDEN, SHARED_IN])
        w_out = next(p for shape, p in params.items() if sorted(shape) == [1, SHARED_HIDDEN])
        with torch.no_grad():
            params[(SHARED_HIDDEN, SHARED_HIDDEN)].copy_(2 * torch.eye(SHARED_HIDDEN))
            for p in model.parameters():
                if p.dim() == 1:
                    p.zero_()
            first = as_linear(w_in, torch.zeros(SHARED_HIDDEN, dtype=torch.float64)).double()
            last = as_linear(w_out, torch.zeros(1, dtype=torch.float64)).double()
            expected = 2.0**num_layers * last(torch.relu(first(x.double())))
            assert_close(model(x.double()), expected)

    prop()


# ---------------------------------------------------------------- T17: checkpointing

CHECKPOINT_WIDTH = 1000


def checkpointed_layers_get_no_gradient(lab):
    """The chapter's checkpoint() is reentrant (torch's default): on an input needing no gradient only layer4 trains."""
    model = lab.chapter.CheckpointModel()
    model(torch.randn(2, CHECKPOINT_WIDTH)).sum().backward()
    trained = [tuple(p.shape) for p in model.parameters() if p.grad is not None]
    assert sorted(trained) == [(1,), (1, CHECKPOINT_WIDTH)], f"gradients reached the parameters of shapes {trained}"


def loss_of(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    out = model(x)
    return (out * torch.linspace(0.5, 1.5, out.numel(), dtype=out.dtype).view(out.shape)).sum()


@check("T17")
def checkpointing_gives_the_outputs_of_the_plain_forward(lab):
    """CheckpointModel's output with autograd recording equals its plain forward's, run under no_grad."""
    model = lab.chapter.CheckpointModel()
    x = torch.randn(2, CHECKPOINT_WIDTH)
    with torch.no_grad():
        plain = model(x)
    assert plain.shape == (2, 1), f"output of shape {tuple(plain.shape)} for input (2, {CHECKPOINT_WIDTH})"
    assert_close(model(x), plain, rtol=0, atol=0)
    assert_close(model(x.requires_grad_()), plain, rtol=0, atol=0)


@check("T17", documented=checkpointed_layers_get_no_gradient)
def checkpointing_gives_the_gradients_of_the_plain_forward(lab):
    """CheckpointModel's gradients on an input needing none (training data) match central differences."""
    model = lab.chapter.CheckpointModel().double()
    x = torch.randn(2, CHECKPOINT_WIDTH, dtype=torch.float64)
    loss_of(model, x).backward()
    step = 1e-6
    for index, p in enumerate(model.parameters()):
        assert p.grad is not None, f"no gradient for the parameter of shape {tuple(p.shape)}"
        direction = torch.randn_like(p)
        with torch.no_grad():
            p.add_(step * direction)
            up = loss_of(model, x)
            p.sub_(2 * step * direction)
            down = loss_of(model, x)
            p.add_(step * direction)
        numeric = ((up - down) / (2 * step)).item()
        analytic = (p.grad * direction).sum().item()
        assert math.isclose(analytic, numeric, rel_tol=1e-4, abs_tol=1e-6), (
            f"parameter {index} of shape {tuple(p.shape)}: "
            f"gradient · v = {analytic:.6g}, central difference {numeric:.6g}"
        )


def saved_for_backward(function) -> int:
    """How many tensors ``function()`` keeps for the backward pass."""
    count = 0

    def pack(tensor):
        nonlocal count
        count += 1
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        function()
    return count


@check("T17")
def checkpointing_keeps_fewer_tensors_for_backward(lab):
    """CheckpointModel keeps fewer tensors for backward than a plain Linear-ReLU x3, Linear forward of any width."""
    width = 8
    plain = nn.Sequential(*[m for _ in range(3) for m in (nn.Linear(width, width), nn.ReLU())], nn.Linear(width, 1))
    expected = saved_for_backward(lambda: plain(torch.randn(2, width, requires_grad=True)))
    model = lab.chapter.CheckpointModel()
    got = saved_for_backward(lambda: model(torch.randn(2, CHECKPOINT_WIDTH, requires_grad=True)))
    assert got < expected, f"CheckpointModel keeps {got} tensors for backward; the plain forward keeps {expected}"


# ---------------------------------------------------------------- T18: compilation


def optimized_references(model: nn.Module) -> list:
    """The chapter's computation, 100 -> 200 -> 100 -> 1 with LeakyReLU(0.01), from the model's parameters by shape.

    The two hidden weights, 200 x 100 and 100 x 200, are told apart by layout: both in nn.Linear's
    (out, in), or both transposed; one function for each reading.
    """
    params = [p.detach() for p in model.parameters()]
    shapes = sorted(tuple(p.shape) for p in params)
    expected = sorted([(200, 100), (200,), (100, 200), (100,), (1, 100), (1,)])
    assert shapes in (expected, sorted([(100, 200), (200,), (200, 100), (100,), (100, 1), (1,)])), (
        f"parameters of shapes {shapes}, not those of Linear(100, 200), Linear(200, 100), Linear(100, 1)"
    )
    by_shape = {tuple(p.shape): p for p in params}
    w_out = next(p for p in params if p.dim() == 2 and 1 in p.shape)
    readings = []
    for w1, w2 in ((by_shape[(200, 100)], by_shape[(100, 200)]), (by_shape[(100, 200)].T, by_shape[(200, 100)].T)):
        layers = [as_linear(w1, by_shape[(200,)]), as_linear(w2, by_shape[(100,)]), as_linear(w_out, by_shape[(1,)])]
        readings.append(
            lambda x, layers=layers: layers[2](F.leaky_relu(layers[1](F.leaky_relu(layers[0](x), 0.01)), 0.01))
        )
    return readings


@check("T18")
def optimized_model_is_three_layers_with_leaky_relu_between(lab):
    """OptimizedModel computes Linear(100, 200), LeakyReLU(0.01), Linear(200, 100), LeakyReLU(0.01), Linear(100, 1)."""
    model = lab.chapter.OptimizedModel()
    assert parameter_count(model) == linear_sizes((100, 200), (200, 100), (100, 1)), (
        f"{parameter_count(model)} parameters"
    )
    probe = torch.randn(4, 100)
    expected = min(optimized_references(model), key=lambda f: (f(probe) - model(probe)).abs().max().item())

    @forall(x=tensors((st.integers(1, 2), 100), low=-3, high=3))
    def prop(x):
        assert_close(model(x), expected(x))

    prop()


@check("T18")
def compiled_optimized_model_computes_what_eager_computes(lab):
    """torch.compile(OptimizedModel()) computes what the eager model computes (graph capture, aot_eager backend)."""
    import torch._dynamo  # an attribute of torch only once imported, before torch 2.1

    torch._dynamo.reset()
    model = lab.chapter.OptimizedModel()
    compiled = torch.compile(model, backend="aot_eager", dynamic=True)
    for batch in (1, 5):
        x = torch.randn(batch, 100)
        assert_close(compiled(x), model(x), rtol=0, atol=0)


# The chapter's model for scripting, in torch primitives: a scripted activation inside a scripted module.
# torch.jit.script warns that TorchScript is deprecated from torch 2.10 on (docs/versions.md: 2.9.1 does not)
SCRIPT_DEPRECATED_FROM = (2, 10)


def torch_version() -> tuple[int, int]:
    major, minor = torch.__version__.split(".")[:2]
    return int(major), int(minor)


def scripted_chapter_model() -> tuple[nn.Module, nn.Module, list[warnings.WarningMessage]]:
    """The chapter's OptimizedModel in torch primitives, scripted as the chapter does; the warnings scripting raised."""

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2, self.fc3 = nn.Linear(100, 200), nn.Linear(200, 100), nn.Linear(100, 1)

        def forward(self, x):
            x = F.leaky_relu(self.fc1(x), 0.01)
            x = F.leaky_relu(self.fc2(x), 0.01)
            return self.fc3(x)

    model = Model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scripted = torch.jit.script(model)
    return model, scripted, caught


def deprecation_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, (DeprecationWarning, FutureWarning, UserWarning))
        and "torch.jit.script" in str(w.message)
        and ("deprecated" in str(w.message) or "not supported" in str(w.message))
    ]


def scripting_computes_eager_outputs_and_warns_it_is_deprecated():
    """Scripting computes the eager outputs, but torch.jit.script warns that it is deprecated (torch >= 2.10)."""
    model, scripted, caught = scripted_chapter_model()
    x = torch.randn(16, 100)
    assert_close(scripted(x), model(x), rtol=0, atol=0)
    if torch_version() >= SCRIPT_DEPRECATED_FROM:
        assert deprecation_warnings(caught), (
            f"torch {torch.__version__}: torch.jit.script raised no deprecation warning; "
            f"it raised {[str(w.message) for w in caught]}"
        )


@statement("T18", truth=scripting_computes_eager_outputs_and_warns_it_is_deprecated, when_wrong="qualified")
def scripting_the_model_compiles_it_to_the_same_computation():
    """Section 3.9.2: torch.jit.script compiles the model for better performance, to the same outputs."""
    model, scripted, caught = scripted_chapter_model()
    deprecated = deprecation_warnings(caught)
    assert not deprecated, f"torch {torch.__version__}: torch.jit.script warns {deprecated[0]!r}"
    x = torch.randn(16, 100)
    assert_close(scripted(x), model(x), rtol=0, atol=0)


# ---------------------------------------------------------------- T19: the debug model


def debug_readings(model: nn.Module) -> list:
    """The chapter's stages, 10 -> 20 -> 10 -> 1 with ReLUs, from the model's parameters by shape, one per reading.

    Each weight may be stored in nn.Linear's (out, in) layout or transposed (in, out): the two
    hidden weights, 20 x 10 and 10 x 20 either way, are tried in every order and layout that
    makes a 10 -> 20 -> 10 chain; each reading is a function from the input to its four stages.
    """
    params = [p.detach() for p in model.parameters()]
    shapes = sorted(tuple(p.shape) for p in params)
    vectors = sorted([(20,), (10,), (1,)])
    hidden = sorted(tuple(p.shape) for p in params if p.dim() == 2 and 1 not in p.shape)
    out_shapes = [tuple(p.shape) for p in params if p.dim() == 2 and 1 in p.shape]
    assert (
        len(params) == 6
        and sorted(s for s in shapes if len(s) == 1) == vectors
        and hidden in ([(10, 20), (10, 20)], [(10, 20), (20, 10)], [(20, 10), (20, 10)])
        and out_shapes in ([(1, 10)], [(10, 1)])
    ), f"parameters of shapes {shapes}, not those of Linear(10, 20), Linear(20, 10), Linear(10, 1)"
    bias = {p.shape[0]: p for p in params if p.dim() == 1}
    square = [p for p in params if p.dim() == 2 and 1 not in p.shape]
    w_out = next(p for p in params if p.dim() == 2 and 1 in p.shape)
    fc3 = as_linear(w_out, bias[1])
    readings = []
    for first, second in (square, square[::-1]):
        for w1 in (first, first.T):
            for w2 in (second, second.T):
                if w1.shape == (20, 10) and w2.shape == (10, 20):
                    fc1, fc2 = as_linear(w1, bias[20]), as_linear(w2, bias[10])

                    def stages(x, fc1=fc1, fc2=fc2):
                        h1 = torch.relu(fc1(x))
                        h2 = torch.relu(fc2(h1))
                        return [x, h1, h2, fc3(h2)]

                    readings.append(stages)
    return readings


def debug_reference(model: nn.Module):
    """The reading of the model's parameters (see ``debug_readings``) whose output is the model's own."""
    readings = debug_readings(model)
    probe = torch.randn(16, 10) * 3
    debug = getattr(model, "debug", None)
    try:
        model.debug = False
        with contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
            out = model(probe)
    finally:
        model.debug = debug
    with torch.no_grad():
        return min(readings, key=lambda f: (f(probe)[-1] - out).abs().max().item())


def quiet_debug_model(DebugModel) -> nn.Module:
    """A DebugModel with its flag off, for the general module checks."""
    model = DebugModel()
    model.debug = False
    return model


def printed(function) -> tuple[str, object]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = function()
    return buffer.getvalue(), result


# A number as printed: 0.0597, -.5, +0.0597, 5.975e-02, 6E-2, 0 (not a digit inside a name such as fc1).
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")
# Between a shape's two sizes: a comma, ×, * or another symbol, spaces, or the letter x or the word by.
SHAPE_SEPARATOR = r"(?:\s*[^\w\s.+\-]\s*|\s+|\s*(?:x|X|by)\s*)"


def prints_shape(text: str, b: int, w: int) -> bool:
    """Whether ``text`` writes the shape (b, w): ``(b, w)``, ``[b, w]``, ``torch.Size([b, w])``, ``bxw``, ``b × w``."""
    return re.search(rf"(?<![\w.]){b}{SHAPE_SEPARATOR}{w}(?![\w.])", text) is not None


def prints_number_near(text: str, value: float) -> bool:
    """Whether ``text`` prints a number within rounding (5e-3, or 0.5% of a large value) of ``value``."""
    tolerance = max(5e-3, 5e-3 * abs(value))
    return any(abs(float(n) - value) <= tolerance for n in NUMBER.findall(text))


@check("T19")
def debug_model_prints_each_stages_shape_and_mean_when_on(lab):
    """DebugModel (debug on, as built) prints each stage's shape and mean: input, 10→20, 20→10, 10→1."""

    @forall(x=batches(10, low=-3, high=3))
    def prop(x):
        model = lab.chapter.DebugModel()
        stages = debug_reference(model)(x)
        text, _ = printed(lambda: model(x))
        for stage in stages:
            b, w = stage.shape
            assert prints_shape(text, b, w), f"no shape ({b}, {w}) in what it printed:\n{text}"
            mean = stage.mean().item()
            assert prints_number_near(text, mean), f"no mean {mean:.4f} of a ({b}, {w}) stage in:\n{text}"

    prop()


@check("T19")
def debug_model_prints_nothing_when_off_and_computes_the_same(lab):
    """DebugModel prints nothing with debug = False, and its output is the same with the flag on or off."""

    @forall(x=batches(10, low=-3, high=3))
    def prop(x):
        model = lab.chapter.DebugModel()
        _, loud = printed(lambda: model(x))
        model.debug = False
        text, quiet = printed(lambda: model(x))
        assert text == "", f"printed with debug off: {text!r}"
        assert_close(quiet, loud, rtol=0, atol=0)
        assert_close(quiet, debug_reference(model)(x)[-1])

    prop()


# ---------------------------------------------------------------- T20: weight histograms


def histogram_figures(function):
    """The figures ``function()`` draws: the ones it returns (one, a list or a tuple), or else those pyplot opened."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    before = set(plt.get_fignums())
    try:
        result = function()
        opened = [plt.figure(n) for n in plt.get_fignums() if n not in before]
        if isinstance(result, Figure):
            return [result]
        if isinstance(result, (list, tuple)) and result and all(isinstance(f, Figure) for f in result):
            return list(result)
        return opened
    finally:
        for n in set(plt.get_fignums()) - before:
            plt.close(n)


def panels(figures) -> list:
    return [ax for fig in figures for ax in fig.axes if ax.patches]


def assert_one_panel_per_weight(model: nn.Module, figures, layer_name=None) -> None:
    weights = {n: p for n, p in model.named_parameters() if "weight" in n and (layer_name is None or layer_name in n)}
    drawn = panels(figures)
    assert len(drawn) == len(weights), (
        f"{len(drawn)} histogram panels for the {len(weights)} weight tensors {list(weights)}"
    )
    for name, p in weights.items():
        matching = [ax for ax in drawn if name in ax.get_title()]
        assert matching, f"no panel titled with {name!r}; titles {[ax.get_title() for ax in drawn]}"
        counted = sum(bar.get_height() for bar in matching[0].patches)
        assert counted == p.numel(), f"the {name!r} panel counts {counted} values; the tensor has {p.numel()}"


def histogram_model() -> nn.Module:
    """Five weight tensors: three Linear weights and two BatchNorm weights."""
    return nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.Linear(5, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def visualize_weights_draws_at_most_three_panels(lab):
    """The chapter's visualize_weights draws the first three weight tensors only, on a 1 x 3 grid."""
    model = histogram_model()
    drawn = panels(histogram_figures(lambda: lab.chapter.visualize_weights(model)))
    names = [n for n, _ in model.named_parameters() if "weight" in n][:3]
    assert [next(n for n in names if n in ax.get_title()) for ax in drawn] == names


@check("T20", documented=visualize_weights_draws_at_most_three_panels)
def weight_histograms_have_one_panel_per_weight_tensor(lab):
    """visualize_weights draws one histogram panel per weight tensor, titled with its name, counting all its entries."""
    for model in (nn.Linear(3, 2), histogram_model()):
        assert_one_panel_per_weight(model, histogram_figures(lambda model=model: lab.chapter.visualize_weights(model)))


@check("T20")
def weight_histograms_of_a_named_layer_only(lab):
    """visualize_weights(model, layer_name) draws only the weight tensors whose names contain layer_name."""
    model = histogram_model()
    figures = histogram_figures(lambda: lab.chapter.visualize_weights(model, layer_name="2"))
    assert_one_panel_per_weight(model, figures, layer_name="2")


@check("T20")
def weight_histograms_can_be_written_to_an_image_file(lab):
    """The figure visualize_weights draws writes to a PNG image file."""
    model = histogram_model()
    figures = histogram_figures(lambda: lab.chapter.visualize_weights(model))
    assert figures, "visualize_weights drew no figure"
    buffer = io.BytesIO()
    figures[0].savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG"), "savefig wrote no PNG"
