"""Report section 5: training on in-memory tensors, seeded and reproducible, on small look-alike data."""

import copy

import pytest
import torch
from torch import nn

from nnlab.classifier import FashionMLP
from nnlab.experiment import CONFIGS, run
from nnlab.training import Recipe, matmul_precision, pick_device, train

SHORT = Recipe(epochs=3, batch_size=32, lr=0.05)


def test_same_seed_gives_bitwise_same_history_on_cpu(fake):
    first, second = (run(CONFIGS["relu_dropout"], fake, seed=7, recipe=SHORT) for _ in range(2))
    assert first == second
    assert run(CONFIGS["relu_dropout"], fake, seed=8, recipe=SHORT) != first


def test_onecycle_adam_recipe_is_reproducible_and_learns(fake):
    recipe = Recipe(epochs=3, batch_size=32, lr=3e-3, optimizer="adam", schedule="onecycle")
    first, second = (run(CONFIGS["relu"], fake, seed=3, recipe=recipe) for _ in range(2))
    assert first == second and first.test_acc[-1] > 0.9


def test_history_has_one_entry_per_epoch_and_learns_the_easy_task(fake):
    history = run(CONFIGS["relu"], fake, seed=0, recipe=Recipe(epochs=5, batch_size=32, lr=0.05))
    assert [len(history.train_loss), len(history.train_acc), len(history.test_acc)] == [5, 5, 5]
    assert all(0.0 <= a <= 1.0 for a in [*history.train_acc, *history.test_acc, history.eval_train_acc])
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.test_acc[-1] > 0.9  # the label is written into each image: chance is 0.1


def test_history_numbers_are_what_their_names_say(fake):
    # with a vanishing learning rate the weights stay put, so each epoch's numbers can be recomputed at once
    model = FashionMLP(hidden=(16,))
    frozen = copy.deepcopy(model)
    history = train(model, fake, Recipe(epochs=2, batch_size=32, lr=1e-12), seed=0)
    with torch.no_grad():
        logits = frozen(fake.train.images)
        loss = nn.functional.cross_entropy(logits, fake.train.labels).item()
        train_acc = (logits.argmax(1) == fake.train.labels).double().mean().item()
        test_acc = (frozen(fake.test.images).argmax(1) == fake.test.labels).double().mean().item()
    # 256 examples in 8 equal batches: the mean of the batch losses is the loss over the set
    assert history.train_loss == pytest.approx([loss] * 2, rel=1e-5)
    assert history.train_acc == pytest.approx([train_acc] * 2)
    assert history.test_acc == pytest.approx([test_acc] * 2)
    assert history.eval_train_acc == pytest.approx(train_acc)  # no dropout here: eval mode computes the same


def test_batch_order_comes_from_the_seed_not_the_global_rng(fake):
    model = FashionMLP(hidden=(16,))
    histories = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        histories.append(train(copy.deepcopy(model), fake, SHORT, seed=0))
    assert histories[0] == histories[1]
    assert train(copy.deepcopy(model), fake, SHORT, seed=1) != histories[0]


def test_onecycle_schedule_changes_the_run(fake):
    model = FashionMLP(hidden=(16,))
    plain = Recipe(epochs=2, batch_size=32, lr=0.05)
    scheduled = Recipe(epochs=2, batch_size=32, lr=0.05, schedule="onecycle")
    assert train(copy.deepcopy(model), fake, plain, seed=0) != train(copy.deepcopy(model), fake, scheduled, seed=0)


def test_training_refuses_model_and_data_on_different_devices(fake):
    with pytest.raises(ValueError, match="model is on .* but the data is on"):
        train(FashionMLP().to(torch.float64).to("meta"), fake, SHORT)


def test_training_is_the_textbook_loop_over_seeded_batches(fake):
    model = FashionMLP(hidden=(16,))
    by_hand = copy.deepcopy(model)
    train(model, fake, SHORT, seed=3)
    optimizer = torch.optim.SGD(by_hand.parameters(), lr=SHORT.lr, momentum=SHORT.momentum)
    order = torch.Generator().manual_seed(3)
    for _ in range(SHORT.epochs):
        for batch in torch.randperm(len(fake.train), generator=order).split(SHORT.batch_size):
            optimizer.zero_grad()
            nn.functional.cross_entropy(by_hand(fake.train.images[batch]), fake.train.labels[batch]).backward()
            optimizer.step()
    # the fused optimizer may round differently from this one-parameter-at-a-time loop
    for trained, expected in zip(model.parameters(), by_hand.parameters(), strict=True):
        torch.testing.assert_close(trained, expected)


def test_default_seed_is_the_reports(fake):
    model = FashionMLP(hidden=(16,))
    assert train(copy.deepcopy(model), fake, SHORT) == train(copy.deepcopy(model), fake, SHORT, seed=42)


@pytest.mark.parametrize(
    ("recipe", "expected"),
    [
        (Recipe(lr=0.5, momentum=0.3), {"lr": 0.5, "momentum": 0.3}),
        (Recipe(lr=0.5, optimizer="adam"), {"lr": 0.5}),
    ],
    ids=["sgd", "adam"],
)
def test_optimizer_takes_the_recipes_hyperparameters_and_is_fused_where_torch_can(recipe, expected):
    optimizer = recipe.optimizer_for(nn.Linear(2, 2).parameters())
    group = optimizer.param_groups[0]
    assert type(optimizer).__name__.lower() == recipe.optimizer
    assert {key: group[key] for key in expected} == expected
    # one kernel for all parameters (the speed benchmarks/test_training_speed.py tracks), wherever torch can
    assert bool(group.get("fused")) == torch_fuses_on_the_cpu()


def torch_fuses_on_the_cpu() -> bool:
    """Whether this torch takes a fused SGD step on the CPU, found by trying one."""
    weight = torch.zeros(1, requires_grad=True)
    weight.grad = torch.ones(1)
    try:
        torch.optim.SGD([weight], lr=0.1, fused=True).step()
    except (TypeError, RuntimeError):
        return False
    return True


@pytest.mark.parametrize(
    "bad",
    [
        {"epochs": 0},
        {"batch_size": 0},
        {"lr": 0.0},
        {"momentum": 1.0},
        {"optimizer": "lbfgs"},
        {"schedule": "cosine"},
        {"matmul_precision": "tf32"},
    ],
)
def test_recipe_refuses_bad_hyperparameters(bad):
    with pytest.raises(ValueError, match="Recipe needs"):
        Recipe(**bad)


@pytest.mark.parametrize(
    ("field", "value"),
    [("epochs", 1), ("batch_size", 1), ("momentum", 0.0), ("lr", 1e-12)]
    + [("matmul_precision", precision) for precision in ("highest", "high", "medium")],
)
def test_recipe_accepts_the_edges_of_the_valid_range_and_each_precision(field, value):
    assert getattr(Recipe(**{field: value}), field) == value


def test_training_multiplies_at_the_recipes_precision_and_then_restores_the_previous(fake):
    before = torch.get_float32_matmul_precision()
    seen = set()
    model = FashionMLP((8,))
    model.register_forward_hook(lambda *_: seen.add(torch.get_float32_matmul_precision()))
    train(model, fake, Recipe(epochs=1, batch_size=128, matmul_precision="medium"))
    assert seen == {"medium"} != {before}
    assert torch.get_float32_matmul_precision() == before


def test_matmul_precision_is_restored_when_the_block_fails():
    before = torch.get_float32_matmul_precision()
    with pytest.raises(RuntimeError, match="stop"), matmul_precision("medium"):
        raise RuntimeError("stop")
    assert torch.get_float32_matmul_precision() == before


def test_device_auto_is_cpu_without_cuda_and_cuda_is_refused_clearly():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert pick_device() == pick_device("auto") == pick_device("cpu") == torch.device("cpu")
    with pytest.raises(RuntimeError, match="no CUDA device; use --device cpu"):
        pick_device("cuda")
