"""The trainer's speed against the floor beneath it: the same matrix products with nothing else.

- The whole lab on the CPU (every configuration, 10 seeds each, the report's
  10 epochs, the batched trainer of ``nnlab.many_runs``; one epoch in a smoke
  run with ``--benchmark-disable``) against the products it computes:
  each step's forward, weight-gradient and input-gradient products, each
  epoch's test-set forward and the last epoch's training-set forward, on the
  fastest float32 kernels (stacked ``bmm`` or one model at a time, whichever
  is faster here).
- One epoch of one model (``train``) against that model's products, beside the
  report's ``DataLoader`` + ``ToTensor`` loop.
- The report's 10 epochs on a GPU, eager against CUDA graphs.
- The lab on a GPU, and its dropout masks: each run's generator called in turn
  against every run's masks in one launch (``nnlab.philox_masks``).

``python benchmarks/saved_runs.py`` prints the ratios and checks the targets.
"""

from collections.abc import Callable
from dataclasses import replace
from functools import partial

import pytest
import torch
from saved_runs import (
    CUDA_LAB_GROUP,
    CUDA_MASKS_GROUP,
    CUDA_RECIPE_GROUP,
    EPOCH_GROUP,
    FAST_RECIPE_GROUP,
    LAB_GROUP,
)
from torch import nn

from nnlab.classifier import FashionMLP
from nnlab.experiment import CONFIGS, run_experiment, seeds_from
from nnlab.many_runs import StackedMLP
from nnlab.training import FAST_RECIPE, REPORT_RECIPE, Recipe, matmul_precision, train

LAB_SEEDS = 10  # nnlab lab's default


def report_epoch(model, train_loader, test_loader):
    """The report's loop: PIL images through ToTensor, one batch at a time, a .item() per step."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    running_loss, correct, total = 0.0, 0, 0
    for inputs, labels in train_loader:
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = nn.functional.cross_entropy(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        correct += (outputs.argmax(1) == labels).sum().item()
        total += labels.size(0)
    model.eval()
    test_correct = 0
    with torch.no_grad():
        for inputs, labels in test_loader:
            test_correct += (model(inputs).argmax(1) == labels).sum().item()
    return running_loss / len(train_loader), correct / total, test_correct / len(test_loader.dataset)


@pytest.fixture(scope="module")
def loaders(fashion):
    from torchvision import datasets, transforms

    from nnlab.data import find_root

    root = find_root()
    to_tensor = transforms.ToTensor()
    train_set = datasets.FashionMNIST(root, train=True, transform=to_tensor)
    test_set = datasets.FashionMNIST(root, train=False, transform=to_tensor)
    return (
        torch.utils.data.DataLoader(train_set, batch_size=64, shuffle=True),
        torch.utils.data.DataLoader(test_set, batch_size=64, shuffle=False),
    )


def test_epoch_report_dataloader(benchmark, loaders):
    benchmark.group = EPOCH_GROUP
    benchmark.extra_info.update(candidate="dataloader")
    torch.manual_seed(42)
    benchmark.pedantic(lambda: report_epoch(FashionMLP(), *loaders), rounds=3, iterations=1, warmup_rounds=0)


def matmul_error(precision: str) -> float:
    """Largest error of a layer-1 product ``(64, 784) @ (784, 256)`` at ``precision``, against float64.

    Tells what ``precision`` does on this CPU: float32 arithmetic gives about 1e-5 here, bfloat16 inputs about 0.3.
    """
    generator = torch.Generator().manual_seed(0)
    x, w = torch.randn(64, 784, generator=generator), torch.randn(784, 256, generator=generator)
    with matmul_precision(precision):
        return (x @ w - (x.double() @ w.double())).abs().max().item()


@pytest.mark.parametrize(("candidate", "precision"), [("in_memory", "highest"), ("in_memory_medium", "medium")])
def test_epoch_nnlab_in_memory(benchmark, fashion, candidate, precision):
    """``"medium"`` sends float32 products to oneDNN instead of MKL; ``matmul_error`` records what it computes in."""
    benchmark.group = EPOCH_GROUP
    benchmark.extra_info.update(candidate=candidate, matmul_error=matmul_error(precision))
    torch.manual_seed(42)
    recipe = Recipe(epochs=1, matmul_precision=precision)
    benchmark.pedantic(lambda: train(FashionMLP(), fashion, recipe), rounds=5, iterations=1, warmup_rounds=1)


def step_products(model: nn.Module, batch_size: int) -> list[Callable[[], torch.Tensor]]:
    """The matrix products of one training step: each layer's output and weight gradient, and the input gradient of
    every layer but the first (the images need none)."""
    products = []
    layers = [module for module in model.modules() if isinstance(module, nn.Linear)]
    for index, layer in enumerate(layers):
        x, grad = torch.rand(batch_size, layer.in_features), torch.randn(batch_size, layer.out_features)
        products += [partial(torch.addmm, layer.bias, x, layer.weight.T), partial(torch.mm, grad.T, x)]
        if index > 0:
            products.append(partial(torch.mm, grad, layer.weight))
    return products


@pytest.mark.parametrize(("candidate", "precision"), [("products", "highest"), ("products_medium", "medium")])
def test_epoch_products_only(benchmark, fashion, candidate, precision):
    """An epoch's matrix products (the report's 938 steps of 64), run back to back with nothing else."""
    benchmark.group = EPOCH_GROUP
    benchmark.extra_info.update(candidate=candidate)
    products = step_products(FashionMLP(), REPORT_RECIPE.batch_size)
    steps = -(-len(fashion.train) // REPORT_RECIPE.batch_size)

    def run():
        with torch.no_grad(), matmul_precision(precision):
            for _ in range(steps):
                for product in products:
                    product()

    benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)


def lab_products(runs: int, train_rows: int, test_rows: int, stacked: bool) -> tuple[list, list]:
    """The matrix products of ``runs`` runs of ``FashionMLP()`` trained together: an epoch's (its steps, stacked into
    ``bmm`` calls over the runs or each run's own ``mm`` calls, and the test set's forward pass), and the last
    epoch's forward pass over the training set."""
    widths = [28 * 28, 256, 128, 10]
    batch = REPORT_RECIPE.batch_size
    steps = [batch] * (train_rows // batch) + [train_rows % batch] * bool(train_rows % batch)
    products = {}
    for size in set(steps):
        products[size] = []
        for index, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
            if stacked:
                x, grad = torch.rand(runs, size, n_in), torch.randn(runs, size, n_out)
                weight, bias = torch.randn(runs, n_in, n_out), torch.randn(runs, 1, n_out)
                step = [partial(torch.baddbmm, bias, x, weight), partial(torch.bmm, x.transpose(1, 2), grad)]
                products[size] += step + [partial(torch.bmm, grad, weight.transpose(1, 2))] * (index > 0)
            else:
                x, grad, weight, bias = (
                    torch.rand(size, n_in),
                    torch.randn(size, n_out),
                    torch.randn(n_in, n_out),
                    torch.randn(n_out),
                )
                step = [partial(torch.addmm, bias, x, weight), partial(torch.mm, x.T, grad)]
                products[size] += (step + [partial(torch.mm, grad, weight.T)] * (index > 0)) * runs
    evaluation = {}
    for rows in (test_rows, train_rows):  # each run is evaluated alone: the test set, and once the training set
        evaluation[rows] = []
        for n_in, n_out in zip(widths, widths[1:]):
            x, weight, bias = torch.rand(rows, n_in), torch.randn(n_in, n_out), torch.randn(n_out)
            evaluation[rows] += [partial(torch.addmm, bias, x, weight)] * runs
    return [product for size in steps for product in products[size]] + evaluation[test_rows], evaluation[train_rows]


def lab_epochs(benchmark) -> int:
    # the lab's 10 epochs take minutes: a smoke run (--benchmark-disable) only checks that the benchmark runs
    return 1 if benchmark.disabled else REPORT_RECIPE.epochs


def test_lab(benchmark, fashion):
    """nnlab lab's training: every configuration, 10 seeds each, each configuration's seeds batched."""
    benchmark.group = LAB_GROUP
    benchmark.extra_info.update(candidate="lab")
    recipe = Recipe(epochs=lab_epochs(benchmark))
    benchmark.pedantic(lambda: run_experiment(fashion, CONFIGS, seeds_from(LAB_SEEDS), recipe), rounds=1, iterations=1)


@pytest.mark.parametrize("stacked", [True, False], ids=["bmm", "mm"])
def test_lab_products_only(benchmark, fashion, stacked):
    """The products of ``test_lab``, back to back with nothing else, at float32 (``"highest"``): on a CPU with
    AMX, ``"medium"`` multiplies in bfloat16 (``matmul_error``), which is not the float32 floor."""
    benchmark.group = LAB_GROUP
    benchmark.extra_info.update(candidate=f"products_{'bmm' if stacked else 'mm'}")
    epoch, final = lab_products(LAB_SEEDS, len(fashion.train), len(fashion.test), stacked)

    def run():
        with torch.no_grad(), matmul_precision("highest"):
            for _ in CONFIGS:
                for product in epoch * lab_epochs(benchmark) + final:
                    product()

    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=1)


def test_fast_recipe_to_088(benchmark, fashion):
    """The report's architecture to 0.88 test accuracy: FAST_RECIPE's whole run (``test_acc`` records what it reached;
    the slow tests assert the accuracy band, 0.87)."""
    benchmark.group = FAST_RECIPE_GROUP
    benchmark.extra_info.update(candidate="fast_recipe")

    def run():
        torch.manual_seed(42)
        return train(FashionMLP(), fashion, FAST_RECIPE)

    history = benchmark.pedantic(run, rounds=2, iterations=1, warmup_rounds=0)
    benchmark.extra_info["test_acc"] = history.test_acc[-1]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize(
    ("candidate", "cuda_graph", "precision"),
    [("eager", False, "highest"), ("cuda_graph", True, "highest"), ("cuda_graph_tf32", True, "high")],
)
def test_report_recipe_on_cuda(benchmark, fashion, candidate, cuda_graph, precision):
    """The report's 10 epochs on a GPU, capture included: launched op by op, or replayed as one graph per step."""
    benchmark.group = CUDA_RECIPE_GROUP
    benchmark.extra_info.update(candidate=candidate)
    data = fashion.to("cuda")
    recipe = replace(REPORT_RECIPE, matmul_precision=precision)

    def run():
        torch.manual_seed(42)
        history = train(FashionMLP().cuda(), data, recipe, cuda_graph=cuda_graph)
        torch.cuda.synchronize()
        return history

    history = benchmark.pedantic(run, rounds=2, iterations=1, warmup_rounds=1)
    benchmark.extra_info["test_acc"] = history.test_acc[-1]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_lab_on_cuda(benchmark, fashion):
    """``test_lab`` on a GPU: every configuration, 10 seeds each, each configuration's seeds batched."""
    benchmark.group = CUDA_LAB_GROUP
    benchmark.extra_info.update(candidate="lab")
    data = fashion.to("cuda")
    recipe = Recipe(epochs=lab_epochs(benchmark))

    def run():
        runs = run_experiment(data, CONFIGS, seeds_from(LAB_SEEDS), recipe)
        torch.cuda.synchronize()
        return runs

    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("draw", ["uniform_masks", "philox_masks"])
def test_dropout_masks_on_cuda(benchmark, fashion, draw):
    """An epoch's dropout masks for the lab's 10 runs of the dropout configuration (938 steps of 64, both hidden layers
    in one draw): one generator call per run, or one launch for every run."""
    benchmark.group = CUDA_MASKS_GROUP
    benchmark.extra_info.update(candidate=draw)
    config = CONFIGS["relu_dropout"]
    seeds = seeds_from(LAB_SEEDS)
    models = [config.build().cuda() for _ in seeds]
    stacked = StackedMLP(models, [torch.Generator(device="cuda").manual_seed(seed) for seed in seeds])
    masks = getattr(stacked, draw)
    steps = -(-len(fashion.train) // REPORT_RECIPE.batch_size)

    def run():
        for _ in range(steps):
            masks(REPORT_RECIPE.batch_size, sum(config.hidden))
        torch.cuda.synchronize()

    benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
