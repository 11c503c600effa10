"""Tutorial 3.4: claim T9."""

import pytest
import torch
from hypothesis import given

from nnlab.tutorial.hooks import HookModel
from nnlab.checks.strategies import batches


@pytest.mark.claim("T9")
@given(x=batches(10))
def test_hooks_capture_intermediate_outputs_of_the_right_shapes(x):
    model = HookModel()
    model(x)
    assert {name: tuple(a.shape) for name, a in model.activations.items()} == {
        "fc1": (x.shape[0], 20),
        "fc2": (x.shape[0], 10),
    }
    torch.testing.assert_close(model.activations["fc1"], model.fc1(x), rtol=0, atol=0)
    assert not model.activations["fc1"].requires_grad


@pytest.mark.claim("T9")
@given(x=batches(10))
def test_hooks_do_not_change_the_output(x):
    model = HookModel()
    hooked = model(x)
    model.remove_hooks()
    torch.testing.assert_close(hooked, model(x), rtol=0, atol=0)
    assert hooked.shape == (x.shape[0], 1)


@pytest.mark.claim("T9")
def test_hooks_stop_after_remove():
    model = HookModel()
    model(torch.randn(2, 10))
    recorded = dict(model.activations)
    model.remove_hooks()
    model.remove_hooks()  # a second call has nothing left to remove, and says nothing
    model(torch.randn(3, 10))
    assert all(model.activations[name] is recorded[name] for name in recorded)
    assert not model.fc1._forward_hooks and not model.fc2._forward_hooks
