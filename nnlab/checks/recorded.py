"""A module's record: its parameters, and its outputs on the grader's fixed inputs, replayed where it cannot run.

A property at a role's own sizes needs the role's sizes before it can draw its questions, and the sizes are
found by running the module (which reading of its parameters computes its output?). A judged check
(``nnlab.checks.judged``) surveys the module in the process that runs it, ``record(module)``, and reads the
record where the module's code never runs, as ``Replayed(record)``: a module with the recorded parameters that
gives, on each fixed input, the output the module gave, and refuses any other input. The checks' own readings
of a module (``nnlab.checks.blocks``'s chains of layers) then run on the replay unchanged.
"""

import torch
from torch import nn

PROBE_ROWS = 3
# the widest input a record holds: far beyond the lab's roles (784 features at most), short of what would cost the
# process that replays a record, where the sizes come from the process under check, its memory
WIDEST = 4096


def probe_batch(width: int) -> torch.Tensor:
    """The fixed input of ``width`` features a module is recorded on: the same in every process."""
    return torch.randn(PROBE_ROWS, width, generator=torch.Generator().manual_seed(width))


def output_if_taken(module: nn.Module, X: torch.Tensor) -> torch.Tensor | None:
    """``module(X)``, or None where the module refuses ``X``: another reading of its weights, not a failure.

    Any exception is a refusal: torch's shape errors, or a student's own guard (an ``assert``, a ``ValueError``,
    an exception class of their own). What the module does at its own width is the checks' to judge.
    """
    try:
        with torch.no_grad():
            return module(X)
    except Exception:  # noqa: BLE001
        return None


def widths_to_try(module: nn.Module) -> list[int]:
    """Every size of the module's 2-D trainable parameters: its input width is one of them."""
    sizes = {n for p in module.parameters() if p.requires_grad and p.dim() == 2 for n in p.shape}
    return sorted(n for n in sizes if n <= WIDEST)


def record(module: nn.Module) -> dict:
    """The module's parameters in its order, and its output (None: refused, or not a tensor) on each probe batch."""
    outputs = {}
    for width in widths_to_try(module):
        y = output_if_taken(module, probe_batch(width))
        outputs[str(width)] = y if isinstance(y, torch.Tensor) else None
    return {"parameters": list(module.parameters()), "outputs": outputs}


class Replayed(nn.Module):
    """A recorded module: its parameters, and on each probe batch the output the module gave there.

    Shape: ``(3, width) -> `` the recorded output, for the probe batch of each recorded width; any other input
    raises, as a module refuses an input it does not take.
    """

    def __init__(self, recorded: dict):
        super().__init__()
        for i, p in enumerate(recorded["parameters"]):
            self.register_parameter(f"p{i}", nn.Parameter(p.detach(), requires_grad=p.requires_grad))
        self.outputs = {int(width): y for width, y in recorded["outputs"].items()}

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        y = self.outputs.get(X.shape[-1]) if X.dim() == 2 and X.shape[-1] <= WIDEST else None
        if y is None or not torch.equal(X, probe_batch(X.shape[-1])):
            raise ValueError(f"the module gave no output on an input of shape {tuple(X.shape)}")
        return y

    def extra_repr(self) -> str:
        return f"recorded at widths {sorted(self.outputs)}"
