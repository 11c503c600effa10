"""`nnlab check` on notebooks, the grader's whole path: what was dropped and which cells failed reach the reports.

tests/checks/test_notebook.py compares notebook labs with the same code in scripts check by check, in-process."""

import json

import pytest
from nbformat.v4 import new_markdown_cell

from nnlab.cli import main
from tests.grading.conftest import EXAMPLES
from tests.notebooks import script_cells, write_notebook

pytestmark = pytest.mark.xdist_group("grading")


def test_a_notebook_submission_is_graded_with_its_dropped_lines_and_failed_cells_reported(tmp_path):
    """A section notebook saved after running cells out of order, beside a notebook that is not one."""
    student = tmp_path / "student"
    write_notebook(
        student / "layers.ipynb",
        new_markdown_cell("# Custom layers"),
        "%matplotlib inline\nimport torch",
        "layer = CenteredLayer()  # run after the cell below, then moved",
        *script_cells(EXAMPLES / "per_row_centering" / "layers.py"),
    )
    (tmp_path / "broken.ipynb").write_text("{")
    out = tmp_path / "out"
    assert main(["check", str(student), str(tmp_path / "broken.ipynb"), "--out", str(out), "--jobs", "2"]) == 1

    report = json.loads((out / "student" / "report.json").read_text())
    assert report["status"] == "checked"
    assert report["notebooks"] == [
        {
            "file": "layers.ipynb",
            "dropped": [{"cell": 2, "line": "%matplotlib inline"}],
            "failed_cells": [
                {"cell": 3, "error": "NameError: name 'CenteredLayer' is not defined (layers.ipynb, cell 3, line 1)"}
            ],
        }
    ]
    claims = {claim["id"]: claim for claim in report["claims"]}
    assert claims["C1"]["result"] == "fail" and "X - X.mean(), the mean over the whole" in claims["C1"]["detail"]
    assert {c["result"] for i, c in claims.items() if i != "C1"} <= {"pass", "missing"}
    markdown = (out / "student" / "report.md").read_text()
    assert "### `layers.ipynb`\n\n- cell 2: dropped `%matplotlib inline`\n- cell 3 failed: `NameError:" in markdown

    broken = json.loads((out / "broken" / "report.json").read_text())
    assert (broken["status"], broken["notebooks"]) == ("error", [])
    assert broken["error"] == (
        "could not be loaded: ValueError: broken.ipynb is not a notebook nbformat can read "
        "(Notebook does not appear to be JSON: '{'): save it again from Jupyter, or hand in a .py file"
    )
