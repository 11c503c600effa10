"""A lab handed in as Jupyter notebooks: loaded in this process (``load_lab``), as a student's own pytest run sees it.

tests/grading/test_notebooks.py checks one through ``nnlab check``."""

import json
import pickle
import sys
import traceback
from pathlib import Path

import matplotlib
import nbformat
import pytest
import torch
from nbformat.v4 import new_markdown_cell

from nnlab.checks import all_checks, load_lab, run_check
from nnlab.checks.lab import import_file
from nnlab.checks.notebook import run_notebook
from tests.checks.helpers import result
from tests.notebooks import CENTERED_LAYER, notebook_of, write_notebook

EXAMPLES = Path(__file__).parents[2] / "examples"
SECTIONS_OF_CORRECT_LAB = ("blocks", "parameters", "layers", "fileio", "classifier", "chapter")


def every_result(lab) -> dict[str, tuple[str, str]]:
    return {check.id: (r.result, r.detail) for check in all_checks() for r in [run_check(check, lab)]}


def as_notebooks(lab: Path, target: Path) -> Path:
    """The lab (a script, or a folder of section scripts) with each script made a notebook of the same name."""
    if lab.is_file():
        return notebook_of(lab, target.with_suffix(".ipynb"))
    target.mkdir()
    for script in lab.glob("*.py"):
        notebook_of(script, target / f"{script.stem}.ipynb")
    return target


@pytest.mark.parametrize("example", ["per_row_centering", "parallel_block_on_batch_dim.py"])
def test_a_notebook_lab_gets_every_checks_result_that_the_same_code_in_scripts_gets(example, tmp_path):
    scripts = every_result(load_lab(EXAMPLES / example, "student"))
    lab = load_lab(as_notebooks(EXAMPLES / example, tmp_path / "student"), "student")
    assert [(run.dropped, run.failed_cells) for run in lab.notebooks] == [([], [])]
    assert every_result(lab) == scripts
    assert "fail" in {outcome for outcome, _ in scripts.values()}  # the mistake is caught in both


def test_the_correct_lab_as_a_folder_of_section_notebooks_passes_every_check_as_its_scripts_do(tmp_path):
    """tests/test_claims.py passes the scripts on every check; whole-module save and load (F2) needs the notebook's
    classes to pickle."""
    lab = load_lab(as_notebooks(EXAMPLES / "correct_lab", tmp_path / "correct_lab"))
    assert sorted(run.file for run in lab.notebooks) == sorted(f"{s}.ipynb" for s in SECTIONS_OF_CORRECT_LAB)
    assert all(run.failed_cells == [] for run in lab.notebooks)
    failing = {check: detail for check, (outcome, detail) in every_result(lab).items() if outcome != "pass"}
    assert failing == {}


def test_a_cell_that_raises_is_listed_with_its_one_line_error_and_the_cells_after_it_run(tmp_path):
    path = write_notebook(
        tmp_path / "lab.ipynb",
        new_markdown_cell("# Section 3"),  # cell 1: markdown cells count in the numbering
        "import torch\ntotal = torch.zeros(2).sum()\nratio = 1 / int(total)",
        "x = (",
        "import sys\nsys.exit(3)",
        CENTERED_LAYER,
    )
    lab = load_lab(path)
    assert lab.notebooks[0].failed_cells == [
        {"cell": 2, "error": "ZeroDivisionError: division by zero (lab.ipynb, cell 2, line 3)"},
        {"cell": 3, "error": "SyntaxError: '(' was never closed (lab.ipynb, cell 3, line 1)"},
        {"cell": 4, "error": "called sys.exit(3)"},
    ]
    assert result(lab, "C1", "centered_layer_subtracts_the_mean_of_the_whole_batch") == "pass"


def test_magics_and_shell_lines_the_notebook_reaches_are_dropped_and_listed_once_as_written_and_lines_keep_numbers(
    tmp_path,
):
    path = write_notebook(
        tmp_path / "lab.ipynb",
        "%matplotlib inline\n!pip install d2l\nimport torch",
        "\n%%writefile helper.py\nraise RuntimeError('dropped whole, blank lines before it or not')",
        "for _ in range(2):\n    !nvidia-smi\n    %env CUDA_VISIBLE_DEVICES=0\nfiles = !ls\nmodel?\nmissing_name",
        "if False:\n    !rm -rf data",  # a branch not taken: not run, so not dropped
        CENTERED_LAYER,
    )
    run = load_lab(path).notebooks[0]
    assert run.dropped == [
        {"cell": 1, "line": "%matplotlib inline"},
        {"cell": 1, "line": "!pip install d2l"},
        {"cell": 2, "line": "%%writefile helper.py"},
        {"cell": 3, "line": "!nvidia-smi"},
        {"cell": 3, "line": "%env CUDA_VISIBLE_DEVICES=0"},
        {"cell": 3, "line": "files = !ls"},
        {"cell": 3, "line": "model?"},
    ]
    assert run.failed_cells == [
        {"cell": 3, "error": "NameError: name 'missing_name' is not defined (lab.ipynb, cell 3, line 6)"}
    ]
    assert not (tmp_path / "helper.py").exists()


def test_continuation_lines_that_start_with_percent_or_bang_are_python_not_magics(tmp_path):
    """black puts a continued expression's operator first; a docstring's line may start with ``!``."""
    formatted = (
        'def dims(X):\n    """How many dimensions X has.\n\n    !Note: a scalar has none.\n    """\n'
        '    assert (\n        X.shape\n        != ()\n    )\n    return (\n        "%d dims"\n        % X.dim()\n    )'
    )
    module, run = run_notebook(write_notebook(tmp_path / "lab.ipynb", formatted), "nnlab_test_continuations")
    assert (run.dropped, run.failed_cells) == ([], [])
    assert module.dims(torch.ones(2, 3)) == "2 dims"


@pytest.mark.parametrize("magic", ["%%time", "%%timeit -n 3", "%%capture printed"])
def test_a_timed_or_captured_cell_runs_its_body_once_and_its_errors_name_the_cells_own_lines(magic, tmp_path):
    path = write_notebook(tmp_path / "lab.ipynb", "runs = []", f"\n{magic}\nruns.append(1)\n!echo ran\nmissing_name")
    module, run = run_notebook(path, "nnlab_test_cell_magics")
    assert module.runs == [1]
    assert run.dropped == [{"cell": 2, "line": "!echo ran"}]
    assert run.failed_cells == [
        {"cell": 2, "error": "NameError: name 'missing_name' is not defined (lab.ipynb, cell 2, line 5)"}
    ]


def test_a_notebook_calling_display_and_get_ipython_as_in_jupyter_runs_and_lists_the_call(tmp_path):
    path = write_notebook(
        tmp_path / "lab.ipynb", "import torch\ndisplay(torch.ones(2))\nget_ipython().run_line_magic('who', '')"
    )
    run = run_notebook(path, "nnlab_test_display")[1]
    assert (run.dropped, run.failed_cells) == ([{"cell": 1, "line": "get_ipython().run_line_magic('who', '')"}], [])


def test_a_function_of_the_notebooks_that_runs_a_shell_line_later_lists_it_in_its_own_cell_and_outsiders_none(
    tmp_path,
):
    path = write_notebook(tmp_path / "lab.ipynb", "def gpus():\n    !nvidia-smi", "shell = get_ipython()")
    module, run = run_notebook(path, "nnlab_test_later_drop")
    module.gpus()
    module.shell.system("nvidia-smi")  # not a line of the notebook's
    assert run.dropped == [{"cell": 1, "line": "!nvidia-smi"}]


def test_a_notebook_draws_with_agg_while_it_runs_and_the_backend_before_is_put_back(tmp_path):
    """With a desktop's backend, a ``plt.show()`` cell would open a window and wait for it to close."""
    path = write_notebook(
        tmp_path / "lab.ipynb",
        "%matplotlib inline\nimport matplotlib\nimport matplotlib.pyplot as plt",
        "plt.plot([1, 2])\nplt.show()\nbackend = matplotlib.get_backend()",
    )
    before = matplotlib.get_backend()
    matplotlib.use("svg")  # not Agg: whether the notebook's backend is Agg is then the notebook run's doing
    try:
        module, run = run_notebook(path, "nnlab_test_agg")
        after = matplotlib.get_backend()
    finally:
        matplotlib.use(before)
    assert (module.backend, after, run.failed_cells) == ("agg", "svg", [])


def test_a_notebook_imports_a_script_beside_it_and_leaves_sys_path_as_it_was(tmp_path):
    (tmp_path / "helpers.py").write_text(CENTERED_LAYER)
    path = write_notebook(tmp_path / "lab.ipynb", "from helpers import CenteredLayer")
    path_before = list(sys.path)
    module, run = run_notebook(path, "nnlab_test_sibling")
    assert (module.CenteredLayer.__module__, run.failed_cells, sys.path) == ("helpers", [], path_before)
    del sys.modules["helpers"]


def test_a_notebook_saved_as_nbformat_3_loads(tmp_path):
    notebook = nbformat.v3.new_notebook(
        worksheets=[nbformat.v3.new_worksheet(cells=[nbformat.v3.new_code_cell(input=CENTERED_LAYER)])]
    )
    (tmp_path / "lab.ipynb").write_text(nbformat.writes(notebook, version=3))
    lab = load_lab(tmp_path / "lab.ipynb")
    assert (lab.layers.CenteredLayer.__name__, lab.notebooks[0].failed_cells) == ("CenteredLayer", [])


def test_a_traceback_through_a_cell_shows_the_cells_line_as_written(tmp_path):
    path = write_notebook(tmp_path / "lab.ipynb", "def broken():\n    !ls\n    raise ValueError('from the cell')")
    module = run_notebook(path, "nnlab_test_traceback")[0]
    with pytest.raises(ValueError) as raised:
        module.broken()
    assert "raise ValueError('from the cell')" in "".join(traceback.format_exception(raised.value))


def test_a_cells_lines_are_pythons_so_a_string_holding_a_unicode_line_separator_stays_whole(tmp_path):
    run = load_lab(write_notebook(tmp_path / "lab.ipynb", 'note = "a\u2028b"\n!ls\nmissing_name')).notebooks[0]
    assert (run.dropped, run.failed_cells) == (
        [{"cell": 1, "line": "!ls"}],
        [{"cell": 1, "error": "NameError: name 'missing_name' is not defined (lab.ipynb, cell 1, line 3)"}],
    )


def test_an_indented_string_holding_a_unicode_line_separator_which_ipython_cannot_read_runs_as_python(tmp_path):
    path = write_notebook(tmp_path / "lab.ipynb", 'if True:\n    note = "a\u2028 b"\n    count = 1')
    module, run = run_notebook(path, "nnlab_test_separator_in_a_block")
    assert (module.count, run.failed_cells) == (1, [])


def test_cells_saved_out_of_order_fail_where_a_name_is_used_before_its_cell_and_the_roles_defined_are_checked(
    tmp_path,
):
    path = write_notebook(tmp_path / "lab.ipynb", "layer = CenteredLayer()\nlayer(torch.ones(2, 3))", CENTERED_LAYER)
    lab = load_lab(path)
    assert lab.notebooks[0].failed_cells == [
        {"cell": 1, "error": "NameError: name 'CenteredLayer' is not defined (lab.ipynb, cell 1, line 1)"}
    ]
    assert result(lab, "C1", "centered_layer_subtracts_the_mean_of_the_whole_batch") == "pass"


def test_a_class_a_notebook_defines_pickles_as_one_a_script_defines_does(tmp_path):
    lab = load_lab(write_notebook(tmp_path / "lab.ipynb", CENTERED_LAYER))
    layer = lab.layers.CenteredLayer()
    assert type(pickle.loads(pickle.dumps(layer))) is type(layer)


def test_running_out_of_memory_in_a_cell_ends_the_notebook_as_it_ends_a_script(tmp_path):
    with pytest.raises(MemoryError):
        load_lab(write_notebook(tmp_path / "lab.ipynb", "raise MemoryError", CENTERED_LAYER))


def test_a_folder_holding_one_notebook_is_that_notebook_and_import_file_runs_one_for_an_adapter(tmp_path):
    write_notebook(tmp_path / "upload" / "lab.ipynb", CENTERED_LAYER)
    lab = load_lab(tmp_path / "upload", "student")
    assert (lab.name, lab.layers.CenteredLayer.__name__, lab.notebooks[0].file) == (
        "student",
        "CenteredLayer",
        "lab.ipynb",
    )
    assert import_file(tmp_path / "upload" / "lab.ipynb", "adapted").CenteredLayer.__name__ == "CenteredLayer"


@pytest.mark.parametrize("stem", ["layers", "lab"], ids=["a section", "an upload and its Jupyter export"])
def test_a_script_and_a_notebook_of_one_name_are_refused_naming_both(stem, tmp_path):
    (tmp_path / f"{stem}.py").write_text(CENTERED_LAYER)
    write_notebook(tmp_path / f"{stem}.ipynb", CENTERED_LAYER)
    with pytest.raises(ValueError, match=f"holds both {stem}.py and {stem}.ipynb: keep the one to be checked"):
        load_lab(tmp_path)


def test_a_notebook_whose_cells_have_no_ids_or_the_same_one_runs_without_a_warning(tmp_path):
    """Jupyter saved cells without ids before nbformat 4.5, and a hand-merged notebook repeats them: pytest's
    warnings-as-errors (this suite's, a student's) must not stop the lab loading."""
    cell = {"cell_type": "code", "metadata": {}, "source": CENTERED_LAYER, "outputs": [], "execution_count": None}
    cells = [cell, {**cell, "id": "same"}, {**cell, "id": "same"}]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    (tmp_path / "layers.ipynb").write_text(json.dumps(notebook))
    assert load_lab(tmp_path).layers.CenteredLayer.__name__ == "CenteredLayer"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{", "Notebook does not appear to be JSON"),
        ("[]", "its JSON is not an object"),
        (
            '{"nbformat": 4, "nbformat_minor": 5, "cells": []}',
            "The notebook is invalid and is missing an expected key: metadata",
        ),
        ('{"nbformat": 9, "nbformat_minor": 0}', "Unsupported nbformat version 9"),
    ],
    ids=["not JSON", "a list", "no metadata", "unknown version"],
)
def test_a_file_that_is_no_notebook_is_refused_naming_it_and_why(text, why, tmp_path):
    (tmp_path / "layers.ipynb").write_text(text)
    with pytest.raises(ValueError, match=f"layers.ipynb is not a notebook nbformat can read \\({why}.*save it again"):
        load_lab(tmp_path)
