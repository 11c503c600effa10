"""Tutorial 3.5: custom layers with parameters, with attention, and with state."""

import math

import torch
from torch import nn
from torch.nn import functional as F

from nnlab._validation import check_features, check_positive


class CustomLinear(nn.Module):
    """``nn.Linear`` written out: ``y = x W^T + b``.

    ``reset_parameters`` is ``nn.Linear``'s: ``W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))``
    (Kaiming uniform with ``a = sqrt(5)``) and the same bound for ``b``. The
    parameters start empty, not ``randn`` as in the chapter, so that with the
    same seed ``CustomLinear`` and ``nn.Linear`` draw the same weights.

    Shape: ``(..., in_features) -> (..., out_features)``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        check_positive(in_features, "in_features", "CustomLinear")
        check_positive(out_features, "out_features", "CustomLinear")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))
        else:
            self.register_parameter("bias", None)  # the attribute exists, as None, and is not a parameter
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_features(x, self.in_features, "CustomLinear")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class SimpleAttention(nn.Module):
    """Attention pooling over a sequence.

    ``a = softmax_t(h_t . w)``, ``out = sum_t a_t h_t``: the weights are
    non-negative and sum to 1, so ``out`` is a convex combination of the
    ``h_t``; permuting the sequence permutes ``a`` and leaves ``out`` unchanged.

    Shape: ``(batch, seq, hidden) -> ((batch, hidden), (batch, seq))``.
    """

    def __init__(self, hidden_size: int):
        super().__init__()
        check_positive(hidden_size, "hidden_size", "SimpleAttention")
        self.hidden_size = hidden_size
        self.attention = nn.Linear(hidden_size, 1, bias=False)

    def forward(self, hidden_states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if hidden_states.dim() != 3 or hidden_states.shape[-1] != self.hidden_size or hidden_states.shape[1] == 0:
            raise ValueError(
                f"SimpleAttention expects (batch, seq, {self.hidden_size}) with seq >= 1; "
                f"got {tuple(hidden_states.shape)}."
            )
        weights = F.softmax(self.attention(hidden_states).squeeze(-1), dim=-1)
        return (weights.unsqueeze(-1) * hidden_states).sum(dim=1), weights

    def extra_repr(self) -> str:
        return f"hidden_size={self.hidden_size}"


class StatefulLayer(nn.Module):
    """A recurrent cell that keeps its hidden state between calls: ``h = tanh(W_x x + W_h h_prev)``.

    The state is a buffer (moved by ``.to()``), not persistent (it is not a
    weight, so ``state_dict()`` leaves it out), and detached after each call
    (no graph grows across calls). It belongs to one batch: the first call
    after a reset fixes the batch size, and a later call with another batch
    size is refused (the chapter's ``expand`` fails there with a cryptic
    error); ``reset_state()`` starts afresh at zeros.

    Shape: ``(batch, input_size) -> (batch, hidden_size)``.
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        check_positive(input_size, "input_size", "StatefulLayer")
        check_positive(hidden_size, "hidden_size", "StatefulLayer")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.input_transform = nn.Linear(input_size, hidden_size)
        self.hidden_transform = nn.Linear(hidden_size, hidden_size)
        self.register_buffer("hidden_state", torch.zeros(0, hidden_size), persistent=False)

    def reset_state(self) -> None:
        """Forget the state; the next call starts from zeros, with any batch size."""
        self.hidden_state = self.hidden_state.new_zeros(0, self.hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_features(x, self.input_size, "StatefulLayer")
        if x.dim() != 2:
            raise ValueError(f"StatefulLayer expects (batch, {self.input_size}); got {tuple(x.shape)}.")
        previous = self.hidden_state
        if len(previous) == 0:
            previous = x.new_zeros(len(x), self.hidden_size)
        elif len(previous) != len(x):
            raise ValueError(
                f"StatefulLayer holds state for a batch of {len(previous)} but got a batch of {len(x)}. "
                "Call reset_state() before changing the batch size."
            )
        new_hidden = torch.tanh(self.input_transform(x) + self.hidden_transform(previous))
        self.hidden_state = new_hidden.detach()
        return new_hidden

    def extra_repr(self) -> str:
        return f"input_size={self.input_size}, hidden_size={self.hidden_size}"
