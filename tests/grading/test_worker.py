"""The worker's parts that run before and around the checks, tested in this process (the batch runs them in others)."""

import subprocess
import sys
from types import SimpleNamespace

import pytest

from nnlab.checks import Lab, RoleMissing, all_checks
from nnlab.checks.errors import one_line
from nnlab.checks.judged import judgement
from nnlab.checks.run import Result
from nnlab.grading import worker
from nnlab.grading.worker import RoleHung, WatchedLab, bounded, checked, load, write_all


def raised(source: str, folder):
    path = folder / "lab.py"
    path.write_text(source)
    try:
        exec(compile(source, str(path), "exec"), {})
    except BaseException as error:  # noqa: BLE001
        return error
    raise AssertionError("the source raised nothing")


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("x = (", "SyntaxError: '(' was never closed (lab.py, line 1)"),
        ("import sys\nsys.exit(3)\n", "called sys.exit(3)"),
        ("def f():\n    return 1 / 0\nf()\n", "ZeroDivisionError: division by zero (lab.py, line 2)"),
        # the innermost of three frames, and a message on two lines on one
        (
            "def g():\n    raise ValueError('bad\\n value')\ndef f():\n    g()\nf()\n",
            "ValueError: bad value (lab.py, line 2)",
        ),
        ("raise KeyboardInterrupt\n", "KeyboardInterrupt: (no message) (lab.py, line 1)"),
    ],
    ids=["syntax", "exit", "exception", "three frames", "no message"],
)
def test_an_error_is_one_line_naming_the_submissions_own_line(source, line, tmp_path):
    assert one_line(raised(source, tmp_path), tmp_path) == line


def test_the_line_named_is_the_submission_folders_own_or_none(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    error = raised("import math\nmath.sqrt(-1)\n", tmp_path)
    assert one_line(error, tmp_path / "lab.py") == "ValueError: math domain error (lab.py, line 2)"  # a file's folder
    assert one_line(error, tmp_path / "elsewhere") == "ValueError: math domain error"


def test_an_adapter_must_return_a_lab(tmp_path):
    adapter = tmp_path / "adapter.py"
    adapter.write_text("def lab(path):\n    return path\n")
    with pytest.raises(TypeError, match="returned PosixPath, not an nnlab.checks.Lab"):
        load(tmp_path, str(adapter))


def test_a_watched_lab_reports_each_role_a_check_looks_up_and_refuses_a_hung_one():
    seen = []
    lab = Lab("mine", blocks=SimpleNamespace(MySequential=int, ParallelBlock=float))
    watched = WatchedLab(lab, seen.append, {"blocks.ParallelBlock": "L7:parallel_block_concatenates_for_any_widths"})
    assert watched.blocks.MySequential is int and watched.name == "mine"
    assert seen == ["blocks.MySequential"]
    with pytest.raises(RoleHung, match="blocks.ParallelBlock did not finish .* in L7:parallel_block"):
        _ = watched.blocks.ParallelBlock
    with pytest.raises(RoleMissing):
        _ = watched.layers.CenteredLayer
    assert seen == ["blocks.MySequential"]  # neither the hung role nor a missing one counts as looked up


@pytest.mark.parametrize("raised", [KeyboardInterrupt, SystemExit, GeneratorExit])
@pytest.mark.parametrize(("claim", "section", "name"), [("L1", "blocks", "MLP"), ("C1", "layers", "CenteredLayer")])
def test_nothing_a_role_raises_escapes_the_worker_its_check_fails(raised, claim, section, name):
    def role():
        raise raised("raised by the submission")

    check = next(c for c in all_checks() if c.claim == claim)
    event = checked(check, Lab("mine", **{section: SimpleNamespace(**{name: role})}))
    result = judgement(check, event) if event.pop("event") == "answer" else Result(**event)
    assert (result.check, result.result) == (check.id, "fail")
    assert f"{raised.__name__} at test_worker.py:" in result.detail and result.detail.endswith("by the submission")


def test_an_event_is_written_whole_though_each_write_takes_only_part_of_it():
    received = bytearray()

    def write_at_most_1000_bytes(fd, data):  # a pipe's write interrupted by a signal returns what went through
        received.extend(data[:1000])
        return min(len(data), 1000)

    event = b'{"answers": "' + b"x" * 65_536 + b'"}\n'
    write_all(write_at_most_1000_bytes, 7, event)
    assert bytes(received) == event


def test_answers_longer_than_the_grader_reads_fail_their_check_instead_of_reading_as_forged(monkeypatch):
    monkeypatch.setattr(worker, "ANSWERS_BYTES", 1000)
    check = next(c for c in all_checks() if c.probe is not None)
    short = {"event": "answer", "check": check.id, "answers": ["a"]}
    assert bounded(short) is short
    long = bounded({"event": "answer", "check": check.id, "answers": ["a" * 2000]})
    assert (long["answers"], long["raised"]) == ([], "its answers run to 0 MiB, more than the 0 MiB the grader reads")
    assert judgement(check, long).result == "fail"


def test_a_worker_imports_every_check_and_no_statistics_library():
    """Workers answer and the supervisor judges: scipy.stats, half a second of each worker's start, is the judges'
    alone (nnlab.checks.sampling imports it when a test runs). A fresh interpreter, as a worker starts."""
    script = (
        "import sys; from nnlab.checks import all_checks; import nnlab.grading.worker; "
        "print(len(all_checks()), sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))"
    )
    printed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert printed.split(" ", 1) == [str(len(all_checks())), "[]\n"]
