"""Report section 5 on the real Fashion-MNIST: claims M1 to M4 (slow: the whole experiment, about 2 minutes on 2 cores).

One experiment serves every test: the report's recipe (10 epochs, batch 64,
SGD 0.01 with momentum 0.9), its four configurations, seeds 42, 43, 44.
Comparisons are paired by seed (a seed fixes the batch order for every
configuration). Where a test asserts an ordering, it asserts it for every
seed, not only on average; the margins measured here (ReLU over Sigmoid
about 0.04, spread across seeds about 0.003) make a false failure remote.
"""

import statistics
from dataclasses import replace

import pytest
import torch

from nnlab.classifier import FashionMLP
from nnlab.experiment import CONFIGS, compare, paired_differences, run_experiment, seeds_from
from nnlab.training import FAST_RECIPE, REPORT_RECIPE, pick_device, train

pytestmark = pytest.mark.slow

SEEDS = seeds_from(3)


@pytest.fixture(scope="module")
def runs(fashion):
    return run_experiment(fashion.to(pick_device("auto")), CONFIGS, SEEDS)


def histories(runs, config):
    return [r["history"] for r in runs if r["config"] == config]


def finals(runs, config, metric="test_acc"):
    return [h[metric][-1] for h in histories(runs, config)]


@pytest.mark.claim("M1", why="The report's band: test accuracy of at least 0.87 within 10 epochs (it had 0.8808).")
def test_relu_reaches_the_report_accuracy_band(runs, evidence):
    best = [max(h["test_acc"]) for h in histories(runs, "relu")]
    evidence("M1", f"ReLU final test accuracy per seed {SEEDS}: {', '.join(f'{a:.4f}' for a in finals(runs, 'relu'))}.")
    assert all(acc >= 0.87 for acc in best), best


@pytest.mark.claim("M2")
def test_relu_ends_above_sigmoid_for_every_seed(runs, evidence):
    differences = paired_differences(runs, "relu", "sigmoid", "test_acc")
    evidence("M2", compare(runs)[0])
    assert all(d > 0.01 for d in differences), differences


@pytest.mark.claim("M2")
def test_sigmoid_learns_slowest(runs, evidence):
    first_epoch = {c: [h["test_acc"][0] for h in histories(runs, c)] for c in CONFIGS}
    evidence("M2", compare(runs)[1])
    for i in range(len(SEEDS)):
        others = [first_epoch[c][i] for c in CONFIGS if c != "sigmoid"]
        assert first_epoch["sigmoid"][i] < min(others)


WHY_M3 = (
    "The report's text gives Tanh 0.8335, which is Sigmoid's epoch 9; its own log ends Tanh at 0.8751. "
    "Measured: Tanh ends far above 0.8335, close to ReLU and above Sigmoid."
)


@pytest.mark.claim("M3", verdict="refuted", why=WHY_M3)
def test_tanh_is_not_at_the_texts_0_8335(runs, evidence):
    tanh, relu, sigmoid = (statistics.fmean(finals(runs, c)) for c in ("tanh", "relu", "sigmoid"))
    evidence(
        "M3", f"Mean final test accuracy: Tanh {tanh:.4f}, ReLU {relu:.4f}, Sigmoid {sigmoid:.4f}. " + compare(runs)[2]
    )
    assert all(acc > 0.8335 + 0.02 for acc in finals(runs, "tanh"))
    assert all(d > 0 for d in paired_differences(runs, "tanh", "sigmoid", "test_acc"))


WHY_M4 = (
    "Dropout 0.3 lowers training accuracy and narrows the train-test gap, for every seed. The report's text "
    "says it also raised test accuracy; its own figures (0.8745 against 0.8808) and the measurement say not "
    "at 10 epochs."
)


@pytest.mark.claim("M4", verdict="qualified", why=WHY_M4)
def test_dropout_lowers_training_accuracy_and_narrows_the_gap(runs, evidence):
    gap = {c: [h["train_acc"][-1] - h["test_acc"][-1] for h in histories(runs, c)] for c in ("relu", "relu_dropout")}
    evidence("M4", " ".join(compare(runs)[3:]))
    assert all(d < 0 for d in paired_differences(runs, "relu_dropout", "relu", "train_acc"))
    assert all(with_ < without for with_, without in zip(gap["relu_dropout"], gap["relu"]))


@pytest.mark.claim("M4", verdict="qualified")
def test_dropout_does_not_raise_test_accuracy_at_10_epochs(runs):
    differences = paired_differences(runs, "relu_dropout", "relu", "test_acc")
    # "raised" would need a positive mean difference larger than the seed-to-seed spread
    assert not statistics.fmean(differences) > statistics.stdev(differences), differences


@pytest.mark.parametrize("seed", SEEDS)
def test_fast_recipe_reaches_088_with_the_report_architecture(fashion, seed):
    torch.manual_seed(seed)
    history = train(FashionMLP().to(pick_device("auto")), fashion.to(pick_device("auto")), FAST_RECIPE, seed=seed)
    assert history.test_acc[-1] >= 0.88, history.test_acc


@pytest.mark.claim("M1")
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("device", "precision"), [pytest.param("cuda", "high", marks=pytest.mark.gpu), ("cpu", "medium")]
)
def test_report_recipe_at_a_lower_matmul_precision_stays_in_the_accuracy_band(fashion, device, precision, seed):
    """The README's fastest timings lower the matmul precision: TF32 on the H100; on a CPU, oneDNN's products, in
    bfloat16 where its kernels have it and float32 where not. This is the accuracy they keep (M1's band, every seed).
    """
    torch.manual_seed(seed)
    recipe = replace(REPORT_RECIPE, matmul_precision=precision)
    history = train(FashionMLP().to(device), fashion.to(device), recipe, seed=seed)
    assert max(history.test_acc) >= 0.87, history.test_acc
