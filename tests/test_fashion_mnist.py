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

from nnlab.checks.run import Result
from nnlab.classifier import FashionMLP
from nnlab.experiment import CONFIGS, compare, paired_differences, run_experiment, seeds_from
from nnlab.training import FAST_RECIPE, REPORT_RECIPE, pick_device, train

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("fashion_mnist")]  # one experiment, on one worker

SEEDS = seeds_from(3)


@pytest.fixture(scope="module")
def runs(fashion):
    return run_experiment(fashion.to(pick_device("auto")), CONFIGS, SEEDS)


def histories(runs, config):
    return [r["history"] for r in runs if r["config"] == config]


def finals(runs, config, metric="test_acc"):
    return [h[metric][-1] for h in histories(runs, config)]


def record(claim_result, implementation: str, claim: str, name: str, holds: bool, detail: str, short_of: str = "fail"):
    """A measured statement's result: ``pass`` when it holds, else ``short_of`` (``fail``, or ``qualified``)."""
    result = Result(f"{claim}:{name}", claim, "pass" if holds else short_of, "" if holds else detail)
    claim_result(implementation, result, measured=True)


def per_seed(values) -> str:
    return ", ".join(f"{v:.4f}" for v in values)


# The report's ReLU run ended at 0.8808; across seeds here the final accuracy moves by about 0.005 (sd), so a
# band of 0.01 either side holds a correct run with room; issue 15 replaces it with an interval over many seeds.
M1_BAND = (0.8808 - 0.01, 0.8808 + 0.01)


@pytest.mark.claim("M1")
def test_relu_ends_in_the_report_accuracy_band(runs, evidence, claim_result):
    final = finals(runs, "relu")
    evidence("M1", f"ReLU final test accuracy per seed {SEEDS}: {per_seed(final)}.")
    in_band = all(M1_BAND[0] <= acc <= M1_BAND[1] for acc in final)
    detail = f"final test accuracy per seed {per_seed(final)}, outside {M1_BAND[0]:.4f} to {M1_BAND[1]:.4f}"
    for implementation in ("report", "nnlab"):
        record(claim_result, implementation, "M1", "relu_ends_in_the_reports_band", in_band, detail)
    assert in_band, detail


@pytest.mark.claim("M2")
def test_relu_ends_above_sigmoid_and_sigmoid_learns_slowest_for_every_seed(runs, evidence, claim_result):
    differences = paired_differences(runs, "relu", "sigmoid", "test_acc")
    first_epoch = {c: [h["test_acc"][0] for h in histories(runs, c)] for c in CONFIGS}
    slowest = all(
        first_epoch["sigmoid"][i] < min(first_epoch[c][i] for c in CONFIGS if c != "sigmoid") for i in range(len(SEEDS))
    )
    evidence("M2", " ".join(compare(runs)[:2]))
    holds = all(d > 0.01 for d in differences) and slowest
    detail = f"ReLU minus Sigmoid per seed {per_seed(differences)}; epoch-1 accuracies {first_epoch}"
    for implementation in ("report", "nnlab"):
        record(claim_result, implementation, "M2", "relu_above_sigmoid_and_sigmoid_slowest", holds, detail)
    assert holds, detail


TEXTS_TANH = 0.8335  # the report's text; its own log ends the Tanh run at 0.8751, and 0.8335 is Sigmoid's epoch 9


@pytest.mark.claim("M3")
def test_tanh_ends_near_relu_not_at_the_texts_figure(runs, evidence, claim_result):
    tanh, relu, sigmoid = (statistics.fmean(finals(runs, c)) for c in ("tanh", "relu", "sigmoid"))
    evidence(
        "M3", f"Mean final test accuracy: Tanh {tanh:.4f}, ReLU {relu:.4f}, Sigmoid {sigmoid:.4f}. " + compare(runs)[2]
    )
    at_text = abs(tanh - TEXTS_TANH) <= 0.01
    record(
        claim_result,
        "report",
        "M3",
        "tanh_ends_at_the_texts_0_8335",
        at_text,
        f"Tanh ends at {tanh:.4f} (per seed {per_seed(finals(runs, 'tanh'))}), not {TEXTS_TANH}; ReLU {relu:.4f}",
    )
    near_relu = abs(tanh - relu) <= 0.02 and all(d > 0 for d in paired_differences(runs, "tanh", "sigmoid", "test_acc"))
    record(
        claim_result,
        "nnlab",
        "M3",
        "tanh_ends_near_relu_and_above_sigmoid",
        near_relu,
        f"Tanh {tanh:.4f}, ReLU {relu:.4f}",
    )
    assert near_relu and not at_text


@pytest.mark.claim("M4")
def test_dropout_lowers_training_accuracy_narrows_the_gap_and_does_not_raise_test_accuracy(
    runs, evidence, claim_result
):
    gap = {c: [h["train_acc"][-1] - h["test_acc"][-1] for h in histories(runs, c)] for c in ("relu", "relu_dropout")}
    lower_train = all(d < 0 for d in paired_differences(runs, "relu_dropout", "relu", "train_acc"))
    narrower = all(with_ < without for with_, without in zip(gap["relu_dropout"], gap["relu"]))
    test_gain = paired_differences(runs, "relu_dropout", "relu", "test_acc")
    # "raised" needs a mean gain larger than the seed-to-seed spread of the gains
    raised = statistics.fmean(test_gain) > statistics.stdev(test_gain)
    evidence("M4", " ".join(compare(runs)[3:]))
    record(
        claim_result,
        "report",
        "M4",
        "dropout_raises_test_accuracy_and_lowers_training_accuracy",
        lower_train and narrower and raised,
        f"lowers training accuracy and narrows the gap, but test accuracy changes by {per_seed(test_gain)} per seed",
        short_of="qualified" if lower_train and narrower else "fail",
    )
    record(
        claim_result,
        "nnlab",
        "M4",
        "dropout_lowers_training_accuracy_and_narrows_the_gap",
        lower_train and narrower,
        f"training accuracy and gap per seed: {gap}",
    )
    assert lower_train and narrower and not raised


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
