"""A training step replayed as a CUDA graph: one launch instead of a few dozen.

On a GPU the report's network is too small to keep it busy: each step is a
few dozen tiny kernels, and launching them from Python costs more than running
them. A CUDA graph records the kernels of one step once and replays them with
a single launch (https://pytorch.org/docs/stable/notes/cuda.html#cuda-graphs).

What a graph needs, and how ``capture`` provides it:

- Fixed memory. Every replay reads and writes the same addresses, so the
  step reads its batch through a fixed index tensor that ``replay`` fills.
- Fixed shapes. The last batch of an epoch is usually smaller, so there is
  one graph per batch size, sharing one memory pool.
- Nothing allocated for the first time while recording. A few warm-up steps
  on a side stream create cuBLAS's workspace, the gradients and the
  optimizer's state. They also train the model, so afterwards the starting
  weights come back and the optimizer's state is zeroed, which for SGD with
  momentum and for Adam is the same as a fresh state.
- Constant Python values. The learning rate is recorded as a number, so a
  schedule that changes it each step cannot be replayed; ``train`` runs such
  recipes eagerly.
"""

from collections.abc import Callable, Iterable

import torch
from torch import nn

WARMUP_STEPS = 3  # the number PyTorch's CUDA graph notes use


@torch.no_grad()
def _reset(model: nn.Module, start: dict[str, torch.Tensor], optimizer: torch.optim.Optimizer) -> None:
    for name, value in model.state_dict().items():
        value.copy_(start[name])
    for state in optimizer.state.values():
        for value in state.values():
            if torch.is_tensor(value):
                value.zero_()


def capture(
    step: Callable[[torch.Tensor], None],
    batch_sizes: Iterable[int],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
) -> Callable[[torch.Tensor], None]:
    """Record ``step(indices)`` once per batch size; return a function that replays the matching graph.

    ``step`` must do all its work on CUDA tensors, in place or into tensors it
    allocates itself: the training step of ``nnlab.training.train``. The
    returned ``replay(indices)`` runs the step on the batch ``indices`` (a
    CUDA int64 tensor whose length is one of ``batch_sizes``).
    """
    device = next(model.parameters()).device
    start = {name: value.clone() for name, value in model.state_dict().items()}
    # largest first: the smaller graphs then fit into the memory pool the first one made
    indices = {size: torch.arange(size, device=device) for size in sorted(set(batch_sizes), reverse=True)}

    side = torch.cuda.Stream(device)
    side.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(side):
        for _ in range(WARMUP_STEPS):
            for batch in indices.values():
                step(batch)
    torch.cuda.current_stream(device).wait_stream(side)
    _reset(model, start, optimizer)

    graphs: dict[int, torch.cuda.CUDAGraph] = {}
    pool = None
    for size, batch in indices.items():
        graphs[size] = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graphs[size], pool=pool):
            step(batch)
        pool = graphs[size].pool()

    def replay(batch: torch.Tensor) -> None:
        indices[len(batch)].copy_(batch)
        graphs[len(batch)].replay()

    return replay
