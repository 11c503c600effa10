"""Report section 5 on small look-alike data: the classifier (M6), training, the experiment, figures (M5), CLI."""

import copy
import json

import matplotlib.image
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnlab.classifier import FashionMLP
from nnlab.cli import main
from nnlab.experiment import CONFIGS, compare, paired_differences, run, run_experiment, summarize
from nnlab.parameters import count_parameters
from nnlab.plots import curves_figure, write_figures
from nnlab.training import History, Recipe, pick_device, train
from tests.strategies import batch_sizes

SHORT = Recipe(epochs=3, batch_size=32, lr=0.05)


@pytest.mark.claim("M6")
def test_report_network_is_784_256_128_10():
    net = FashionMLP()
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(784, 256), (256, 128), (128, 10)]


WHY_M6 = (
    "The task's 'three hidden layers' is one argument away: FashionMLP(hidden=(256, 128, 64)); "
    "the report's code has two."
)


@pytest.mark.claim("M6", why=WHY_M6)
@given(hidden=st.lists(st.integers(1, 64), min_size=1, max_size=4), batch=batch_sizes)
def test_hidden_sizes_are_a_parameter(hidden, batch):
    net = FashionMLP(tuple(hidden))
    widths = [784, *hidden, 10]
    assert count_parameters(net) == sum(a * b + b for a, b in zip(widths, widths[1:]))
    assert net(torch.rand(batch, 1, 28, 28)).shape == (batch, 10)


@pytest.mark.claim("M6")
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden": ()}, "at least one hidden layer"),
        ({"activation": "gelu"}, "activation must be one of"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"hidden": (0,)}, "positive integer"),
    ],
)
def test_classifier_refuses_bad_configuration(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FashionMLP(**kwargs)


@pytest.mark.claim("M6")
def test_classifier_refuses_wrong_image_size():
    with pytest.raises(ValueError, match=r"\(batch, 784\) or \(batch, 1, 28, 28\).*got \(2, 1, 14, 14\)"):
        FashionMLP()(torch.rand(2, 1, 14, 14))


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
    assert [len(v) for v in history.as_dict().values()] == [5, 5, 5]
    assert all(0.0 <= a <= 1.0 for a in history.train_acc + history.test_acc)
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


@pytest.mark.parametrize(
    "bad",
    [{"epochs": 0}, {"batch_size": 0}, {"lr": 0.0}, {"momentum": 1.0}, {"optimizer": "lbfgs"}, {"schedule": "cosine"}],
)
def test_recipe_refuses_bad_hyperparameters(bad):
    with pytest.raises(ValueError, match="Recipe needs"):
        Recipe(**bad)


def test_device_auto_is_cpu_without_cuda_and_cuda_is_refused_clearly():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert pick_device("auto") == torch.device("cpu")
    with pytest.raises(RuntimeError, match="no CUDA device; use --device cpu"):
        pick_device("cuda")


def test_progress_bar_is_quiet_when_output_is_not_a_terminal(fake, capfd):
    run_experiment(fake, {"relu": CONFIGS["relu"]}, seeds=(0,), recipe=Recipe(epochs=1))
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def fake_runs(configs=(("relu", 0.8), ("sigmoid", 0.7))):
    """Hand-made runs with known statistics: each config's accuracies are its base, ReLU 0.1 above Sigmoid."""
    runs = []
    for seed, shift in ((1, 0.0), (2, 0.02)):
        for config, base in configs:
            history = History([1.0 - base, 0.9 - base], [base, base + 0.05], [base + shift, base + 0.01 + shift])
            runs.append({"config": config, "seed": seed, "history": history.as_dict()})
    return runs


def test_summary_is_mean_and_sample_sd_per_epoch():
    summary = summarize(fake_runs())
    torch.testing.assert_close(summary["relu"]["test_acc"]["mean"], [0.81, 0.82])
    torch.testing.assert_close(summary["relu"]["test_acc"]["std"], [0.02 / 2**0.5] * 2)
    assert paired_differences(fake_runs(), "relu", "sigmoid", "test_acc") == pytest.approx([0.1, 0.1])


def test_comparisons_are_stated_from_the_numbers():
    lines = compare(fake_runs())
    assert lines[0] == "ReLU - Sigmoid, final test accuracy: +0.1000 ± 0.0000 (sd), positive in 2 of 2 seeds."
    assert lines[1] == "Lowest epoch-1 test accuracy: Sigmoid (0.7100)."


def test_tanh_and_dropout_comparisons_are_stated_from_the_numbers():
    lines = compare(fake_runs((("relu", 0.8), ("tanh", 0.75), ("relu_dropout", 0.78))))
    assert lines == [
        "Tanh - ReLU, final test accuracy: -0.0500 ± 0.0000 (sd), positive in 0 of 2 seeds.",
        "Dropout - none, final training accuracy: -0.0200 ± 0.0000 (sd), positive in 0 of 2 seeds.",
        "Train-test gap: 0.0300 without dropout, 0.0300 with.",
        "Dropout - none, final test accuracy: -0.0200 ± 0.0000 (sd), positive in 0 of 2 seeds.",
    ]


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


@pytest.mark.claim("M5")
def test_figures_are_written_per_configuration_and_for_each_comparison(tmp_path):
    paths = write_figures(summarize(fake_runs()), tmp_path, seeds=2)
    assert sorted(p.name for p in paths) == [
        "compare_activations.png",
        "compare_all.png",
        "curves_relu.png",
        "curves_sigmoid.png",
    ]
    assert matplotlib.image.imread(paths[0]).shape[:2] == (450, 1500)


def test_lab_command_defaults_are_the_reports():
    from nnlab.cli import parser

    args = parser().parse_args(["lab"])
    assert (args.out, args.epochs, args.seeds, args.device) == ("results", 10, 3, "auto")
    assert (args.data_dir, args.download, args.configs) == (None, False, list(CONFIGS))


def test_lab_command_writes_results_summary_and_figures(fake_dir, tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["lab", "--data-dir", str(fake_dir), "--epochs", "2", "--seeds", "2", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert [(r["config"], r["seed"]) for r in results["runs"]] == [(c, s) for c in CONFIGS for s in (42, 43)]
    assert all(len(r["history"][m]) == 2 for r in results["runs"] for m in ("train_loss", "train_acc", "test_acc"))
    summary = results["summary"]["relu"]
    row = " | ".join(
        f"{summary[m]['mean'][-1]:.4f} ± {summary[m]['std'][-1]:.4f}" for m in ("train_loss", "train_acc", "test_acc")
    )
    text = (out / "summary.md").read_text()
    assert f"| ReLU | {row} | 0.8808 |" in text
    assert "2 epochs, seeds [42, 43], cpu" in text and "| ReLU + dropout 0.3 |" in text
    assert text.count("\n- ") == len(results["comparisons"]) == 6
    assert len(list(out.glob("*.png"))) == 7
    assert "Wrote" in capsys.readouterr().out


def test_lab_command_without_data_says_where_it_looked(tmp_path, monkeypatch, capsys):
    pytest.importorskip("torchvision", reason="without torchvision the command stops before looking for data")
    from nnlab import data

    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "none")
    monkeypatch.delenv("NNLAB_DATA_DIR", raising=False)
    assert main(["lab", "--out", str(tmp_path / "out"), "--data-dir", str(tmp_path / "missing")]) == 2
    assert "Fashion-MNIST was not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv", [["lab", "--epochs", "0"], ["lab", "--seeds", "0"], ["lab", "--configs", "elu"]])
def test_lab_command_refuses_bad_options(argv):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2


def test_lab_command_without_torchvision_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_torchvision(name, *args, **kwargs):
        if name.startswith("torchvision"):
            raise ImportError("No module named 'torchvision'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torchvision)
    assert main(["lab", "--out", str(tmp_path / "out")]) == 2
    assert "pip install 'nnlab[lab]'" in capsys.readouterr().err
