"""Report section 5's statistics (``nnlab.stats``): intervals that cover at their level, tests that point the way
they say, and the claims M1 to M4 worded from them."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from nnlab import stats
from nnlab.stats import M4_MARGIN, analyse, describe, paired, tost


def coverage(interval_of, level: float, n: int, trials: int = 2000) -> None:
    """``interval_of(sample)`` covers the true mean 0 of normal samples of size ``n`` at ``level``: a binomial test
    of ``trials`` samples, which a correct interval fails once in 10,000 runs. A z-interval where a t-interval
    belongs covers 88% at n = 5 instead of 95% and fails it."""
    rng = np.random.default_rng(n)
    covered = sum(0.0 in interval_of(list(rng.normal(0.0, 1.0, n))) for _ in range(trials))
    assert scipy_stats.binomtest(covered, trials, level).pvalue > 1e-4, covered / trials


@pytest.mark.parametrize("n", [3, 5, 20])
def test_the_confidence_interval_covers_the_mean_at_its_level(n):
    coverage(lambda sample: describe(sample).confidence, stats.LEVEL, n)


@pytest.mark.parametrize("n", [3, 5, 20])
def test_the_prediction_interval_covers_one_more_run_at_its_level(n):
    rng = np.random.default_rng(100 + n)
    covered = 0
    for _ in range(2000):
        sample = list(rng.normal(0.0, 1.0, n + 1))
        covered += sample[-1] in describe(sample[:-1]).prediction
    assert scipy_stats.binomtest(covered, 2000, stats.PREDICTION_LEVEL).pvalue > 1e-4, covered / 2000


@given(
    values=st.lists(st.floats(0.5, 1.0, allow_nan=False), min_size=2, max_size=30).filter(
        lambda v: max(v) - min(v) > 1e-6
    )
)
def test_intervals_hold_the_mean_and_one_run_is_less_certain_than_the_mean(values):
    mean = describe(values)
    assert mean.confidence.low < mean.mean < mean.confidence.high
    assert mean.prediction.low < mean.confidence.low and mean.confidence.high < mean.prediction.high
    assert mean.mean == pytest.approx(sum(values) / len(values))


@pytest.mark.parametrize(("shift", "greater", "less"), [(0.05, True, False), (-0.05, False, True)])
def test_a_one_sided_paired_test_finds_only_the_direction_it_tests(shift, greater, less):
    b = [0.80, 0.81, 0.79, 0.82, 0.80, 0.78]
    a = [x + shift + noise for x, noise in zip(b, [0.002, -0.001, 0.0, 0.001, -0.002, 0.001])]
    assert paired(a, b, "greater").significant is greater
    assert paired(a, b, "less").significant is less
    assert shift in paired(a, b).interval


def test_the_paired_test_uses_the_pairing():
    # large differences between seeds, a small and steady one within each: only a paired test sees it
    b = [0.70, 0.80, 0.90, 0.75, 0.85]
    a = [x + 0.01 + noise for x, noise in zip(b, [0.001, -0.001, 0.0, 0.0005, -0.0005])]
    assert paired(a, b, "greater").p < 1e-4
    assert scipy_stats.ttest_ind(a, b, alternative="greater").pvalue > 0.3


@pytest.mark.parametrize(
    ("effect", "equivalent", "below_upper"),
    [(0.0, True, True), (-0.02, False, True), (0.02, False, False), (M4_MARGIN, False, False)],
)
def test_tost_shows_equivalence_only_inside_the_margin(effect, equivalent, below_upper):
    b = [0.87 + 0.003 * math.sin(i) for i in range(20)]
    a = [x + effect + 0.001 * math.cos(3 * i) for i, x in enumerate(b)]
    result = tost(a, b, M4_MARGIN)
    assert (result.equivalent, result.below_upper_margin) == (equivalent, below_upper)
    assert result.equivalent == (-M4_MARGIN < result.interval.low and result.interval.high < M4_MARGIN)


def between(first: float, last: float, epochs: int) -> list[float]:
    return [first + (last - first) * epoch / (epochs - 1) for epoch in range(epochs)]


def synthetic_runs(
    final: dict[str, float], seeds: int = 12, first: dict[str, float] | None = None, epochs: int = 10
) -> list[dict]:
    """Runs of ``epochs`` epochs (the report's 10) whose final test accuracy is ``final[config]`` plus a small
    wobble per seed, rising in a line from ``first[config]``."""
    first = first or {c: 0.7 if c == "sigmoid" else 0.8 for c in final}
    runs = []
    for config, accuracy in final.items():
        dropout = config == "relu_dropout"
        for seed in range(seeds):
            wobble = 0.002 * math.sin(seed + sum(map(ord, config)))
            test = accuracy + wobble
            train = test + (0.01 if dropout else 0.03) + 0.001 * math.cos(seed * sum(map(ord, config)))
            runs.append(
                {
                    "config": config,
                    "seed": seed,
                    "history": {
                        "train_loss": between(0.5, 0.3, epochs),
                        "train_acc": between(0.7, train, epochs),
                        "test_acc": between(first[config] + wobble, test, epochs),
                        "eval_train_acc": train + (0.005 if dropout else 0.0),
                    },
                }
            )
    return runs


REPORT_LIKE = {"relu": 0.8808, "sigmoid": 0.84, "tanh": 0.875, "relu_dropout": 0.8745}


def by_claim(runs) -> dict:
    return {result["claim"]: result for result in analyse(runs)}


def test_m1_holds_when_the_reports_run_is_a_plausible_run_and_not_otherwise():
    assert by_claim(synthetic_runs(REPORT_LIKE))["M1"]["holds"]
    assert not by_claim(synthetic_runs(REPORT_LIKE | {"relu": 0.86}))["M1"]["holds"]


def test_m1_says_nnlabs_runs_reach_the_band_only_when_their_mean_is_above_its_floor():
    assert by_claim(synthetic_runs(REPORT_LIKE))["M1"]["reaches_the_band"]
    below = stats.REPORTED["relu"] - stats.M1_MARGIN - 0.002
    assert not by_claim(synthetic_runs(REPORT_LIKE | {"relu": below}))["M1"]["reaches_the_band"]


FIRST_EPOCH_AS_REPORTED = {config: log[0] for config, log in stats.REPORTED_LOG.items()}


def test_m2_judges_the_reports_own_log_against_the_measured_differences():
    assert by_claim(synthetic_runs(stats.REPORTED, first=FIRST_EPOCH_AS_REPORTED))["M2"]["reports_figures_hold"]
    # runs whose first epochs lie much closer together than the report's: its -0.18 is no draw of them
    closer = FIRST_EPOCH_AS_REPORTED | {"sigmoid": 0.75}
    m2 = by_claim(synthetic_runs(stats.REPORTED, first=closer))["M2"]
    assert m2["holds"] and not m2["reports_figures_hold"]
    assert "sigmoid - relu at epoch 1 -0.1816 (outside one run's 99% prediction interval)" in m2["text"]


# two more epochs that would turn each judgement of the report's figures if they were set against the runs' last
LATER_EPOCHS = {"relu": 0.5, "sigmoid": 0.95, "tanh": stats.TEXTS_TANH, "relu_dropout": 0.5}
THE_REPORTS_FIGURES = [
    ("M1", "holds"),
    ("M1", "reaches_the_band"),
    ("M2", "reports_figures_hold"),
    ("M3", "texts_figure_holds"),
]


@pytest.mark.parametrize(("claim", "judgement"), THE_REPORTS_FIGURES, ids=[j for _, j in THE_REPORTS_FIGURES])
def test_the_reports_figures_are_set_against_the_runs_tenth_epoch_and_not_judged_on_shorter_runs(claim, judgement):
    as_reported = synthetic_runs(stats.REPORTED, first=FIRST_EPOCH_AS_REPORTED)
    at_tenth = by_claim(as_reported)[claim][judgement]
    for seed, run in enumerate(as_reported):
        run["history"]["test_acc"] += [LATER_EPOCHS[run["config"]] + 0.002 * math.sin(seed)] * 2
    assert isinstance(at_tenth, bool) and by_claim(as_reported)[claim][judgement] is at_tenth
    short = by_claim(synthetic_runs(stats.REPORTED, first=FIRST_EPOCH_AS_REPORTED, epochs=3))[claim]
    assert short[judgement] is None
    assert "not compared: it is a tenth epoch's, and these runs have 3." in short["text"]


def test_m2_needs_relu_above_sigmoid_and_sigmoid_slowest_against_every_other():
    assert by_claim(synthetic_runs(REPORT_LIKE))["M2"]["holds"]
    assert not by_claim(synthetic_runs(REPORT_LIKE | {"sigmoid": 0.8808}))["M2"]["holds"]
    assert not by_claim(synthetic_runs(REPORT_LIKE | {"sigmoid": 0.92}))["M2"]["holds"]  # one-sided: ReLU far below
    tanh_slow = {"relu": 0.8, "sigmoid": 0.7, "tanh": 0.6, "relu_dropout": 0.8}
    assert not by_claim(synthetic_runs(REPORT_LIKE, first=tanh_slow))["M2"]["holds"]


def test_m3_measures_tanh_against_relu_and_judges_the_texts_figure():
    m3 = by_claim(synthetic_runs(REPORT_LIKE))["M3"]
    assert not m3["texts_figure_holds"]
    assert m3["tanh_minus_relu_final"]["mean"] == pytest.approx(0.875 - 0.8808, abs=0.002)
    assert "Tanh ends below ReLU" in m3["text"]
    assert by_claim(synthetic_runs(REPORT_LIKE | {"tanh": stats.TEXTS_TANH}))["M3"]["texts_figure_holds"]


def test_m4_reports_training_accuracy_both_ways_the_gap_and_an_equivalence_test():
    m4 = by_claim(synthetic_runs(REPORT_LIKE))["M4"]
    assert m4["lowers_training_accuracy"] and m4["narrows_the_gap"]
    assert m4["does_not_raise_test_accuracy"] and not m4["test_accuracy_equivalent"]
    assert m4["lowers_training_accuracy_in_eval_mode"]  # eval mode hands dropout back only part of its deficit here
    assert m4["train_acc_eval_mode"]["mean"] == pytest.approx(m4["train_acc_during_epoch"]["mean"] + 0.005)
    raised = by_claim(synthetic_runs(REPORT_LIKE | {"relu_dropout": 0.8808 + 2 * M4_MARGIN}))["M4"]
    assert not raised["does_not_raise_test_accuracy"]
    same = by_claim(synthetic_runs(REPORT_LIKE | {"relu_dropout": 0.8808}))["M4"]
    assert same["test_accuracy_equivalent"]


def test_only_the_claims_whose_configurations_ran_and_none_from_one_seed():
    assert [r["claim"] for r in analyse(synthetic_runs({"relu": 0.88, "tanh": 0.87}))] == ["M1", "M3"]
    assert analyse(synthetic_runs(REPORT_LIKE, seeds=1)) == []


samples = st.lists(st.floats(0.5, 1.0, allow_nan=False), min_size=3, max_size=30).filter(
    lambda v: max(v) - min(v) > 1e-3
)


@given(values=samples)
def test_describe_is_a_student_t_interval_and_one_more_run_is_a_two_sample_t_test_at_the_prediction_edge(values):
    mean = describe(values)
    assert (mean.n, mean.sd) == (len(values), pytest.approx(np.std(values, ddof=1)))
    one_sample = scipy_stats.ttest_1samp(values, 0.0).confidence_interval(stats.LEVEL)
    assert mean.confidence == stats.Interval(pytest.approx(one_sample.low), pytest.approx(one_sample.high), stats.LEVEL)
    # a run at either edge of the prediction interval is exactly as unlikely as its level allows: a pooled
    # two-sample t-test of the runs against it has p = 1 - level
    for edge in (mean.prediction.low, mean.prediction.high):
        assert scipy_stats.ttest_ind(values, [edge]).pvalue == pytest.approx(1 - stats.PREDICTION_LEVEL)
    assert mean.prediction.level == stats.PREDICTION_LEVEL


def test_runs_that_all_end_at_one_number_give_intervals_of_that_number_at_their_levels():
    mean = describe([0.875] * 4)
    assert mean == stats.Mean(
        4, 0.875, 0.0, stats.Interval(0.875, 0.875, stats.LEVEL), stats.Interval(0.875, 0.875, stats.PREDICTION_LEVEL)
    )


@given(a=samples, shift=st.floats(-0.05, 0.05), alternative=st.sampled_from(["two-sided", "less", "greater"]))
def test_paired_is_scipys_related_t_test_with_a_two_sided_interval(a, shift, alternative):
    b = [x - shift + 0.001 * math.sin(i) for i, x in enumerate(a)]
    result = paired(a, b, alternative)
    expected = scipy_stats.ttest_rel(a, b, alternative=alternative)
    assert (result.n, result.alternative) == (len(a), alternative)
    assert (result.t, result.p) == (pytest.approx(expected.statistic), pytest.approx(expected.pvalue))
    assert result.mean == pytest.approx(np.mean(np.subtract(a, b)))
    interval = scipy_stats.ttest_1samp(np.subtract(a, b), 0.0).confidence_interval(stats.LEVEL)
    assert (result.interval.low, result.interval.high) == (pytest.approx(interval.low), pytest.approx(interval.high))
    assert result.interval.level == stats.LEVEL


@given(a=samples, shift=st.floats(-0.05, 0.05))
def test_tost_is_equivalent_exactly_when_its_interval_lies_inside_the_margin(a, shift):
    b = [x - shift + 0.002 * math.sin(3 * i) for i, x in enumerate(a)]
    interval = tost(a, b, M4_MARGIN).interval
    assert interval.level == 1 - 2 * stats.ALPHA
    assert interval.low <= tost(a, b, M4_MARGIN).mean <= interval.high
    edge = max(-interval.low, interval.high)  # the smallest margin the interval lies inside
    inside, outside = tost(a, b, edge * 1.01), tost(a, b, edge * 0.99)
    assert (inside.margin, outside.margin) == (edge * 1.01, edge * 0.99)
    assert inside.equivalent and not outside.equivalent
    assert inside.p_lower < stats.ALPHA and inside.p_upper < stats.ALPHA


def test_m2_says_when_sigmoid_is_not_below_every_other_configuration_at_the_first_epoch():
    slowest = by_claim(synthetic_runs(REPORT_LIKE))["M2"]["text"]
    tanh_slow = {"relu": 0.8, "sigmoid": 0.7, "tanh": 0.6, "relu_dropout": 0.8}
    not_slowest = by_claim(synthetic_runs(REPORT_LIKE, first=tanh_slow))["M2"]["text"]
    assert "below every other configuration's (relu " in slowest
    assert "below every other configuration's not for all (relu " in not_slowest


def test_m3_says_whether_the_texts_figure_is_inside_one_runs_interval_and_when_no_difference_is_shown():
    apart = by_claim(synthetic_runs(REPORT_LIKE))["M3"]["text"]
    assert f", so the text's {stats.TEXTS_TANH} is outside it. " in apart
    alike = by_claim(synthetic_runs(REPORT_LIKE | {"tanh": stats.TEXTS_TANH, "relu": stats.TEXTS_TANH}))["M3"]
    assert f", so the text's {stats.TEXTS_TANH} is inside it. " in alike["text"]
    assert not alike["tanh_below_relu"] and alike["text"].endswith(" (no difference shown).")
    assert by_claim(synthetic_runs(REPORT_LIKE | {"tanh": 0.9}))["M3"]["text"].endswith(" (Tanh ends above ReLU).")


@pytest.mark.parametrize(
    ("dropout", "verdict"),
    [
        (REPORT_LIKE["relu_dropout"], "dropout does not raise it."),
        (REPORT_LIKE["relu"], "equivalent."),
        (REPORT_LIKE["relu"] + 2 * M4_MARGIN, "a gain is not ruled out."),
    ],
)
def test_m4_ends_on_the_equivalence_tests_verdict(dropout, verdict):
    m4 = by_claim(synthetic_runs(REPORT_LIKE | {"relu_dropout": dropout}))["M4"]
    assert m4["text"].endswith(f"(not higher by the margin): {verdict}")
    assert m4["test_acc"]["margin"] == M4_MARGIN


def test_m4_asks_only_whether_dropout_lowers_training_accuracy_not_whether_it_changes_it():
    # dropout's runs far above ReLU's: a two-sided test would call that a significant difference
    m4 = by_claim(synthetic_runs(REPORT_LIKE | {"relu_dropout": 0.95}))["M4"]
    assert not m4["lowers_training_accuracy"] and not m4["lowers_training_accuracy_in_eval_mode"]
    assert m4["train_acc_during_epoch"]["alternative"] == "less"
    assert m4["raises_test_accuracy"]
