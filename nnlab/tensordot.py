"""Ways to compute ``y_bk = sum_ij W_ijk x_bi x_bj``, the ``TensorDot`` layer's reduction.

All of them compute the same function; they differ in speed and memory, and
which is fastest depends on the shape and the device (see ``benchmarks/``).

- ``einsum``: the report's two contractions, ``t_bjk = sum_i x_bi W_ijk``,
  then ``y_bk = sum_j t_bjk x_bj``. Memory ``b n k``.
- ``outer``: one matrix product on the outer product,
  ``(x x^T).reshape(b, n^2) @ W.reshape(n^2, k)``. Memory ``b n^2``.
- ``symmetric``: ``x_i x_j = x_j x_i``, so ``W`` acts through its symmetric
  part ``S``; the x-gradient ``2 S x`` is then a by-product of the forward
  pass. Two matrix products of ``2 b n^2 k`` for forward and backward where
  ``outer`` needs three; memory ``b n k``.
"""

import torch
from torch.autograd.function import once_differentiable


def einsum(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    partial = torch.einsum("bi,ijk->bjk", x, weight)
    return torch.einsum("bjk,bj->bk", partial, x)


def outer(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    batch, n = x.shape
    return (x[:, :, None] * x[:, None, :]).reshape(batch, n * n) @ weight.reshape(n * n, -1)


class _SymmetricTensorDot(torch.autograd.Function):
    """``y_bk = x_b^T S_k x_b`` with ``S = (W + W^T) / 2`` over ``i, j``; same output as ``W``.

    Forward: ``t = x @ S.reshape(n, n k)``, one matrix product, then
    ``y_bk = sum_j t_bjk x_bj``. Backward: since ``S_k`` is symmetric,
    ``dy_k/dx = 2 S_k x = 2 t_k``, so the x-gradient reuses ``t`` with no
    product at all, and ``dL/dS = x^T (x (x) dL/dy)`` is the one other matrix
    product. Two products of ``2 b n^2 k`` multiply-adds, against three for
    ``outer``; memory ``b n k``, never ``b n^2``.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        batch, n = x.shape
        symmetric_weight = (weight + weight.transpose(0, 1)) / 2
        t = (x @ symmetric_weight.reshape(n, -1)).view(batch, n, -1)  # t_bjk = sum_i x_bi S_ijk
        ctx.save_for_backward(x, t)
        return torch.bmm(x[:, None, :], t).squeeze(1)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_y: torch.Tensor):
        x, t = ctx.saved_tensors
        batch, n = x.shape
        grad_x = grad_weight = None
        if ctx.needs_input_grad[0]:
            # an elementwise product and a sum: measured faster here than a batch of (n, k) @ (k, 1) products
            grad_x = 2 * (t * grad_y[:, None, :]).sum(2)
        if ctx.needs_input_grad[1]:
            # dL/dS_ijk = sum_b x_bi x_bj g_bk, symmetric in i, j; dS/dW spreads it back as (G + G^T) / 2 = G
            x_times_grad = (x[:, :, None] * grad_y[:, None, :]).reshape(batch, -1)
            grad_weight = (x.T @ x_times_grad).view(n, n, -1)
        return grad_x, grad_weight


def symmetric(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return _SymmetricTensorDot.apply(x, weight)


FORMULATIONS = {"einsum": einsum, "outer": outer, "symmetric": symmetric}

# Above this many pair products (b n^2 floats, 64 MiB) the outer product stops fitting in cache and loses.
OUTER_LIMIT = 1 << 24
# On a GPU with gradients, the outer product's third matrix product costs more than its fewer launches save
# beyond this many pair products (measured: ahead at (b, n) = (1024, 64), behind at (1024, 128)).
CUDA_OUTER_LIMIT_WITH_GRAD = 1 << 22


def choose(x: torch.Tensor, weight: torch.Tensor) -> str:
    """The formulation measured fastest for this call (``benchmarks/test_tensor_dot.py``).

    On the 2-core CPU: with gradients to compute, ``symmetric`` (its backward
    is the cheapest); forward only, ``outer`` while its ``b n^2`` products fit
    ``OUTER_LIMIT``, else ``symmetric``. On an H100 the small shapes take tens
    of microseconds, so launching kernels costs as much as running them:
    ``outer``, the fewest kernels, up to ``CUDA_OUTER_LIMIT_WITH_GRAD`` pair
    products with gradients and ``OUTER_LIMIT`` without; beyond, ``symmetric``
    with gradients and ``einsum`` without.
    """
    backward = torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad)
    pairs = x.shape[0] * x.shape[1] ** 2
    if x.is_cuda:
        if backward:
            return "outer" if pairs <= CUDA_OUTER_LIMIT_WITH_GRAD else "symmetric"
        return "outer" if pairs <= OUTER_LIMIT else "einsum"
    if backward:
        return "symmetric"
    return "outer" if pairs <= OUTER_LIMIT else "symmetric"
