"""Report section 5 from the command line: `nnlab lab` on small look-alike data."""

import builtins
import json
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from nnlab import cli
from nnlab.cli import main, parser
from nnlab.data import DataNotFoundError
from nnlab.experiment import CONFIGS, claims_in_words, final_epoch_table, results_markdown
from nnlab.training import Recipe

COMMANDS = Path(__file__).parents[1] / "docs" / "commands.md"  # every command's help


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
    assert all(f"\n- {line}\n" in text for line in claims_in_words(results))
    assert text == results_markdown(results)  # summary.md can be written again from results.json alone
    assert all(r["history"]["eval_train_acc"] is not None for r in results["runs"])
    assert len(list(out.glob("*.png"))) == 7
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        *final_epoch_table(results).splitlines(),
        *claims_in_words(results),
        f"Wrote {out / 'results.json'}, {out / 'summary.md'} and 7 figures to {out}/",
    ]


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
def test_the_docs_show_the_commands_help(argv, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps to the terminal's width
    with pytest.raises(SystemExit):
        main(argv)
    # Python 3.10 heads the list "optional arguments:", later versions "options:"
    help_text = capsys.readouterr().out.replace("optional arguments:", "options:")
    assert f"```text\n$ nnlab {' '.join(argv)}\n{help_text}```" in COMMANDS.read_text()


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
