"""The grader's tests run `nnlab check` on the sample labs in examples/: once for the whole batch, shared.

Every report.json and summary.json a test leaves under its tmp_path (and the shared batch's) must hold to the
JSON Schema nnlab ships for it.
"""

import contextlib
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from nnlab.checks import all_checks
from nnlab.checks.run import Result
from nnlab.cli import main
from nnlab.grading.submission_report import build_report
from nnlab.grading.supervise import Checked

EXAMPLES = Path(__file__).parents[2] / "examples"
EXAMPLE_COURSE = EXAMPLES / "course.toml"  # a course file with every key
# every sample lab but the correct one, whose 179 checks take half a minute (tests/test_claims.py runs them)
# (and not Python's bytecode cache, which a test run leaves in examples/ and nnlab check passes over, nor the
# sample course file)
BATCH = sorted(
    p
    for p in EXAMPLES.iterdir()
    if p.name not in ("correct_lab", "__pycache__") and p.name[0] != "." and (p.is_dir() or p.suffix == ".py")
)
# the default 20 s per check, which leaves room for a slow check while the rest of the suite runs beside
LIMITS = ["--timeout", "120", "--memory-limit", "2", "--jobs", "2"]
SCHEMAS = resources.files("nnlab.grading") / "schemas"
PUBLISHED = {
    f"{name}.json": json.loads((SCHEMAS / f"{name}.schema.json").read_text()) for name in ("report", "summary")
}
# Gradescope's results.json as its specification describes it (nnlab does not ship this one)
GRADESCOPE_SCHEMA = json.loads(Path(__file__).with_name("gradescope_results.schema.json").read_text())


def validate_written(folder: Path) -> None:
    """Every report.json and summary.json under ``folder`` holds to its schema; jsonschema says where not."""
    for name, schema in PUBLISHED.items():
        for path in folder.rglob(name):
            jsonschema.validate(json.loads(path.read_text()), schema)


@pytest.fixture(autouse=True)
def written_reports_hold_to_their_schemas(tmp_path):
    yield
    validate_written(tmp_path)


def report_of(results: dict[str, str] | None = None, status: str = "checked", name: str = "lab") -> dict:
    """The report of a submission whose checks gave ``results`` (check ID -> result), the others passing."""
    results = results or {}
    checked = Checked(name, status, None if status == "checked" else f"{status}, as scripted")
    checked.results = {c.id: Result(c.id, c.claim, results.get(c.id, "pass")) for c in all_checks()}
    return build_report(checked)


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
    validate_written(out)
    return Batch(out, status, capture.read_text())
