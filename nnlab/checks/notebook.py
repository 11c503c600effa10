"""A Jupyter notebook run as a module: its code cells in order, in one namespace, as Jupyter's Run All runs them.

The d2l chapter is notebooks, and most students hand one in. Its namespace is
a module registered in ``sys.modules``, as ``import_file`` imports a script, so
the classes it defines pickle. Two things differ from a script, because a
notebook is rarely saved as a clean run:

- IPython's magics (``%matplotlib inline``, a ``%%time`` cell) and shell lines
  (``!pip install d2l``) are not Python: they are dropped, and listed.
- A cell that raises (a name a later cell defines, a typo, a ``SyntaxError``)
  fails alone: its error is listed and the next cell runs, so the roles the
  notebook does define are there at the end.

Cells are numbered by their place in the notebook, from 1, markdown cells
counted; an error names the cell and its line, ``(blocks.ipynb, cell 5, line 2)``.
"""

import linecache
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import nbformat
from nbformat.warnings import DuplicateCellId, MissingIDFieldWarning

from nnlab.checks.errors import one_line


@dataclass
class NotebookRun:
    """What running one notebook dropped and which of its cells failed.

    ``dropped``: ``{"cell": 2, "line": "%matplotlib inline"}`` for each magic or shell line (a ``%%`` cell is
    dropped whole, listed by its first line); ``failed_cells``: ``{"cell": 5, "error": "<one line>"}``.
    """

    file: str
    dropped: list[dict] = field(default_factory=list)
    failed_cells: list[dict] = field(default_factory=list)


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook in ``path``, of any nbformat version, as version 4; a ``ValueError`` naming it if it is none."""
    try:
        notebook = nbformat.reader.reads(path.read_text(encoding="utf-8"))
        with warnings.catch_warnings():  # cells' ids, missing or repeated, which nbformat mends: nothing to run
            warnings.simplefilter("ignore", MissingIDFieldWarning)
            warnings.simplefilter("ignore", DuplicateCellId)
            nbformat.validate(notebook)
        return nbformat.convert(notebook, 4)
    except AttributeError:  # nbformat asks the JSON for its version: a list, a string or null has none
        why = "its JSON is not an object"
    except (ValueError, nbformat.ValidationError) as error:  # not JSON, not UTF-8, or not a notebook's fields
        why = str(error).partition("\n")[0]
    raise ValueError(
        f"{path.name} is not a notebook nbformat can read ({why}): save it again from Jupyter, or hand in a .py file"
    )


def python_of(source: str) -> tuple[str, list[str]]:
    """A code cell's Python, and the IPython lines dropped from it.

    A dropped line leaves ``pass`` at its indentation, so the cell's line numbers stay the student's and a block
    that held only ``!pip install ...`` still parses."""
    if source.lstrip().startswith("%%"):  # a cell magic (%%time, %%writefile) owns its whole cell
        return "", [source.lstrip().partition("\n")[0].rstrip()]
    kept, dropped = [], []
    for line in source.split("\n"):  # Python's lines: str.splitlines would also split at \f and \u2028
        code = line.lstrip()
        if code.startswith(("%", "!")):
            dropped.append(code.rstrip())
            line = line[: len(line) - len(code)] + "pass"
        kept.append(line)
    return "\n".join(kept), dropped


def run_notebook(path: Path, module_name: str) -> tuple[ModuleType, NotebookRun]:
    """Run the notebook's code cells in order in one new module, ``sys.modules[module_name]``, its folder on
    ``sys.path`` (for sibling imports); a cell that raises is listed and the next one runs.

    Running out of memory is not a cell's failure: ``MemoryError`` ends the run, as it ends a script's import."""
    notebook = read_notebook(path)
    module = ModuleType(module_name)
    module.__file__ = str(path)
    run = NotebookRun(path.name)
    folder = str(path.parent)
    sys.path.insert(0, folder)
    sys.modules[module_name] = module
    try:
        for number, cell in enumerate(notebook.cells, start=1):
            if cell.cell_type == "code":
                run_cell(cell.source, number, module, path, run)
    finally:
        sys.path.remove(folder)
    return module, run


def run_cell(source: str, number: int, module: ModuleType, path: Path, run: NotebookRun) -> None:
    code, dropped = python_of(source)
    run.dropped += [{"cell": number, "line": line} for line in dropped]
    filename = f"{path}, cell {number}"
    # tracebacks (a student's own pytest run) show the cell's lines: there is no file of that name to read them from
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    try:
        exec(compile(code, filename, "exec", dont_inherit=True), vars(module))
    except MemoryError:
        raise
    except (Exception, SystemExit) as error:  # noqa: BLE001  (the cell's own failure: the notebook goes on)
        run.failed_cells.append({"cell": number, "error": one_line(error, path)})
