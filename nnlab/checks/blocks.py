"""Checks of report section 1, layers and blocks: claims L1 to L7, on any implementation.

Roles (section ``blocks``): ``MLP()``, ``MySequential(*modules)``,
``FixedHiddenMLP()``, ``NestMLP()``, ``chimera()`` (the report's
``nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP())``),
``ParallelBlock(net1, net2)``.

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import functools
import io
import itertools
from collections.abc import Callable

import torch
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from nnlab.blocks import ListSequential
from nnlab.checks.expect import assert_close, show
from nnlab.checks.judged import Probe, drawn, judged, kept_draws, once
from nnlab.checks.recorded import WIDEST, Replayed, output_if_taken, probe_batch, record
from nnlab.checks.registry import statement
from nnlab.checks.run import note
from nnlab.checks.strategies import batches, widths


def linear_sizes(*pairs: tuple[int, int]) -> int:
    """Parameters of ``nn.Linear`` layers of these ``(in, out)`` sizes: the count a role promises."""
    return sum(n_in * n_out + n_out for n_in, n_out in pairs)


def parameter_count(module: nn.Module) -> int:
    """Trainable scalars: a constant held as a frozen ``Parameter`` is as much a constant as a buffer."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


# the report's sizes: (in, out) of each linear layer
MLP_SIZES = ((20, 256), (256, 10))
NEST_SIZES = ((20, 64), (64, 32), (32, 16))

Chain = list[tuple[torch.Tensor, torch.Tensor]]  # (weight as (out, in), bias) per layer, first layer first


def linear_chains(module: nn.Module, layers: int) -> list[Chain]:
    """Every way ``module``'s trainable parameters make a chain of ``layers`` linear layers, each one's input
    the width of the one before's output: the role's own sizes, whatever it names its layers, however it stores
    their weights ((out, in) or (in, out)) and in whichever order it registers them."""
    params = [p.detach() for p in module.parameters() if p.requires_grad]
    weights, biases = [p for p in params if p.dim() == 2], [p for p in params if p.dim() == 1]
    if (len(weights), len(biases)) != (layers, layers) or len(params) != 2 * layers:
        return []
    chains = []
    for order in itertools.permutations(weights):
        for flips in itertools.product((False, True), repeat=layers):
            ordered = [w.T if flip else w for w, flip in zip(order, flips)]
            if any(later.shape[1] != earlier.shape[0] for earlier, later in zip(ordered, ordered[1:])):
                continue
            for paired in itertools.permutations(biases):
                if all(b.shape[0] == w.shape[0] for w, b in zip(ordered, paired)):
                    chains.append(list(zip(ordered, paired)))
    return chains


def sizes_of(chain: Chain) -> tuple[tuple[int, int], ...]:
    return tuple((w.shape[1], w.shape[0]) for w, _ in chain)


def arrow(sizes: tuple[tuple[int, int], ...]) -> str:
    return "→".join(str(n) for n in (sizes[0][0], *(n_out for _, n_out in sizes)))


def chains_or_fail(module: nn.Module, role: str, layers: int) -> list[Chain]:
    chains = linear_chains(module, layers)
    shapes = [tuple(p.shape) for p in module.parameters()]
    assert chains, f"{role}'s parameters, of shapes {shapes}, are not the weights and biases of {layers} chained layers"
    return chains


def own_sizes(module: nn.Module, role: str, layers: int, report: tuple[tuple[int, int], ...], then=lambda X: X):
    """The role's layer sizes: those of a reading of its parameters that computes its output (as ``matching_chain``
    reads it), the ``report``'s where two such readings remain (a square weight reads either way); where none
    computes it (a mistake another check names), of any reading, so the mistake costs no size check."""
    chains = chains_or_fail(module, role, layers)
    computing = [chain for chain in chains if computes_output(module, chain, then)]
    found = {sizes_of(chain) for chain in computing or chains}
    return min(found, key=lambda sizes: (sizes != report, sizes))


def computes_as(chain: Chain, X: torch.Tensor) -> torch.Tensor:
    """The chain's layers with a ReLU between each two, as the report's MLP and NestMLP compute."""
    for i, (weight, bias) in enumerate(chain):
        X = F.linear(X if i == 0 else F.relu(X), weight, bias)
    return X


def computes_output(module: nn.Module, chain: Chain, then: Callable = lambda X: X) -> bool:
    """Whether the chain's layers, ReLUs between them and ``then`` after the last, give the module's output on one
    batch of the chain's input width, the one its record holds (``nnlab.checks.recorded``)."""
    X = probe_batch(chain[0][0].shape[1])
    y = output_if_taken(module, X)
    expected = then(computes_as(chain, X))
    return isinstance(y, torch.Tensor) and y.shape == expected.shape and torch.allclose(y, expected)


def matching_chain(module: nn.Module, role: str, layers: int, then: Callable = lambda X: X) -> Chain:
    """The chain of the module's own layers that gives its output: ReLUs between the layers, and ``then`` after
    the last (block1 ends in a ReLU)."""
    chains = chains_or_fail(module, role, layers)
    for chain in chains:
        if computes_output(module, chain, then):
            return chain
    raise AssertionError(f"{role} computes otherwise than its layers, {arrow(sizes_of(chains[0]))}, with ReLUs between")


def batches_drawn(width: int, low: float = -10.0, high: float = 10.0) -> list[torch.Tensor]:
    """The questions' batches of ``width`` features, drawn once per process (``kept_draws``): several checks and
    every submission ask at the same widths. Only up to the widest a record holds, as the width may come from the
    code under check."""
    assert width <= WIDEST, f"an input width of {width} features: the grader asks at {WIDEST} at most"
    return kept_draws(f"batches {width} {low:g} {high:g}", batches(width, low=low, high=high))


def mlp(lab) -> nn.Module:
    return lab.blocks.MLP()


def nest_mlp(lab) -> nn.Module:
    return lab.blocks.NestMLP()


def nothing(subject, question) -> None:
    """No answer: the survey holds all the property needs."""


def sizes_asked(recorded: dict, role: str, layers: int, report: tuple[tuple[int, int], ...], then=lambda X: X) -> list:
    """One question: the role's own layer sizes, read from its record (``then`` after its last layer)."""
    return [own_sizes(Replayed(recorded), role, layers, report, then)]


def batches_at_own_sizes(recorded: dict, role: str, layers: int, report: tuple[tuple[int, int], ...]) -> list[dict]:
    """Any batch of the role's own input width, with the output width it must map it to."""
    sizes = own_sizes(Replayed(recorded), role, layers, report)
    return [{"X": X, "width": sizes[-1][1]} for X in batches_drawn(sizes[0][0])]


def output_on(module: nn.Module, question: dict):
    return module(question["X"])


@judged(
    "L1",
    ask=functools.partial(sizes_asked, role="MLP", layers=2, report=MLP_SIZES),
    answer=nothing,
    subject=mlp,
    survey=record,
)
def mlp_is_20_256_10_as_the_report_writes_it(sizes: list, _: None) -> None:
    """MLP's layers have the report's sizes, 20→256→10: one check, so other sizes cost this one and no property."""
    sizes = tuple(map(tuple, sizes))
    assert sizes == MLP_SIZES, f"the report's MLP is {arrow(MLP_SIZES)}; yours is {arrow(sizes)}"


@judged(
    "L1",
    ask=functools.partial(batches_at_own_sizes, role="MLP", layers=2, report=MLP_SIZES),
    answer=output_on,
    subject=mlp,
    survey=record,
)
def mlp_maps_any_batch_to_its_output_width(question: dict, out) -> None:
    """MLP maps a (b, d_in) batch to (b, d_out) for any b, at its own sizes (the report's are 20 and 10)."""
    X = question["X"]
    assert out.shape == (X.shape[0], question["width"]), f"MLP gave shape {tuple(out.shape)} for {tuple(X.shape)}"


def as_linear(weight: torch.Tensor, bias: torch.Tensor) -> nn.Linear:
    """An ``nn.Linear`` holding ``weight`` (either layout, ``(out, in)`` or ``(in, out)``) and ``bias``."""
    out_features = bias.shape[0]
    weight = weight if weight.shape[0] == out_features else weight.T
    layer = nn.Linear(weight.shape[1], out_features)
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    return layer


def parameters_by_shape(module: nn.Module, shapes: list[tuple[int, ...]]) -> list[torch.Tensor]:
    """The module's parameters matched to ``shapes``, a transposed 2-D one accepted: roles promise sizes, not names."""
    found = []
    available = list(module.parameters())
    for shape in shapes:
        # by position: list.remove would compare tensors with ==
        index = next((i for i, p in enumerate(available) if tuple(p.shape) in (shape, shape[::-1])), None)
        assert index is not None, f"no parameter of shape {shape} among {[tuple(p.shape) for p in available]}"
        found.append(available.pop(index).detach())
    return found


def through_nn_sequential(chain: Chain) -> nn.Module:
    """nn.Sequential(Linear, ReLU(), Linear) holding a two-layer chain's weights."""
    (w1, b1), (w2, b2) = chain
    return nn.Sequential(as_linear(w1, b1), nn.ReLU(), as_linear(w2, b2))


def through_the_chain(chain: Chain) -> Callable:
    return functools.partial(computes_as, chain)


def outputs_expected(
    recorded: dict, role: str, layers: int, reference: Callable[[Chain], Callable], then: Callable = lambda X: X
) -> list[dict]:
    """Any batch of the role's own input width, with the output ``reference`` computes from the role's own layers
    (those of its record that give its recorded output), ``then`` applied after it."""
    chain = matching_chain(Replayed(recorded), role, layers, then)
    computed = reference(chain)
    with torch.no_grad():
        return [{"X": X, "expected": then(computed(X))} for X in batches_drawn(chain[0][0].shape[1])]


@judged(
    "L2",
    ask=functools.partial(outputs_expected, role="MLP", layers=2, reference=through_nn_sequential),
    answer=output_on,
    subject=mlp,
    survey=record,
)
def torch_sequential_of_the_same_layers_computes_mlp(question: dict, Y) -> None:
    """nn.Sequential(Linear, ReLU(), Linear) with MLP's weights computes what MLP computes, at MLP's own sizes."""
    assert_close(Y, question["expected"])


def chain(widths_: list[int]) -> list[nn.Module]:
    sizes = [4, *widths_]
    children: list[nn.Module] = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        children += [nn.Linear(n_in, n_out), nn.Tanh()]
    return children


def positions_of_parameters(lab, question: None) -> list[int]:
    """Where each of MySequential's parameters stands among its children's (-1: not theirs)."""
    children = chain([5, 3, 2])
    theirs = {id(p): n for n, p in enumerate(p for child in children for p in child.parameters())}
    return [theirs.get(id(p), -1) for p in lab.blocks.MySequential(*children).parameters()]


@judged("L3", ask=once, answer=positions_of_parameters)
def my_sequential_parameters_are_its_childrens_in_order(question: None, positions: list) -> None:
    """MySequential's parameters() are exactly its children's parameters, in insertion order."""
    theirs = len([p for child in chain([5, 3, 2]) for p in child.parameters()])
    assert positions == list(range(theirs)), (
        f"parameters() yields {len(positions)} tensors, not the children's {theirs} in order"
    )


class _Affine(nn.Module):
    """``x * scale + shift``: two of these do not commute, so they reveal the order they ran in."""

    def __init__(self, scale: float, shift: float):
        super().__init__()
        self.scale, self.shift = scale, shift

    def forward(self, x):
        return x * self.scale + self.shift


def in_both_orders(lab, question: None) -> list:
    add_one, double = _Affine(1.0, 1.0), _Affine(2.0, 0.0)
    x = torch.tensor([[3.0]])
    return [lab.blocks.MySequential(add_one, double)(x), lab.blocks.MySequential(double, add_one)(x)]


@judged("L3", ask=once, answer=in_both_orders)
def my_sequential_applies_children_in_insertion_order(question: None, outputs: list) -> None:
    """MySequential(f, g)(x) is g(f(x)): children run in insertion order."""
    for got, expected in zip(outputs, (8.0, 7.0), strict=True):
        assert got.item() == expected, f"for x = 3, (x + 1) * 2 and x * 2 + 1 in that order give {expected}, got {got}"


def with_a_child_given_twice(lab, question: None):
    add_one = _Affine(1.0, 1.0)
    return lab.blocks.MySequential(add_one, add_one)(torch.tensor([[3.0]]))


@judged("L3", ask=once, answer=with_a_child_given_twice)
def my_sequential_applies_a_child_given_twice_twice(question: None, output) -> None:
    """MySequential(f, f)(x) is f(f(x)), as nn.Sequential's is: a child given twice runs twice."""
    got = output.item()
    # self.children() and self.modules() skip a module they have seen: a loop over them runs it once
    assert got == 5.0, f"for x = 3, (x + 1) + 1 is 5, got {got}: the child given twice ran {int(got - 3)} time(s)"


@st.composite
def prefixes_of_chains(draw) -> tuple[list[int], int]:
    """The widths of a chain and how many of its children to take: one (a lone Linear) up to eight."""
    widths_ = draw(st.lists(widths, min_size=1, max_size=4))
    return widths_, draw(st.integers(1, 2 * len(widths_)), label="children")


def chain_question(X: torch.Tensor, widths_: list[int], count: int, seed: int) -> dict:
    """``X`` and the first ``count`` children of ``chain(widths_)``, as the weights of its Linears."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        linears = [child for child in chain(widths_) if isinstance(child, nn.Linear)]
    return {"X": X, "layers": [dict(linear.state_dict()) for linear in linears], "children": count}


def children_of(question: dict) -> list[nn.Module]:
    """The question's children: Linears with the weights it holds, each followed by a Tanh."""
    children: list[nn.Module] = []
    for weights in question["layers"]:
        linear = nn.Linear(weights["weight"].shape[1], weights["weight"].shape[0])
        linear.load_state_dict(weights)
        children += [linear, nn.Tanh()]
    return children[: question["children"]]


def chains_and_batches() -> list[dict]:
    """One child, always (a container may take a path of its own for it), then any prefix of any chain."""
    lone = chain_question(torch.randn(2, 4, generator=torch.Generator().manual_seed(4)), [3], 1, seed=0)
    drawn_chains = drawn(st.tuples(batches(4), prefixes_of_chains()))
    return [lone, *(chain_question(X, w, count, seed) for seed, (X, (w, count)) in enumerate(drawn_chains, 1))]


def in_my_sequential(lab, question: dict):
    return lab.blocks.MySequential(*children_of(question))(question["X"])


@judged("L3", ask=chains_and_batches, answer=in_my_sequential)
def my_sequential_equals_nn_sequential_on_the_same_children(question: dict, Y) -> None:
    """MySequential equals nn.Sequential on the same children, for any chain of widths and any input."""
    children = children_of(question)
    assert_close(Y, nn.Sequential(*children)(question["X"]), msg=f"MySequential of {len(children)} children")


def registered(lab, question: None) -> dict:
    children = chain([3])
    net = lab.blocks.MySequential(*children).to(torch.float64)
    dtypes = [str(p.dtype) for child in children for p in child.parameters()]
    return {"dtypes of the children": dtypes, "state_dict": sorted(net.state_dict())}


@judged("L3", ask=once, answer=registered)
def my_sequential_registers_its_children(question: None, found: dict) -> None:
    """MySequential registers its children: state_dict() holds their tensors and .to(float64) converts them."""
    assert set(found["dtypes of the children"]) == {"torch.float64"}, ".to() left a child behind"
    assert len(found["state_dict"]) == 2, f"state_dict() has {found['state_dict']}, not the Linear's two tensors"


def list_held_blocks() -> tuple[nn.Module, list[nn.Linear]]:
    """The report's exercise 1: MySequential with the blocks in a plain Python list (nnlab's ``ListSequential``)."""
    layers = [nn.Linear(20, 8), nn.Linear(8, 2)]
    return ListSequential(layers[0], nn.ReLU(), layers[1]), layers


def list_held_layers_get_gradients_but_are_not_registered():
    """autograd fills .grad of list-held layers; only parameters(), state_dict(), .to() and optimizers miss them."""
    net, layers = list_held_blocks()
    net(torch.randn(4, 20)).sum().backward()
    assert all(layer.weight.grad is not None for layer in layers)
    assert list(net.parameters()) == [] and net.state_dict() == {}


@statement("L4", truth=list_held_layers_get_gradients_but_are_not_registered, when_wrong="refuted")
def list_held_blocks_cannot_compute_gradients():
    """Consequence 4 of the report: with the blocks in a Python list, backpropagation cannot compute their gradients."""
    net, layers = list_held_blocks()
    net(torch.randn(4, 20)).sum().backward()
    filled = [tuple(layer.weight.grad.shape) for layer in layers if layer.weight.grad is not None]
    assert not filled, f"autograd filled .grad of the list-held layers' weights, of shapes {filled}"


@statement("L4", truth=list_held_layers_get_gradients_but_are_not_registered)
def list_held_blocks_are_invisible_to_parameters_state_dict_to_and_optimizers():
    """Consequences 1, 2, 3 and 5: no parameters, no state_dict entries, .to() skips them, no optimizer can start."""
    net, layers = list_held_blocks()
    assert list(net.parameters()) == [], "parameters() found the list-held layers"
    assert net.state_dict() == {}, "state_dict() holds the list-held layers"
    net.to(torch.float64)
    assert layers[0].weight.dtype == torch.float32, ".to(float64) converted a list-held layer"
    try:
        torch.optim.SGD(net.parameters(), lr=0.1)
    except ValueError:
        return
    raise AssertionError("an optimizer accepted the empty parameter list")


def reloaded(module: nn.Module, fresh: nn.Module) -> nn.Module:
    """``fresh`` after loading ``module``'s state dict through a file, as the report saves it."""
    buffer = io.BytesIO()
    torch.save(module.state_dict(), buffer)
    buffer.seek(0)
    fresh.load_state_dict(torch.load(buffer, weights_only=True))
    return fresh


def unsaved_tensors(module: nn.Module) -> dict[str, torch.Tensor]:
    """The tensors ``module`` and its submodules hold that ``state_dict()`` leaves out, by dotted name: plain
    tensor attributes and non-persistent buffers."""
    unsaved = {}
    for prefix, sub in module.named_modules():
        plain = {name: value for name, value in vars(sub).items() if isinstance(value, torch.Tensor)}
        transient = {name: sub._buffers[name] for name in sub._non_persistent_buffers_set if name in sub._buffers}
        unsaved.update({f"{prefix}.{name}".lstrip("."): t for name, t in {**plain, **transient}.items()})
    return unsaved


def set_tensor(module: nn.Module, name: str, tensor: torch.Tensor) -> None:
    owner, _, attribute = name.rpartition(".")
    setattr(module.get_submodule(owner), attribute, tensor)


def dtypes_of(module: nn.Module) -> dict[str, str]:
    """The dtype of each floating-point parameter and buffer of ``module``, by name."""
    tensors = [*module.named_parameters(), *module.named_buffers()]
    return {name: str(t.dtype) for name, t in tensors if t.is_floating_point()}


def unsaved_constants(module: nn.Module) -> dict[str, torch.Tensor]:
    """The unsaved tensors that can be FixedHiddenMLP's constant: square matrices, as the report's (20, 20)
    rand_weight. Another tensor left out of state_dict() is no deviation of the report's, so it excuses nothing."""
    return {n: t for n, t in unsaved_tensors(module).items() if t.dim() == 2 and t.shape[0] == t.shape[1]}


def fixed_hidden(lab) -> nn.Module:
    return lab.blocks.FixedHiddenMLP()


def wide_batches(low: float, high: float) -> list[dict]:
    """Any batch of 20 features with entries in ``[low, high]``."""
    return [{"X": X} for X in batches_drawn(20, low, high)]


def reloaded_pair(lab) -> tuple[nn.Module, nn.Module]:
    """A FixedHiddenMLP, and a fresh one loaded with its state_dict()."""
    net = lab.blocks.FixedHiddenMLP()
    return net, reloaded(net, lab.blocks.FixedHiddenMLP())


def reloaded_pair_with_the_constant(lab) -> tuple[nn.Module, nn.Module]:
    """The reloaded pair, the copy given the original's unsaved constant too, as a reader of the report must."""
    net, copy = reloaded_pair(lab)
    for name, tensor in unsaved_constants(net).items():
        set_tensor(copy, name, tensor.clone())
    return net, copy


def constants_left_out(pair: tuple[nn.Module, nn.Module]) -> list[str]:
    return sorted(unsaved_constants(pair[0]))


def outputs_of_both(pair: tuple[nn.Module, nn.Module], question: dict) -> list:
    """The copy's output and the original's, on the question's batch."""
    net, copy = pair
    return [copy(question["X"]), net(question["X"])]


def batches_if_a_constant_is_left_out(left_out: list[str]) -> list[dict]:
    assert left_out, "state_dict() holds its constant: the reload differs for a reason of its own, not the report's"
    return wide_batches(-100, 100)


def reproduces_once_its_constant_is_copied(question: dict, outputs: list) -> None:
    """FixedHiddenMLP keeps its constant out of state_dict(), as the report's plain tensor rand_weight: a reload
    draws a new one, and the reloaded copy given that matrix too computes the same outputs."""
    copy_y, net_y = outputs
    assert_close(copy_y, net_y, rtol=0, atol=0)


RELOADS_ONCE_ITS_CONSTANT_IS_COPIED = Probe(
    batches_if_a_constant_is_left_out,
    outputs_of_both,
    reproduces_once_its_constant_is_copied,
    subject=reloaded_pair_with_the_constant,
    survey=constants_left_out,
)


def in_float64_with_its_constant_cast(lab) -> tuple[nn.Module, list[str]]:
    """A FixedHiddenMLP after .to(torch.float64), its unsaved constants left in another dtype cast as well; and
    their names."""
    net = lab.blocks.FixedHiddenMLP().to(torch.float64)
    behind = {n: t for n, t in unsaved_constants(net).items() if t.is_floating_point() and t.dtype != torch.float64}
    for name, tensor in behind.items():
        set_tensor(net, name, tensor.double())
    return net, sorted(behind)


def left_behind_and_dtypes(subject: tuple[nn.Module, list[str]]) -> dict:
    net, behind = subject
    return {"behind": behind, "dtypes": dtypes_of(net)}


def a_float64_batch_if_only_the_constant_was_behind(found: dict) -> list[dict]:
    assert found["behind"], "its constant was not left behind: .to(torch.float64) fails for a reason of its own"
    left = [name for name, dtype in found["dtypes"].items() if dtype != str(torch.float64)]
    assert not left, f".to(torch.float64) left {left} behind"
    return [{"X": torch.randn(4, 20, dtype=torch.float64, generator=torch.Generator().manual_seed(0))}]


def output_of_the_cast(subject: tuple[nn.Module, list[str]], question: dict):
    return subject[0](question["X"])


def computes_in_float64_once_its_constant_is_cast(question: dict, y) -> None:
    """.to(torch.float64) leaves FixedHiddenMLP's constant behind, as it does the report's plain tensor rand_weight
    (it moves parameters and buffers only); cast that tensor too and the module computes in float64."""
    assert y.dtype == torch.float64, f"output in {y.dtype}"


MOVES_TO_FLOAT64_BUT_FOR_ITS_UNSAVED_CONSTANT = Probe(
    a_float64_batch_if_only_the_constant_was_behind,
    output_of_the_cast,
    computes_in_float64_once_its_constant_is_cast,
    subject=in_float64_with_its_constant_cast,
    survey=left_behind_and_dtypes,
)


def one_number(y: torch.Tensor) -> torch.Tensor:
    """FixedHiddenMLP's output (the chimera's too) as the report's one number of shape (); another shape of one
    element, such as (1, 1), is a note, not a failure."""
    assert y.numel() == 1, f"FixedHiddenMLP gave an output of shape {tuple(y.shape)}, not one number"
    if y.shape != ():
        note(f"FixedHiddenMLP returns shape {tuple(y.shape)}; the report's returns shape () (X.sum()).")
    return y.reshape(())


@judged(
    "L5",
    ask=functools.partial(wide_batches, -100, 100),
    answer=outputs_of_both,
    subject=reloaded_pair,
    documented=RELOADS_ONCE_ITS_CONSTANT_IS_COPIED,
)
def fixed_hidden_reloads_to_the_same_function(question: dict, outputs: list) -> None:
    """A FixedHiddenMLP reloaded from its state_dict() into a fresh instance computes the same outputs."""
    copy_y, net_y = outputs
    assert_close(copy_y, net_y, rtol=0, atol=0)


def parameters_of(module: nn.Module) -> list[torch.Tensor]:
    return list(module.parameters())


def trained_count(parameters: list[torch.Tensor]) -> list[int]:
    """One question: how many scalars of the role's parameters are trained."""
    return [sum(p.numel() for p in parameters if p.requires_grad)]


@judged("L5", ask=trained_count, answer=nothing, subject=fixed_hidden, survey=parameters_of)
def fixed_hidden_trains_only_its_linear_layer(count: int, _: None) -> None:
    """FixedHiddenMLP's only parameters are one Linear(20, 20): the constant is not trained."""
    assert count == linear_sizes((20, 20)), f"{count} parameters; one Linear(20, 20) has {linear_sizes((20, 20))}"


def fixed_hidden_as_the_report_writes_it(X, weight, bias, constant):
    """``sum(z / 2^m)``, ``z = L(relu(L(X) @ R + 1))`` with one layer ``L``, halved until ``sum |z| <= 1``."""
    z = F.linear(F.relu(F.linear(X, weight, bias) @ constant + 1), weight, bias)
    while z.abs().sum() > 1:
        z = z / 2
    return z.sum()


def square_tensors(net: nn.Module, trainable: bool) -> list[torch.Tensor]:
    """The module's (20, 20) tensors: its trainable parameters, or the constants it holds (buffers, frozen
    parameters, plain tensor attributes)."""
    if trainable:
        return [p.detach() for p in net.parameters() if p.shape == (20, 20) and p.requires_grad]
    frozen = [p.detach() for p in net.parameters() if not p.requires_grad]
    held = [*net.buffers(), *frozen, *(v for v in vars(net).values() if isinstance(v, torch.Tensor))]
    return [t for t in held if t.shape == (20, 20) and not (isinstance(t, nn.Parameter) and t.requires_grad)]


def first_batch() -> torch.Tensor:
    """The batch FixedHiddenMLP's layout is read on (which weight, stored which way, multiplied from which side)."""
    return torch.rand(3, 20, generator=torch.Generator().manual_seed(0))


def weights_constants_and_output(net: nn.Module) -> dict:
    """FixedHiddenMLP's (20, 20) weights and constants, its trainable biases of 20, and its output on one batch."""
    biases = [p.detach() for p in net.parameters() if p.shape == (20,) and p.requires_grad]
    return {
        "weights": square_tensors(net, trainable=True),
        "constants": square_tensors(net, trainable=False),
        "biases": biases,
        "output": net(first_batch()),
    }


def reports_function_of_its_own_layout(found: dict) -> list[dict]:
    """Any batch, with what the report's function gives there computed from the role's own weight, bias and
    constant: the layout of them that gives its output on the first batch."""
    (bias,) = found["biases"]
    # the layer's weight may be stored (out, in) or (in, out), the constant multiplied from either side
    candidates = [
        (w, r)
        for weight in found["weights"]
        for constant in found["constants"]
        for w in (weight, weight.T)
        for r in (constant, constant.T)
    ]
    assert candidates, "no (20, 20) weight and (20, 20) constant to compute the report's function with"
    X, y = first_batch(), one_number(found["output"])
    matching = [c for c in candidates if torch.allclose(y, fixed_hidden_as_the_report_writes_it(X, c[0], bias, c[1]))]
    assert matching, f"output {y.item():.6g}; L(relu(L(X) @ R + 1)), halved, sums to another value for every layout"
    weight, constant = matching[0]
    questions = wide_batches(-100, 100)
    for question in questions:
        question["expected"] = fixed_hidden_as_the_report_writes_it(question["X"], weight, bias, constant)
    return questions


@judged(
    "L5",
    ask=reports_function_of_its_own_layout,
    answer=output_on,
    subject=fixed_hidden,
    survey=weights_constants_and_output,
)
def fixed_hidden_applies_one_linear_layer_twice_around_its_constant(question: dict, y) -> None:
    """FixedHiddenMLP computes sum(z), z = L(relu(L(X) @ R + 1)) halved until sum |z| <= 1, one layer L used twice."""
    assert_close(one_number(y), question["expected"])


def bounded_at_most_one(question: dict, y) -> None:
    """|y| <= 1 for the role's output ``y``, one number."""
    y = one_number(y)
    assert y.abs().item() <= 1.0, f"output {y.item()}: |y| is above 1"


@judged("L5", ask=functools.partial(wide_batches, -1000, 1000), answer=output_on, subject=fixed_hidden)
def fixed_hidden_output_is_at_most_one_in_magnitude(question: dict, y) -> None:
    """FixedHiddenMLP's while loop bounds its output: |y| <= 1 for any finite input."""
    bounded_at_most_one(question, y)


@judged(
    "L6",
    ask=functools.partial(sizes_asked, role="NestMLP", layers=3, report=NEST_SIZES),
    answer=nothing,
    subject=nest_mlp,
    survey=record,
)
def nest_mlp_is_20_64_32_16_as_the_report_writes_it(sizes: list, _: None) -> None:
    """NestMLP's three layers have the report's sizes, 20→64→32→16: one check, so other sizes cost this one."""
    sizes = tuple(map(tuple, sizes))
    assert sizes == NEST_SIZES, f"the report's NestMLP is {arrow(NEST_SIZES)}; yours is {arrow(sizes)}"


@judged(
    "L6",
    ask=functools.partial(outputs_expected, role="NestMLP", layers=3, reference=through_the_chain),
    answer=output_on,
    subject=nest_mlp,
    survey=record,
)
def nest_mlp_applies_relu_after_each_of_its_first_two_layers(question: dict, Y) -> None:
    """NestMLP computes L3(relu(L2(relu(L1(X))))) with its own three layers, at its own sizes, for any batch."""
    assert_close(Y, question["expected"])


def chimera_and_its_parts(lab) -> dict:
    return {"nest": lab.blocks.NestMLP(), "fixed": lab.blocks.FixedHiddenMLP(), "chimera": lab.blocks.chimera()}


def parts_recorded(parts: dict) -> dict:
    """NestMLP's record, and the parameters of FixedHiddenMLP and of the chimera."""
    return {
        "nest": record(parts["nest"]),
        "fixed": parameters_of(parts["fixed"]),
        "chimera": parameters_of(parts["chimera"]),
    }


def batches_if_all_parts_are_there(found: dict) -> list[dict]:
    """Any batch of NestMLP's own input width, once the chimera is seen to hold all its parts' parameters."""
    nest = own_sizes(Replayed(found["nest"]), "NestMLP", 3, NEST_SIZES)
    (fixed,), (count,) = trained_count(found["fixed"]), trained_count(found["chimera"])
    expected = linear_sizes(*nest, (nest[-1][1], 20)) + fixed
    assert count == expected, f"{count} parameters; its three parts have {expected}"
    return [{"X": X} for X in batches_drawn(nest[0][0])]


def chimera_output(parts: dict, question: dict):
    return parts["chimera"](question["X"])


@judged(
    "L6",
    ask=batches_if_all_parts_are_there,
    answer=chimera_output,
    subject=chimera_and_its_parts,
    survey=parts_recorded,
)
def chimera_runs_end_to_end_with_all_its_parts(question: dict, y) -> None:
    """The chimera (NestMLP, a Linear to 20, FixedHiddenMLP) has all its parts' parameters; maps (b, d) to |y| <= 1.

    Its parts are the lab's own, at their own sizes: the report's NestMLP ends at 16, so its Linear is (16, 20).
    """
    bounded_at_most_one(question, y)


def two_nets(d_in: int, d1: int, d2: int) -> tuple[nn.Module, nn.Module]:
    """Two nets for a ParallelBlock on ``d_in`` features: a two-layer MLP to ``d1``, a Linear to ``d2``."""
    return nn.Sequential(nn.Linear(d_in, 7), nn.ReLU(), nn.Linear(7, d1)), nn.Linear(d_in, d2)


def two_nets_question(X: torch.Tensor, d1: int, d2: int, seed: int) -> dict:
    """``X`` and the weights of ``two_nets`` to widths ``d1`` and ``d2``, initialised from ``seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net1, net2 = two_nets(X.shape[1], d1, d2)
    return {"X": X, "net1": dict(net1.state_dict()), "net2": dict(net2.state_dict())}


def nets_of(question: dict) -> tuple[nn.Module, nn.Module]:
    """The question's two nets, built from the weights it holds."""
    net1, net2 = two_nets(
        question["X"].shape[1], question["net1"]["2.weight"].shape[0], question["net2"]["weight"].shape[0]
    )
    net1.load_state_dict(question["net1"])
    net2.load_state_dict(question["net2"])
    return net1, net2


def two_nets_of_any_widths() -> list[dict]:
    """Any ``(b, 5)`` batch, with two nets to any output widths."""
    return [
        two_nets_question(X, d1, d2, seed)
        for seed, (X, d1, d2) in enumerate(drawn(st.tuples(batches(5), widths, widths)))
    ]


def two_nets_of_width_four() -> list[dict]:
    return [two_nets_question(torch.randn(3, 5, generator=torch.Generator().manual_seed(5)), 4, 4, seed=0)]


def in_parallel(lab, question: dict):
    return lab.blocks.ParallelBlock(*nets_of(question))(question["X"])


def parallel_block_sums(question: dict, Y) -> None:
    """The report's ParallelBlock returns net1(X) + net2(X) and calls it concatenation."""
    net1, net2 = nets_of(question)
    assert_close(Y, net1(question["X"]) + net2(question["X"]))


@judged(
    "L7",
    ask=two_nets_of_any_widths,
    answer=in_parallel,
    documented=Probe(two_nets_of_width_four, in_parallel, parallel_block_sums),
)
def parallel_block_concatenates_for_any_widths(question: dict, Y) -> None:
    """ParallelBlock(net1, net2)(X) is cat(net1(X), net2(X), dim=-1), for any output widths."""
    net1, net2 = nets_of(question)
    X = question["X"]
    assert_close(
        Y,
        torch.cat((net1(X), net2(X)), dim=-1),
        msg=f"for {show(X)} and widths {net1[2].out_features}, {net2.out_features}",
    )


def trained_in_parallel(lab, question: dict) -> dict:
    """Where the block's parameters stand among its two nets' (-1: not theirs), and the gradient each of theirs
    gets from a loss on the block's output (-1: none)."""
    net1, net2 = nets_of(question)
    theirs = [*net1.parameters(), *net2.parameters()]
    block = lab.blocks.ParallelBlock(net1, net2)
    positions = {id(p): n for n, p in enumerate(theirs)}
    found = [positions.get(id(p), -1) for p in block.parameters()]
    block(question["X"]).square().sum().backward()
    return {"positions": found, "gradients": [-1.0 if p.grad is None else p.grad.abs().sum().item() for p in theirs]}


@judged("L7", ask=two_nets_of_width_four, answer=trained_in_parallel)
def parallel_block_trains_both_nets(question: dict, found: dict) -> None:
    """ParallelBlock's parameters are both nets', and a loss on its output reaches every one of them."""
    theirs = [p for net in nets_of(question) for p in net.parameters()]
    assert sorted(found["positions"]) == list(range(len(theirs))), (
        f"ParallelBlock's parameters() yields {len(found['positions'])} tensors, not the {len(theirs)} of its two "
        "nets: register them"
    )
    empty = [tuple(p.shape) for p, gradient in zip(theirs, found["gradients"], strict=True) if not gradient > 0]
    assert not empty, f"no gradient reached the parameters of shapes {empty}"
