"""``assert_close`` for checks: a failure shows what the code gave and what the property needs.

A student reading a failed check wants the two values side by side, not only
torch's "Mismatched elements: 3 / 10". Hypothesis has shrunk the input by the
time the message is read, so the tensors are small enough to print.
"""

from collections.abc import Callable

import torch

SHOWN = 8  # values printed of a tensor; a longer one is cut with its shape


def show(value) -> str:
    """A tensor on one line: its values if short, else its shape and first values."""
    if not isinstance(value, torch.Tensor):
        return repr(value)
    flat = value.detach().flatten().tolist()
    numbers = ", ".join(f"{x:.4g}" if isinstance(x, float) else str(x) for x in flat[:SHOWN])
    cut = ", ..." if len(flat) > SHOWN else ""
    return f"tensor of shape {tuple(value.shape)} [{numbers}{cut}]"


def assert_close(actual, expected, *, msg: str | Callable[[str], str] | None = None, **tolerances) -> None:
    """``assert_close(actual, expected)``, its message ending with both values."""

    def message(torch_message: str) -> str:
        said = msg(torch_message) if callable(msg) else (msg or torch_message)
        return f"{said}\nGot {show(actual)}; the property needs {show(expected)}."

    torch.testing.assert_close(actual, expected, msg=message, **tolerances)
