"""``pytest --nnlab-lab PATH``: a lab's claim checks as pytest tests, with the results ``nnlab check`` gives.

pytest loads this plugin in every run once nnlab is installed (the ``pytest11`` entry point); without
``--nnlab-lab`` it adds nothing. With it, each check is one test, named ``<lab>-<check id>`` as
``parametrize_with_checks`` names it (so ``-k L7`` picks claim L7's checks), run under the grader's hypothesis
settings: a pass passes, a missing role skips with its detail, anything else fails with the result and detail.

A notebook lab's dropped magic and shell lines and its failed cells are listed in the terminal summary's "nnlab
notebooks" section: a role a failed cell would have defined is missing, and its check skips.

The lab is imported into pytest's own process, as a test module is: for your own code. ``nnlab check`` runs code
you do not trust in a process, and a sandbox, of its own.
"""

from pathlib import Path

import pytest

from nnlab.checks import CheckFailed, all_checks, assert_passed, load_lab
from nnlab.checks.graders_settings import graded
from nnlab.checks.lab import LAB_SUFFIXES
from nnlab.checks.registry import Check

LABS = pytest.StashKey[list]()  # the labs collected, as config.stash holds them for the terminal summary


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("nnlab").addoption(
        "--nnlab-lab",
        action="append",
        default=[],
        metavar="PATH",
        help="check this lab (a .py file or a notebook, or a folder of section scripts or notebooks blocks.py ... "
        "chapter.py) with nnlab's claim checks, one test per check, as nnlab check grades it; repeat for more labs. "
        "The lab is imported into pytest's process: use it for your own code, and nnlab check for code you do not "
        "trust.",
    )


def pytest_configure(config: pytest.Config) -> None:
    for path in map(Path, config.getoption("nnlab_lab")):
        if not (path.is_dir() or path.is_file() and path.suffix in LAB_SUFFIXES):
            why = "not a .py or .ipynb file" if path.exists() else "no such file or folder"
            raise pytest.UsageError(
                f"--nnlab-lab {path}: {why}; give your lab, a .py or .ipynb file or a folder of section scripts or "
                "notebooks"
            )


@pytest.hookimpl(tryfirst=True)  # before -k, -m and --deselect choose among the items
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    for path in config.getoption("nnlab_lab"):
        collector = LabChecks.from_parent(session, path=Path(path).resolve())
        report = collector.ihook.pytest_make_collect_report(collector=collector)
        session.ihook.pytest_collectreport(report=report)  # a lab that does not load is a collection error
        items.extend(report.result)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """What running each notebook dropped and which of its cells failed, for the notebooks with any."""
    told = [
        (lab, run) for lab in config.stash.get(LABS, []) for run in lab.notebooks if run.dropped or run.failed_cells
    ]
    if not told:
        return
    terminalreporter.section("nnlab notebooks")
    for lab, run in told:
        terminalreporter.line(f"{lab.name}: {run.file}")
        for entry in run.dropped:
            terminalreporter.line(f"  cell {entry['cell']}: dropped {entry['line']}")
        for entry in run.failed_cells:
            terminalreporter.line(f"  cell {entry['cell']} failed: {entry['error']}")


class LabChecks(pytest.File):
    """The lab at ``path``, loaded as it is collected, and one ``CheckItem`` per check."""

    def collect(self):
        self.lab = load_lab(self.path)
        self.config.stash.setdefault(LABS, []).append(self.lab)
        for check in all_checks():
            yield CheckItem.from_parent(self, name=f"{self.lab.name}-{check.id}", check=check)


class CheckItem(pytest.Item):
    """One check of the collected lab; its result (``pass``, ``qualified``, ...) is in the report's
    ``user_properties`` as ``("result", ...)``, which pytest's ``--junit-xml`` writes out."""

    def __init__(self, *, check: Check, **kwargs):
        super().__init__(**kwargs)
        self.check = check

    def runtest(self) -> None:
        result = graded(self.check, self.parent.lab)
        self.user_properties.append(("result", result.result))
        assert_passed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]):
        if isinstance(excinfo.value, CheckFailed):  # the detail names the property and the counterexample
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, self.name
