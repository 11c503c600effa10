"""The process that checks one submission: ``python -m nnlab.grading.worker``, its settings on stdin.

It loads the submission (directly or through the grader's adapter), puts back
whatever the loading changed in torch, nnlab and the rest (``guard``), then
runs the checks and reports each as it goes, one JSON object per line on the
file descriptor the supervisor gave it, so a check that never ends or a crash
costs only what had not been reported. The settings may name a file of the
judged checks' questions (``nnlab.checks.judged.every_question``), which the
supervisor draws once for a whole batch: the worker then asks those instead
of drawing them again. The events, in order::

    {"event": "loading"}
    {"event": "error", "error": "<one line>"}             (the submission did not load)
    {"event": "loaded", "restored": ["torch.allclose", ...], "notebooks": [...]}  (what running each notebook
        dropped and which cells failed: nnlab.checks.notebook.NotebookRun as a dict; [] for scripts)
    {"event": "start", "check": "<id>"}, {"event": "role", "role": "blocks.MLP"} (each role the check
        looks up, once), then {"event": "result", <Result>}, for each check; for a judged check, instead
        of its result, {"event": "answer", "check": "<id>", "answers": [...], "documented": [...]}
        or {"event": "answer", "check": "<id>", "raised": "<why>"} (nnlab.checks.judged)
    {"event": "tampered", "evidence": [...]}              (before a check, or after the last: what shows the
        submission still at work, a thread, a tracer or a change since loading; nothing more is run)
    {"event": "done"}

Every event carries the token the supervisor sent on stdin, which the
submission never sees in ``sys.argv``: a line it writes to the channel itself
is refused. The submission's own output goes to stdout and stderr, which the
supervisor reads and bounds.
"""

import json
import os
import resource
import sys
from dataclasses import asdict
from pathlib import Path

# the longest line the supervisor reads from the channel: a longer one is no worker's of nnlab's (``tampered``)
EVENT_BYTES = 64 << 20
ANSWERS_BYTES = EVENT_BYTES // 2  # a judged check's answers longer than this fail their check: a lab's network may
# be large, and an honest submission must not read as forged


class RoleHung(Exception):
    """A role that ran past the per-check limit in an earlier check: the checks that need it fail at once."""


class WatchedLab:
    """The submission's lab, its role lookups reported to the supervisor, its hung roles refused."""

    def __init__(self, lab, report_role, hung: dict[str, str]):
        self._lab, self._report_role, self._hung = lab, report_role, hung

    def __getattr__(self, name: str):
        from nnlab.checks.lab import SECTIONS

        found = getattr(self._lab, name)
        return WatchedSection(name, found, self._report_role, self._hung) if name in SECTIONS else found


class WatchedSection:
    def __init__(self, name: str, section, report_role, hung: dict[str, str]):
        self._name, self._section, self._report_role, self._hung = name, section, report_role, hung

    def __getattr__(self, role: str):
        key = f"{self._name}.{role}"
        if key in self._hung:
            raise RoleHung(f"not run: {key} did not finish within the per-check limit in {self._hung[key]}")
        found = getattr(self._section, role)
        self._report_role(key)
        return found


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
    write, dumps, events, token = os.write, json.dumps, config["events_fd"], config["token"]

    def emit(**event) -> None:
        write_all(write, events, (dumps({**event, "token": token}) + "\n").encode())

    memory = config["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))  # soft and hard: the submission cannot raise it
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  (loaded before the snapshot: importing it is not the submission's change)
    import torch

    from nnlab.checks import CHECKS, all_checks
    from nnlab.checks.errors import one_line
    from nnlab.checks.graders_settings import under_graders_settings
    from nnlab.checks.judged import take_questions
    from nnlab.grading.guard import Snapshot, tampering, warm_up, watched_by_the_checks

    if config.get("questions"):  # drawn once for the batch by the supervisor, read before the submission runs
        take_questions(json.loads(Path(config["questions"]).read_text()))
    torch.set_num_threads(config["threads"])
    no_monitor_thread()
    checks = [c for c in all_checks() if c.id not in set(config["skip"])]
    warm_up()
    snapshot = Snapshot(objects=CHECKS)
    emit(event="loading")
    submission = Path(config["submission"])
    try:
        lab = load(submission, config["adapter"])
    except MemoryError:
        emit(event="error", error=f"ran out of memory while loading (limit {memory / 2**30:g} GiB)", memory=True)
        return
    except BaseException as error:  # noqa: BLE001  (anything a submission raises while loading is its error)
        emit(event="error", error=f"could not be loaded: {one_line(error, submission)}")
        return
    emit(event="loaded", restored=snapshot.restore(), notebooks=[asdict(run) for run in lab.notebooks])
    looked_up: set[str] = set()

    def report_role(role: str) -> None:
        if role not in looked_up:
            looked_up.add(role)
            emit(event="role", role=role)

    watched = WatchedLab(lab, report_role, config["hung_roles"])
    # what the checks compute with, as the guard left it: re-checked before each check, and after the last
    kept = Snapshot(objects=CHECKS, watched=watched_by_the_checks)
    for check in [*checks, None]:
        evidence = tampering(kept)
        if evidence:
            emit(event="tampered", evidence=evidence)
            return
        if check is None:
            break
        looked_up.clear()
        emit(event="start", check=check.id)
        with under_graders_settings():  # each check: a profile the submission loads itself is set aside
            event = checked(check, watched)
        emit(**bounded(event))
    emit(event="done")


def bounded(event: dict) -> dict:
    """``event``, or for answers longer than ``ANSWERS_BYTES`` none, with why: the check fails, not the channel."""
    size = len(json.dumps(event)) if event["event"] == "answer" else 0
    if size <= ANSWERS_BYTES:
        return event
    why = f"its answers run to {size / 2**20:.0f} MiB, more than the {ANSWERS_BYTES >> 20} MiB the grader reads"
    return {"event": "answer", "check": event["check"], "answers": [], "raised": why}


def write_all(write, fd: int, data: bytes) -> None:
    """``data`` written whole with ``write`` (``os.write``), which may write only part of it.

    A pipe takes a long event (a judged check's answers run to tens of KiB) in pieces: a signal that interrupts
    ``write`` after some bytes went through makes it return their count, and the rest, unwritten, would leave the
    supervisor a broken line it must take for a forged one."""
    view = memoryview(data)
    while view:
        view = view[write(fd, view) :]


def no_monitor_thread() -> None:
    """tqdm's progress bars start a monitor thread that outlives them: a thread between checks is taken for the
    submission's own (``guard.tampering``), so a lab that shows a progress bar gets none."""
    try:
        import tqdm
    except ImportError:
        return
    tqdm.tqdm.monitor_interval = 0


def checked(check, lab) -> dict:
    """The event that reports one check: its result, or for a judged check its answers (the supervisor judges them).

    Nothing the code under check raises escapes: here even ``KeyboardInterrupt`` is its own (the supervisor stops
    workers with a signal, never a Ctrl-C of theirs), and it fails that check."""
    from nnlab.checks.judged import answered
    from nnlab.checks.lab import RoleMissing
    from nnlab.checks.run import Result, describe, failed, run_check

    try:
        if check.probe is None:
            return {"event": "result", **run_check(check, lab).to_dict()}
        return {"event": "answer", "check": check.id, **answered(check, lab)}
    except RoleMissing as missing:
        return {"event": "result", **Result(check.id, check.claim, "missing", str(missing)).to_dict()}
    except BaseException as error:  # noqa: BLE001
        if check.probe is not None:  # a judged check's failure, too, is decided by the supervisor
            return {"event": "answer", "check": check.id, "answers": [], "raised": describe(error)}
        return {"event": "result", **failed(check, error).to_dict()}


if __name__ == "__main__":
    # run as nnlab.grading.worker, not as __main__: main's globals (checked, write_all) are then a module of nnlab's,
    # which the guard puts back after loading and re-checks before each check; __main__'s it leaves alone
    from nnlab.grading import worker

    worker.main(json.loads(sys.stdin.readline()))
