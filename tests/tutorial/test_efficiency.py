"""Tutorial 3.9: claims T16 to T18."""

import warnings

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from nnlab import count_parameters
from nnlab.tutorial.efficiency import CheckpointModel, OptimizedModel, SharedLayerModel, leaky_relu_001
from nnlab.checks.strategies import batches, tensors


@pytest.mark.claim("T16")
@given(num_layers=st.integers(1, 30))
def test_reused_layer_keeps_parameter_count_independent_of_depth(num_layers):
    model = SharedLayerModel(8, 16, num_layers)
    assert count_parameters(model) == (8 * 16 + 16) + (16 * 16 + 16) + (16 + 1)


@pytest.mark.claim("T16")
@given(num_layers=st.integers(1, 10))
def test_reused_layer_runs_num_layers_times(num_layers):
    model = SharedLayerModel(8, 16, num_layers)
    calls = []
    model.shared_layer.register_forward_hook(lambda *args: calls.append(1))
    model(torch.randn(2, 8))
    assert len(calls) == num_layers


def grads(model):
    return [p.grad for p in model.parameters()]


WHY_T17 = (
    "Bitwise on the CPU: the checkpointed blocks recompute exactly what was dropped, "
    "also when the input needs no gradient, as training data does not."
)


@pytest.mark.claim("T17", why=WHY_T17)
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


def saved_for_backward(model: CheckpointModel, x: torch.Tensor) -> int:
    """How many tensors the forward pass keeps for the backward pass."""
    count = 0

    def pack(tensor):
        nonlocal count
        count += 1
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(x)
    return count


@pytest.mark.claim("T17")
def test_checkpointing_is_on_by_default_and_stores_fewer_activations_for_backward():
    x = torch.randn(4, 64, requires_grad=True)
    assert saved_for_backward(CheckpointModel(width=64), x) < saved_for_backward(
        CheckpointModel(width=64, checkpointing=False), x
    )


@pytest.mark.claim("T17")
def test_checkpoint_model_is_the_chapters_1000_wide():
    assert CheckpointModel()(torch.randn(2, 1000)).shape == (2, 1)


@pytest.mark.claim("T18")
@given(x=tensors((st.integers(1, 8), 100), low=-3, high=3))
def test_leaky_relu_001_is_leaky_relu(x):
    torch.testing.assert_close(leaky_relu_001(x), torch.nn.functional.leaky_relu(x, 0.01), rtol=0, atol=0)


@pytest.mark.claim("T18")
@given(x=tensors((st.integers(1, 8), 100), low=-3, high=3))
def test_optimized_model_is_three_layers_with_leaky_relu_between(x):
    model = OptimizedModel()
    hidden = torch.nn.functional.leaky_relu(model.fc2(torch.nn.functional.leaky_relu(model.fc1(x), 0.01)), 0.01)
    torch.testing.assert_close(model(x), model.fc3(hidden), rtol=0, atol=0)
    assert [(m.in_features, m.out_features) for m in (model.fc1, model.fc2, model.fc3)] == [
        (100, 200),
        (200, 100),
        (100, 1),
    ]


WHY_T18 = "torch.compile traces the model to the same computation (aot_eager backend here; inductor in the slow suite)."


@pytest.mark.claim("T18", why=WHY_T18)
def test_compiled_model_computes_what_eager_computes():
    torch._dynamo.reset()
    model, x = OptimizedModel(), torch.randn(64, 100)
    compiled = torch.compile(model, backend="aot_eager")
    torch.testing.assert_close(compiled(x), model(x), rtol=0, atol=0)


@pytest.mark.slow
@pytest.mark.claim("T18")
def test_inductor_compiled_model_computes_what_eager_computes():
    torch._dynamo.reset()
    model, x = OptimizedModel(), torch.randn(64, 100)
    # generated kernels may fuse and reorder float operations: equal up to float32 rounding
    torch.testing.assert_close(torch.compile(model)(x), model(x))


WHY_T18_2 = (
    "Scripted and compiled models compute what eager mode computes; but TorchScript, the chapter's tool, is "
    "deprecated in current torch (torch.jit.script warns), and its printed speed-up is a measurement, not a property."
)


@pytest.mark.claim("T18", verdict="qualified", why=WHY_T18_2)
def test_scripted_model_computes_what_eager_computes(evidence):
    if not hasattr(torch.jit, "script"):
        pytest.skip(f"torch {torch.__version__} has no torch.jit.script")
    model, x = OptimizedModel(), torch.randn(64, 100)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scripted = torch.jit.script(model)
    deprecated = [w for w in caught if "deprecated" in str(w.message)]
    evidence(
        "T18",
        f"torch {torch.__version__}: torch.jit.script "
        + ("warns that it is deprecated." if deprecated else "does not warn."),
    )
    assert len(deprecated) == len(caught), [str(w.message) for w in caught]  # no warning but the deprecation
    torch.testing.assert_close(scripted(x), model(x), rtol=0, atol=0)
