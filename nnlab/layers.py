"""Custom layers (report section 3): one without parameters, two with."""

import torch
from torch import nn
from torch.nn import functional as F

from nnlab import tensordot
from nnlab._validation import check_features, check_positive


class CenteredLayer(nn.Module):
    """Subtract the mean of the whole tensor: ``Y = X - mean(X)``.

    No parameters. Shape: any non-empty shape, unchanged.
    """

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.numel() == 0:
            raise ValueError(f"CenteredLayer needs a non-empty tensor; got shape {tuple(X.shape)}.")
        return X - X.mean()


class MyLinear(nn.Module):
    """A dense layer with its ReLU built in: ``Y = relu(X @ W + b)``.

    Note the weight layout ``(in_units, units)``, the transpose of ``nn.Linear``'s.

    Shape: ``(batch, in_units) -> (batch, units)``.
    """

    def __init__(self, in_units: int, units: int):
        super().__init__()
        check_positive(in_units, "in_units", "MyLinear")
        check_positive(units, "units", "MyLinear")
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_features(X, self.weight.shape[0], "MyLinear")
        return F.relu(X @ self.weight + self.bias)

    def extra_repr(self) -> str:
        in_units, units = self.weight.shape
        return f"in_units={in_units}, units={units}"


class TensorDot(nn.Module):
    """Exercise 1's tensor-reduction layer: ``y_k = sum_ij W_ijk x_i x_j``.

    A quadratic form per output: ``y_k = x^T W[:, :, k] x``. So
    ``f(c x) = c^2 f(x)``, and only the part of ``W`` symmetric in ``i, j``
    matters: ``W`` and ``W.transpose(0, 1)`` give the same output.

    Args:
        in_features: ``n``, the width of ``x``.
        out_features: ``k``, the width of ``y``; defaults to ``n`` (the report's layer).
        formulation: how to compute it: ``"auto"`` (default: per call, the
            formulation ``nnlab.tensordot.choose`` picks for the shape and
            whether gradients are needed) or one of
            ``nnlab.tensordot.FORMULATIONS``: ``"einsum"`` (the report's),
            ``"outer"`` or ``"symmetric"``. All give the same function and gradients.

    Shape: ``(..., n) -> (..., k)``; ``weight`` is ``(n, n, k)``.
    """

    def __init__(self, in_features: int, out_features: int | None = None, formulation: str = "auto"):
        super().__init__()
        out_features = in_features if out_features is None else out_features
        check_positive(in_features, "in_features", "TensorDot")
        check_positive(out_features, "out_features", "TensorDot")
        if formulation != "auto" and formulation not in tensordot.FORMULATIONS:
            choices = ["auto", *sorted(tensordot.FORMULATIONS)]
            raise ValueError(f"TensorDot: formulation must be one of {choices}, got {formulation!r}.")
        self.in_features = in_features
        self.out_features = out_features
        self.formulation = formulation
        self.weight = nn.Parameter(torch.empty(in_features, in_features, out_features))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # y_k sums n^2 products x_i x_j; U(-1/n, 1/n) keeps y of the order of x^2
        # for unit-scale inputs, where the report's U(0, 1) grows like n^2.
        bound = 1.0 / self.in_features
        nn.init.uniform_(self.weight, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_features(x, self.in_features, "TensorDot")
        flat = x.reshape(-1, self.in_features)
        formulation = tensordot.choose(flat, self.weight) if self.formulation == "auto" else self.formulation
        y = tensordot.FORMULATIONS[formulation](flat, self.weight)
        return y.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, formulation={self.formulation!r}"
