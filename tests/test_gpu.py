"""The CUDA path, where a GPU is present: the same functions and the same reproducibility as on the CPU."""

import pytest
import torch
from torch import nn

from nnlab import TensorDot
from nnlab.classifier import FashionMLP
from nnlab.experiment import CONFIGS, run, run_many
from nnlab.fileio import load_module, save_module
from nnlab.many_runs import StackedMLP
from nnlab.tensordot import FORMULATIONS, choose
from nnlab.training import Recipe, pick_device, train
from tests.test_layers import ON_CUDA

pytestmark = pytest.mark.gpu


@pytest.mark.claim("C3")
@pytest.mark.parametrize("formulation", sorted(FORMULATIONS))
def test_tensor_dot_on_cuda_equals_the_cpu(formulation):
    layer = TensorDot(16, 8, formulation=formulation).double()
    x = torch.randn(32, 16, dtype=torch.float64)
    on_cpu = layer(x)
    torch.testing.assert_close(layer.cuda()(x.cuda()).cpu(), on_cpu)


@pytest.mark.claim("C3")
@pytest.mark.parametrize(("pairs", "needs_grad", "expected"), ON_CUDA)
def test_auto_on_cuda_picks_outer_up_to_its_limit_then_symmetric_or_einsum(pairs, needs_grad, expected):
    n = 64
    weight = torch.zeros(n, n, 8, device="cuda", requires_grad=needs_grad)
    assert choose(torch.zeros(pairs // n**2, n, device="cuda"), weight) == expected


def test_training_on_cuda_is_reproducible(fake):
    data = fake.to("cuda")
    recipe = Recipe(epochs=2, batch_size=32, lr=0.05)
    first, second = (run(CONFIGS["relu_dropout"], data, seed=5, recipe=recipe) for _ in range(2))
    assert first == second


# 256 training images: batches of 48 leave a last batch of 16 (a second graph); 512 is one batch of all 256
@pytest.mark.parametrize(
    "recipe",
    [
        Recipe(epochs=3, batch_size=48, lr=0.05),
        Recipe(epochs=3, batch_size=48, lr=1e-3, optimizer="adam"),
        Recipe(epochs=3, batch_size=512, lr=0.05),
    ],
    ids=["sgd", "adam", "one-batch"],
)
def test_a_cuda_graph_trains_as_the_eager_steps_do(fake, recipe):
    """The warm-up steps before capture leave no trace: same history, same weights as without a graph."""
    data = fake.to("cuda")
    outcomes = []
    for cuda_graph in (True, False):
        torch.manual_seed(0)
        model = FashionMLP((32, 16)).cuda()  # no dropout: neither path draws random numbers
        outcomes.append((train(model, data, recipe, cuda_graph=cuda_graph).as_dict(), model.state_dict()))
    (graphed_history, graphed_weights), (eager_history, eager_weights) = outcomes
    # float32 histories: the per-epoch sums are float32 on the device
    torch.testing.assert_close(torch.tensor([*graphed_history.values()]), torch.tensor([*eager_history.values()]))
    torch.testing.assert_close(graphed_weights, eager_weights)


def test_batched_runs_on_cuda_follow_train_one_by_one(fake):
    """The hand-written SGD step (nnlab.many_runs._sgd_step) on the GPU's kernels, against autograd's."""
    data = fake.to("cuda")
    recipe = Recipe(epochs=2, batch_size=32, lr=0.05)
    seeds = [5, 6, 7]
    batched = run_many(CONFIGS["relu"], data, seeds, recipe)
    for seed, history in zip(seeds, batched, strict=True):
        expected = run(CONFIGS["relu"], data, seed, recipe)
        torch.testing.assert_close(torch.tensor(history.train_loss), torch.tensor(expected.train_loss))


def test_auto_picks_cuda():
    assert pick_device() == torch.device("cuda")


def test_a_module_saved_on_cuda_loads_onto_the_cpu(tmp_path):
    path = save_module(nn.Linear(2, 1).cuda(), tmp_path / "module.pt")
    assert load_module(path, trusted=True).weight.device == torch.device("cpu")


def _cuda_stack(seeds: list[int]) -> StackedMLP:
    """The relu_dropout configuration's runs for ``seeds``, stacked on the GPU, each with a dropout generator of its
    own seeded with its seed."""
    models = [FashionMLP((256, 128), "relu", dropout=0.3).cuda() for _ in seeds]
    return StackedMLP(models, [torch.Generator(device="cuda").manual_seed(seed) for seed in seeds])


def test_batched_dropout_masks_on_cuda_take_one_launch_per_step_for_every_run_and_layer():
    stacked = _cuda_stack(list(range(10)))
    stacked.dropout_masks(64)  # the first masks also draw each run's Philox seed
    torch.cuda.synchronize()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as profile:
        stacked.dropout_masks(64)
        torch.cuda.synchronize()
    kernels = [event.name for event in profile.events() if event.device_type == torch.autograd.DeviceType.CUDA]
    assert len(kernels) == 1 and "_keep_masks" in kernels[0]


def test_a_runs_cuda_dropout_masks_are_the_same_alone_and_among_others():
    among, alone = _cuda_stack([3, 4, 5]), _cuda_stack([4])
    for _ in range(2):  # the second masks continue each run's stream
        masks_among, masks_alone = among.dropout_masks(32), alone.dropout_masks(32)
        for layer_among, layer_alone in zip(masks_among, masks_alone, strict=True):
            assert torch.equal(layer_among[1], layer_alone[0])
            assert not torch.equal(layer_among[0], layer_among[2])
