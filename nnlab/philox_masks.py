"""Every run's dropout masks in one GPU launch, each run drawing from its own Philox stream.

torch draws from one generator per call, so runs that each keep a generator of their own
(``nnlab.many_runs``) cost a launch per run per step. Here one Triton kernel draws them all:
run ``r``'s ``i``-th uniform number of its training is ``Philox(seeds[r], i)`` (``tl.rand``),
so its masks depend on its seed and on how many numbers it has drawn, never on the runs beside it.
"""

import torch
import triton
import triton.language as tl

BLOCK = 1024  # units per program; a program draws one run's block


@triton.jit
def _keep_masks(seeds, masks, per_run, start, keep, scale, BLOCK: tl.constexpr):
    run = tl.program_id(0)
    index = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    draws = tl.rand(tl.load(seeds + run), start + index.to(tl.int64))
    kept = tl.where(draws < keep, scale, 0.0)
    tl.store(masks + run.to(tl.int64) * per_run + index, kept, mask=index < per_run)


def keep_masks(seeds: torch.Tensor, start: int, shape: tuple[int, ...], keep: float) -> torch.Tensor:
    """Inverted-dropout masks of shape ``(len(seeds), *shape)``, in one launch.

    Unit ``i`` of run ``r`` (row-major in ``shape``) is ``1 / keep`` where ``Philox(seeds[r], start + i)``,
    a uniform number in [0, 1), falls below ``keep``, else 0. ``seeds``: one int64 per run, on the device
    the masks are drawn on. A caller draws its next masks from ``start + prod(shape)``.
    """
    masks = torch.empty(len(seeds), *shape, device=seeds.device)
    per_run = masks[0].numel()
    grid = (len(seeds), triton.cdiv(per_run, BLOCK))
    _keep_masks[grid](seeds, masks, per_run, start, keep, 1 / keep, BLOCK=BLOCK)
    return masks
