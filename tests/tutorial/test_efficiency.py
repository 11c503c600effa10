"""Tutorial 3.9: claims T16 to T18."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from nnlab.checks.chapter.efficiency import SCRIPT_DEPRECATED_FROM, saved_for_backward, torch_version
from nnlab.checks.strategies import batches, tensors
from nnlab.tutorial.efficiency import CheckpointModel, OptimizedModel, SharedLayerModel, leaky_relu_001


def grads(model):
    return [p.grad for p in model.parameters()]


@pytest.mark.claim("T17")
@given(x=batches(32, low=-3, high=3), input_needs_grad=st.booleans())
def test_checkpointing_gives_same_outputs_and_gradients(x, input_needs_grad):
    plain = CheckpointModel(width=32, checkpointing=False)
    checkpointed = CheckpointModel(width=32)
    checkpointed.load_state_dict(plain.state_dict())
    x_plain, x_checkpointed = (x.clone().requires_grad_(input_needs_grad) for _ in range(2))
    out_plain, out_checkpointed = plain(x_plain), checkpointed(x_checkpointed)
    assert torch.equal(out_plain, out_checkpointed) and out_plain.shape == (x.shape[0], 1)
    out_plain.square().sum().backward()
    out_checkpointed.square().sum().backward()
    for g_plain, g_checkpointed in zip(grads(plain), grads(checkpointed), strict=True):
        assert torch.equal(g_plain, g_checkpointed)
    if input_needs_grad:
        assert torch.equal(x_plain.grad, x_checkpointed.grad)


@pytest.mark.claim("T17")
def test_checkpointing_is_on_by_default_and_stores_fewer_activations_for_backward():
    x = torch.randn(4, 64, requires_grad=True)
    checkpointed, plain = CheckpointModel(width=64), CheckpointModel(width=64, checkpointing=False)
    assert len(saved_for_backward(lambda: checkpointed(x))) < len(saved_for_backward(lambda: plain(x)))


@pytest.mark.claim("T17")
def test_checkpoint_model_is_the_chapters_1000_wide():
    assert CheckpointModel()(torch.randn(2, 1000)).shape == (2, 1)


@pytest.mark.claim("T18")
@given(x=tensors((st.integers(1, 8), 100), low=-3, high=3))
def test_leaky_relu_001_is_leaky_relu(x):
    torch.testing.assert_close(leaky_relu_001(x), torch.nn.functional.leaky_relu(x, 0.01), rtol=0, atol=0)


@pytest.mark.slow
@pytest.mark.claim("T18")
def test_inductor_compiled_model_computes_what_eager_computes():
    torch._dynamo.reset()
    model, x = OptimizedModel(), torch.randn(64, 100)
    # generated kernels may fuse and reorder float operations: equal up to float32 rounding
    torch.testing.assert_close(torch.compile(model)(x), model(x))


@pytest.mark.claim("T18")
def test_torch_jit_script_warns_that_it_is_deprecated_from_torch_2_10():
    if not hasattr(torch.jit, "script"):
        pytest.skip(f"torch {torch.__version__} has no torch.jit.script")
    if torch_version() < SCRIPT_DEPRECATED_FROM:
        pytest.skip(f"torch {torch.__version__} predates the deprecation warning (torch 2.10)")
    with pytest.warns((DeprecationWarning, FutureWarning), match=r"`torch\.jit\.script` is (deprecated|not supported)"):
        scripted = torch.jit.script(OptimizedModel())
    x = torch.randn(4, 100)
    torch.testing.assert_close(scripted(x), scripted(x))


@pytest.mark.parametrize(
    ("model", "shown"),
    [
        (lambda: SharedLayerModel(3, 4, num_layers=5), "num_layers=5"),
        (lambda: CheckpointModel(8, checkpointing=False), "checkpointing=False"),
        (lambda: CheckpointModel(8), "checkpointing=True"),
    ],
)
def test_repr_shows_the_state_that_is_not_a_submodule(model, shown):
    assert shown in repr(model())
