"""An implementation of the lab: its roles, found by section and name.

The documents keep each section in its own script, so a role belongs to a
section: the report's section 1 ``MLP()`` and its section 5
``MLP(activation=..., dropout_rate=...)`` share a name and are different
roles. A ``Lab`` maps each section to any object holding that section's roles
as attributes (a module, a namespace, a class), and the checks reach a role as
``lab.blocks.ParallelBlock``. A role the implementation does not define raises
``RoleMissing``, which the checks report as ``missing``, never as a failure.
"""

import functools
import importlib.util
import inspect
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn
from torch.nn.parameter import is_lazy

from nnlab.checks.notebook import NotebookRun, run_notebook
from nnlab.checks.roles import FIXED_INPUTS

# the suffixes of a lab's files: scripts, and Jupyter notebooks (nnlab.checks.notebook)
LAB_SUFFIXES = (".py", ".ipynb")
# Section names are the report's scripts (sections 1 to 5) and the chapter's one.
SECTIONS = {
    "blocks": "report section 1: layers and blocks",
    "parameters": "report section 2: parameter management",
    "layers": "report section 3: custom layers",
    "fileio": "report section 4: file I/O",
    "classifier": "report section 5: the Fashion-MNIST model",
    "chapter": "the tutorial chapter on nn.Module",
}


def materializing(factory, shape: tuple[int, ...]):
    """``factory`` whose modules come with their lazy parameters made, by one forward in eval mode on zeros.

    torch's lazy layers have no shape, count or values until their first forward, so a fresh one cannot be
    counted, saved or initialised; their users (the d2l book included) run the network once first, and so
    do the checks. Eval mode, so that the dry run moves no batch-norm statistics and draws no dropout mask.
    """

    @functools.wraps(factory, updated=())
    def build(*args, **kwargs):
        module = factory(*args, **kwargs)
        if isinstance(module, nn.Module) and any(is_lazy(p) for p in module.parameters()):
            training = module.training
            with torch.no_grad():
                module.eval()(torch.zeros(shape))
            module.train(training)
        return module

    return build


class RoleMissing(Exception):
    """The implementation under check does not define a role a check needs."""

    def __init__(self, lab: str, section: str, role: str):
        super().__init__(f"{lab} defines no {role!r} in its {section!r} section ({SECTIONS.get(section, section)}).")
        self.section, self.role = section, role


class Section:
    """One section's roles; a missing one raises ``RoleMissing`` instead of ``AttributeError``."""

    def __init__(self, lab: str, name: str, namespace: Any):
        self._lab, self._name, self._namespace = lab, name, namespace

    def __getattr__(self, role: str) -> Any:
        if role.startswith("__") or self._namespace is None:
            raise RoleMissing(self._lab, self._name, role)
        try:
            found = getattr(self._namespace, role)
        except AttributeError:
            raise RoleMissing(self._lab, self._name, role) from None
        shape = FIXED_INPUTS.get((self._name, role))
        return materializing(found, shape) if shape and callable(found) else found

    def __repr__(self) -> str:
        return f"<section {self._name!r} of {self._lab}>"


class Lab:
    """An implementation of the lab under check: a name and one namespace per section.

    >>> lab = Lab("mine", blocks=my_blocks_module)
    >>> lab.blocks.MLP()          # the section-1 MLP
    >>> lab.layers.MyLinear       # raises RoleMissing: no section 'layers'

    ``notebooks``: what running each of its notebooks dropped and which cells failed (``nnlab.checks.notebook``).
    """

    def __init__(self, name: str, notebooks: Iterable[NotebookRun] = (), **sections: Any):
        unknown = sorted(set(sections) - set(SECTIONS))
        if unknown:
            raise ValueError(f"Lab {name!r}: unknown sections {unknown}; the sections are {sorted(SECTIONS)}.")
        self.name = name
        self.notebooks = list(notebooks)
        self._sections = sections

    def __getattr__(self, section: str) -> Section:
        if section.startswith("_") or section not in SECTIONS:
            raise AttributeError(section)
        return Section(self.name, section, self._sections.get(section))

    def replace(self, name: str, **sections: dict[str, Any]) -> "Lab":
        """A copy of this lab under another name, with some roles swapped: ``replace("mine", blocks={"MLP": M})``.

        The documents' reproductions and the suite's wrong variants are built this way.
        """
        overlaid = {section: _Overlay(self._sections.get(section), roles) for section, roles in sections.items()}
        return Lab(name, self.notebooks, **{**self._sections, **overlaid})

    def __repr__(self) -> str:
        return f"Lab({self.name!r}, sections={sorted(self._sections)})"


class _Overlay:
    def __init__(self, base: Any, roles: dict[str, Any]):
        self._base, self._roles = base, roles

    def __getattr__(self, role: str) -> Any:
        if role in self._roles:
            return self._roles[role]
        return getattr(self._base, role)


class OneFile:
    """One file serving every section. Sections 1 and 5 both name a role ``MLP``; the file's ``MLP`` belongs to
    section 5 (the classifier) when it takes ``dropout_rate``, as that one does, and to section 1 otherwise."""

    def __init__(self, module: ModuleType, section: str):
        self._module, self._section = module, section

    def __getattr__(self, role: str) -> Any:
        found = getattr(self._module, role)
        if role == "MLP" and _takes(found, "dropout_rate") != (self._section == "classifier"):
            raise AttributeError(role)
        return found


def _takes(function: Any, parameter: str) -> bool:
    try:
        return parameter in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def import_file(path: Path, module_name: str) -> ModuleType:
    """Import one ``.py`` file as a module of its own (its folder on ``sys.path``, for sibling imports).

    A notebook (``.ipynb``) runs as ``run_notebook`` runs it. What that dropped and which cells failed are not
    returned: ``load_lab`` keeps them as ``Lab.notebooks``, and an adapter that wants them calls ``run_notebook``."""
    if path.suffix == ".ipynb":
        return run_notebook(path, module_name)[0]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} is neither a Python file nor a notebook (.ipynb).")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    sys.path.insert(0, folder)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
    return module


def readable(file: Path) -> None:
    """Raise, naming the file and why, where a section script is there by name and cannot be read."""
    try:
        file.stat()  # follows links: a dangling one or a loop fails here
    except OSError as error:
        why = f"a link that leads nowhere: {error.strerror}" if file.is_symlink() else error.strerror
        raise FileNotFoundError(f"{file.name} could not be read ({why}): {file}") from None


def load_file(file: Path, module_name: str, notebooks: list[NotebookRun]) -> ModuleType:
    """``file`` as a module: a script imported, or a notebook run (what that dropped and failed joins ``notebooks``)."""
    if file.suffix != ".ipynb":
        return import_file(file, module_name)
    module, run = run_notebook(file, module_name)
    notebooks.append(run)
    return module


def section_file(folder: Path, section: str) -> Path | None:
    """The section's script or notebook in ``folder`` (``blocks.py`` or ``blocks.ipynb``), if there is one."""
    named = [folder / f"{section}{suffix}" for suffix in LAB_SUFFIXES if os.path.lexists(folder / f"{section}{suffix}")]
    if not named:
        return None
    file = the_one(folder, named)
    readable(file)
    return file


def the_one(folder: Path, named: list[Path]) -> Path:
    """The one file of ``named``, a name's script and notebook as ``folder`` holds them. A folder holding both (a
    notebook and its Jupyter export) is refused, naming them: which one is the submission is not the grader's to
    guess."""
    if len(named) > 1:
        raise ValueError(f"{folder} holds both {named[0].name} and {named[1].name}: keep the one to be checked.")
    return named[0]


def load_lab(path: str | Path, name: str | None = None) -> Lab:
    """The lab in ``path``: a folder of one script or notebook per section (``blocks.py`` or ``blocks.ipynb``, ...,
    ``chapter.py``) or one file, a ``.py`` or an ``.ipynb``.

    A single file (or a folder holding only one) serves every section: its names are looked up for each. A
    notebook's code cells run in order; a cell that raises is listed in ``Lab.notebooks`` and the rest run (see
    ``nnlab.checks.notebook``). This runs the submission's code in this process: for code you do not trust, use
    ``nnlab check``, which runs each submission in a process of its own.
    """
    path = Path(path)
    name = name or path.stem
    notebooks: list[NotebookRun] = []
    if path.is_file():
        module = load_file(path, f"nnlab_submission_{name}", notebooks)
        return Lab(name, notebooks, **{section: OneFile(module, section) for section in SECTIONS})
    if not path.is_dir():
        raise FileNotFoundError(
            f"No lab at {path}: give a .py or .ipynb file, or a folder of section scripts or notebooks."
        )
    named = {section: section_file(path, section) for section in SECTIONS}
    scripts = {section: file for section, file in named.items() if file is not None and file.is_file()}
    files = [file for suffix in LAB_SUFFIXES for file in sorted(path.glob(f"*{suffix}"))]
    if not scripts and len({file.stem for file in files}) == 1:  # one file, as Gradescope hands over an upload
        return load_lab(the_one(path, files), name)
    if not scripts:
        raise FileNotFoundError(
            f"{path} holds none of the sections' scripts or notebooks, {', '.join(f'{s}.py' for s in SECTIONS)} "
            "(or blocks.ipynb, ...); name your files after the sections, or pass an adapter."
        )
    modules = {
        section: load_file(file, f"nnlab_submission_{name}_{section}", notebooks) for section, file in scripts.items()
    }
    return Lab(name, notebooks, **modules)
