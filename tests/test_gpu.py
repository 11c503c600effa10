"""The CUDA path, where a GPU is present: the same functions and the same reproducibility as on the CPU."""

import pytest
import torch
from torch import nn

from nnlab import TensorDot
from nnlab.experiment import CONFIGS, run
from nnlab.fileio import load_module, save_module
from nnlab.tensordot import FORMULATIONS
from nnlab.training import Recipe, pick_device

pytestmark = pytest.mark.gpu


@pytest.mark.claim("C3")
@pytest.mark.parametrize("formulation", sorted(FORMULATIONS))
def test_tensor_dot_on_cuda_equals_the_cpu(formulation):
    layer = TensorDot(16, 8, formulation=formulation).double()
    x = torch.randn(32, 16, dtype=torch.float64)
    on_cpu = layer(x)
    torch.testing.assert_close(layer.cuda()(x.cuda()).cpu(), on_cpu)


def test_training_on_cuda_is_reproducible(fake):
    data = fake.to("cuda")
    recipe = Recipe(epochs=2, batch_size=32, lr=0.05)
    first, second = (run(CONFIGS["relu_dropout"], data, seed=5, recipe=recipe) for _ in range(2))
    assert first == second


def test_auto_picks_cuda():
    assert pick_device() == torch.device("cuda")


def test_a_module_saved_on_cuda_loads_onto_the_cpu(tmp_path):
    path = save_module(nn.Linear(2, 1).cuda(), tmp_path / "module.pt")
    assert load_module(path, trusted=True).weight.device == torch.device("cpu")
