"""The ledger on every torch minor release, each at its latest patch: the table in docs/versions.md.

    python scripts/versions.py                 # every version in VERSIONS, then the table
    python scripts/versions.py 2.15.0 2.5.1    # only these (the others keep their saved ledgers)
    python scripts/versions.py --table-only    # the table from the saved ledgers

For each version, tox builds one environment (``tox -e ledger``, torch and
torchvision chosen by environment variables: one definition in tox.ini, not
one per version), runs the fast suite into ``reports/versions/<torch>/``, and
the environment is deleted before the next one is built: each CUDA build
with its dependencies takes several GB. What the table needs of each ledger
is kept in ``docs/versions/<torch>.json``; ``table`` writes it from them, as
docs/versions.md's measured section (scripts/measured.py).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.version import Version  # tox's own dependency: the script needs no torch

ROOT = Path(__file__).parents[1]
SAVED = ROOT / "reports" / "versions"  # each run's whole ledger (not in git)
KEPT = ROOT / "docs" / "versions"  # each version's verdicts and reasons, in git: the table's source
# torch's latest patch of each minor release from nnlab's floor (pyproject.toml), with the torchvision released beside
# it (None: none matches)
VERSIONS = {
    "2.1.2": "0.16.2",
    "2.2.2": "0.17.2",
    "2.3.1": "0.18.1",
    "2.4.1": "0.19.1",
    "2.5.1": "0.20.1",
    "2.6.0": "0.21.0",
    "2.7.1": "0.22.1",
    "2.8.0": "0.23.0",
    "2.9.1": "0.24.1",
    "2.10.0": "0.25.0",
    "2.11.0": "0.26.0",
    "2.12.1": "0.27.1",
    "2.13.0": None,  # the CPU-only wheel this machine has on disk; the data tests skip without torchvision
    "2.14.1": "0.29.1",
    "2.15.0": "0.29.2",
}


# torch 2.0.1 (torchvision 0.15.2) passed the fast suite here but for torch.compile, which it refuses on Python 3.11
BELOW_THE_FLOOR = (
    "torch 2.0 is below nnlab's floor: its `torch.compile` (chapter section 3.9.2, claim T18) raises"
    " `RuntimeError: Python 3.11+ not yet supported for torch.compile`; the rest of the fast suite passed under 2.0.1."
    " Where nnlab itself needs a newer torch it asks: `Recipe` fuses SGD and Adam only from torch 2.4 (before, on the"
    " CPU, `SGD(fused=True)` raises `TypeError: SGD.__init__() got an unexpected keyword argument 'fused'` on 2.0.1),"
    " and imports `torch._dynamo` before using it (not an attribute of torch until imported, on 2.0)."
)
# torch before 2.4 was built against NumPy 1 and cannot load NumPy 2's C API
NUMPY_1_BEFORE = (2, 4)


def run_version(torch_version: str) -> int:
    """The fast suite under ``torch_version`` in a fresh tox environment, deleted afterwards."""
    torchvision = VERSIONS[torch_version]
    env = os.environ | {
        "NNLAB_TORCH": torch_version,
        "NNLAB_TORCHVISION": f"torchvision=={torchvision}" * bool(torchvision),
        "NNLAB_NUMPY": "numpy<2" * (Version(torch_version).release[:2] < NUMPY_1_BEFORE),
    }
    envdir = ROOT / ".tox" / "ledger"
    shutil.rmtree(envdir, ignore_errors=True)
    shutil.rmtree(SAVED / torch_version, ignore_errors=True)  # a failed run must not leave an older ledger in the table
    try:
        command = ["tox", "-e", "ledger", "--recreate", "--", f"--ledger-dir={SAVED / torch_version}"]
        return subprocess.run(command, cwd=ROOT, env=env).returncode
    finally:
        shutil.rmtree(envdir, ignore_errors=True)


def keep(torch_version: str) -> None:
    """Keep in docs/versions/ what the table needs of ``torch_version``'s ledger: its stamp and each verdict's why."""
    path = SAVED / torch_version / "ledger.json"
    if path.is_file():
        ledger = json.loads(path.read_text())
        claims = [{key: claim[key] for key in ("id", "verdict", "why")} for claim in ledger["claims"]]
        stamp = {key: ledger.get(key) for key in ("torch", "run", "commit")}
        KEPT.mkdir(parents=True, exist_ok=True)
        (KEPT / f"{torch_version}.json").write_text(json.dumps(stamp | {"claims": claims}, indent=1) + "\n")
    else:  # the run wrote no ledger: an older one must not stand in the table for it
        (KEPT / f"{torch_version}.json").unlink(missing_ok=True)


def verdicts(torch_version: str) -> dict[str, dict] | None:
    """The claims of ``torch_version``'s kept ledger by id, or None where none was kept under that torch."""
    path = KEPT / f"{torch_version}.json"
    if not path.is_file():
        return None
    ledger = json.loads(path.read_text())
    if not ledger["torch"].startswith(torch_version):  # pip may have installed another torch to satisfy nnlab's floor
        print(f"{path} was written under torch {ledger['torch']}, not {torch_version}: left out", file=sys.stderr)
        return None
    return {claim["id"]: claim for claim in ledger["claims"]}


def table() -> str:
    """Claims × versions; the claims whose verdict is not the same on every measured torch first."""
    measured = {v: verdicts(v) for v in VERSIONS}
    ran = [v for v, found in measured.items() if found]
    claims = sorted({claim for v in ran for claim in measured[v]}, key=lambda c: (c[0], int(c[1:])))

    def verdict(version, claim):
        return measured[version][claim]["verdict"] if claim in measured[version] else "-"

    changing = [c for c in claims if len({verdict(v, c) for v in ran}) > 1]
    lines = [
        "Written by `python scripts/versions.py` from `docs/versions/<torch>.json` (the fast suite's ledger under"
        " each torch; `-` where a version's ledger lacks the claim). Not run yet: "
        + (", ".join(v for v in VERSIONS if v not in ran) or "none")
        + ". "
        + BELOW_THE_FLOOR,
        "",
        "| claim | " + " | ".join(ran) + " |",
        "|---" * (len(ran) + 1) + "|",
    ]
    for claim in changing + [c for c in claims if c not in changing]:
        lines.append(f"| {claim} | " + " | ".join(verdict(v, claim) for v in ran) + " |")
    lines += [
        "",
        "Where the verdict changes, and why (the failing check's own words):" if changing else "No verdict changes.",
        "",
    ]
    for claim in changing:
        spans = []  # consecutive versions with the same verdict and reason
        for v in ran:
            found = measured[v].get(claim, {})
            said = (verdict(v, claim), what_holds_instead(found.get("why", "")))
            if spans and spans[-1][1] == said:
                spans[-1][0].append(v)
            else:
                spans.append(([v], said))
        lines += [f"- **{claim}**"] + [f"  - {_span(versions, *said)}" for versions, said in spans]
    return "\n".join(lines) + "\n"


def _span(versions: list[str], verdict: str, reason: str) -> str:
    where = versions[0] if len(versions) == 1 else f"{versions[0]} to {versions[-1]}"
    return f"{verdict} on {where}" + (f": {reason}" if reason else "")


# the words a check gives after the documents' code fails it: what is true instead
INSTEAD = re.compile(r"(?:What holds instead|It does what the documents do): (.*?)(?= \[\w+\] |\Z)", re.S)


def what_holds_instead(why: str) -> str:
    """What a ledger's reason says holds instead of the claim: the checks' own words, each once."""
    said = list(dict.fromkeys(INSTEAD.findall(why))) or [re.sub(r"^\[\w+\] ", "", why)]
    return " ".join(said).strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("versions", nargs="*", help=f"torch versions among {', '.join(VERSIONS)} (default: all)")
    parser.add_argument("--table-only", action="store_true", help="run none: only rewrite the table")
    args = parser.parse_args()
    unknown = set(args.versions) - VERSIONS.keys()
    if unknown:
        parser.error(f"unknown torch versions {sorted(unknown)}; add them to VERSIONS with their torchvision")
    failed = []
    for torch_version in [] if args.table_only else args.versions or VERSIONS:
        if run_version(torch_version) != 0:
            failed.append(torch_version)
        keep(torch_version)
    # docs/versions.md's table, alone: this environment has neither torch nor nnlab, which other sections need
    subprocess.run([sys.executable, ROOT / "scripts" / "measured.py", "--only", "versions"], check=True)
    if failed:
        print(f"The suite failed under {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
