"""Report section 5 from the command line: `nnlab lab` on small look-alike data."""

import builtins
import json
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from nnlab import cli
from nnlab.cli import main, parser, summary_table, write_summary
from nnlab.data import DataNotFoundError
from nnlab.experiment import CONFIGS
from nnlab.training import Recipe

README = Path(__file__).parents[1] / "README.md"


def test_lab_command_defaults_are_the_reports():
    args = parser().parse_args(["lab"])
    assert (args.out, args.epochs, args.seeds, args.device) == ("results", 10, 10, "auto")
    assert (args.data_dir, args.download, args.configs) == (None, False, list(CONFIGS))


def test_lab_command_writes_results_summary_and_figures(fake_dir, tmp_path, capsys):
    out = tmp_path / "results"
    started = time.perf_counter()
    assert main(["lab", "--data-dir", str(fake_dir), "--epochs", "2", "--seeds", "2", "--out", str(out)]) == 0
    elapsed = time.perf_counter() - started
    results = json.loads((out / "results.json").read_text())
    assert (out / "results.json").read_text() == json.dumps(results, indent=2) + "\n"  # indented, to read and diff
    assert results["meta"]["recipe"] == asdict(Recipe(epochs=2)) and 0 < results["meta"]["seconds"] < elapsed
    assert [(r["config"], r["seed"]) for r in results["runs"]] == [(c, s) for c in CONFIGS for s in (42, 43)]
    assert all(len(r["history"][m]) == 2 for r in results["runs"] for m in ("train_loss", "train_acc", "test_acc"))
    summary = results["summary"]["relu"]
    row = " | ".join(
        f"{summary[m]['mean'][-1]:.4f} ± {summary[m]['std'][-1]:.4f}" for m in ("train_loss", "train_acc", "test_acc")
    )
    text = (out / "summary.md").read_text()
    assert f"| ReLU | {row} | 0.8808 |" in text
    assert "2 epochs, seeds [42, 43], cpu" in text and "| ReLU + dropout 0.3 |" in text
    assert [s["claim"] for s in results["statistics"]] == ["M1", "M2", "M3", "M4"]
    statements = [f"{s['claim']}: {s['text']}" for s in results["statistics"]]
    assert all(f"\n- {line}\n" in text for line in statements)
    assert all(r["history"]["eval_train_acc"] is not None for r in results["runs"])
    assert len(list(out.glob("*.png"))) == 7
    printed = capsys.readouterr().out.splitlines()
    table = summary_table(results["summary"], seeds=2).splitlines()
    assert printed == [
        *table,
        *statements,
        f"Wrote {out / 'results.json'}, {out / 'summary.md'} and 7 figures to {out}/",
    ]


def three_epochs(final_mean: float, final_std: float) -> dict:
    return {"mean": [0.1, 0.2, final_mean], "std": [0.5, 0.5, final_std]}


SUMMARY = {
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
}
META = {"epochs": 3, "device": "cpu", "torch": "2.14.1", "seconds": 12.3}
SUMMARY_MD = """# Fashion-MNIST: the lab's experiment

3 epochs, seeds [42, 43], cpu, torch 2.14.1, 12 s. Final epoch, mean ± sample standard deviation over seeds.

| configuration | training loss | training accuracy | test accuracy | report's test accuracy |
|---|---|---|---|---|
| ReLU | 0.3100 ± 0.0100 | 0.8900 ± 0.0020 | 0.8700 ± 0.0040 | 0.8808 |
| Tanh | 0.3300 ± 0.0200 | 0.8800 ± 0.0030 | 0.8600 ± 0.0050 | 0.8751 |

## The report's claims M1 to M4, tested over the seeds (nnlab.stats)

- Tanh - ReLU, final test accuracy: -0.0100.
- Another line.
"""


def test_summary_document_states_run_final_epoch_table_and_statistics(tmp_path):
    path = tmp_path / "summary.md"
    write_summary(
        path, SUMMARY, ["Tanh - ReLU, final test accuracy: -0.0100.", "Another line."], META | {"seeds": [42, 43]}
    )
    assert path.read_text() == SUMMARY_MD


def test_summary_of_one_seed_has_no_spread(tmp_path):
    path = tmp_path / "summary.md"
    write_summary(path, SUMMARY, [], META | {"seeds": [42]})
    lines = path.read_text().splitlines()
    assert lines[2] == "3 epochs, seeds [42], cpu, torch 2.14.1, 12 s. Final epoch."
    assert lines[6] == "| ReLU | 0.3100 | 0.8900 | 0.8700 | 0.8808 |"


def test_lab_command_without_data_says_where_it_looked(tmp_path, monkeypatch, capsys):
    pytest.importorskip("torchvision", reason="without torchvision the command stops before looking for data")
    from nnlab import data

    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "none")
    monkeypatch.delenv("NNLAB_DATA_DIR", raising=False)
    assert main(["lab", "--out", str(tmp_path / "out"), "--data-dir", str(tmp_path / "missing")]) == 2
    assert "Fashion-MNIST was not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: command"),
        (["lab", "--epochs", "0"], "--epochs and --seeds must be at least 1"),
        (["lab", "--seeds", "0"], "--epochs and --seeds must be at least 1"),
        (["lab", "--configs", "elu"], "invalid choice: 'elu'"),
    ],
)
def test_lab_command_refuses_bad_options(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--help"], ["lab", "--help"], ["check", "--help"]], ids=["nnlab", "lab", "check"])
def test_readme_shows_the_commands_help(argv, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps to the terminal's width
    with pytest.raises(SystemExit):
        main(argv)
    # Python 3.10 heads the list "optional arguments:", later versions "options:"
    help_text = capsys.readouterr().out.replace("optional arguments:", "options:")
    assert f"```text\n$ nnlab {' '.join(argv)}\n{help_text}```" in README.read_text()


def test_several_configurations_are_named_after_one_option():
    assert parser().parse_args(["lab", "--configs", "relu", "tanh"]).configs == ["relu", "tanh"]


@pytest.mark.parametrize("download", [False, True])
def test_download_is_only_asked_for_by_the_option(download, tmp_path, monkeypatch):
    asked = {}

    def no_data(data_dir, download):
        asked.update(data_dir=data_dir, download=download)
        raise DataNotFoundError("nowhere")

    monkeypatch.setattr(cli, "load_fashion_mnist", no_data)
    argv = ["lab", "--data-dir", str(tmp_path), "--out", str(tmp_path / "out")] + ["--download"] * download
    assert main(argv) == 2
    assert asked == {"data_dir": str(tmp_path), "download": download}


def test_lab_command_without_torchvision_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    real_import = builtins.__import__

    def no_torchvision(name, *args, **kwargs):
        if name.startswith("torchvision"):
            raise ImportError("No module named 'torchvision'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torchvision)
    assert main(["lab", "--out", str(tmp_path / "out")]) == 2
    assert "pip install 'nnlab[lab]'" in capsys.readouterr().err


def test_one_epoch_one_seed_into_a_new_nested_folder_and_again_over_it(fake_dir, tmp_path, capsys):
    out = tmp_path / "nested" / "results"
    argv = ["lab", "--data-dir", str(fake_dir), "--epochs", "1", "--seeds", "1", "--configs", "relu", "--out", str(out)]
    assert main(argv) == 0
    first = json.loads((out / "results.json").read_text())
    assert main(argv) == 0  # a second run replaces the first's files
    second = json.loads((out / "results.json").read_text())
    assert first["runs"] == second["runs"] and len(first["runs"]) == 1
    text = (out / "summary.md").read_text()
    assert "seeds [42], cpu" in text and "Final epoch.\n" in text and "±" not in text
    assert sorted(p.name for p in out.glob("*.png")) == ["curves_relu.png"]
