"""The grader's tests run `nnlab check` on the sample labs in examples/: once for the whole batch, shared."""

import contextlib
import json
from pathlib import Path

import pytest

from nnlab.cli import main

EXAMPLES = Path(__file__).parents[2] / "examples"
# every sample lab but the correct one, whose 179 checks take half a minute (tests/test_claims.py runs them)
# (and not Python's bytecode cache, which a test run leaves in examples/ and nnlab check passes over)
BATCH = sorted(p for p in EXAMPLES.iterdir() if p.name not in ("correct_lab", "__pycache__") and p.name[0] != ".")
# the default 20 s per check, which leaves room for a slow check while the rest of the suite runs beside
LIMITS = ["--timeout", "120", "--memory-limit", "2", "--jobs", "2"]


class Batch:
    def __init__(self, out: Path, exit_status: int, printed: str):
        self.out, self.exit_status, self.printed = out, exit_status, printed

    def report(self, name: str) -> dict:
        return json.loads((self.out / name / "report.json").read_text())

    def claim(self, name: str, claim: str) -> dict:
        return next(c for c in self.report(name)["claims"] if c["id"] == claim)


@pytest.fixture(scope="session")
def batch(tmp_path_factory) -> Batch:
    out = tmp_path_factory.mktemp("check-results")
    capture = tmp_path_factory.mktemp("printed") / "stdout"
    with capture.open("w") as stream, contextlib.redirect_stdout(stream):
        status = main(["check", *map(str, BATCH), "--out", str(out), *LIMITS])
    return Batch(out, status, capture.read_text())
