"""Speed of the TensorDot formulations, per shape, forward and forward + backward.

Each group is one shape and one pass; ``auto`` is what ``TensorDot`` runs by
default. Its references: ``einsum`` (the report's formulation) and
``matmul``, a plain ``(b, n^2) @ (n^2, k)`` product with the same
multiply-adds as the layer's forward (``2 b n^2 k`` FLOPs; ``6 b n^2 k`` with
both gradients). ``python benchmarks/saved_runs.py`` reads the
saved run and prints each formulation's speed as a ratio to the references.
"""

import pytest
import torch

from nnlab.tensordot import FORMULATIONS, choose

SHAPES = [(64, 32, 32), (256, 64, 64), (1024, 64, 64), (256, 128, 64), (1024, 128, 128), (1024, 256, 64)]
CANDIDATES = [*FORMULATIONS, "auto", "matmul"]
DEVICES = ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]
CUDA_CALLS_PER_ROUND = 20


def matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return a @ b


def auto(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """What ``TensorDot(formulation="auto")`` runs."""
    return FORMULATIONS[choose(x, weight)](x, weight)


def operands(candidate: str, shape, device: str):
    batch, n, k = shape
    if candidate == "matmul":
        a, b = torch.randn(batch, n * n, device=device), torch.randn(n * n, k, device=device)
        return matmul, a, b
    function = auto if candidate == "auto" else FORMULATIONS[candidate]
    return function, torch.randn(batch, n, device=device), torch.randn(n, n, k, device=device) / n


# The lowest decorator varies slowest, so a group's candidates run back to back. This machine drifts between a
# fast and a slow phase within a run; ordered by candidate, `auto` ran minutes after `symmetric`, the code it
# picks, and took 1.7x its time.
@pytest.mark.parametrize("candidate", CANDIDATES)
@pytest.mark.parametrize("backward", [False, True], ids=["forward", "forward+backward"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "b{}-n{}-k{}".format(*s))
@pytest.mark.parametrize("device", DEVICES)
def test_tensor_dot_speed(benchmark, candidate, shape, backward, device):
    function, x, weight = operands(candidate, shape, device)
    benchmark.group = (
        f"tensor_dot {device} {'forward+backward' if backward else 'forward'} b={shape[0]} n={shape[1]} k={shape[2]}"
    )
    # A GPU runs these shapes in microseconds: a synchronize after every call would time the synchronize.
    calls = CUDA_CALLS_PER_ROUND if device == "cuda" else 1
    benchmark.extra_info.update(candidate=candidate, shape=list(shape), backward=backward, device=device, calls=calls)
    if backward:
        x.requires_grad_(True)
        weight.requires_grad_(True)
    grad_y = torch.ones(shape[0], shape[2], device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def step():
        for _ in range(calls):
            y = function(x, weight)
            if backward:
                x.grad = weight.grad = None
                y.backward(grad_y)
        sync()

    benchmark(step)
