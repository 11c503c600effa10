"""Assemble the PyTorch code of d2l's chapter on models into one script per lab section.

    python assemble_d2l.py SOURCE OUT [REV]

SOURCE is a git directory of d2l-en or d2l-zh (a bare one, or a clone's work
tree; its REV, default HEAD, is read with ``git show``) or a folder holding the
chapter's .md files. OUT (outside this repository) gets ``blocks.py``,
``parameters.py``, ``layers.py`` and ``fileio.py``, named after nnlab's sections,
each the pytorch (and ``all``) cells of its documents, top to bottom, as the
book runs them, and ``documents/<name>.py``, one per document,
since each document is a notebook of its own (a later one may rebind ``net``).

What cannot run outside d2lbook is dropped and listed at the top of each file:
IPython magics (``%load_ext``, ``%matplotlib``), ``tab.interact_select(...)``,
``if tab.selected(...)`` branches for other frameworks (the pytorch branch is
kept, dedented). ``from d2l import torch as d2l`` is dropped and ``d2l.tensor`` and
``d2l.rand`` are read as ``torch.tensor`` and ``torch.rand``, which is what d2l's
torch module (d2l 1.0.3) defines them as: d2l pins numpy 1.23.5, pandas 2.0.3,
scipy 1.10.1 and matplotlib 3.7.2, and with ``--no-deps`` it does not import here.
"""

import re
import subprocess
import sys
from pathlib import Path

CHAPTERS = ("chapter_builders-guide", "chapter_deep-learning-computation")  # d2l-en, d2l-zh
SECTIONS = {
    "blocks": ("model-construction.md",),
    "parameters": ("parameters.md", "init-param.md"),  # d2l-zh has no init-param.md: parameters.md holds both
    "layers": ("custom-layer.md",),
    "fileio": ("read-write.md",),
}
FRAMEWORK = "pytorch"

CELL = re.compile(r"^```\{\.python \.input[^}]*\}[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
TAB_LINE = re.compile(r"^(?:%%tab|#@tab)\s+(.*)$")
SELECTED = re.compile(r"^(\s*)if tab\.selected\((.*)\):\s*$")
D2L_ALIASES = {"d2l.tensor(": "torch.tensor(", "d2l.rand(": "torch.rand("}


def read_documents(source: Path, rev: str) -> dict[str, str]:
    """Each wanted document's text, by file name, from a git directory at ``rev`` or from a folder."""
    wanted = {name for names in SECTIONS.values() for name in names}
    if (source / "HEAD").is_file() or (source / ".git").exists():
        git = ["git", "--git-dir", str(source if (source / "HEAD").is_file() else source / ".git")]
        paths = subprocess.run([*git, "ls-tree", "-r", "--name-only", rev], capture_output=True, text=True, check=True)
        found = {}
        for path in paths.stdout.split():
            folder, _, name = path.rpartition("/")
            if folder in CHAPTERS and name in wanted:
                found[name] = subprocess.run(
                    [*git, "show", f"{rev}:{path}"], capture_output=True, text=True, check=True
                ).stdout
        return found
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(source.rglob("*.md")) if path.name in wanted}


def framework_cells(text: str) -> list[str]:
    """The cells the pytorch tab runs. d2l-en tags a cell with ``%%tab``, d2l-zh with ``#@tab``; an untagged cell
    is shared by all tabs in d2l-en, and is the default (mxnet) tab's in d2l-zh."""
    cells = CELL.findall(text)
    untagged_are_shared = any(cell.lstrip().startswith("%%tab") for cell in cells)
    kept = []
    for cell in cells:
        first, _, rest = cell.lstrip("\n").partition("\n")
        tagged = TAB_LINE.match(first.strip())
        if tagged:
            tabs = {tab.strip() for tab in tagged.group(1).split(",")}
            if FRAMEWORK in tabs or "all" in tabs:
                kept.append(rest)
        elif untagged_are_shared:
            kept.append(cell)
    return kept


def runnable(cell: str, dropped: list[str]) -> str:
    """The cell without d2lbook's and IPython's lines, ``tab.selected`` resolved for pytorch, d2l's aliases read."""
    lines, out, i = cell.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        selected = SELECTED.match(line)
        if selected:
            indent, tabs = selected.group(1), re.findall(r"'([^']+)'|\"([^\"]+)\"", selected.group(2))
            body = []
            i += 1
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > len(indent)):
                body.append(lines[i])
                i += 1
            if FRAMEWORK in {a or b for a, b in tabs}:
                width = min(len(b) - len(b.lstrip()) for b in body if b.strip()) - len(indent)
                out += [b[width:] for b in body]
                dropped.append(line.strip())
            else:
                dropped.append(" ".join([line.strip(), *(b.strip() for b in body if b.strip())]))
            continue
        stripped = line.strip()
        if (
            stripped.startswith("%")
            or stripped.startswith("tab.interact_select")
            or stripped == "from d2l import torch as d2l"
        ):
            dropped.append(stripped)
        else:
            for alias, name in D2L_ALIASES.items():
                if alias in line:
                    dropped.append(f"{alias[:-1]} read as {name[:-1]}")
                    line = line.replace(alias, name)
            out.append(line)
        i += 1
    return "\n".join(out).strip("\n")


def script(names: list[str], documents: dict[str, str], origin: str) -> str:
    dropped: list[str] = []
    parts = []
    for name in names:
        cells = [runnable(cell, dropped) for cell in framework_cells(documents[name])]
        parts.append(f"# ---- {name} ({len(cells)} cells) ----\n\n" + "\n\n".join(c for c in cells if c))
    header = [
        f"# d2l's pytorch cells of {', '.join(names)}, from {origin}, assembled by nnlab's textbook/assemble_d2l.py."
    ]
    header += [f"# dropped: {line}" for line in dict.fromkeys(dropped)] or ["# dropped: nothing"]
    return "\n".join(header) + "\n\n" + "\n\n".join(parts) + "\n"


def origin_of(source: Path, rev: str) -> str:
    git_dir = source if (source / "HEAD").is_file() else source / ".git"
    if git_dir.exists():
        head = subprocess.run(["git", "--git-dir", str(git_dir), "rev-parse", rev], capture_output=True, text=True)
        return f"{source} at {head.stdout.strip()}"
    return str(source)


def main(source: Path, out: Path, rev: str = "HEAD") -> None:
    documents = read_documents(source, rev)
    if not documents:
        sys.exit(f"no chapter documents ({', '.join(CHAPTERS)}) in {source}")
    origin = origin_of(source, rev)
    (out / "documents").mkdir(parents=True, exist_ok=True)
    for section, names in SECTIONS.items():
        present = [name for name in names if name in documents]
        if not present:
            print(f"{section}.py: none of {', '.join(names)} in {source}; not written")
            continue
        (out / f"{section}.py").write_text(script(present, documents, origin), encoding="utf-8")
        for name in present:
            (out / "documents" / f"{Path(name).stem.replace('-', '_')}.py").write_text(
                script([name], documents, origin), encoding="utf-8"
            )
        print(f"{section}.py: {' + '.join(present)}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.split("\n\n")[1])
    main(Path(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:])
