"""Pathological: a submission that tries to grade itself, and a wrong CenteredLayer.

At import it makes torch's comparison functions agree with anything (rebound,
and rewritten in place), turns nnlab's checks into no-ops and pushes a
``__torch_function__`` mode; nnlab puts all of it back before the checks run,
so C1 still fails, and a batch checked beside it keeps its own results.
"""

import torch
import torch.testing
from torch import nn
from torch.overrides import TorchFunctionMode

import nnlab.checks


def always(*args, **kwargs):
    return True


torch.allclose = always
torch.equal = always
torch.Tensor.equal = always
torch.testing.assert_close = lambda *args, **kwargs: None
torch.testing._comparison.assert_close.__code__ = (lambda *args, **kwargs: None).__code__
for check in nnlab.checks.CHECKS:
    object.__setattr__(check, "function", lambda lab: None)
torch.nn.modules.module.register_module_forward_hook(lambda module, inputs, output: output)


class Agreeable(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in (torch.allclose, torch.equal, torch.Tensor.equal):
            return True
        return func(*args, **(kwargs or {}))


Agreeable().__enter__()


class CenteredLayer(nn.Module):
    def forward(self, X):
        return X  # wrong: no centring at all
