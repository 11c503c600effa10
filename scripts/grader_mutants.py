"""The reference's mutants through the claim checks alone: which changes to report sections 1-3 do they catch?

    python scripts/grader_mutants.py      # a few minutes on 2 cores; writes docs/grader-mutants.md

mutmut mutates nnlab's sections 1-3 (``blocks.py``, ``parameters.py``,
``layers.py``, ``tensordot.py``) in a copy of the repository whose
``[tool.mutmut]`` judges each mutant by the claim checks on nnlab's reference
alone (``tests/test_claims.py -k "test_check and nnlab"``), not by nnlab's own
unit tests: a mutant is caught when a check fails, as ``nnlab check`` fails a
student's lab that differs so. The survivors are listed with their change, for
a reader to sort into changes no claim covers and misses.
"""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import torch

ROOT = Path(__file__).parents[1]
COPY = ROOT / "build" / "grader-mutants"
MUTATED = ["nnlab/blocks.py", "nnlab/parameters.py", "nnlab/layers.py", "nnlab/tensordot.py"]


def config() -> str:
    others = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "nnlab").rglob("*.py"))]
    return "\n".join(
        [
            "[tool.mutmut]",
            'source_paths = ["nnlab/"]',
            f"do_not_mutate = {[path for path in others if path not in MUTATED]}",
            'pytest_add_cli_args_test_selection = ["tests/test_claims.py"]',
            'pytest_add_cli_args = ["-k", "test_check and nnlab", "-p", "no:cacheprovider"]',
            'also_copy = ["conftest.py", "README.md", "examples"]',
        ]
    )


def mutmut(*arguments: str) -> str:
    # one thread: torch's thread pools do not survive mutmut's fork
    environment = os.environ | {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "mutmut", *arguments]
    return subprocess.run(command, cwd=COPY, env=environment, capture_output=True, text=True).stdout


def survivor_row(name: str) -> str:
    change = [line[1:].strip() for line in mutmut("show", name).splitlines() if re.match(r"^[-+] ", line)]
    function = re.sub(r"__mutmut_\d+$", "", name)
    return f"| `{function}` | `{' → '.join(change)}` |"


def main() -> int:
    shutil.rmtree(COPY, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(ROOT), str(COPY)], check=True)
    pyproject = COPY / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text[: text.index("[tool.mutmut]")] + config() + "\n")
    mutmut("run", "--max-children", "2")
    results = [line.strip().split(": ") for line in mutmut("results", "--all", "true").splitlines() if ": " in line]
    tally = Counter(state for _, state in results)
    summary = (
        f"`python scripts/grader_mutants.py`, torch {torch.__version__}: {len(results)} mutants of "
        f"{', '.join(MUTATED)}: " + ", ".join(f"{n} {state}" for state, n in tally.most_common()) + "."
    )
    rows = [survivor_row(name) for name, state in results if state == "survived"]
    document = ["# The reference's mutants through the claim checks", "", summary, ""]
    document += ["| function | the change that survived |", "|---|---|", *rows]
    (ROOT / "docs" / "grader-mutants.md").write_text("\n".join(document) + "\n")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
