"""Tutorial 3.4: claim T9, nnlab's own side: ``remove_hooks`` and detached records.

What the chapter's ``HookDemo`` records and computes is a claim check in ``nnlab.checks.chapter.hooks``.
"""

import pytest
import torch
from hypothesis import given

from nnlab.checks.strategies import batches
from nnlab.tutorial.hooks import HookModel


@pytest.mark.claim("T9")
@given(x=batches(10))
def test_output_is_the_same_before_and_after_remove_hooks(x):
    model = HookModel()
    hooked = model(x)
    model.remove_hooks()
    torch.testing.assert_close(hooked, model(x), rtol=0, atol=0)
    assert hooked.shape == (x.shape[0], 1)


@pytest.mark.claim("T9")
def test_hooks_stop_after_remove():
    model = HookModel()
    model(torch.randn(2, 10).requires_grad_())
    recorded = dict(model.activations)
    assert not any(a.requires_grad for a in recorded.values()), "a record keeps the autograd graph alive"
    model.remove_hooks()
    model.remove_hooks()  # a second call has nothing left to remove, and says nothing
    model(torch.randn(3, 10))
    assert all(model.activations[name] is recorded[name] for name in recorded)
    assert not model.fc1._forward_hooks and not model.fc2._forward_hooks
