"""Report section 5 over many seeds: the batched trainer (``nnlab.many_runs``) against the one-model ``train``."""

import copy
from dataclasses import replace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from torch import nn

from nnlab.classifier import FashionMLP
from nnlab.data import FashionMNIST, Split
from nnlab.experiment import CONFIGS, run, run_many
from nnlab.many_runs import StackedMLP, train_many
from nnlab.training import Recipe, train

SHORT = Recipe(epochs=2, batch_size=32, lr=0.05)


def look_alike(n: int, seed: int) -> FashionMNIST:
    """``n`` training and ``n`` test images in Fashion-MNIST's shapes, the label written into each."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (2 * n,), generator=generator)
    images = torch.rand(2 * n, 784, generator=generator) * 0.2
    images[torch.arange(2 * n), labels * 20] = 1.0
    return FashionMNIST(Split(images[:n], labels[:n]), Split(images[n:], labels[n:]))


@settings(deadline=None, max_examples=25)
@given(
    hidden=st.lists(st.integers(1, 24), min_size=1, max_size=3).map(tuple),
    activation=st.sampled_from(["relu", "sigmoid", "tanh"]),
    seeds=st.lists(st.integers(0, 2**16), min_size=1, max_size=4),
    n=st.integers(2, 48),
    momentum=st.sampled_from([0.0, 0.9]),
)
def test_one_step_of_the_batched_trainer_is_one_step_of_train_for_every_run(hidden, activation, seeds, n, momentum):
    # one batch holding the whole set: one step, whatever order the rows come in. SGD, the report's optimizer: Adam's
    # first step is lr * g / (|g| + eps), which turns float rounding in a near-zero gradient into a step of lr
    recipe = Recipe(epochs=1, batch_size=n, lr=0.1, momentum=momentum)
    data = look_alike(n, seed=len(seeds))
    models = []
    for seed in seeds:
        torch.manual_seed(seed)
        models.append(FashionMLP(hidden, activation))
    alone = [copy.deepcopy(model) for model in models]
    histories = train_many(models, data, seeds, recipe)
    for model, single, seed, history in zip(models, alone, seeds, histories, strict=True):
        expected = train(single, data, recipe, seed=seed)
        torch.testing.assert_close(dict(model.named_parameters()), dict(single.named_parameters()))
        # the losses are float32 sums, reported as Python floats: compare them at float32's tolerance
        torch.testing.assert_close(torch.tensor(history.train_loss), torch.tensor(expected.train_loss))


def test_with_dropout_a_step_applies_each_runs_own_masks_after_each_hidden_activation():
    models = [FashionMLP((8, 6), "tanh", dropout=0.5) for _ in range(3)]

    def generators():
        return [torch.Generator().manual_seed(seed) for seed in (1, 2, 3)]

    stacked = StackedMLP(models, generators())
    x = torch.rand(3, 5, 784)
    masks = StackedMLP(models, generators()).dropout_masks(5)
    out = stacked(x)
    for r, model in enumerate(models):
        dropouts = [m for m in model.modules() if isinstance(m, nn.Dropout)]
        for dropout, mask in zip(dropouts, masks, strict=True):
            dropout.register_forward_hook(lambda module, args, output, mask=mask[r]: args[0] * mask)
        torch.testing.assert_close(out[r], model(x[r]))
    assert not torch.equal(masks[0][0], masks[0][1])  # every run its own mask


def test_dropout_keeps_each_unit_with_probability_one_minus_p_scaled_by_its_inverse():
    (model,) = models = [FashionMLP((200,), "relu", dropout=0.3)]
    masks = StackedMLP(models, [torch.Generator().manual_seed(0)]).dropout_masks(100)[0]
    kept = int((masks > 0).sum())
    # two-sided exact binomial test of 20,000 draws; a correct mask fails it 1 time in 10,000
    assert stats.binomtest(kept, masks.numel(), 0.7).pvalue > 1e-4
    values = masks.unique()
    assert values[0] == 0 and len(values) == 2
    torch.testing.assert_close(values[1], torch.tensor(1 / 0.7))
    assert model.dropout == 0.3


@pytest.mark.parametrize("config", ["relu", "relu_dropout"])
def test_a_runs_history_is_the_same_alone_and_among_30(config):
    """Bitwise through the first epoch; after it, to float32 rounding (docs/performance.md: "Many seeds at once")."""
    data = look_alike(256, seed=0)  # the report's widths: torch picks its kernels by shape
    alone = run_many(CONFIGS[config], data, [42], SHORT)[0]
    among = run_many(CONFIGS[config], data, list(range(30, 60)), SHORT)
    first_epoch = [{k: v[0] for k, v in h.as_dict().items() if isinstance(v, list)} for h in (alone, among[12])]
    assert first_epoch[0] == first_epoch[1]
    torch.testing.assert_close(torch.tensor(alone.train_loss), torch.tensor(among[12].train_loss))
    assert alone.test_acc == among[12].test_acc
    assert among[0] != among[1]


@pytest.mark.parametrize(
    "recipe",
    [SHORT, replace(SHORT, schedule="onecycle"), replace(SHORT, optimizer="adam", lr=1e-3)],
    ids=["sgd_by_hand", "sgd_with_a_schedule_through_autograd", "adam_through_autograd"],
)
def test_batched_runs_follow_train_one_by_one_from_the_same_seed(recipe):
    data = look_alike(128, seed=1)
    seeds = [5, 6, 7]
    batched = run_many(CONFIGS["relu"], data, seeds, recipe)
    for seed, history in zip(seeds, batched):
        expected = run(CONFIGS["relu"], data, seed, recipe)
        torch.testing.assert_close(torch.tensor(history.train_loss), torch.tensor(expected.train_loss))
        # accuracies count argmaxes: float rounding may flip an image whose two top logits tie to 1e-7
        assert history.test_acc == pytest.approx(expected.test_acc, abs=2 / len(data.test))
        assert history.train_acc == pytest.approx(expected.train_acc, abs=2 / len(data.train))
        assert history.eval_train_acc == pytest.approx(expected.eval_train_acc, abs=2 / len(data.train))


def test_run_many_leaves_torchs_global_rng_as_it_was():
    torch.manual_seed(0)
    before = torch.get_rng_state()
    run_many(CONFIGS["relu_dropout"], look_alike(32, seed=2), [1, 2], Recipe(epochs=1, batch_size=16))
    assert torch.equal(torch.get_rng_state(), before)


@pytest.mark.parametrize(("in_features", "classes"), [(784, 10), (9, 3)])
def test_unstack_gives_each_run_its_weights_and_the_stack_computes_each_models_function(in_features, classes):
    models = [FashionMLP((7, 5), "sigmoid", in_features=in_features, classes=classes) for _ in range(3)]
    stacked = StackedMLP(models).eval()
    x = torch.rand(3, 4, in_features)
    for r, (model, unstacked) in enumerate(zip(models, stacked.unstack(), strict=True)):
        assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), unstacked.state_dict().values()))
        torch.testing.assert_close(stacked(x)[r], model(x[r]))
    assert "runs=3, hidden=(7, 5), activation='sigmoid', dropout=0.0" in repr(stacked)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: StackedMLP([]), "at least one model"),
        (lambda: StackedMLP([FashionMLP((4,)), FashionMLP((5,))]), "Stack each architecture separately"),
        (lambda: StackedMLP([FashionMLP((4,)), FashionMLP((4,), in_features=9)]), r"\(784, 4\).*\(9, 4\)"),
        (lambda: StackedMLP([FashionMLP((4,)), FashionMLP((4,), classes=3)]), r"\(4, 10\).*\(4, 3\)"),
        (lambda: StackedMLP([FashionMLP((4,), dropout=0.1)]), "one dropout generator per model"),
        (lambda: StackedMLP([FashionMLP((4,))] * 2)(torch.rand(3, 1, 784)), r"expects \(runs=2, batch, features\)"),
        (lambda: train_many([FashionMLP((4,))], look_alike(4, 0), [1, 2]), "one seed per model"),
        (lambda: train_many([FashionMLP((4,)).to("meta")], look_alike(4, 0), [1]), "move every model there"),
    ],
)
def test_bad_input_is_refused_with_the_fix(build, message):
    with pytest.raises(ValueError, match=message):
        build()
