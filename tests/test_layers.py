"""Report section 3, custom layers: claims C1 to C3."""

from typing import NamedTuple

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnlab import CenteredLayer, MyLinear, TensorDot
from nnlab.checks.strategies import float_dtypes
from nnlab.tensordot import CUDA_OUTER_LIMIT_WITH_GRAD, FORMULATIONS, OUTER_LIMIT, choose

EPS32 = torch.finfo(torch.float32).eps


def tensor_dot_loops(W: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The report's reference: ``y[b, k] = sum_i sum_j W[i, j, k] x[b, i] x[b, j]``, one scalar at a time."""
    batch, n = x.shape
    k_out = W.shape[2]
    y = torch.zeros(batch, k_out, dtype=x.dtype)
    for b in range(batch):
        for k in range(k_out):
            y[b, k] = sum(W[i, j, k] * x[b, i] * x[b, j] for i in range(n) for j in range(n))
    return y


shapes = st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 6))
formulations = pytest.mark.parametrize("formulation", ["auto", *sorted(FORMULATIONS)])


@pytest.mark.claim("C1")
def test_centered_matches_the_report_example():
    assert torch.equal(CenteredLayer()(torch.tensor([1.0, 2, 3, 4, 5])), torch.tensor([-2.0, -1, 0, 1, 2]))


@pytest.mark.claim("C1")
def test_centered_refuses_empty_input():
    with pytest.raises(ValueError, match="non-empty"):
        CenteredLayer()(torch.empty(0, 3))


@pytest.mark.claim("C2")
def test_my_linear_repr_names_its_sizes():
    assert "in_units=64, units=8" in repr(nn.Sequential(MyLinear(64, 8), MyLinear(8, 1)))


@pytest.mark.claim("C2")
@pytest.mark.parametrize("sizes", [(0, 3), (3, -1), (2.5, 3)])
def test_my_linear_refuses_bad_sizes(sizes):
    with pytest.raises(ValueError, match="must be a positive integer"):
        MyLinear(*sizes)


@pytest.mark.claim("C2")
def test_my_linear_refuses_wrong_width():
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, 5\); got \(2, 4\)"):
        MyLinear(5, 3)(torch.rand(2, 4))


@pytest.mark.claim("C3")
@formulations
@given(shape=shapes, dtype=float_dtypes)
def test_tensor_dot_equals_triple_loop_with_gradients(formulation, shape, dtype):
    batch, n, k = shape
    layer = TensorDot(n, k, formulation=formulation).to(dtype)
    x = torch.randn(batch, n, dtype=dtype, requires_grad=True)
    reference_weight = layer.weight.detach().clone().requires_grad_(True)
    reference_x = x.detach().clone().requires_grad_(True)
    y, reference = layer(x), tensor_dot_loops(reference_weight, reference_x)
    assert y.shape == (batch, k) and y.dtype == dtype
    torch.testing.assert_close(y, reference)
    grad_y = torch.randn_like(y)
    y.backward(grad_y)
    reference.backward(grad_y)
    torch.testing.assert_close(layer.weight.grad, reference_weight.grad)
    torch.testing.assert_close(x.grad, reference_x.grad)


@pytest.mark.claim("C3")
@given(leading=st.lists(st.integers(1, 3), min_size=0, max_size=2))
def test_tensor_dot_maps_any_leading_dimensions(leading):
    layer = TensorDot(4, 3)
    x = torch.randn(*leading, 4)
    y = layer(x)
    assert y.shape == (*leading, 3)
    torch.testing.assert_close(y.reshape(-1, 3), layer(x.reshape(-1, 4)))


@pytest.mark.claim("C3")
def test_tensor_dot_defaults_to_square_weight_as_in_the_report():
    layer = TensorDot(3)
    assert layer.weight.shape == (3, 3, 3)
    assert "in_features=3, out_features=3, formulation='auto'" in repr(layer)
    message = r"^TensorDot: formulation must be one of \['auto', 'einsum', 'outer', 'symmetric'\], got 'bilinear'.$"
    with pytest.raises(ValueError, match=message):
        TensorDot(3, formulation="bilinear")


@pytest.mark.claim("C3")
@pytest.mark.parametrize("formulation", sorted(FORMULATIONS))
def test_tensor_dot_computes_with_the_formulation_it_is_given(formulation, monkeypatch):
    calls = []
    chosen = FORMULATIONS[formulation]
    monkeypatch.setitem(FORMULATIONS, formulation, lambda x, w: calls.append(formulation) or chosen(x, w))
    for shape in ((2, 4), (4096, 4)):  # small and large, where "auto" would choose differently
        TensorDot(4, formulation=formulation)(torch.randn(shape))
    assert calls == [formulation] * 2


@pytest.mark.claim("C3")
def test_tensor_dot_starts_uniform_between_minus_and_plus_one_over_n():
    weight = TensorDot(16, 8).weight.detach()
    bound = 1 / 16
    assert weight.abs().max() <= bound
    # 2048 uniform draws: each end's outer 5% stays empty with probability 0.95^2048 < 1e-45
    assert weight.min() < -0.95 * bound and weight.max() > 0.95 * bound


@pytest.mark.claim("C3")
@formulations
@given(shape=shapes)
def test_tensor_dot_passes_gradcheck_in_float64(formulation, shape):
    batch, n, k = shape
    layer = TensorDot(n, k, formulation=formulation).double()
    x = torch.randn(batch, n, dtype=torch.float64, requires_grad=True)
    weight = layer.weight.detach().clone().requires_grad_(True)
    forward = lambda x, w: torch.func.functional_call(layer, {"weight": w}, (x,))  # noqa: E731
    assert torch.autograd.gradcheck(forward, (x, weight))


@pytest.mark.claim("C3")
@formulations
@given(shape=shapes, c=st.floats(-4, 4))
def test_tensor_dot_is_homogeneous_of_degree_two(formulation, shape, c):
    batch, n, k = shape
    layer = TensorDot(n, k, formulation=formulation).double()
    x = torch.randn(batch, n, dtype=torch.float64)
    torch.testing.assert_close(layer(c * x), c**2 * layer(x))


@pytest.mark.claim("C3")
@formulations
@given(shape=shapes)
def test_tensor_dot_sees_only_the_symmetric_part_of_weight(formulation, shape):
    batch, n, k = shape
    layer, transposed = (TensorDot(n, k, formulation=formulation).double() for _ in range(2))
    with torch.no_grad():
        transposed.weight.copy_(layer.weight.transpose(0, 1))
    x = torch.randn(batch, n, dtype=torch.float64)
    torch.testing.assert_close(transposed(x), layer(x))


@pytest.mark.claim("C3")
def test_auto_picks_symmetric_for_training_and_outer_for_small_inference():
    weight = torch.zeros(64, 64, 8, requires_grad=True)
    assert choose(torch.zeros(256, 64), weight) == "symmetric"
    with torch.no_grad():
        assert choose(torch.zeros(256, 64), weight) == "outer"
        assert choose(torch.zeros(OUTER_LIMIT // 64**2, 64), weight) == "outer"  # up to the limit itself
        assert choose(torch.zeros(OUTER_LIMIT // 64**2 + 1, 64), weight) == "symmetric"
    assert choose(torch.zeros(256, 64), weight.detach()) == "outer"


# (pair products b n^2, gradients needed, the formulation auto picks on a GPU): each limit and just past it
ON_CUDA = [
    (CUDA_OUTER_LIMIT_WITH_GRAD, True, "outer"),
    (CUDA_OUTER_LIMIT_WITH_GRAD + 64**2, True, "symmetric"),
    (OUTER_LIMIT, False, "outer"),
    (OUTER_LIMIT + 64**2, False, "einsum"),
]


class OnCuda(NamedTuple):
    """What choose() reads of a CUDA tensor, on a machine without one (tests/test_gpu.py asks a real one)."""

    shape: tuple[int, int]
    requires_grad: bool = False
    is_cuda: bool = True


@pytest.mark.claim("C3")
@pytest.mark.parametrize(("pairs", "needs_grad", "expected"), ON_CUDA)
def test_auto_for_a_cuda_tensor_picks_outer_up_to_its_limit_then_symmetric_or_einsum(pairs, needs_grad, expected):
    weight = OnCuda((64, 64, 8), requires_grad=needs_grad)
    assert choose(OnCuda((pairs // 64**2, 64)), weight) == expected


@pytest.mark.claim("C3")
def test_tensor_dot_refuses_wrong_width_naming_both():
    with pytest.raises(ValueError, match=r"\(batch, 4\); got \(2, 3\)"):
        TensorDot(4)(torch.randn(2, 3))
