"""Report section 5: the experiment over configurations and seeds, its statistics, comparisons and figures (M5)."""

import json
from pathlib import Path

import matplotlib.colors
import matplotlib.image
import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from nnlab import experiment, plots
from nnlab.experiment import CONFIGS, results_markdown, run, run_experiment, run_many, seeds_from, summarize
from nnlab.plots import curves_figure, write_figures
from nnlab.training import History, Recipe, train

TINY = Recipe(epochs=2, batch_size=64)
SAVED_LAB = Path(__file__).parents[1] / "docs" / "lab"  # nnlab lab --seeds 20 --out docs/lab


def test_seeds_count_up_from_the_reports_42():
    assert seeds_from(1) == [42] and seeds_from(3) == [42, 43, 44]
    with pytest.raises(ValueError, match="^Need at least one seed, got 0.$"):
        seeds_from(0)


def test_configurations_build_the_networks_they_name():
    net = CONFIGS["relu_dropout"].build()
    assert [m.p for m in net.modules() if isinstance(m, nn.Dropout)] == [0.3, 0.3]
    assert not any(isinstance(m, nn.Dropout) for m in CONFIGS["relu"].build().modules())
    assert any(isinstance(m, nn.Tanh) for m in CONFIGS["tanh"].build().modules())


def test_a_runs_seed_fixes_the_initial_weights_and_the_batch_order(fake):
    config = CONFIGS["relu"]
    torch.manual_seed(7)
    by_hand = train(config.build(), fake, TINY, seed=7)
    torch.manual_seed(7)
    other_order = train(config.build(), fake, TINY, seed=8)
    assert run(config, fake, seed=7, recipe=TINY) == by_hand != other_order


class RecordingBar:
    """Stands in for tqdm and remembers what the experiment told it."""

    def __init__(self, **settings):
        self.settings, self.n, self.descriptions, self.postfix = settings, 0, [], None

    def __enter__(self):
        RecordingBar.last = self
        return self

    def __exit__(self, *exception):
        return False

    def set_description(self, text):
        self.descriptions.append(text)

    def update(self, n):
        self.n += n

    def set_postfix(self, **values):
        self.postfix = values


@pytest.mark.parametrize(
    ("batched", "descriptions"),
    [(True, ["relu, 2 seeds", "tanh, 2 seeds"]), (False, ["relu seed 0", "relu seed 1", "tanh seed 0", "tanh seed 1"])],
)
def test_every_configuration_with_every_seed_and_one_progress_bar_over_all_epochs(
    fake, monkeypatch, batched, descriptions
):
    monkeypatch.setattr(experiment, "tqdm", RecordingBar)
    configs = {name: CONFIGS[name] for name in ("relu", "tanh")}
    runs = run_experiment(fake, configs, seeds=(0, 1), recipe=TINY, batched=batched)
    assert [(r["config"], r["seed"]) for r in runs] == [("relu", 0), ("relu", 1), ("tanh", 0), ("tanh", 1)]
    alone = run_many(CONFIGS["tanh"], fake, [1], TINY)[0] if batched else run(CONFIGS["tanh"], fake, 1, TINY)
    assert runs[3]["history"] == alone.as_dict()
    bar = RecordingBar.last
    assert bar.settings == {"total": 8, "unit": "epoch", "disable": None} and bar.n == 8
    assert bar.descriptions == descriptions


def test_progress_bar_is_quiet_when_output_is_not_a_terminal(fake, capfd):
    run_experiment(fake, {"relu": CONFIGS["relu"]}, seeds=(0,), recipe=Recipe(epochs=1))
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def fake_runs(bases=(("relu", 0.8), ("sigmoid", 0.7))):
    """Hand-made runs with known statistics: three epochs, seeds 1 and 2.

    A configuration with base ``b`` has test accuracy ``b, b + 0.01, b + 0.02``
    (0.02 more for seed 2) and training accuracy ``b, b + 0.05, 1.1 b``, so
    its final train-test gap, ``0.1 b - 0.02`` (seed 1), grows with ``b``.
    """
    runs = []
    for seed, shift in ((1, 0.0), (2, 0.02)):
        for config, b in bases:
            history = History(
                train_loss=[1.0 - b, 0.9 - b, 0.8 - b],
                train_acc=[b, b + 0.05, 1.1 * b],
                test_acc=[b + shift, b + 0.01 + shift, b + 0.02 + shift],
            )
            runs.append({"config": config, "seed": seed, "history": history.as_dict()})
    return runs


def test_summary_is_mean_and_sample_sd_per_epoch():
    summary = summarize(fake_runs())
    torch.testing.assert_close(summary["relu"]["test_acc"]["mean"], [0.81, 0.82, 0.83])
    torch.testing.assert_close(summary["relu"]["test_acc"]["std"], [0.02 / 2**0.5] * 3)
    torch.testing.assert_close(summary["sigmoid"]["train_acc"]["mean"], [0.7, 0.75, 0.77])
    assert summarize(fake_runs()[:2])["relu"]["test_acc"]["std"] == [0.0] * 3  # one seed: no spread


def test_summary_bounds_each_mean_by_its_t_interval():
    summary = summarize(fake_runs())["relu"]["test_acc"]
    # two seeds: the mean plus or minus t(0.975, 1 degree of freedom) = 12.706 standard errors
    half_width = [12.7062 * s / 2**0.5 for s in summary["std"]]
    torch.testing.assert_close(summary["low"], [m - h for m, h in zip(summary["mean"], half_width)], rtol=0, atol=1e-5)
    torch.testing.assert_close(summary["high"], [m + h for m, h in zip(summary["mean"], half_width)], rtol=0, atol=1e-5)
    one_seed = summarize(fake_runs()[:2])["relu"]["test_acc"]
    assert one_seed["low"] == one_seed["mean"] == one_seed["high"]


@pytest.mark.claim("M5")
def test_figures_have_three_panels_one_line_per_configuration_and_labelled_axes():
    summary = summarize(fake_runs())
    fig = curves_figure(summary, ("relu", "sigmoid"), "ReLU and Sigmoid", seeds=2)
    assert [ax.get_title() for ax in fig.axes] == ["Training loss", "Training accuracy", "Test accuracy"]
    for ax in fig.axes:
        assert len(ax.get_lines()) == 2 and ax.get_xlabel() == "Epoch" and ax.get_ylabel()
    assert len(fig.axes[0].collections) == 0  # the hand-made losses agree across seeds: no spread, no band
    assert len(fig.axes[2].collections) == 2  # test accuracies differ across seeds: a band per configuration
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["ReLU", "Sigmoid"]
    assert fig.get_suptitle() == "ReLU and Sigmoid (mean over 2 seeds, band: its 95% confidence interval)"
    plt.close(fig)


def points(band) -> set[tuple[float, float]]:
    return {(round(x, 6), round(y, 6)) for path in band.get_paths() for x, y in path.vertices}


@pytest.mark.claim("M5")
def test_each_line_is_the_mean_per_epoch_in_a_band_of_its_confidence_interval_in_its_colour():
    summary = summarize(fake_runs())
    fig = curves_figure(summary, ("relu", "sigmoid"), "ReLU and Sigmoid", seeds=2)
    test_panel = fig.axes[2]
    for line, band, config in zip(test_panel.get_lines(), test_panel.collections, ("relu", "sigmoid"), strict=True):
        mean, low, high = (summary[config]["test_acc"][key] for key in ("mean", "low", "high"))
        assert list(line.get_xdata()) == [1, 2, 3] and list(line.get_ydata()) == mean
        edges = {(epoch, round(y, 6)) for epoch, lo, hi in zip((1, 2, 3), low, high) for y in (lo, hi)}
        assert edges <= points(band)
        assert tuple(band.get_facecolor()[0][:3]) == matplotlib.colors.to_rgb(line.get_color())
    plt.close(fig)


@pytest.mark.claim("M5")
def test_panels_sit_side_by_side_with_their_units_and_whole_epochs():
    fig = curves_figure(summarize(fake_runs()), ("relu",), "ReLU", seeds=1)
    assert [ax.get_ylabel() for ax in fig.axes] == ["Loss", "Accuracy", "Accuracy"]
    boxes = [ax.get_position() for ax in fig.axes]
    assert boxes[0].x1 < boxes[1].x0 and boxes[1].x1 < boxes[2].x0 and boxes[0].y0 == boxes[1].y0 == boxes[2].y0
    assert all(float(tick).is_integer() for ax in fig.axes for tick in ax.get_xticks())
    assert fig.axes[0].get_legend() is None  # one configuration: nothing to tell apart
    assert fig.get_suptitle() == "ReLU (one seed)"
    plt.close(fig)


@pytest.mark.claim("M5")
def test_figures_are_written_per_configuration_and_for_each_comparison(tmp_path):
    paths = write_figures(summarize(fake_runs()), tmp_path / "new" / "folder", seeds=2)
    assert sorted(p.name for p in paths) == [
        "compare_activations.png",
        "compare_all.png",
        "curves_relu.png",
        "curves_sigmoid.png",
    ]
    assert matplotlib.image.imread(paths[0]).shape[:2] == (450, 1500)


def test_save_closes_the_figure_it_wrote_even_when_another_is_current(tmp_path):
    written, current = plt.figure(), plt.figure()
    plots.save(written, tmp_path / "written.png")
    assert plt.fignum_exists(current.number) and not plt.fignum_exists(written.number)
    plt.close(current)


@pytest.mark.claim("M5")
def test_each_figure_is_titled_with_its_configuration_or_comparison(tmp_path, monkeypatch):
    titles = {}

    def keep_title(fig, path):
        titles[path.name] = fig.get_suptitle()
        plt.close(fig)
        return path

    monkeypatch.setattr(plots, "save", keep_title)
    write_figures(summarize(fake_runs((("relu", 0.8), ("tanh", 0.75), ("relu_dropout", 0.78)))), tmp_path, seeds=1)
    assert titles == {
        "curves_relu.png": "ReLU (one seed)",
        "curves_tanh.png": "Tanh (one seed)",
        "curves_relu_dropout.png": "ReLU + dropout 0.3 (one seed)",
        "compare_activations.png": "ReLU, Tanh (one seed)",  # named after what ran: no Sigmoid here
        "compare_dropout.png": "ReLU with and without dropout (one seed)",
        "compare_all.png": "ReLU, Tanh, ReLU + dropout 0.3 (one seed)",
    }


def three_epochs(final_mean: float, final_std: float) -> dict:
    return {"mean": [0.1, 0.2, final_mean], "std": [0.5, 0.5, final_std]}


RESULTS = {
    "summary": {
        "relu": {
            "train_loss": three_epochs(0.31, 0.01),
            "train_acc": three_epochs(0.89, 0.002),
            "test_acc": three_epochs(0.87, 0.004),
        },
        "tanh": {
            "train_loss": three_epochs(0.33, 0.02),
            "train_acc": three_epochs(0.88, 0.003),
            "test_acc": three_epochs(0.86, 0.005),
        },
    },
    "statistics": [
        {"claim": "M3", "text": "Tanh - ReLU, final test accuracy: -0.0100."},
        {"claim": "M4", "text": "Another line."},
    ],
    "meta": {"epochs": 3, "seeds": [42, 43], "device": "cpu", "torch": "2.14.1", "seconds": 12.3},
}
SUMMARY_MD = """# Fashion-MNIST: the lab's experiment

3 epochs, seeds [42, 43], cpu, torch 2.14.1, 12 s. Final epoch, mean ± sample standard deviation over seeds.

| configuration | training loss | training accuracy | test accuracy | report's test accuracy |
|---|---|---|---|---|
| ReLU | 0.3100 ± 0.0100 | 0.8900 ± 0.0020 | 0.8700 ± 0.0040 | 0.8808 |
| Tanh | 0.3300 ± 0.0200 | 0.8800 ± 0.0030 | 0.8600 ± 0.0050 | 0.8751 |

## The report's claims M1 to M4, tested over the seeds (nnlab.stats)

- M3: Tanh - ReLU, final test accuracy: -0.0100.
- M4: Another line.
"""


def test_summary_document_states_run_final_epoch_table_and_statistics():
    assert results_markdown(RESULTS) == SUMMARY_MD


def test_summary_of_one_seed_has_no_spread():
    lines = results_markdown(RESULTS | {"meta": RESULTS["meta"] | {"seeds": [42]}}).splitlines()
    assert lines[2] == "3 epochs, seeds [42], cpu, torch 2.14.1, 12 s. Final epoch."
    assert lines[6] == "| ReLU | 0.3100 | 0.8900 | 0.8700 | 0.8808 |"


def test_the_saved_runs_summary_is_its_results_json_in_words():
    results = json.loads((SAVED_LAB / "results.json").read_text())
    assert results_markdown(results) == (SAVED_LAB / "summary.md").read_text()
