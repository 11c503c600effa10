"""Checks of tutorial sections 3.1 and 3.2, modules: claims T1 to T5, on any implementation.

Roles (section ``chapter``):

- ``Perceptron(input_size)``: called on one sample, a 1-D tensor of
  ``input_size`` features (the chapter's ``torch.dot``), it returns one number;
- ``CustomModule()``: ``Linear(10, 5)``, ReLU, ``Dropout(0.2)``,
  ``Linear(5, 1)``, a bare ``nn.Parameter`` of 5 and a buffer of 5 zeros;
- ``count_parameters(model)`` (trainable scalars), ``freeze_model(model)``,
  ``unfreeze_model(model)``, ``freeze_layer(layer)``.

What the sections say about torch itself (parameters and buffers, train and
eval, a layer without bias) are statements.

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import functools
import itertools

import torch
from hypothesis import strategies as st
from torch import nn

from nnlab.checks.blocks import reloaded
from nnlab.checks.expect import assert_close
from nnlab.checks.judged import drawn, judged, once
from nnlab.checks.registry import statement
from nnlab.checks.strategies import float32_grid, forall, tensors, widths

# ---------------------------------------------------------------- T1: the perceptron


def one_number(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The perceptron's output ``y`` for one sample ``x`` (1-D), as one number."""
    assert y.numel() == 1, f"Perceptron gave {tuple(y.shape)} for one sample of shape {tuple(x.shape)}, not one number"
    return y.reshape(())


def samples(low: float, high: float) -> list[torch.Tensor]:
    """Any one sample of 1 to 12 features in ``[low, high]``: the perceptron is ``Perceptron(n)`` for its width."""
    return drawn(widths.flatmap(lambda n: tensors((n,), low=low, high=high)))


def perceptron_output(lab, x: torch.Tensor) -> torch.Tensor:
    return lab.chapter.Perceptron(x.shape[0])(x)


@judged("T1", ask=functools.partial(samples, -1e4, 1e4), answer=perceptron_output)
def perceptron_output_is_in_the_closed_unit_interval(x, y):
    """The perceptron's output for any sample is one number in [0, 1] (float32 sigmoid reaches both ends)."""
    y = one_number(y, x)
    assert 0 <= y.item() <= 1, f"output {y.item()} is outside [0, 1]"


def logit(y: torch.Tensor) -> torch.Tensor:
    y = y.double()
    return torch.log(y) - torch.log1p(-y)


U = 2.0**-24  # float32's unit roundoff: the perceptron may compute in float32


def logit_error(y: torch.Tensor) -> torch.Tensor:
    """A bound on the error of ``logit(y)`` for a float32 sigmoid output ``y`` (a few ulps off): 4u / (1 - y)."""
    return 4 * U / (1 - y.double())


def samples_and_probes() -> list[dict]:
    """Any sample ``x`` in [-2, 2], with the probes its perceptron is read at: 0 and each unit vector."""
    return [{"x": x, "probes": torch.cat((torch.zeros(1, len(x)), torch.eye(len(x))))} for x in samples(-2, 2)]


def outputs_at_the_probes_and_x(lab, question: dict) -> dict:
    perceptron = lab.chapter.Perceptron(question["x"].shape[0])
    return {"probes": [perceptron(p) for p in question["probes"]], "x": perceptron(question["x"])}


@judged("T1", ask=samples_and_probes, answer=outputs_at_the_probes_and_x)
def perceptron_is_the_sigmoid_of_an_affine_function(question, found):
    """The perceptron is sigmoid(w . x + b): w, b read off its outputs at 0 and at e_i predict every other output."""
    probes = question["probes"]
    n = probes.shape[1]
    outputs = torch.stack([one_number(y, p) for y, p in zip(found["probes"], probes, strict=True)])
    assert ((outputs > 0) & (outputs < 1)).all(), f"outputs at 0 and the unit vectors {outputs.tolist()} saturate"
    b, w = logit(outputs[0]), logit(outputs[1:]) - logit(outputs[0])
    x = question["x"].double()
    z = (x * w).sum() + b
    # how far float32 rounding at the probes and in the perceptron's own sums can move z
    e0, e = logit_error(outputs[0]), logit_error(outputs[1:]) + 2 * U * (w.abs() + b.abs())
    slack = e0 + (x.abs() * (e + e0)).sum() + n * U * ((x * w).abs().sum() + b.abs())
    got = one_number(found["x"], question["x"]).double()
    # sigmoid's slope is at most 1/4, so allowing the whole slack on y leaves a 4x margin; 8u for y's own rounding
    tolerance = (slack + 8 * U).item()
    assert abs(got - torch.sigmoid(z)).item() <= tolerance, (
        f"not sigmoid(w . x + b): for x = {x.tolist()} it gave {got.item()}, sigmoid(w . x + b) is "
        f"{torch.sigmoid(z).item()}, with w = {w.tolist()}, b = {b.item()} read off the probes"
    )


def float32_sigmoid_lies_in_the_closed_interval_and_strictly_inside_for_moderate_inputs():
    """float32 sigmoid is in [0, 1] (1 from z = 16.64, 0 below -88.72), inside for |z| <= 15; float64 for |z| <= 36."""
    z = float32_grid(-200, 200)
    y = torch.sigmoid(z)
    assert ((y >= 0) & (y <= 1)).all()
    moderate = z.abs() <= 15
    assert ((y[moderate] > 0) & (y[moderate] < 1)).all()
    y64 = torch.sigmoid(float32_grid(-36, 36).double())
    assert ((y64 > 0) & (y64 < 1)).all()


@statement("T1", truth=float32_sigmoid_lies_in_the_closed_interval_and_strictly_inside_for_moderate_inputs)
def perceptron_sigmoid_output_lies_in_the_open_unit_interval():
    """The perceptron's output, a sigmoid, lies in (0, 1)."""
    z = float32_grid(-200, 200)
    y = torch.sigmoid(z)
    outside = z[(y <= 0) | (y >= 1)]
    assert outside.numel() == 0, (
        f"float32 sigmoid(z) is exactly 0 or 1 for {outside.numel()} of the z in [-200, 200], "
        f"the nearest to 0 being z = {outside[outside.abs().argmin()].item()}"
    )


# ---------------------------------------------------------------- T2: parameters and buffers


def parameter_attribute_is_registered_automatically():
    """An nn.Parameter assigned as a Module attribute is in parameters() and state_dict(); a plain tensor is not."""

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.custom_param = nn.Parameter(torch.randn(5))
            self.plain = torch.randn(5)

    holder = Holder()
    assert [name for name, _ in holder.named_parameters()] == ["custom_param"], list(holder.named_parameters())
    assert set(holder.state_dict()) == {"custom_param"}, f"state_dict() holds {sorted(holder.state_dict())}"


# the chapter is right here: its statement is its own correction, so a torch that broke it shows as an error to review
@statement("T2", truth=parameter_attribute_is_registered_automatically, when_wrong="refuted")
def parameter_attribute_is_registered_by_assignment():
    """An nn.Parameter assigned as a Module attribute is registered automatically."""
    parameter_attribute_is_registered_automatically()


def registered_buffer_is_state_not_parameter():
    """A registered buffer is in buffers() and state_dict(), not in parameters(), and .to() moves it."""

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 5)
            self.register_buffer("running_mean", torch.zeros(5))

    holder = Holder()
    assert [name for name, _ in holder.named_buffers()] == ["running_mean"]
    assert "running_mean" in holder.state_dict()
    assert all(p is not holder.running_mean for p in holder.parameters()), "the buffer is among parameters()"
    holder.to(torch.float64)
    assert holder.running_mean.dtype == torch.float64, f".to(float64) left the buffer in {holder.running_mean.dtype}"


@statement("T2", truth=registered_buffer_is_state_not_parameter, when_wrong="refuted")
def buffer_is_in_buffers_and_state_dict_but_not_parameters():
    """A registered buffer is in buffers() and state_dict() but not in parameters(), and moves with .to()."""
    registered_buffer_is_state_not_parameter()


CUSTOM_MODULE_COUNT = (10 * 5 + 5) + (5 * 1 + 1) + 5  # Linear(10, 5), Linear(5, 1), the bare parameter of 5


def own_and_all_parameter_shapes(lab, question: None) -> dict:
    """CustomModule's parameters' sizes, all of them, and its own (not its submodules') shapes."""
    model = lab.chapter.CustomModule()
    return {
        "all": [p.numel() for p in model.parameters()],
        "own": [list(p.shape) for p in model.parameters(recurse=False)],
    }


@judged("T2", ask=once, answer=own_and_all_parameter_shapes)
def custom_module_registers_its_bare_parameter(question, shapes):
    """CustomModule's own parameter of 5 is registered on it directly, beside its layers': 66 parameters in all."""
    count = sum(shapes["all"])
    assert count == CUSTOM_MODULE_COUNT, (
        f"CustomModule has {count} parameters; its layers and its own 5 make {CUSTOM_MODULE_COUNT}"
    )
    own = [tuple(shape) for shape in shapes["own"]]
    assert (5,) in own, f"CustomModule's own parameters (not its submodules') have shapes {own}, none (5,)"


def buffers_saved_reloaded_and_moved(lab, question: None) -> dict:
    """CustomModule's buffers as built; its one buffer's name, the parameters' names and the state_dict(); what a
    fresh copy loaded from a state dict with that buffer set to 3 holds; and the buffers' dtypes after .to(float64)."""
    model = lab.chapter.CustomModule()
    found = {"buffers": [b.detach().clone() for b in model.buffers()]}
    if len(found["buffers"]) == 1:
        (buffer,) = model.buffers()
        found["buffer"] = next(name for name, _ in model.named_buffers())
        found["parameters"] = [name for name, _ in model.named_parameters()]
        found["saved"] = {key: t.detach().clone() for key, t in model.state_dict().items()}
        with torch.no_grad():
            buffer.fill_(3.0)
        found["reloaded"] = list(reloaded(model, lab.chapter.CustomModule()).buffers())
        found["dtypes"] = [str(b.dtype) for b in model.to(torch.float64).buffers()]
    return found


@judged("T2", ask=once, answer=buffers_saved_reloaded_and_moved)
def custom_module_buffer_is_saved_and_moved_but_not_trained(question, found):
    """CustomModule's one buffer, 5 zeros, is saved, reloaded and moved by .to(float64), and is not a parameter."""
    buffers = found["buffers"]
    assert len(buffers) == 1, (
        f"CustomModule has {len(buffers)} buffers of shapes {[tuple(b.shape) for b in buffers]}, not one"
    )
    (buffer,) = buffers
    assert tuple(buffer.shape) == (5,) and not buffer.any(), f"the buffer is {buffer}, not 5 zeros"
    name = found["buffer"]
    assert name not in found["parameters"], "the buffer is among parameters()"
    assert name in found["saved"] and torch.equal(found["saved"][name], buffer), "state_dict() does not hold the buffer"
    assert len(found["reloaded"]) == 1 and torch.equal(found["reloaded"][0], torch.full((5,), 3.0)), (
        f"a reloaded copy holds {found['reloaded']}, not the saved buffer"
    )
    assert found["dtypes"] == [str(torch.float64)], f".to(float64) left the buffer in {found['dtypes']}"


# ---------------------------------------------------------------- T3: train and eval

# fresh modules by name: the leaves of the nested modules T3's statement and T4's checks build
LEAVES = {
    **{
        f"Linear({n_in}, {n_out}{'' if bias else ', bias=False'})": functools.partial(nn.Linear, n_in, n_out, bias=bias)
        for n_in, n_out, bias in itertools.product((1, 3, 4), (2, 3, 4), (True, False))
    },
    "ReLU()": nn.ReLU,
    "BatchNorm1d(3)": functools.partial(nn.BatchNorm1d, 3),
    "Dropout(0.5)": functools.partial(nn.Dropout, 0.5),
}
MODE_DEPENDENT_LEAVES = ("Dropout(0.5)", "BatchNorm1d(3)", "Linear(3, 3)", "ReLU()")
FRESH = st.just(True)  # every parameter requires grad, as a fresh module's does


def module_trees(leaves: tuple[str, ...], flags: st.SearchStrategy = FRESH) -> st.SearchStrategy:
    """Nested Sequentials of fresh leaves (``LEAVES``' names), a branch sometimes holding the same module twice (a
    tied module), described as plain data for ``built``: ``{"leaf": name, "trainable": [flag, flag]}`` (a flag
    for each parameter of the leaf, two at most, drawn from ``flags``), ``{"sequential": [tree, ...]}``,
    ``{"tied": tree}``."""
    leaf = st.fixed_dictionaries(
        {"leaf": st.sampled_from(leaves), "trainable": st.lists(flags, min_size=2, max_size=2)}
    )
    sequential = lambda children: st.lists(children, min_size=1, max_size=3).map(lambda ts: {"sequential": ts})  # noqa: E731
    tied = lambda children: children.map(lambda tree: {"tied": tree})  # noqa: E731
    return st.recursive(leaf, lambda children: st.one_of(sequential(children), tied(children)), max_leaves=10)


def built(tree: dict) -> nn.Module:
    """The module ``tree`` (``module_trees``) describes, each leaf's parameters requiring grad as its flags say."""
    if "sequential" in tree:
        return nn.Sequential(*(built(child) for child in tree["sequential"]))
    if "tied" in tree:
        module = built(tree["tied"])
        return nn.Sequential(module, nn.ReLU(), module)
    leaf = LEAVES[tree["leaf"]]()
    for p, flag in zip(leaf.parameters(), tree["trainable"]):
        p.requires_grad_(flag)
    return leaf


def train_and_eval_reach_every_submodule():
    """train(mode) and eval() set training on every module of any tree of nested modules."""

    @forall(model=module_trees(MODE_DEPENDENT_LEAVES).map(built), start=st.booleans())
    def prop(model, start):
        model.train(start)
        model.eval()
        assert not any(m.training for m in model.modules()), "eval() left a submodule in training mode"
        model.train(True)
        assert all(m.training for m in model.modules()), "train(True) left a submodule in eval mode"

    prop()


@statement("T3", truth=train_and_eval_reach_every_submodule, when_wrong="refuted")
def train_and_eval_set_training_recursively():
    """train() and eval() set training on every submodule, recursively."""
    train_and_eval_reach_every_submodule()


def one_batch_of_ten() -> list[torch.Tensor]:
    """One question: a fixed (64, 10) batch of CustomModule's input."""
    return [torch.randn(64, 10, generator=torch.Generator().manual_seed(10))]


def modes_and_outputs(lab, x: torch.Tensor) -> dict:
    """After eval() and after train(): each module's training flag, and two outputs on the same input."""
    model = lab.chapter.CustomModule()
    found = {}
    for mode in ("eval", "train"):
        getattr(model, mode)()
        found[mode] = {"training": [m.training for m in model.modules()], "outputs": [model(x), model(x)]}
    return found


@judged("T3", ask=one_batch_of_ten, answer=modes_and_outputs)
def custom_module_eval_turns_dropout_off_and_train_back_on(x, found):
    """CustomModule.eval() puts every submodule in eval mode and makes the output repeatable; train() undoes both."""
    evaluating, training = found["eval"], found["train"]
    assert not any(evaluating["training"]), "eval() left a submodule in training mode"
    assert torch.equal(*evaluating["outputs"]), "in eval mode the same input gave two outputs: dropout is still on"
    assert all(training["training"]), "train() left a submodule in eval mode"
    # with about 160 active hidden units, two equal dropout masks on them have probability about 0.68^160 ~ 1e-27
    assert not torch.equal(*training["outputs"]), "in train mode the same input gave the same output: no dropout"


# ---------------------------------------------------------------- T4: counting and freezing

LINEAR_LEAVES = (
    *(
        f"Linear({n_in}, {n_out}{'' if bias else ', bias=False'})"
        for n_in, n_out, bias in itertools.product((1, 3), (2, 4), (True, False))
    ),
    "ReLU()",
    "BatchNorm1d(3)",
)


trainable_or_frozen = module_trees(LINEAR_LEAVES, flags=st.booleans())


def distinct_parameters(model: nn.Module) -> list[nn.Parameter]:
    """Each parameter tensor once, however many modules hold it: walked over the modules, not parameters()."""
    seen: dict[int, nn.Parameter] = {}
    for _, module in model.named_modules(remove_duplicate=False):
        for p in module._parameters.values():
            if p is not None:
                seen.setdefault(id(p), p)
    return list(seen.values())


def counted(lab, tree: dict):
    """count_parameters of the tree's module, a number however it is typed (a tensor's or numpy's included)."""
    count = lab.chapter.count_parameters(built(tree))
    return count.item() if hasattr(count, "item") else count


@judged("T4", ask=functools.partial(drawn, trainable_or_frozen), answer=counted)
def count_parameters_counts_trainable_scalars_once_each(tree: dict, got) -> None:
    """count_parameters(model) is the number of scalars in the parameters that require grad, a tied one counted once."""
    expected = sum(p.numel() for p in distinct_parameters(built(tree)) if p.requires_grad)
    assert got == expected, f"count_parameters gave {got}; the trainable parameters hold {expected} scalars"


def frozen_then_unfrozen(lab, tree: dict) -> dict:
    """Whether each of the tree's module's parameters requires grad after freeze_model, then after unfreeze_model."""
    model = built(tree)
    parameters = distinct_parameters(model)
    lab.chapter.freeze_model(model)
    frozen = [p.requires_grad for p in parameters]
    lab.chapter.unfreeze_model(model)
    return {"frozen": frozen, "unfrozen": [p.requires_grad for p in parameters]}


@judged("T4", ask=functools.partial(drawn, trainable_or_frozen), answer=frozen_then_unfrozen)
def freeze_model_freezes_everything_and_unfreeze_model_restores_everything(tree: dict, found: dict) -> None:
    """freeze_model freezes every parameter; unfreeze_model unfreezes every one, whatever was frozen before."""
    assert not any(found["frozen"]), "freeze_model left a parameter requiring grad"
    assert all(found["unfrozen"]), "unfreeze_model left a parameter frozen"


def trees_and_layers() -> list[dict]:
    """Any tree of trainable modules and any module in it (``layer``: its place in ``modules()``, modulo their
    count); then ``Linear(3, 4) -> ReLU -> Linear(4, 2)``, its first layer, and a batch to train it on."""
    drawn_pairs = drawn(st.tuples(module_trees(LINEAR_LEAVES), st.integers(0, 2**16)))
    two_layers = [{"leaf": name, "trainable": [True, True]} for name in ("Linear(3, 4)", "ReLU()", "Linear(4, 2)")]
    X = torch.randn(5, 3, generator=torch.Generator().manual_seed(5))
    return [
        *({"tree": tree, "layer": layer} for tree, layer in drawn_pairs),
        {"tree": {"sequential": two_layers}, "layer": 1, "X": X},
    ]


def the_layer(model: nn.Module, question: dict) -> nn.Module:
    modules = list(model.modules())
    return modules[question["layer"] % len(modules)]


def after_freezing_the_layer(lab, question: dict) -> dict:
    """Whether each parameter of the tree's module requires grad after freeze_layer on the question's layer; with a
    batch, each one's gradient (None: it got none) after a backward() through the model."""
    model = built(question["tree"])
    lab.chapter.freeze_layer(the_layer(model, question))
    parameters = distinct_parameters(model)
    found = {"trainable": [p.requires_grad for p in parameters]}
    if "X" in question:
        model(question["X"]).square().sum().backward()
        found["gradients"] = [p.grad for p in parameters]
    return found


@judged("T4", ask=trees_and_layers, answer=after_freezing_the_layer)
def freeze_layer_touches_only_that_layer(question: dict, found: dict) -> None:
    """freeze_layer(layer) freezes exactly the parameters of that layer, inside any model, and the rest still trains."""
    model = built(question["tree"])
    own = {id(p) for p in the_layer(model, question).parameters()}
    parameters = distinct_parameters(model)
    inside = [id(p) in own for p in parameters]
    wrong = [
        tuple(p.shape)
        for p, trainable, held in zip(parameters, found["trainable"], inside, strict=True)
        if trainable == held
    ]
    assert not wrong, (
        f"after freeze_layer, the parameters of shapes {wrong} are frozen outside the layer or trainable inside it"
    )
    if "X" in question:
        received = [g is not None for g in found["gradients"]]
        assert not any(got and held for got, held in zip(received, inside)), "a frozen layer received a gradient"
        assert all(got or held for got, held in zip(received, inside)), "a layer outside the frozen one got no gradient"


# ---------------------------------------------------------------- T5: no bias


def a_layer_without_bias_has_bias_none_and_no_bias_parameter():
    """With bias=False or register_parameter("bias", None), bias is None and neither a parameter nor saved."""

    class NoBias(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(3, 5))
            self.register_parameter("bias", None)

    for layer in (nn.Linear(5, 3, bias=False), NoBias()):
        assert layer.bias is None, f"{type(layer).__name__}.bias is {layer.bias}"
        assert [name for name, _ in layer.named_parameters()] == ["weight"], list(layer.named_parameters())
        assert set(layer.state_dict()) == {"weight"}, f"state_dict() holds {sorted(layer.state_dict())}"


@statement("T5", truth=a_layer_without_bias_has_bias_none_and_no_bias_parameter, when_wrong="refuted")
def linear_without_bias_has_no_bias_parameter():
    """nn.Linear(..., bias=False) has no bias parameter; a custom layer can register bias as None."""
    a_layer_without_bias_has_bias_none_and_no_bias_parameter()
    x = torch.randn(4, 5)
    layer = nn.Linear(5, 3, bias=False)
    assert_close(layer(x), x @ layer.weight.T)
