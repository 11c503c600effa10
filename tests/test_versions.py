"""docs/versions.md's table says, claim by claim, what each torch's saved ledger says (scripts/versions.py)."""

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "scripts" / "versions.py"


@pytest.fixture
def versions(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("versions_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "ROOT", tmp_path)  # run_version deletes ROOT/.tox/ledger: not the repository's
    monkeypatch.setattr(module, "SAVED", tmp_path / "reports")
    monkeypatch.setattr(module, "KEPT", tmp_path / "docs")
    versions = {
        "2.1.2": "0.16.2",
        "2.3.1": "0.18.1",
        "2.4.1": "0.19.1",
        "2.5.1": "0.20.1",
        "2.6.0": "0.21.0",
        "2.9.1": None,
    }
    monkeypatch.setattr(module, "VERSIONS", versions)
    return module


def save(versions, torch_version: str, claims: dict[str, tuple[str, str]], written_under: str | None = None) -> None:
    """A run's whole ledger, as the tox env writes it, then what versions.py keeps of it."""
    folder = versions.SAVED / torch_version
    folder.mkdir(parents=True)
    rows = [{"id": claim, "verdict": verdict, "why": why, "tests": ["t"]} for claim, (verdict, why) in claims.items()]
    ledger = {"torch": written_under or f"{torch_version}+cpu", "run": "r", "commit": "c", "claims": rows}
    (folder / "ledger.json").write_text(json.dumps(ledger))
    versions.keep(torch_version)


F2_QUALIFIED = (
    "qualified",
    "[whole_module] saved whole: UnpicklingError It does what the documents do: Plain load fails.",
)


def test_a_changing_claim_comes_first_with_each_span_of_versions_and_its_reason(versions):
    save(versions, "2.1.2", {"L1": ("holds", ""), "F2": ("holds", "")})
    save(versions, "2.5.1", {"L1": ("holds", ""), "F2": ("holds", "")})
    save(versions, "2.6.0", {"L1": ("holds", ""), "F2": F2_QUALIFIED})
    table = versions.table()
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| claim")]
    assert rows == ["| F2 | holds | holds | qualified |", "| L1 | holds | holds | holds |"]
    assert "- **F2**\n  - holds on 2.1.2 to 2.5.1\n  - qualified on 2.6.0: Plain load fails.\n" in table
    assert "Not run yet: 2.3.1, 2.4.1, 2.9.1." in table


def test_only_the_stamp_and_each_verdicts_reason_are_kept_and_a_failed_run_drops_the_older_one(versions):
    save(versions, "2.1.2", {"F2": F2_QUALIFIED})
    kept = json.loads((versions.KEPT / "2.1.2.json").read_text())
    assert kept == {
        "torch": "2.1.2+cpu",
        "run": "r",
        "commit": "c",
        "claims": [{"id": "F2", "verdict": F2_QUALIFIED[0], "why": F2_QUALIFIED[1]}],
    }
    shutil.rmtree(versions.SAVED / "2.1.2")  # run_version deletes it before a run; a failed run writes none
    versions.keep("2.1.2")
    assert not (versions.KEPT / "2.1.2.json").exists()


def test_a_ledger_written_under_another_torch_is_left_out(versions, capsys):
    save(versions, "2.1.2", {"L1": ("holds", "")}, written_under="2.15.0+cu132")
    save(versions, "2.5.1", {"L1": ("holds", "")})
    assert "| claim | 2.5.1 |" in versions.table()
    assert "written under torch 2.15.0+cu132, not 2.1.2: left out" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("why", "instead"),
    [
        ("[a] prop: got 1 What holds instead: X. [b] prop: got 2 What holds instead: X.", "X."),
        ("[a] p: e It does what the documents do: X. [b] q: f What holds instead: Y.", "X. Y."),
        ("[m3_check] mean 0.87, outside the interval", "mean 0.87, outside the interval"),
    ],
    ids=["said-twice-once", "two-checks-both", "no-marker-whole-reason"],
)
def test_what_holds_instead_is_each_checks_words_once(versions, why, instead):
    assert versions.what_holds_instead(why) == instead


def test_a_torch_before_2_4_gets_numpy_1_and_a_torch_without_torchvision_gets_none(versions, monkeypatch):
    seen = {}

    def fake_run(command, cwd, env):
        seen[env["NNLAB_TORCH"]] = (env["NNLAB_TORCHVISION"], env["NNLAB_NUMPY"], command[-1])
        return type("Done", (), {"returncode": 0})()

    monkeypatch.setattr(versions.subprocess, "run", fake_run)
    for torch_version in ("2.1.2", "2.3.1", "2.4.1", "2.9.1"):
        assert versions.run_version(torch_version) == 0
    assert seen["2.1.2"] == ("torchvision==0.16.2", "numpy<2", f"--ledger-dir={versions.SAVED / '2.1.2'}")
    assert [seen[v][1] for v in ("2.3.1", "2.4.1")] == ["numpy<2", ""]
    assert seen["2.9.1"][:2] == ("", "")


def test_unknown_versions_are_refused_naming_the_fix(versions, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["versions.py", "1.13.1"])
    with pytest.raises(SystemExit):
        versions.main()
    assert "unknown torch versions ['1.13.1']; add them to VERSIONS with their torchvision" in capsys.readouterr().err
