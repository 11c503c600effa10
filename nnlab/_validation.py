"""Input checks shared by nnlab's modules.

PyTorch's own shape errors ("mat1 and mat2 shapes cannot be multiplied") name
matrices a student never wrote; these name the module, what it expected and
what it got.
"""

import torch


def check_features(x: torch.Tensor, expected: int, who: str) -> None:
    """Refuse ``x`` unless it is ``(..., expected)`` with at least one dimension."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{who} expects a torch.Tensor, got {type(x).__name__}.")
    if x.dim() == 0 or x.shape[-1] != expected:
        raise ValueError(
            f"{who} expects inputs of shape (batch, {expected}); got {tuple(x.shape)}. "
            f"The last dimension must be {expected} features."
        )


def check_positive(value: int, name: str, who: str) -> None:
    """Refuse a size that is not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{who}: {name} must be a positive integer, got {value!r}.")
