"""Running one submission's worker under limits, and turning what it reported into results.

Each submission is checked in processes of its own, in a temporary copy of its
files, with its memory capped (``RLIMIT_DATA``), its output read and bounded
here, and two clocks: one for the whole submission (``timeout``) and one for
each check or for loading (``check_timeout``). A check that runs past its
limit, or a crash inside one, costs that check: the worker is killed and a
fresh one goes on with the checks not yet reported. Whatever happens, the
result is a ``Checked`` with every check accounted for.
"""

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from nnlab.checks import all_checks
from nnlab.checks.run import Result

OUTPUT_KEPT = 1 << 20  # the first MiB of a submission's output is saved beside its report


@dataclass(frozen=True)
class Limits:
    timeout: float = 300.0  # seconds for one submission in all
    check_timeout: float = 20.0  # seconds for one check, or for loading the submission
    memory_gib: float = 4.0
    output_mib: float = 32.0  # more output than this is runaway: the worker is stopped
    threads: int = 1


@dataclass
class Checked:
    """One submission's outcome: ``status`` is ``checked``, ``error`` or ``timeout``."""

    name: str
    status: str = "checked"
    error: str | None = None
    results: dict[str, Result] = field(default_factory=dict)
    restored: list[str] = field(default_factory=list)
    output: bytes = b""
    seconds: float = 0.0


@dataclass
class Attempt:
    """What one worker process reported before it ended or was stopped."""

    loaded: bool = False
    error: str | None = None
    running: str | None = None  # the check started and not yet reported
    finished: bool = False
    stopped_for: str | None = None  # why the supervisor stopped it: "check", "load", "timeout", "output"
    returncode: int | None = None


def check_submission(path: Path, name: str, limits: Limits, adapter: Path | None = None) -> Checked:
    started = time.monotonic()
    checked = Checked(name)
    with tempfile.TemporaryDirectory(prefix=f"nnlab-check-{name}-") as work:
        submission = copy_submission(path, Path(work))
        skip: list[str] = []
        while True:
            attempt = run_worker(submission, Path(work), adapter, skip, limits, started + limits.timeout, checked)
            if attempt_ends_submission(attempt, checked, limits):
                break
            skip = list(checked.results)
    not_run = f"not run: {checked.error}"
    for check in all_checks():
        if check.id not in checked.results:
            checked.results[check.id] = Result(check.id, check.claim, "error", not_run)
    checked.seconds = time.monotonic() - started
    return checked


def attempt_ends_submission(attempt: Attempt, checked: Checked, limits: Limits) -> bool:
    """Record what the attempt came to; False when a fresh worker should go on after a lost check."""
    if attempt.finished:
        return True
    if attempt.stopped_for == "output":
        checked.status, checked.error = "error", f"runaway output: printed more than {limits.output_mib:g} MiB"
        return True
    if attempt.stopped_for == "timeout":
        where = f" (in {attempt.running})" if attempt.running else "" if attempt.loaded else " (while loading)"
        checked.status, checked.error = "timeout", f"ran past its limit of {limits.timeout:g} s{where}"
        return True
    if attempt.error is not None:
        checked.status, checked.error = "error", attempt.error
        return True
    if not attempt.loaded:
        if attempt.stopped_for == "load":
            checked.status = "timeout"
            checked.error = f"loading did not finish within {limits.check_timeout:g} s: a loop or a download at import?"
        else:
            checked.status, checked.error = "error", f"the process {ended(attempt.returncode)} while loading"
        return True
    if attempt.running is None:  # loaded, between checks, and gone: nothing to pin it on
        checked.status, checked.error = "error", f"the process {ended(attempt.returncode)} between checks"
        return True
    check = next(c for c in all_checks() if c.id == attempt.running)
    why = (
        f"did not finish within {limits.check_timeout:g} s (the per-check limit): a loop that never ends?"
        if attempt.stopped_for == "check"
        else f"the process {ended(attempt.returncode)} during this check"
    )
    checked.results[check.id] = Result(check.id, check.claim, "fail", f"{check.title.rstrip('.')}: {why}")
    return False


def ended(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


def copy_submission(path: Path, work: Path) -> Path:
    """A copy of the submission in the work folder, so what it writes lands there and its original stays as it was."""
    target = work / "submission"
    if path.is_dir():
        shutil.copytree(path, target, ignore=shutil.ignore_patterns("__pycache__", ".*"))
        return target
    target.mkdir()
    return Path(shutil.copy2(path, target))


def run_worker(
    submission: Path,
    work: Path,
    adapter: Path | None,
    skip: list[str],
    limits: Limits,
    deadline: float,
    checked: Checked,
) -> Attempt:
    events_read, events_write = os.pipe()
    config = {
        "submission": str(submission),
        "adapter": str(adapter) if adapter else None,
        "skip": skip,
        "events_fd": events_write,
        "memory_bytes": int(limits.memory_gib * 2**30),
        "threads": limits.threads,
    }
    environment = os.environ | {
        "OMP_NUM_THREADS": str(limits.threads),
        "MKL_NUM_THREADS": str(limits.threads),
        "TMPDIR": str(work),
        "CUDA_VISIBLE_DEVICES": "",  # the checks run on the CPU; a submission has no business with a GPU
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "nnlab.grading.worker", json.dumps(config)],
        cwd=work,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=(events_write,),
        start_new_session=True,  # its own process group: stopping it stops whatever it started
    )
    os.close(events_write)
    try:
        return follow(worker, events_read, limits, deadline, checked)
    finally:
        stop(worker)
        os.close(events_read)
        worker.stdout.close()


def follow(worker: subprocess.Popen, events_fd: int, limits: Limits, deadline: float, checked: Checked) -> Attempt:
    """Read the worker's events and output until it ends or a limit stops it."""
    attempt = Attempt()
    selector = selectors.DefaultSelector()
    selector.register(worker.stdout, selectors.EVENT_READ, "output")
    selector.register(events_fd, selectors.EVENT_READ, "events")
    pending, printed, clock = b"", 0, None  # clock: when the current check (or loading) must be over
    output_limit = int(limits.output_mib * 2**20)
    while selector.get_map():
        now = time.monotonic()
        if now >= deadline:
            attempt.stopped_for = "timeout"
            return attempt
        if clock is not None and now >= clock:
            attempt.stopped_for = "load" if not attempt.loaded else "check"
            return attempt
        wait = min(deadline, clock if clock is not None else deadline) - now
        for key, _ in selector.select(timeout=wait):
            fd = key.fd
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                selector.unregister(fd)
                continue
            if key.data == "output":
                printed += len(chunk)
                checked.output += chunk[: max(0, OUTPUT_KEPT - len(checked.output))]
                if printed > output_limit:
                    attempt.stopped_for = "output"
                    return attempt
                continue
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                try:
                    clock = handle(json.loads(line), attempt, checked, limits)
                except (ValueError, KeyError, TypeError):
                    attempt.error = "wrote into nnlab's result channel (a forged or garbled result)"
                    return attempt
    try:
        attempt.returncode = worker.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:  # it closed its output and the channel, and lives on
        attempt.stopped_for = "timeout"
    return attempt


def handle(event: dict, attempt: Attempt, checked: Checked, limits: Limits) -> float | None:
    """Apply one event; returns the new per-step deadline (None between steps)."""
    kind = event.pop("event")
    if kind == "loading":
        return time.monotonic() + limits.check_timeout
    if kind == "error":
        attempt.error = event["error"]
    elif kind == "loaded":
        attempt.loaded = True
        checked.restored = sorted(set(checked.restored) | set(event["restored"]))
    elif kind == "start":
        attempt.running = event["check"]
        return time.monotonic() + limits.check_timeout
    elif kind == "result":
        if event.get("check") != attempt.running:
            raise ValueError(f"a result for {event.get('check')!r} arrived while {attempt.running!r} was running")
        checked.results[event["check"]] = Result(**event)
        attempt.running = None
    elif kind == "done":
        attempt.finished = True
    return None


def stop(worker: subprocess.Popen) -> None:
    """Kill the worker and everything it started (its process group), and reap it."""
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    worker.wait()
