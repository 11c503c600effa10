"""check_batch's progress: a line a submission, and on a terminal a tqdm bar with the time left. The submissions
here are checked by a stand-in for check_submission, which runs nothing."""

import io
import re
import sys

import pytest

from nnlab.checks import all_checks
from nnlab.checks.run import Result
from nnlab.grading import batch
from nnlab.grading.supervise import Checked, Limits


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def every_check_passes(path, name, limits, adapter, isolation, questions=None) -> Checked:
    return Checked(name, results={c.id: Result(c.id, c.claim, "pass") for c in all_checks()}, seconds=2.0)


@pytest.fixture
def submissions(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "check_submission", every_check_passes)
    return [tmp_path / "alice.py", tmp_path / "bob.py"]


def test_each_submission_gets_a_line_and_no_bar_where_stderr_is_not_a_terminal(tmp_path, submissions, capsys):
    batch.check_batch(submissions, tmp_path / "out", Limits(), jobs=1, sandbox="off")
    printed = capsys.readouterr()
    assert re.findall(r"^\[(\d)/2\] (\w+): checked;", printed.out, re.MULTILINE) == [("1", "alice"), ("2", "bob")]
    assert printed.err == ""
    # a checked submission's line: its status, then each result's count, then its time; no error to give
    claims = len({c.claim for c in all_checks()})
    assert f"[1/2] alice: checked; {claims} pass (2 s)\n" in printed.out


def test_on_a_terminal_a_bar_counts_the_submissions_and_estimates_the_time_left(tmp_path, submissions, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    lines = []
    batch.check_batch(submissions, tmp_path / "out", Limits(), jobs=1, sandbox="off", log=lines.append)
    assert len(lines) == 2
    # tqdm's bar: done/total [elapsed<left, rate]
    assert re.search(r"2/2 \[\d\d:\d\d<\d\d:\d\d, ", terminal.getvalue())
