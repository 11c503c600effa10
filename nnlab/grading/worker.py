"""The process that checks one submission: ``python -m nnlab.grading.worker CONFIG``.

It loads the submission (directly or through the grader's adapter), puts back
whatever the loading changed in torch, nnlab and the rest (``guard``), then
runs every check and reports each as it goes, one JSON object per line on the
file descriptor the supervisor gave it, so a check that never ends or a crash
costs only what had not been reported. The events, in order::

    {"event": "loading"}
    {"event": "error", "error": "<one line>"}             (the submission did not load)
    {"event": "loaded", "restored": ["torch.allclose", ...]}
    {"event": "start", "check": "<id>"} then {"event": "result", <Result>}, for each check
    {"event": "done"}

The submission's own output goes to stdout and stderr, which the supervisor
reads and bounds; it never shares a channel with the results.
"""

import json
import os
import resource
import sys
import traceback
from pathlib import Path

from hypothesis import settings

# Derandomized, so a submission gets the same results on every run; no example database, nothing written.
settings.register_profile("nnlab-check", max_examples=50, derandomize=True, database=None, print_blob=False)


def one_line(error: BaseException, submission: Path) -> str:
    """The error as a grader reads it in a table: type, message, and the submission's line that raised it."""
    if isinstance(error, SyntaxError):
        return f"SyntaxError: {error.msg} ({Path(error.filename or '?').name}, line {error.lineno})"
    if isinstance(error, SystemExit):
        return f"called sys.exit({error.code!r})"
    message = " ".join(str(error).split()) or "(no message)"
    folder = submission if submission.is_dir() else submission.parent
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).is_relative_to(folder)]
    where = f" ({Path(frames[-1].filename).name}, line {frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {message}{where}"


def load(submission: Path, adapter: str | None):
    from nnlab.checks.lab import Lab, import_file, load_lab

    if adapter is None:
        return load_lab(submission)
    lab = import_file(Path(adapter), "nnlab_adapter").lab(submission)
    if not isinstance(lab, Lab):
        raise TypeError(f"the adapter's lab(path) returned {type(lab).__name__}, not an nnlab.checks.Lab")
    return lab


def main(config: dict) -> None:
    # bound to names now: the submission may rebind os.write or json.dumps before the guard puts them back
    write, dumps, events = os.write, json.dumps, config["events_fd"]

    def emit(**event) -> None:
        write(events, (dumps(event) + "\n").encode())

    memory = config["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))  # soft and hard: the submission cannot raise it
    settings.load_profile("nnlab-check")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  (loaded before the snapshot: importing it is not the submission's change)
    import torch

    from nnlab.checks import all_checks, run_check
    from nnlab.grading.guard import Snapshot

    torch.set_num_threads(config["threads"])
    checks = [c for c in all_checks() if c.id not in set(config["skip"])]
    snapshot = Snapshot()
    emit(event="loading")
    submission = Path(config["submission"])
    try:
        lab = load(submission, config["adapter"])
    except MemoryError:
        emit(event="error", error=f"ran out of memory while loading (limit {memory / 2**30:g} GiB)")
        return
    except BaseException as error:  # noqa: BLE001  (anything a submission raises while loading is its error)
        emit(event="error", error=f"could not be loaded: {one_line(error, submission)}")
        return
    emit(event="loaded", restored=snapshot.restore())
    for check in checks:
        emit(event="start", check=check.id)
        emit(event="result", **run_check(check, lab).to_dict())
    emit(event="done")


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
