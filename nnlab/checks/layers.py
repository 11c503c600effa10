"""Checks of report section 3, custom layers: claims C1 to C3, on any implementation.

Roles (section ``layers``): ``CenteredLayer()``, ``MyLinear(in_units, units)``
(weight ``(in_units, units)``), ``ParameterizedTensorDot(in_features)``
(``y_k = sum_ij W_ijk x_i x_j`` with ``k`` ranging over ``in_features``).

The tensor-reduction layer may store ``W`` in any axis order, flat, or split
over several tensors: the checks take its parameters' entries in order, and
look for the axis order in which a plain loop over ``i, j`` reproduces the
layer. ``W`` and ``W`` with ``i, j`` swapped give the same output, so either
is accepted.

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import functools
import itertools
import math

import torch
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from nnlab.checks.blocks import parameters_by_shape
from nnlab.checks.expect import assert_close, show
from nnlab.checks.judged import drawn, judged, once
from nnlab.checks.strategies import batch_sizes, batches, tensors, widths

EPS32 = torch.finfo(torch.float32).eps

# --- C1: CenteredLayer --------------------------------------------------------------------


def centring_tolerance(X: torch.Tensor) -> float:
    """float32 error of ``X - X.mean()``: the mean's sum of n terms, then one subtraction."""
    return (X.numel() + 2) * EPS32 * max(X.abs().max().item(), 1.0)


def centring_batches() -> list[torch.Tensor]:
    """Rows with different means (per-row centring gives ``[[-1, 0, 1], [-10, 0, 10]]``), then any 2-D batches."""
    return [torch.tensor([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]), *drawn(tensors((batch_sizes, widths)))]


def centred(lab, X: torch.Tensor):
    return lab.layers.CenteredLayer()(X)


@judged("C1", ask=centring_batches, answer=centred)
def centered_layer_subtracts_the_mean_of_the_whole_batch(X, Y):
    """CenteredLayer()(X) is X - X.mean(), the mean over the whole 2-D batch (not per row), for any X."""
    expected = (X.double() - X.double().mean()).float()
    assert_close(Y, expected, rtol=0, atol=centring_tolerance(X), msg=f"CenteredLayer()({show(X)}) is not X - X.mean()")


@judged("C1", ask=centring_batches, answer=centred)
def centered_output_has_mean_zero(X, Y):
    """CenteredLayer()'s output has mean zero to float32 tolerance, for any 2-D input."""
    mean = Y.double().mean().item()
    assert abs(mean) <= centring_tolerance(X), f"output mean {mean:.3g} for {show(X)}"


def shifted_batches() -> list[dict]:
    """Any 2-D batch ``X``, with ``X + c`` for a constant ``c``."""
    drawn_pairs = drawn(st.tuples(tensors((batch_sizes, widths)), st.floats(-100, 100, width=32)))
    return [{"X": X, "c": c, "X + c": X + c} for X, c in drawn_pairs]


def centred_before_and_after_the_shift(lab, question: dict) -> list:
    layer = lab.layers.CenteredLayer()
    return [layer(question["X"]), layer(question["X + c"])]


@judged("C1", ask=shifted_batches, answer=centred_before_and_after_the_shift)
def centered_layer_is_invariant_to_adding_a_constant(question, outputs):
    """CenteredLayer()(X + c) equals CenteredLayer()(X) to float32 tolerance, for any X and constant c."""
    X, c = question["X"], question["c"]
    scale = max(X.abs().max().item() + abs(c), 1.0)
    assert_close(outputs[1], outputs[0], rtol=0, atol=4 * (X.numel() + 2) * EPS32 * scale, msg=f"c = {c:.4g}")


def linear_layers_and_batches() -> list[dict]:
    """An ``nn.Linear(8, 128)``'s weights at its default initialisation, and any ``(b, 8)`` batch in [0, 1]."""
    generator = torch.Generator().manual_seed(8)
    bound = 8**-0.5  # nn.Linear's default: uniform in +-1/sqrt(in_features)
    return [
        {
            "weight": (torch.rand(128, 8, generator=generator) * 2 - 1) * bound,
            "bias": (torch.rand(128, generator=generator) * 2 - 1) * bound,
            "X": X,
        }
        for X in drawn(batches(8, low=0, high=1))
    ]


def centred_after_linear(lab, question: dict):
    linear = nn.Linear(8, 128)
    with torch.no_grad():
        linear.weight.copy_(question["weight"])
        linear.bias.copy_(question["bias"])
    return nn.Sequential(linear, lab.layers.CenteredLayer())(question["X"])


@judged("C1", ask=linear_layers_and_batches, answer=centred_after_linear)
def centered_layer_after_linear_gives_mean_about_zero(question, Y):
    """nn.Sequential(nn.Linear(8, 128), CenteredLayer()) outputs mean zero to float32 tolerance, for
    any (b, 8) batch in [0, 1].
    """
    assert Y.shape == (question["X"].shape[0], 128), f"output of shape {tuple(Y.shape)} for {show(question['X'])}"
    mean = Y.double().mean().item()
    assert abs(mean) <= centring_tolerance(Y), f"output mean {mean:.3g}"


def shapes_of_parameters(lab, question: None) -> list:
    return [list(p.shape) for p in lab.layers.CenteredLayer().parameters()]


@judged("C1", ask=once, answer=shapes_of_parameters)
def centered_layer_has_no_parameters(question, shapes):
    """CenteredLayer() has no parameters."""
    assert not shapes, f"CenteredLayer has parameters of shapes {shapes}"


# --- C2: MyLinear ---------------------------------------------------------------------------

unequal_sizes = st.tuples(widths, widths).filter(lambda s: s[0] != s[1])


def parameter_shapes(lab, sizes: list) -> list:
    in_units, units = sizes
    return [list(p.shape) for p in lab.layers.MyLinear(in_units, units).parameters()]


@judged("C2", ask=functools.partial(drawn, unequal_sizes), answer=parameter_shapes)
def my_linear_weight_is_in_units_by_units_and_bias_units(sizes, shapes):
    """MyLinear(in_units, units) holds a weight of shape (in_units, units) and a bias of shape
    (units,), nothing else.
    """
    in_units, units = sizes
    assert sorted(shapes) == sorted([[in_units, units], [units]]), (
        f"MyLinear({in_units}, {units}) has parameters of shapes {[tuple(shape) for shape in shapes]}"
    )


def sizes_and_batches() -> list[dict]:
    """Any sizes ``(in_units, units)``, and any ``(b, in_units)`` batch."""
    drawn_pairs = drawn(st.tuples(widths, widths).flatmap(lambda s: st.tuples(st.just(s), batches(s[0]))))
    return [{"in_units": in_units, "units": units, "X": X} for (in_units, units), X in drawn_pairs]


def parameters_and_output(lab, question: dict) -> dict:
    layer = lab.layers.MyLinear(question["in_units"], question["units"])
    return {"parameters": list(layer.parameters()), "Y": layer(question["X"])}


@judged("C2", ask=sizes_and_batches, answer=parameters_and_output)
def my_linear_computes_relu_of_x_w_plus_b(question, found):
    """MyLinear(in_units, units)(X) is relu(X @ W + b) with its own W and b, never negative, for any
    (b, in_units) batch.
    """
    in_units, units, X, Y = question["in_units"], question["units"], question["X"], found["Y"]
    w, b = parameters_by_shape(nn.ParameterList(found["parameters"]), [(in_units, units), (units,)])
    # the layout by shape; a square weight may be either way round (another layout computes the same function)
    layouts = [w] if in_units != units else [w, w.T]
    layouts = [v if v.shape == (in_units, units) else v.T for v in layouts]
    if in_units == units and not torch.allclose(Y, F.relu(X @ layouts[0] + b)):
        layouts = layouts[1:]
    assert_close(Y, F.relu(X @ layouts[0] + b))
    assert (Y >= 0).all(), f"negative outputs {Y[Y < 0][:5].tolist()}"


def names_and_outputs_in_sequential(lab, batch: int) -> dict:
    net = nn.Sequential(lab.layers.MyLinear(64, 8), lab.layers.MyLinear(8, 1))
    named = list(net.named_parameters())
    return {
        "names": [name for name, _ in named],
        "reachable": [net.get_parameter(name) is p for name, p in named],
        "Y": net(torch.rand(batch, 64)),
    }


@judged("C2", ask=functools.partial(drawn, batch_sizes), answer=names_and_outputs_in_sequential)
def my_linear_works_inside_sequential_with_named_parameters(batch, found):
    """nn.Sequential(MyLinear(64, 8), MyLinear(8, 1)) maps (b, 64) to (b, 1); named_parameters() names
    each layer's two tensors under 0. and 1.
    """
    names = found["names"]
    assert [name.split(".", 1)[0] for name in names] == ["0", "0", "1", "1"], f"named_parameters() gives {names}"
    assert all(found["reachable"]), f"net.get_parameter(name) is not the parameter named so: {names}"
    assert found["Y"].shape == (batch, 1), f"output of shape {tuple(found['Y'].shape)} for a ({batch}, 64) batch"


# --- C3: ParameterizedTensorDot ---------------------------------------------------------------

in_features = st.integers(1, 5)


def loop_reference(W: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``y[:, k] = sum_i sum_j W[i, j, k] x[:, i] x[:, j]``: a plain loop over ``i`` and ``j``."""
    n = x.shape[1]
    y = torch.zeros(x.shape[0], W.shape[2], dtype=x.dtype)
    for i in range(n):
        for j in range(n):
            y = y + W[i, j, :] * x[:, i : i + 1] * x[:, j : j + 1]
    return y


def flat_weight(params: list[torch.Tensor], n: int) -> torch.Tensor:
    """The layer's parameters' entries in order, in float64: its ``n³`` weights, in some layout."""
    count = sum(p.numel() for p in params)
    assert count == n**3, f"ParameterizedTensorDot({n}) has {count} parameters; W_ijk with i, j, k < {n} has {n**3}"
    return torch.cat([p.detach().flatten() for p in params]).double()


def orders(flat: torch.Tensor, n: int):
    """``W`` as ``(i, j, k)`` for each way the layer may have laid out its ``n³`` entries: the six axis orders."""
    cube = flat.reshape(n, n, n)
    for order in itertools.permutations(range(3)):
        # the stored axis a holds index order[a]; bring them back to (i, j, k)
        yield order, cube.permute(*[order.index(axis) for axis in range(3)])


def term_bound(flat: torch.Tensor, x: torch.Tensor) -> float:
    """``max |W| (sum_i |x_i|)²``, over the batch: bounds ``sum_ij |W_ijk x_i x_j|`` whatever the weight's layout."""
    return flat.abs().max().item() * x.double().abs().sum(1).square().max().item()


def tensor_dot_batches(bound: float) -> list[torch.Tensor]:
    """Any ``(b, n)`` batch in ``[-bound, bound]``, ``n`` from 1 to 5, for ``ParameterizedTensorDot(n)``."""
    return drawn(in_features.flatmap(lambda n: batches(n, low=-bound, high=bound)))


def tensor_dot(lab, x: torch.Tensor) -> torch.Tensor:
    return lab.layers.ParameterizedTensorDot(x.shape[1])(x)


@judged("C3", ask=functools.partial(tensor_dot_batches, 2), answer=tensor_dot)
def tensor_dot_maps_b_n_to_b_n(X, y):
    """ParameterizedTensorDot(n) maps a (b, n) batch to (b, n), for any n and b."""
    n = X.shape[1]
    assert y.shape == (X.shape[0], n), f"ParameterizedTensorDot({n}) gave {tuple(y.shape)} for {tuple(X.shape)}"


def output_gradient(y_shape) -> torch.Tensor:
    """The gradient the output is given: a fixed ramp, so each entry of ``y`` weighs differently."""
    count = math.prod(y_shape)
    return torch.linspace(-1, 1, count).view(*y_shape)


def output_and_gradients(lab, x: torch.Tensor) -> dict:
    layer = lab.layers.ParameterizedTensorDot(x.shape[1])
    params = list(layer.parameters())
    y = layer(x)
    y.backward(output_gradient(y.shape))
    gradients = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    return {"parameters": params, "y": y, "gradients": gradients}


@judged("C3", ask=functools.partial(tensor_dot_batches, 3), answer=output_and_gradients)
def tensor_dot_equals_the_triple_loop_over_its_weight_with_its_gradients(x, found):
    """ParameterizedTensorDot(n)(x)_k = sum_ij W_ijk x_i x_j, W its n³ parameters in some axis order,
    and the gradients match the loop's.
    """
    n, y = x.shape[1], found["y"]
    flat = flat_weight(found["parameters"], n)
    tolerance = 4 * (n * n + 2) * EPS32 * max(term_bound(flat, x), 1.0)
    errors = {}
    for order, W in orders(flat, n):
        expected = loop_reference(W, x.double())
        errors[order] = (y.double() - expected).abs().max().item() if y.shape == expected.shape else math.inf
    order = min(errors, key=errors.get)
    assert errors[order] <= tolerance, (
        f"no axis order of the layer's {n}³ parameters makes the loop reproduce it: smallest difference "
        f"{errors[order]:.3g} (tolerance {tolerance:.3g})"
    )
    grad_y = output_gradient(y.shape)
    base = flat.clone().requires_grad_(True)
    W = dict(orders(base, n))[order]
    loop_reference(W, x.double()).backward(grad_y.double())
    got = torch.cat([gradient.flatten() for gradient in found["gradients"]]).double()
    grad_bound = loop_reference(torch.ones(n, n, n, dtype=torch.float64), x.double().abs()).abs().max().item()
    assert_close(got, base.grad, rtol=1e-4, atol=8 * EPS32 * max(grad_bound, 1.0))


def scaled_batches() -> list[dict]:
    """Any ``(b, n)`` batch ``x`` in [-3, 3], ``n`` from 1 to 5, with a scale ``c`` and ``c x``."""
    drawn_pairs = drawn(st.tuples(in_features.flatmap(lambda n: batches(n, low=-3, high=3)), st.floats(-4, 4)))
    return [{"x": x, "c": c, "c x": c * x} for x, c in drawn_pairs]


def outputs_before_and_after_scaling(lab, question: dict) -> dict:
    layer = lab.layers.ParameterizedTensorDot(question["x"].shape[1])
    return {"parameters": list(layer.parameters()), "y": layer(question["x"]), "y_scaled": layer(question["c x"])}


@judged("C3", ask=scaled_batches, answer=outputs_before_and_after_scaling)
def tensor_dot_is_homogeneous_of_degree_two(question, found):
    """ParameterizedTensorDot(n)(c x) = c² ParameterizedTensorDot(n)(x), for any x and c."""
    x, c, n = question["x"], question["c"], question["x"].shape[1]
    flat = torch.cat([p.detach().flatten() for p in found["parameters"]])
    y, y_scaled = found["y"].double(), found["y_scaled"].double()
    # each side carries the float32 error of n² terms, the scaled one c² times larger, plus c x's rounding
    tolerance = 8 * (n * n + 2) * EPS32 * max(term_bound(flat, x), 1.0) * max(c * c, 1.0)
    assert_close(y_scaled, c * c * y, rtol=0, atol=tolerance)


# torch.autograd.gradcheck's defaults: the step of its central differences, and how close they must come
GRADCHECK_EPS, GRADCHECK_ATOL, GRADCHECK_RTOL = 1e-6, 1e-5, 1e-3


def gradcheck_batches() -> list[torch.Tensor]:
    """Any float64 ``(b, n)`` batch in [-2, 2], ``b`` and ``n`` from 1 to 3."""
    return drawn(tensors((st.integers(1, 3), st.integers(1, 3)), low=-2, high=2, dtype=torch.float64))


def jacobians_and_nudged_outputs(lab, x: torch.Tensor) -> dict:
    """ParameterizedTensorDot(n) in float64 at ``x`` and its own parameters, the inputs gradcheck takes: for each
    input, the Jacobian backward gives (output entries by input entries), and the output with each of its entries
    moved ± the step."""
    layer = lab.layers.ParameterizedTensorDot(x.shape[1]).double()
    names = [name for name, _ in layer.named_parameters()]
    inputs = [x, *(p.detach().clone(memory_format=torch.contiguous_format) for p in layer.parameters())]

    def forward(values):
        return torch.func.functional_call(layer, dict(zip(names, values[1:])), (values[0],))

    nudged = []
    with torch.no_grad():
        for value in inputs:
            outputs = []
            for index in range(value.numel()):
                flat = value.view(-1)
                flat[index] += GRADCHECK_EPS
                up = forward(inputs)
                flat[index] -= 2 * GRADCHECK_EPS
                down = forward(inputs)
                flat[index] += GRADCHECK_EPS
                outputs.append([up, down])
            nudged.append(outputs)
    leaves = [value.clone().requires_grad_(True) for value in inputs]
    y = forward(leaves)
    rows = []
    for entry in range(y.numel()):
        picked = torch.zeros(y.numel(), dtype=y.dtype)
        picked[entry] = 1
        grads = torch.autograd.grad(y, leaves, picked.view(y.shape), retain_graph=True, allow_unused=True)
        rows.append([torch.zeros_like(v) if g is None else g for v, g in zip(leaves, grads)])
    jacobians = [torch.stack([row[i].reshape(-1) for row in rows]) for i in range(len(leaves))]
    return {"jacobians": jacobians, "nudged": nudged}


@judged("C3", ask=gradcheck_batches, answer=jacobians_and_nudged_outputs)
def tensor_dot_passes_gradcheck_in_float64(x, found):
    """ParameterizedTensorDot(n) in float64 passes torch.autograd.gradcheck, for its input and its parameters."""
    assert len(found["jacobians"]) == len(found["nudged"]), "not one Jacobian per input"
    for number, (analytic, nudged) in enumerate(zip(found["jacobians"], found["nudged"])):
        what = "the input" if number == 0 else f"parameter {number - 1}"
        numerical = torch.stack([((up - down) / (2 * GRADCHECK_EPS)).reshape(-1) for up, down in nudged], dim=1)
        assert numerical.shape == analytic.shape, (
            f"{what}: a Jacobian of shape {tuple(analytic.shape)} from backward, {tuple(numerical.shape)} from "
            "the outputs"
        )
        assert torch.allclose(analytic.double(), numerical.double(), rtol=GRADCHECK_RTOL, atol=GRADCHECK_ATOL), (
            f"Jacobian mismatch for {what}: largest difference "
            f"{(analytic.double() - numerical.double()).abs().max().item():.3g} between backward's and the "
            "central differences'"
        )
