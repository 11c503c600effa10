"""A Jupyter notebook run as a module: its code cells in order, in one namespace, as Jupyter's Run All runs them.

The d2l chapter is notebooks, and most students hand one in. Its namespace is
a module registered in ``sys.modules``, as ``import_file`` imports a script, so
the classes it defines pickle. Two things differ from a script, because a
notebook is rarely saved as a clean run:

- IPython's magics (``%matplotlib inline``, a ``%%writefile`` cell) and shell
  lines (``!pip install d2l``) are not Python: IPython's own transform makes
  them calls to ``get_ipython()``, whose stand-in drops them and lists them.
  A ``%%time``, ``%%timeit`` or ``%%capture`` cell runs its body, once.
- A cell that raises (a name a later cell defines, a typo, a ``SyntaxError``)
  stops at its error, which is listed, and the next cell runs, so the roles
  the notebook does define are there at the end.

Cells are numbered by their place in the notebook, from 1, markdown cells
counted; an error names the cell and its line, ``(blocks.ipynb, cell 5, line 2)``.
"""

import contextlib
import functools
import linecache
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import matplotlib
import nbformat
from nbformat.warnings import DuplicateCellId, MissingIDFieldWarning

from nnlab.checks.errors import one_line

# the cell magics whose body Jupyter runs in the notebook's namespace, timed or its output captured: the body is run
BODY_RUNS = ("time", "timeit", "capture")


@dataclass
class NotebookRun:
    """What running one notebook dropped and which of its cells failed.

    ``dropped``: ``{"cell": 2, "line": "%matplotlib inline"}`` for each magic or shell line the notebook
    reached (a ``%%writefile`` cell is dropped whole, listed by its first line); ``failed_cells``:
    ``{"cell": 5, "error": "<one line>"}``.
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


@functools.cache
def transformer():
    """IPython's own transform of a cell, as Jupyter runs one; imported on first use, since importing IPython takes
    a noticeable part of a second that a lab of scripts need not pay."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def python_of(source: str) -> str:
    """A code cell's Python, as Jupyter makes it: IPython's transform turns each magic and shell line into a call to
    ``get_ipython()`` (``!pip install d2l`` into ``get_ipython().system('pip install d2l')``) and leaves the rest,
    continuation lines in brackets and strings included, as written.

    A ``%%time``, ``%%timeit`` or ``%%capture`` cell is its body, which Jupyter runs (``%%timeit`` once); any other
    cell magic (``%%writefile``, ``%%bash``) becomes one call. The cell's line numbers stay the student's: IPython's
    transform would drop the leading blank lines, and those are put back."""
    lines = source.split("\n")  # Python's lines: str.splitlines would also split at \f and \u2028
    blank = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    first, *body = lines[blank:] or [""]
    if first.startswith("%%") and first[2:].partition(" ")[0].rstrip() in BODY_RUNS:
        return "\n" * (blank + 1) + python_of("\n".join(body))
    cell = "\n".join(lines[blank:])
    with warnings.catch_warnings():  # IPython splits a line at a \u2028 in a string too, says so, and is mostly right
        warnings.filterwarnings("ignore", "`make_tokens_by_line` received a list of lines", UserWarning)
        try:
            return "\n" * blank + transformer().transform_cell(cell)
        except (SyntaxError, IndexError):  # where that split breaks an indented block: Python reads the cell itself
            return "\n" * blank + cell


class Shell:
    """The notebook's ``get_ipython()``: a stand-in for IPython's shell whose methods, which IPython's transform
    calls for magics and shell lines, record the line as dropped and do nothing else.

    A dropped line is recorded once, as the student wrote it and in the cell that holds it (a ``!nvidia-smi`` in a
    function that a later cell calls is its own cell's), when the notebook runs it: a line in a branch not taken
    is not run, as in Jupyter."""

    def __init__(self, run: NotebookRun):
        self.run = run
        self.cells: dict[str, int] = {}  # each cell's file name, as its code is compiled, to its number

    def drop(self) -> None:
        # the nearest caller that is a cell's code, whatever wraps this shell's methods (a profiler, mutmut)
        caller = sys._getframe(1)
        while caller is not None and caller.f_code.co_filename not in self.cells:
            caller = caller.f_back
        if caller is None:  # a call from outside the notebook (a test holding its shell): no line of it
            return
        filename = caller.f_code.co_filename
        entry = {"cell": self.cells[filename], "line": linecache.getline(filename, caller.f_lineno).strip()}
        if entry not in self.run.dropped:
            self.run.dropped.append(entry)

    def run_line_magic(self, name: str, line: str) -> None:
        self.drop()

    def run_cell_magic(self, name: str, line: str, cell: str) -> None:
        self.drop()

    def system(self, command: str) -> None:
        self.drop()

    def getoutput(self, command: str) -> list[str]:
        """``files = !ls``: no output, so that the notebook's ``for name in files`` runs none."""
        self.drop()
        return []


def display(*objects, **options) -> None:
    """Jupyter's ``display``, which a notebook calls without importing it: showing nothing."""


@contextlib.contextmanager
def drawing_off_screen():
    """matplotlib's Agg backend, and the backend before it put back after: Jupyter draws a notebook's figures inline
    (``%matplotlib inline``, dropped here), so a cell's ``plt.show()`` must open no window and wait for none."""
    before = matplotlib.get_backend()
    matplotlib.use("agg")
    try:
        yield
    finally:
        matplotlib.use(before)


def run_notebook(path: Path, module_name: str) -> tuple[ModuleType, NotebookRun]:
    """Run the notebook's code cells in order in one new module, ``sys.modules[module_name]``, its folder on
    ``sys.path`` (for sibling imports); a cell that raises is listed and the next one runs.

    The module holds ``get_ipython`` and ``display``, as Jupyter's namespace does (``Shell``); matplotlib draws with
    Agg while the cells run (``drawing_off_screen``). Running out of memory is not a cell's failure: ``MemoryError``
    ends the run, as it ends a script's import."""
    notebook = read_notebook(path)
    module = ModuleType(module_name)
    module.__file__ = str(path)
    run = NotebookRun(path.name)
    shell = Shell(run)
    module.get_ipython = lambda: shell
    module.display = display
    folder = str(path.parent)
    sys.path.insert(0, folder)
    sys.modules[module_name] = module
    try:
        with drawing_off_screen():
            for number, cell in enumerate(notebook.cells, start=1):
                if cell.cell_type == "code":
                    run_cell(cell.source, number, module, shell)
    finally:
        sys.path.remove(folder)
    return module, run


def run_cell(source: str, number: int, module: ModuleType, shell: Shell) -> None:
    """Run one code cell in the module; its failure, if any, joins ``shell.run.failed_cells``."""
    path = Path(module.__file__)
    filename = f"{path}, cell {number}"
    shell.cells[filename] = number
    # tracebacks (a student's own pytest run) and Shell show the cell's lines as written: there is no file to read
    lines = [f"{line}\n" for line in source.split("\n")]  # Python's lines, as python_of's
    linecache.cache[filename] = (len(source), None, lines, filename)
    try:
        exec(compile(python_of(source), filename, "exec", dont_inherit=True), vars(module))
    except MemoryError:
        raise
    except (Exception, SystemExit) as error:  # noqa: BLE001  (the cell's own failure: the notebook goes on)
        shell.run.failed_cells.append({"cell": number, "error": one_line(error, path)})
