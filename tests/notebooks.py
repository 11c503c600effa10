"""Jupyter notebooks for the tests, built with nbformat: cells as given, or a script's code cut into cells."""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

# a cell defining one role, section 3's CenteredLayer, correctly
CENTERED_LAYER = (
    "from torch import nn\n\nclass CenteredLayer(nn.Module):\n    def forward(self, X):\n        return X - X.mean()"
)


def write_notebook(path: Path, *cells) -> Path:
    """A notebook at ``path`` (its folder made): each string a code cell, any other cell as it is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=[new_code_cell(c) if isinstance(c, str) else c for c in cells]), path)
    return path


def script_cells(script: Path) -> list[str]:
    """The script's code cut as a student's notebook holds it: a cell for each run of top-level statements (the
    script's blocks, between the two blank lines its formatter leaves)."""
    return [block for block in script.read_text().split("\n\n\n") if block.strip()]


def notebook_of(script: Path, path: Path) -> Path:
    """The script as a notebook: a markdown title, then its cells."""
    return write_notebook(path, new_markdown_cell(f"# {script.stem}"), *script_cells(script))
