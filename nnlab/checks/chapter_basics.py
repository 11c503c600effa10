"""Checks of the tutorial chapter, sections 3.1 to 3.5: claims T1 to T10, on any implementation.

Roles (section ``chapter``, the chapter's names and signatures):

- ``Perceptron(input_size)``: called on one sample, a 1-D tensor of
  ``input_size`` features (the chapter's ``torch.dot``), it returns one number;
- ``CustomModule()``: ``Linear(10, 5)``, ReLU, ``Dropout(0.2)``,
  ``Linear(5, 1)``, a bare ``nn.Parameter`` of 5 and a buffer of 5 zeros;
- ``count_parameters(model)`` (trainable scalars), ``freeze_model(model)``,
  ``unfreeze_model(model)``, ``freeze_layer(layer)``;
- ``HookDemo()``: ``Linear(10, 20)``, ReLU, ``Linear(20, 10)``, ReLU,
  ``Linear(10, 1)``, whose ``activations`` dict holds the last outputs of the
  first two linear layers under ``"fc1"`` and ``"fc2"``;
- ``CustomLinear(in_features, out_features, bias=True)``.

Most of what sections 3.2 to 3.4 say is about torch itself (parameters and
buffers, train and eval, activations, dropout, batch normalisation, hooks):
those are statements, checked against the installed torch.

Statistical checks say what they test and how often a correct implementation
fails them by chance (``nnlab.checks.sampling``): each test runs at ``ALPHA``,
divided among hypothesis's examples where it runs once per example.
"""

import itertools
import math
import re

import torch
from hypothesis import strategies as st
from scipy import stats
from torch import nn
from torch.nn import functional as F

from nnlab.checks.blocks import reloaded
from nnlab.checks.expect import assert_close
from nnlab.checks.registry import check, statement
from nnlab.checks.sampling import ALPHA, assert_distributed_as, bonferroni, per_example
from nnlab.checks.strategies import batches, forall, tensors, widths


def float32_grid(low: float, high: float) -> torch.Tensor:
    """Every multiple of 1/8 in ``[low, high]``, in float32: fixed inputs that reach the saturation points."""
    return torch.arange(low, high + 0.125, 0.125, dtype=torch.float32)


# ---------------------------------------------------------------- T1: the perceptron


def perceptron_output(perceptron, x: torch.Tensor) -> torch.Tensor:
    """The perceptron's output for one sample ``x`` (1-D), as one number."""
    y = perceptron(x)
    assert y.numel() == 1, f"Perceptron gave {tuple(y.shape)} for one sample of shape {tuple(x.shape)}, not one number"
    return y.detach().reshape(())


@check("T1")
def perceptron_output_is_in_the_closed_unit_interval(lab):
    """The perceptron's output for any sample is one number in [0, 1] (float32 sigmoid reaches both ends)."""

    @forall(n=widths, data=st.data())
    def prop(n, data):
        perceptron = lab.chapter.Perceptron(n)
        x = data.draw(tensors((n,), low=-1e4, high=1e4), label="x")
        y = perceptron_output(perceptron, x)
        assert 0 <= y.item() <= 1, f"output {y.item()} is outside [0, 1]"

    prop()


def logit(y: torch.Tensor) -> torch.Tensor:
    y = y.double()
    return torch.log(y) - torch.log1p(-y)


U = 2.0**-24  # float32's unit roundoff: the perceptron may compute in float32


def logit_error(y: torch.Tensor) -> torch.Tensor:
    """A bound on the error of ``logit(y)`` for a float32 sigmoid output ``y`` (a few ulps off): 4u / (1 - y)."""
    return 4 * U / (1 - y.double())


@check("T1")
def perceptron_is_the_sigmoid_of_an_affine_function(lab):
    """The perceptron is sigmoid(w . x + b): w, b read off its outputs at 0 and at e_i predict every other output."""

    @forall(n=widths, data=st.data())
    def prop(n, data):
        perceptron = lab.chapter.Perceptron(n)
        probes = torch.cat((torch.zeros(1, n), torch.eye(n)))
        outputs = torch.stack([perceptron_output(perceptron, p) for p in probes])
        assert ((outputs > 0) & (outputs < 1)).all(), f"outputs at 0 and the unit vectors {outputs.tolist()} saturate"
        b, w = logit(outputs[0]), logit(outputs[1:]) - logit(outputs[0])
        x = data.draw(tensors((n,), low=-2, high=2), label="x").double()
        z = (x * w).sum() + b
        # how far float32 rounding at the probes and in the perceptron's own sums can move z
        e0, e = logit_error(outputs[0]), logit_error(outputs[1:]) + 2 * U * (w.abs() + b.abs())
        slack = e0 + (x.abs() * (e + e0)).sum() + n * U * ((x * w).abs().sum() + b.abs())
        got = perceptron_output(perceptron, x.float()).double()
        # sigmoid's slope is at most 1/4, so allowing the whole slack on y leaves a 4x margin; 8u for y's own rounding
        tolerance = (slack + 8 * U).item()
        assert abs(got - torch.sigmoid(z)).item() <= tolerance, (
            f"not sigmoid(w . x + b): for x = {x.tolist()} it gave {got.item()}, sigmoid(w . x + b) is "
            f"{torch.sigmoid(z).item()}, with w = {w.tolist()}, b = {b.item()} read off the probes"
        )

    prop()


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


@check("T2")
def custom_module_registers_its_bare_parameter(lab):
    """CustomModule's own parameter of 5 is registered on it directly, beside its layers': 66 parameters in all."""
    model = lab.chapter.CustomModule()
    count = sum(p.numel() for p in model.parameters())
    assert count == CUSTOM_MODULE_COUNT, (
        f"CustomModule has {count} parameters; its layers and its own 5 make {CUSTOM_MODULE_COUNT}"
    )
    own = [tuple(p.shape) for p in model.parameters(recurse=False)]
    assert (5,) in own, f"CustomModule's own parameters (not its submodules') have shapes {own}, none (5,)"


def the_buffer(model: nn.Module) -> torch.Tensor:
    buffers = list(model.buffers())
    assert len(buffers) == 1, (
        f"CustomModule has {len(buffers)} buffers of shapes {[tuple(b.shape) for b in buffers]}, not one"
    )
    return buffers[0]


@check("T2")
def custom_module_buffer_is_saved_and_moved_but_not_trained(lab):
    """CustomModule's one buffer, 5 zeros, is saved, reloaded and moved by .to(float64), and is not a parameter."""
    model = lab.chapter.CustomModule()
    buffer = the_buffer(model)
    assert tuple(buffer.shape) == (5,) and not buffer.any(), f"the buffer is {buffer}, not 5 zeros"
    assert all(p is not buffer for p in model.parameters()), "the buffer is among parameters()"
    saved = [t for t in model.state_dict().values() if t.data_ptr() == buffer.data_ptr()]
    assert saved, "state_dict() does not hold the buffer"
    with torch.no_grad():
        buffer.fill_(3.0)
    copy = reloaded(model, lab.chapter.CustomModule())
    assert torch.equal(the_buffer(copy), torch.full((5,), 3.0)), (
        f"a reloaded copy holds {the_buffer(copy)}, not the saved buffer"
    )
    model.to(torch.float64)
    assert the_buffer(model).dtype == torch.float64, f".to(float64) left the buffer in {the_buffer(model).dtype}"


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


@check("T3")
def custom_module_eval_turns_dropout_off_and_train_back_on(lab):
    """CustomModule.eval() puts every submodule in eval mode and makes the output repeatable; train() undoes both."""
    model = lab.chapter.CustomModule()
    x = torch.randn(64, 10)
    model.eval()
    assert not any(m.training for m in model.modules()), "eval() left a submodule in training mode"
    assert torch.equal(model(x), model(x)), "in eval mode the same input gave two outputs: dropout is still on"
    model.train()
    assert all(m.training for m in model.modules()), "train() left a submodule in eval mode"
    # with about 160 active hidden units, two equal dropout masks on them have probability about 0.68^160 ~ 1e-27
    assert not torch.equal(model(x), model(x)), "in train mode the same input gave the same output: no dropout"


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
        test = stats.binomtest(zeros, DROPOUT_N, p)
        assert test.pvalue > per_example(), (
            f"Dropout({p}) zeroed {zeros} of {DROPOUT_N}; a binomial({DROPOUT_N}, {p}) count that far from "
            f"{p * DROPOUT_N:.0f} has probability {test.pvalue:.2e} (the test's false-alarm rate is {ALPHA:g})"
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


# ---------------------------------------------------------------- T9: forward hooks


def forward_hook_sees_the_output_and_leaves_it_unchanged_until_removed():
    """A forward hook returning None sees the module's output, leaves it as it was, and stops after handle.remove()."""

    @forall(x=batches(4))
    def prop(x):
        layer = nn.Linear(4, 3)
        seen = []
        handle = layer.register_forward_hook(lambda module, inputs, output: seen.append(output.detach().clone()))
        y = layer(x)
        expected = x.double() @ layer.weight.detach().double().T + layer.bias.detach().double()
        assert_close(y.double(), expected, rtol=1e-5, atol=1e-5)
        assert len(seen) == 1 and torch.equal(seen[0], y), "the hook did not see the output the module returned"
        handle.remove()
        layer(x)
        assert len(seen) == 1, "the hook ran after handle.remove()"

    prop()


@statement("T9", truth=forward_hook_sees_the_output_and_leaves_it_unchanged_until_removed, when_wrong="refuted")
def forward_hooks_capture_outputs_without_changing_them_until_removed():
    """Forward hooks capture intermediate outputs, do not change the output, and stop after handle.remove()."""
    forward_hook_sees_the_output_and_leaves_it_unchanged_until_removed()


HOOK_SIZES = ((10, 20), (20, 10), (10, 1))  # (in, out) of fc1, fc2, fc3


def oriented(p: torch.Tensor, n_in: int, n_out: int) -> list[torch.Tensor]:
    """``p`` read as an ``(out, in)`` matrix: as stored, transposed, both (square), or neither."""
    p = p.detach().double()
    ways = []
    if tuple(p.shape) == (n_out, n_in):
        ways.append(p)
    if tuple(p.shape) == (n_in, n_out) and n_in != n_out:
        ways.append(p.T)
    return ways


def linear_stack(model: nn.Module, sizes, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The ``(W (out, in), b)`` of each layer of a ReLU stack of ``sizes``, matched to the model's parameters.

    Weights are the 2-D parameters, biases the others, found by their sizes;
    which weight belongs to which layer, and which way round it is stored, is
    decided by the model's own output.
    """
    parameters = list(model.parameters())
    matrices = [p for p in parameters if p.dim() == 2]
    vectors = [p for p in parameters if p.dim() != 2]
    assert len(matrices) == len(vectors) == len(sizes), (
        f"parameters of shapes {[tuple(p.shape) for p in parameters]}, not one weight and one bias per layer of {sizes}"
    )
    biases = []
    for _, n_out in sizes:
        match = [b for b in vectors if b.numel() == n_out and all(b is not c for c in biases)]
        assert match, f"no bias of {n_out} among {[tuple(p.shape) for p in vectors]}"
        biases.append(match[0])
    biases = [b.detach().double().reshape(-1) for b in biases]
    with torch.no_grad():
        output = model(x).double()
    for order in itertools.permutations(matrices):
        for weights in itertools.product(*(oriented(p, n_in, n_out) for p, (n_in, n_out) in zip(order, sizes))):
            layers = list(zip(weights, biases))
            if torch.allclose(relu_stack(layers, x.double())[-1], output, rtol=1e-4, atol=1e-5):
                return layers
    raise AssertionError(
        f"no arrangement of the parameters as Linear {' -> '.join(str(s[0]) for s in sizes)} -> {sizes[-1][1]} "
        "with ReLUs between computes the model's output"
    )


def relu_stack(layers, x: torch.Tensor) -> list[torch.Tensor]:
    """Each layer's output (before its ReLU) of ``x`` through Linear, ReLU, ..., Linear: explicit sums in float64."""
    outputs = []
    for i, (W, b) in enumerate(layers):
        if i:
            x = torch.clamp(outputs[-1], min=0)
        outputs.append((x[:, None, :] * W[None, :, :]).sum(-1) + b)
    return outputs


@check("T9")
def hook_demo_computes_its_three_layers_unchanged_by_the_hooks(lab):
    """HookDemo is Linear 10->20, ReLU, Linear 20->10, ReLU, Linear 10->1 on (b, 10): recording changes nothing."""
    model = lab.chapter.HookDemo()
    linear_stack(model, HOOK_SIZES, torch.randn(8, 10))

    @forall(x=batches(10))
    def prop(x):
        assert model(x).shape == (x.shape[0], 1), f"HookDemo gave shape {tuple(model(x).shape)} for {tuple(x.shape)}"

    prop()


@check("T9")
def hook_demo_records_the_outputs_of_its_first_two_layers(lab):
    """After each call, HookDemo.activations["fc1"], ["fc2"] hold its first two linear layers' outputs for the batch."""
    model = lab.chapter.HookDemo()
    layers = linear_stack(model, HOOK_SIZES, torch.randn(8, 10))

    @forall(x=batches(10))
    def prop(x):
        model(x)
        recorded = dict(model.activations)
        assert set(recorded) == {"fc1", "fc2"}, f"activations has keys {sorted(recorded)}"
        expected = relu_stack(layers, x.double())
        for name, want in zip(("fc1", "fc2"), expected):
            got = recorded[name]
            assert tuple(got.shape) == tuple(want.shape), (
                f"activations[{name!r}] has shape {tuple(got.shape)}, not {tuple(want.shape)}"
            )
            assert_close(
                got.double(), want, rtol=1e-4, atol=1e-5, msg=lambda m, name=name: f"activations[{name!r}]: {m}"
            )

    prop()


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


@check("T10")
def custom_linear_repr_shows_its_sizes_and_bias(lab):
    """repr(CustomLinear(in, out)) shows both sizes, and tells bias=True from bias=False."""
    with_bias, without = repr(lab.chapter.CustomLinear(13, 7)), repr(lab.chapter.CustomLinear(13, 7, bias=False))
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
