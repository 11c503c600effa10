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
from nnlab.checks.registry import check, statement
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

MODE_DEPENDENT_LEAVES = (lambda: nn.Dropout(0.5), lambda: nn.BatchNorm1d(3), lambda: nn.Linear(3, 3), nn.ReLU)


def module_trees(leaves) -> st.SearchStrategy:
    """Nested Sequentials of fresh leaves, a branch sometimes holding the same module twice (a tied module)."""
    leaf = st.sampled_from(leaves).map(lambda make: make())
    sequential = lambda children: st.lists(children, min_size=1, max_size=3).map(lambda ms: nn.Sequential(*ms))  # noqa: E731
    tied = lambda children: children.map(lambda m: nn.Sequential(m, nn.ReLU(), m))  # noqa: E731
    return st.recursive(leaf, lambda children: st.one_of(sequential(children), tied(children)), max_leaves=10)


def train_and_eval_reach_every_submodule():
    """train(mode) and eval() set training on every module of any tree of nested modules."""

    @forall(model=module_trees(MODE_DEPENDENT_LEAVES), start=st.booleans())
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

LINEAR_LEAVES = tuple(
    (lambda i=i, o=o, b=b: nn.Linear(i, o, bias=b)) for i, o, b in itertools.product((1, 3), (2, 4), (True, False))
) + (nn.ReLU, lambda: nn.BatchNorm1d(3))


def distinct_parameters(model: nn.Module) -> list[nn.Parameter]:
    """Each parameter tensor once, however many modules hold it: walked over the modules, not parameters()."""
    seen: dict[int, nn.Parameter] = {}
    for _, module in model.named_modules(remove_duplicate=False):
        for p in module._parameters.values():
            if p is not None:
                seen.setdefault(id(p), p)
    return list(seen.values())


@check("T4")
def count_parameters_counts_trainable_scalars_once_each(lab):
    """count_parameters(model) is the number of scalars in the parameters that require grad, a tied one counted once."""

    @forall(model=module_trees(LINEAR_LEAVES), data=st.data())
    def prop(model, data):
        parameters = distinct_parameters(model)
        trainable = data.draw(
            st.lists(st.booleans(), min_size=len(parameters), max_size=len(parameters)), label="trainable"
        )
        for p, flag in zip(parameters, trainable):
            p.requires_grad_(flag)
        expected = sum(p.numel() for p, flag in zip(parameters, trainable) if flag)
        got = lab.chapter.count_parameters(model)
        assert got == expected, f"count_parameters gave {got}; the trainable parameters hold {expected} scalars"

    prop()


@check("T4")
def freeze_model_freezes_everything_and_unfreeze_model_restores_everything(lab):
    """freeze_model freezes every parameter; unfreeze_model unfreezes every one, whatever was frozen before."""

    @forall(model=module_trees(LINEAR_LEAVES), data=st.data())
    def prop(model, data):
        parameters = distinct_parameters(model)
        for p, flag in zip(
            parameters, data.draw(st.lists(st.booleans(), min_size=len(parameters), max_size=len(parameters)))
        ):
            p.requires_grad_(flag)
        lab.chapter.freeze_model(model)
        assert not any(p.requires_grad for p in parameters), "freeze_model left a parameter requiring grad"
        lab.chapter.unfreeze_model(model)
        assert all(p.requires_grad for p in parameters), "unfreeze_model left a parameter frozen"

    prop()


@check("T4")
def freeze_layer_touches_only_that_layer(lab):
    """freeze_layer(layer) freezes exactly the parameters of that layer, inside any model, and the rest still trains."""

    @forall(model=module_trees(LINEAR_LEAVES), data=st.data())
    def prop(model, data):
        layer = data.draw(st.sampled_from(list(model.modules())), label="layer")
        lab.chapter.freeze_layer(layer)
        own = {id(p) for p in layer.parameters()}
        wrong = [tuple(p.shape) for p in distinct_parameters(model) if p.requires_grad == (id(p) in own)]
        assert not wrong, (
            f"after freeze_layer, the parameters of shapes {wrong} are frozen outside the layer or trainable inside it"
        )

    prop()

    first, second = nn.Linear(3, 4), nn.Linear(4, 2)
    model = nn.Sequential(first, nn.ReLU(), second)
    lab.chapter.freeze_layer(first)
    model(torch.randn(5, 3)).square().sum().backward()
    assert first.weight.grad is None and first.bias.grad is None, "a frozen layer received a gradient"
    assert second.weight.grad is not None, "the layer after the frozen one received no gradient"


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
