"""The checks of report section 3 catch the wrong implementations they are for, and pass correct ones."""

import re

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from nnlab.checks.layers import centered_layer_is_invariant_to_adding_a_constant
from nnlab.labs import REPORT
from nnlab.layers import CenteredLayer
from tests.checks.helpers import results_of, variant

C1_EXACT = "centered_layer_subtracts_the_mean_of_the_whole_batch"


class RowCentered(nn.Module):
    """Wrong: centres each row on its own mean; the whole output's mean is still zero."""

    def forward(self, X):
        return X - X.mean(-1, keepdim=True)


class CenteredBySum(nn.Module):
    """Correct, in another style: the mean as a sum over a count, in float64."""

    def forward(self, X):
        return (X.double() - X.double().sum() / X.numel()).to(X.dtype)


def test_per_row_centring_passes_the_mean_zero_checks_but_fails_the_exact_one():
    results = results_of(variant("layers", CenteredLayer=RowCentered), "C1")
    assert results[C1_EXACT] == "fail"
    assert results["centered_output_has_mean_zero"] == "pass"  # why the exact check is needed


def test_c1_passes_centring_written_as_a_sum_over_a_count():
    assert set(results_of(variant("layers", CenteredLayer=CenteredBySum), "C1").values()) == {"pass"}


@pytest.mark.parametrize("c", [-100.0, -7.25, 31.7, 99.9])
def test_c1_invariance_check_allows_the_rounding_a_large_constant_brings_to_a_correct_layer(c):
    """X + c rounds each entry to c's float32 spacing: the correct layer's two outputs differ by that much, which
    grows with |c|, and the check must let it through."""
    X = torch.rand(3, 5, generator=torch.Generator().manual_seed(1)) * 2 - 1
    question = {"X": X, "c": c, "X + c": X + c}
    outputs = [CenteredLayer()(X), CenteredLayer()(X + c)]
    assert not torch.equal(outputs[0], outputs[1])  # the rounding the tolerance is for
    centered_layer_is_invariant_to_adding_a_constant(question, outputs)
    said = rf"(?<!\w){re.escape(f'c = {c:.4g}')}(?!\w)"  # the failure names the constant
    with pytest.raises(AssertionError, match=said):  # and no more than rounding: 1e-3 of the constant shows
        centered_layer_is_invariant_to_adding_a_constant(question, [outputs[0], outputs[1] + 1e-3 * c])


class AffineWithoutReLU(nn.Module):
    """Wrong: X @ W + b without the ReLU."""

    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units))

    def forward(self, X):
        return X @ self.weight + self.bias


class ClampedAddmm(nn.Module):
    """Correct, in another style: other names, addmm, clamp for the ReLU."""

    def __init__(self, in_units, units):
        super().__init__()
        self.kernel = nn.Parameter(torch.randn(in_units, units) * 0.3)
        self.offset = nn.Parameter(torch.zeros(units))

    def forward(self, X):
        return torch.addmm(self.offset, X, self.kernel).clamp(min=0)


class LinearLayout(AffineWithoutReLU):
    """The nn.Linear layout (units, in_units): computes the same function, but not the claim's weight shape."""

    def __init__(self, in_units, units):
        super().__init__(in_units, units)
        self.weight = nn.Parameter(torch.randn(units, in_units))

    def forward(self, X):
        return F.relu(F.linear(X, self.weight, self.bias))


def test_c2_fails_a_layer_without_relu():
    name = "my_linear_computes_relu_of_x_w_plus_b"
    assert results_of(variant("layers", MyLinear=AffineWithoutReLU), "C2", name) == {name: "fail"}


def test_c2_passes_a_clamped_addmm_layer():
    assert set(results_of(variant("layers", MyLinear=ClampedAddmm), "C2").values()) == {"pass"}


def test_c2_a_transposed_weight_fails_only_the_layout_the_report_states():
    results = results_of(variant("layers", MyLinear=LinearLayout), "C2")
    assert results.pop("my_linear_weight_is_in_units_by_units_and_bias_units") == "fail"
    assert set(results.values()) == {"pass"}


class TensorDotKIJ(nn.Module):
    """Correct, in another style: the weight stored (k, i, j), the reduction as a batched quadratic form."""

    def __init__(self, in_features):
        super().__init__()
        self.kernel = nn.Parameter(torch.randn(in_features, in_features, in_features) / in_features)

    def forward(self, x):
        return torch.einsum("bi,kij,bj->bk", x, self.kernel, x)


class TensorDotFlat(nn.Module):
    """Correct: W flattened to (n², n), rows indexed by (i, j), through the outer product."""

    def __init__(self, in_features):
        super().__init__()
        self.n = in_features
        self.W = nn.Parameter(torch.rand(in_features * in_features, in_features))

    def forward(self, x):
        return (x[:, :, None] * x[:, None, :]).reshape(x.shape[0], -1) @ self.W


class LinearInX(TensorDotKIJ):
    """Wrong: y_k = sum_ij W_kij x_i, one factor of x missing."""

    def forward(self, x):
        return torch.einsum("bi,kij->bk", x, self.kernel)


class DiagonalOnly(TensorDotKIJ):
    """Wrong: y_k = sum_i W_kii x_i², the cross terms dropped."""

    def forward(self, x):
        return torch.einsum("bi,kii,bi->bk", x, self.kernel, x)


def test_c3_passes_a_weight_stored_k_i_j_and_one_stored_flat():
    for layer in (TensorDotKIJ, TensorDotFlat):
        assert set(results_of(variant("layers", ParameterizedTensorDot=layer), "C3").values()) == {"pass"}, (
            layer.__name__
        )


def test_c3_fails_a_reduction_linear_in_x_and_one_without_cross_terms():
    name = "tensor_dot_equals_the_triple_loop_over_its_weight_with_its_gradients"
    for layer in (LinearInX, DiagonalOnly):
        assert results_of(variant("layers", ParameterizedTensorDot=layer), "C3", name) == {name: "fail"}, layer.__name__


def test_c3_passes_the_reports_layer_with_weights_in_0_to_1():
    assert set(results_of(REPORT, "C3").values()) == {"pass"}
