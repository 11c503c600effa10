"""Checks of tutorial section 3.8, architectures: claims T14 and T15, on any implementation.

Roles (section ``chapter``): ``MultiClassifier(input_size, hidden_sizes,
num_classes, dropout_rate)``, ``ResidualBlock(hidden_size)`` and
``ResNet(input_size, hidden_size, num_blocks, num_classes)`` (the residual MLP).

Every check is judged (``nnlab.checks.judged``): the lab's code builds the modules and answers with their
outputs and parameters; the sizes, inputs and parameter values are the grader's, and so is the verdict.

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import contextlib
import functools
import itertools
import math

import torch
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from nnlab.checks.blocks import linear_sizes
from nnlab.checks.expect import assert_close
from nnlab.checks.judged import drawn, judged
from nnlab.checks.strategies import tensors

# ---------------------------------------------------------------- T14: the classifier


@contextlib.contextmanager
def one_thread():
    """Run an answer on one intra-op thread, putting the count back after.

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
some_hidden = st.lists(st.integers(1, 8), min_size=1, max_size=3)  # a batch norm and a dropout at least


def classifier(lab, hidden: list[int], dropout_rate: float) -> nn.Module:
    return lab.chapter.MultiClassifier(FEATURES, hidden, CLASSES, dropout_rate).double()


def classifier_inputs(low: float = -10, high: float = 10) -> st.SearchStrategy:
    return tensors((st.integers(2, 6), FEATURES), low=low, high=high, dtype=torch.float64)


def trainable_scalars(parameters: list[torch.Tensor]) -> int:
    """What ``parameter_count`` counts, from a module's parameters as they arrive: their sizes and requires_grad."""
    return sum(p.numel() for p in parameters if p.requires_grad)


def hidden_inputs_and_modes() -> list[dict]:
    """Any hidden sizes (none to three), any (b, in) batch, train or eval mode."""
    return drawn(st.fixed_dictionaries({"hidden": hidden_lists, "x": classifier_inputs(), "train": st.booleans()}))


@one_thread()
def classified(lab, question: dict):
    """MultiClassifier's output, dropout_rate 0.2, in the question's mode."""
    return classifier(lab, question["hidden"], 0.2).train(question["train"])(question["x"])


@judged("T14", ask=hidden_inputs_and_modes, answer=classified)
def classifier_softmax_is_a_distribution_over_the_classes(question: dict, out) -> None:
    """MultiClassifier maps (b, in) to (b, classes) logits whose softmax is a distribution, in train and eval mode."""
    x = question["x"]
    assert out.shape == (x.shape[0], CLASSES), f"output of shape {tuple(out.shape)} for input {tuple(x.shape)}"
    probabilities = torch.softmax(out, dim=1)
    assert torch.isfinite(probabilities).all() and (probabilities >= 0).all()
    assert_close(probabilities.sum(dim=1), torch.ones(x.shape[0], dtype=torch.float64))


def classifier_parameters(lab, hidden: list[int]) -> list[torch.Tensor]:
    return list(classifier(lab, hidden, 0.2).parameters())


@judged("T14", ask=functools.partial(drawn, hidden_lists), answer=classifier_parameters)
def classifier_has_linear_and_batchnorm_parameters_per_hidden_size(hidden: list[int], parameters: list) -> None:
    """MultiClassifier has a Linear's and a BatchNorm's parameters per hidden size, then the output Linear's."""
    sizes = [FEATURES, *hidden]
    expected = linear_sizes(*zip(sizes, hidden), (sizes[-1], CLASSES)) + 2 * sum(hidden)
    count = trainable_scalars(parameters)
    assert count == expected, (
        f"{count} parameters for hidden sizes {hidden}; Linear + BatchNorm per size gives {expected}"
    )


def inputs_and_shifted() -> list[dict]:
    """Any hidden sizes (one to three), any (b, in) batch, and the batch with one row vector added to every row."""
    drawn_triples = drawn(st.tuples(some_hidden, classifier_inputs(), tensors((FEATURES,), dtype=torch.float64)))
    return [{"hidden": hidden, "x": x, "shifted": x + shift} for hidden, x, shift in drawn_triples]


@one_thread()
def outputs_shifted_and_not(lab, question: dict) -> list:
    """One MultiClassifier's training-mode outputs, dropout_rate 0, on the shifted batch and on the batch."""
    model = classifier(lab, question["hidden"], 0.0).train()
    return [model(question["shifted"]), model(question["x"])]


@judged("T14", ask=inputs_and_shifted, answer=outputs_shifted_and_not)
def classifier_batchnorm_follows_the_first_linear_layer(question: dict, outputs: list) -> None:
    """In training mode MultiClassifier ignores a shift of all input rows: batch norm follows the first Linear."""
    assert_close(*outputs, rtol=1e-7, atol=1e-7)


@one_thread()
def output_dropping_everything(lab, question: dict):
    """MultiClassifier's training-mode output with dropout_rate=1."""
    return classifier(lab, question["hidden"], 1.0).train()(question["x"])


@judged(
    "T14",
    ask=functools.partial(drawn, st.fixed_dictionaries({"hidden": some_hidden, "x": classifier_inputs()})),
    answer=output_dropping_everything,
)
def classifier_dropout_closes_the_last_hidden_block(question: dict, out) -> None:
    """With dropout_rate=1 in training mode, the last hidden block outputs zeros: every row gets the same logits."""
    assert_close(out, out[:1].expand_as(out), rtol=0, atol=0)


@one_thread()
def batch_twice_and_row_by_row(lab, question: dict) -> dict:
    """One MultiClassifier's eval-mode outputs, dropout_rate 0.5: on the batch twice, then on each row alone."""
    model = classifier(lab, question["hidden"], 0.5).eval()
    x = question["x"]
    return {"outputs": [model(x), model(x)], "rows": [model(x[i : i + 1]) for i in range(len(x))]}


@judged(
    "T14",
    ask=functools.partial(drawn, st.fixed_dictionaries({"hidden": hidden_lists, "x": classifier_inputs()})),
    answer=batch_twice_and_row_by_row,
)
def classifier_in_eval_mode_treats_each_row_alone(question: dict, found: dict) -> None:
    """In eval mode MultiClassifier is deterministic and each row's output depends on that row only."""
    out, again = found["outputs"]
    assert_close(again, out, rtol=0, atol=0)
    assert_close(torch.cat(found["rows"]), out)


# ---------------------------------------------------------------- T15: residual


def square_and_vectors(shapes: list, h: int) -> tuple[list[int], list[int]]:
    """The positions, among a module's parameters of these shapes, of the (h, h) ones and of the (h,) ones."""
    shapes = [tuple(shape) for shape in shapes]
    return [i for i, s in enumerate(shapes) if s == (h, h)], [i for i, s in enumerate(shapes) if s == (h,)]


def blocks_and_modes() -> list[dict]:
    """Any (b, h) batch, h from 1 to 8, and train or eval mode."""
    x = tensors((st.integers(2, 6), st.integers(1, 8)), dtype=torch.float64)
    return drawn(st.fixed_dictionaries({"x": x, "train": st.booleans()}))


@one_thread()
def block_output(lab, question: dict):
    x = question["x"]
    return lab.chapter.ResidualBlock(x.shape[1]).double().train(question["train"])(x)


@judged("T15", ask=blocks_and_modes, answer=block_output)
def residual_block_keeps_the_shape(question: dict, out) -> None:
    """ResidualBlock(h) maps (b, h) to (b, h), in train and eval mode."""
    x = question["x"]
    assert out.shape == x.shape, f"output of shape {tuple(out.shape)} for input {tuple(x.shape)}"


WIDTHS = range(2, 9)  # the h a block is zeroed at
FAR = 1000.0  # relu(FAR + c) = FAR + c for |c| < FAR: the block's output there reads c off
# one strategy object per width: hypothesis works out a strategy's properties once per object, not per draw
branch_vectors = {h: tensors((h,), low=-2, high=2, dtype=torch.float64) for h in WIDTHS}
block_inputs = {h: tensors((st.integers(2, 6), h), dtype=torch.float64) for h in WIDTHS}


def blocks_in_eval_mode(lab) -> dict[int, nn.Module]:
    return {h: lab.chapter.ResidualBlock(h).double().eval() for h in WIDTHS}


def parameter_shapes(blocks: dict[int, nn.Module]) -> dict[str, list]:
    """The shapes of each block's parameters, in its order, by width."""
    return {str(h): [list(p.shape) for p in block.parameters()] for h, block in blocks.items()}


def value_of_parameter(shape: tuple[int, ...], h: int) -> st.SearchStrategy:
    """0 for an h x h weight, any value for an h-vector, None (left as the block holds it) for any other."""
    if shape == (h, h):
        return st.just(torch.zeros(h, h, dtype=torch.float64))
    return branch_vectors[h] if shape == (h,) else st.none()


def zeroed_branches(shapes: dict[str, list]) -> list[dict]:
    """For any width h: values for the block's parameters, by position, its two h x h weights 0 and each h-vector
    (biases, BatchNorm affine parameters) any; the input at ``FAR`` that reads the constant the branch adds, and
    any (b, h) batch."""
    for h in WIDTHS:
        squares, _ = square_and_vectors(shapes[str(h)], h)
        assert len(squares) == 2, f"{len(squares)} parameters of shape ({h}, {h}), not the branch's two Linear weights"

    def zeroed(h: int) -> st.SearchStrategy:
        values = st.tuples(*(value_of_parameter(tuple(shape), h) for shape in shapes[str(h)]))
        far = torch.full((1, h), FAR, dtype=torch.float64)
        return st.fixed_dictionaries({"values": values, "far": st.just(far), "x": block_inputs[h]})

    return drawn(st.sampled_from(WIDTHS).flatmap(zeroed))


@one_thread()
def zeroed_outputs(blocks: dict[int, nn.Module], question: dict) -> dict:
    """The block of the question's width, its parameters set to the question's values: its output at ``FAR``, and
    on the batch."""
    x = question["x"]
    block = blocks[x.shape[1]]
    with torch.no_grad():
        for p, value in zip(block.parameters(), question["values"], strict=True):
            if value is not None:
                p.copy_(value)
        return {"far": block(question["far"]), "x": block(x)}


@judged("T15", ask=zeroed_branches, answer=zeroed_outputs, subject=blocks_in_eval_mode, survey=parameter_shapes)
def residual_block_adds_its_input_back_before_the_last_relu(question: dict, found: dict) -> None:
    """With its h x h weights zeroed, ResidualBlock (eval) is relu(x + c), c constant: x joins before the last ReLU."""
    c = found["far"] - FAR
    # a block that drops its input reads as c = -FAR (its output 0 at FAR): the branch's constant is far smaller
    assert c.abs().max() < FAR / 2, f"its output at x = {FAR:g} is {found['far'].flatten()[0].item():g}: not x + c"
    assert_close(found["x"], torch.relu(question["x"] + c))


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


def fixed_draws(seed: int, *shape: int) -> torch.Tensor:
    """Values the same in every process: the lab's code is surveyed on them, and the grader knows them to read it."""
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def statistics_batches() -> list[torch.Tensor]:
    """Three (16, h) batches about 3, -1 and 2: train-mode calls on them move the running statistics off 0 and 1."""
    return [fixed_draws(seed, 16, BLOCK_H) * 2 + shift for seed, shift in ((1, 3.0), (2, -1.0), (3, 2.0))]


def block_probe() -> torch.Tensor:
    return fixed_draws(4, 8, BLOCK_H) * 3


def vector_values(count: int) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The value all ``count`` h-vectors share first, then each one's own: magnitudes in [0.5, 1.5], either sign."""
    values = fixed_draws(5, count + 1, BLOCK_H)
    magnitudes = torch.rand(count + 1, BLOCK_H, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    values = (magnitudes + 0.5) * torch.sign(values)
    return values[0], list(values[1:])


def trained_block(lab) -> nn.Module:
    """ResidualBlock(5) in float64 after train-mode calls on ``statistics_batches()``, in eval mode."""
    block = lab.chapter.ResidualBlock(BLOCK_H).double()
    with torch.no_grad():
        block.train()
        for batch in statistics_batches():
            block(batch)
    return block.eval()


def outputs_with_vectors_set(block: nn.Module) -> dict:
    """The block's parameters and h-vector float buffers (running means and variances), then its outputs on the
    probe with every h-vector parameter set to ``vector_values``' shared value, then each to its own: the block
    keeps the last."""
    h = BLOCK_H
    held = list(block.parameters())
    parameters = [p.detach().clone() for p in held]
    _, vectors = square_and_vectors([p.shape for p in parameters], h)
    shared, own = vector_values(len(vectors))
    found = {
        "parameters": parameters,
        "statistics": [b.detach().clone() for b in block.buffers() if b.is_floating_point() and tuple(b.shape) == (h,)],
    }
    outputs = []
    with torch.no_grad():
        for values in ([shared] * len(vectors), own):
            for i, value in zip(vectors, values):
                held[i].copy_(value)
            outputs.append(block(block_probe()))
    return {**found, "outputs": outputs}


def placing_and_batches(found: dict) -> list[dict]:
    """The block's tensors matched to the roles by behaviour, then any (b, h) batch with the output the matched
    reference gives.

    Its two h x h weights (either order, either layout), its six h-vector parameters (Linear biases, BatchNorm
    weights and biases) and its four h-vector float buffers (running means and variances, which the train-mode
    calls of ``trained_block`` made non-trivial). With all six parameter vectors sharing one value, only the
    weights and statistics need placing; with each its own, the permutation that reproduces the block is found.
    A branch missing its inner ReLU, or with the norms before the Linear layers, matches no assignment.
    """
    h = BLOCK_H
    parameters, stats = found["parameters"], found["statistics"]
    squares, vectors = square_and_vectors([p.shape for p in parameters], h)
    assert len(squares) == 2, f"{len(squares)} parameters of shape ({h}, {h}), not the branch's two Linear weights"
    assert len(vectors) == 6, f"{len(vectors)} parameters of shape ({h},), not 2 Linear biases and 2 BatchNorm affines"
    assert len(stats) == 4, f"{len(stats)} float buffers of shape ({h},), not 2 BatchNorm running means and variances"
    shared, own = vector_values(len(vectors))
    with_shared, with_own = found["outputs"]

    def weight_pairs():
        for first, second in itertools.permutations(parameters[i] for i in squares):
            for t1, t2 in itertools.product((False, True), repeat=2):
                yield first.T if t1 else first, second.T if t2 else second

    gap, placed = closest_assignment(
        with_shared,
        block_probe(),
        ((w1, w2, [shared] * 6, order) for w1, w2 in weight_pairs() for order in itertools.permutations(stats)),
    )
    assert gap < 1e-6, (
        f"with all six h-vectors equal, no placing of its weights and running statistics makes the block "
        f"relu(x + bn2(fc2(relu(bn1(fc1(x)))))); the closest differs by {gap:.3g}"
    )
    w1, w2, _, order = placed
    gap, placed = closest_assignment(
        with_own, block_probe(), ((w1, w2, roles, order) for roles in itertools.permutations(own))
    )
    assert gap < 1e-6, (
        f"no placing of its six h-vectors as Linear biases and BatchNorm weights and biases makes the block "
        f"relu(x + bn2(fc2(relu(bn1(fc1(x)))))); the closest differs by {gap:.3g}"
    )
    with torch.no_grad():
        return [
            {"x": x, "expected": residual_branch_reference(x, *placed)}
            for x in drawn(tensors((st.integers(1, 6), h), dtype=torch.float64))
        ]


@one_thread()
def eval_output(block: nn.Module, question: dict):
    with torch.no_grad():
        return block(question["x"])


@judged("T15", ask=placing_and_batches, answer=eval_output, subject=trained_block, survey=outputs_with_vectors_set)
def residual_block_in_eval_mode_is_relu_of_x_plus_bn2_fc2_relu_bn1_fc1(question: dict, y) -> None:
    """In eval mode ResidualBlock(h) computes relu(x + bn2(fc2(relu(bn1(fc1(x)))))) with its running statistics."""
    assert_close(y, question["expected"])


def block_parameters(lab, h: int) -> list[torch.Tensor]:
    return list(lab.chapter.ResidualBlock(h).parameters())


@judged("T15", ask=functools.partial(drawn, st.integers(1, 16)), answer=block_parameters)
def residual_block_has_two_linear_and_two_batchnorm_layers(h: int, parameters: list) -> None:
    """ResidualBlock(h) has the parameters of two Linear(h, h) and two BatchNorm1d(h): 2(h² + h) + 4h."""
    count = trainable_scalars(parameters)
    assert count == 2 * (h * h + h) + 4 * h, f"{count} parameters; expected {2 * (h * h + h) + 4 * h}"


def sizes_and_inputs() -> list[dict]:
    """Any sizes (in, h, blocks, classes), and a (3, in) batch."""
    sizes = st.tuples(st.integers(1, 12), st.integers(1, 12), st.integers(0, 3), st.integers(1, 6))
    drawn_pairs = drawn(
        sizes.flatmap(lambda drawn_sizes: st.tuples(st.just(drawn_sizes), tensors((3, drawn_sizes[0]))))
    )
    return [{"sizes": list(drawn_sizes), "X": X} for drawn_sizes, X in drawn_pairs]


@one_thread()
def resnet_parameters_and_output(lab, question: dict) -> dict:
    model = lab.chapter.ResNet(*question["sizes"])
    return {"parameters": list(model.parameters()), "output": model.eval()(question["X"])}


@judged("T15", ask=sizes_and_inputs, answer=resnet_parameters_and_output)
def residual_mlp_parameter_count_follows_from_its_sizes(question: dict, found: dict) -> None:
    """ResNet(in, h, n, c) has (in h + h) + n (2(h² + h) + 4h) + (h c + c) parameters and maps (b, in) to (b, c)."""
    sizes = tuple(question["sizes"])
    n_in, h, blocks, classes = sizes
    expected = linear_sizes((n_in, h), (h, classes)) + blocks * (2 * (h * h + h) + 4 * h)
    count = trainable_scalars(found["parameters"])
    assert count == expected, f"{count} parameters for {sizes}; expected {expected}"
    out = found["output"]
    assert out.shape == (3, classes), f"output of shape {tuple(out.shape)}"
