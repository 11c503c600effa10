"""Running one submission's worker under limits, and turning what it reported into results.

Each submission is checked in processes of its own, in a temporary copy of its
files, with its memory capped (``RLIMIT_DATA``), its output read and bounded
here, and two clocks: one for the whole submission (``timeout``) and one for
each check or for loading (``check_timeout``). A check that runs past its
limit, or a crash inside one, costs that check: the worker is killed and a
fresh one goes on with the checks not yet reported, failing at once those
that need the role that hung. Whatever happens, the result is a ``Checked``
with every check accounted for.
"""

import json
import os
import re
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from nnlab.checks import RESULTS, all_checks
from nnlab.checks.judged import NotAnswers, handed_over, judgement
from nnlab.checks.run import Result
from nnlab.grading import reaper
from nnlab.grading.sandbox import Sandbox, choose, worker_environment
from nnlab.grading.worker import EVENT_BYTES

# how Python and torch's CPU allocator say an allocation was refused (by the memory cap, RLIMIT_DATA)
OUT_OF_MEMORY = re.compile(r"(^|: )MemoryError\b|DefaultCPUAllocator: can't allocate memory")
CHECKS_BY_ID = {check.id: check for check in all_checks()}
FORGED = "wrote into nnlab's result channel a line its worker did not write"
OUTPUT_KEPT = 1 << 20  # the first MiB of a submission's output is saved beside its report
# what the worker says of a submission's notebooks is kept to its first entries, each text to its first characters
NOTEBOOK_ENTRIES = 100
NOTEBOOK_TEXT = 500
MOST_CELLS = 1 << 20  # a cell's number above this is no notebook's
# the worker's command after the interpreter (tests/grading/test_supervise.py puts a scripted worker in its place)
WORKER = ["-m", "nnlab.grading.worker"]

# Ctrl-C: set, and every live worker is killed; no new one starts
STOPPING = threading.Event()
_LIVE: set[subprocess.Popen] = set()
_LIVE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Limits:
    timeout: float = 300.0  # seconds for one submission in all
    check_timeout: float = 20.0  # seconds for one check, or for loading the submission
    memory_gib: float = 4.0
    output_mib: float = 32.0  # more output than this is runaway: the worker is stopped
    threads: int = 1


@dataclass
class Checked:
    """One submission's outcome: ``status`` is ``checked``, ``error``, ``timeout``, ``memory`` or ``tampered``."""

    name: str
    status: str = "checked"
    error: str | None = None
    results: dict[str, Result] = field(default_factory=dict)
    restored: list[str] = field(default_factory=list)
    hung_roles: dict[str, str] = field(default_factory=dict)  # role -> the check it hung in
    output: bytes = b""
    seconds: float = 0.0
    sandbox: str = ""  # whether it ran in the sandbox, in words
    outlived: list[str] = field(default_factory=list)  # processes it started still running after a worker: killed
    # each notebook run: {"file", "dropped": [{"cell", "line"}], "failed_cells": [{"cell", "error"}]}
    notebooks: list[dict] = field(default_factory=list)


@dataclass
class Attempt:
    """What one worker process reported before it ended or was stopped."""

    expected: list[str]  # the check IDs it is to run, in order
    loaded: bool = False
    error: str | None = None
    out_of_memory: bool = False  # it ran out of its memory: while loading (with error) or in a check
    tampered: list[str] = field(default_factory=list)  # what showed it at work on the checks after loading
    running: str | None = None  # the check started and not yet reported
    roles: list[str] = field(default_factory=list)  # the roles the running check looked up, in order
    finished: bool = False
    stopped_for: str | None = None  # why the supervisor stopped it: "check", "load", "timeout", "output"
    returncode: int | None = None


class Forged(Exception):
    """A line on the result channel that the worker did not write, or out of its order."""


def check_submission(
    path: Path,
    name: str,
    limits: Limits,
    adapter: Path | None = None,
    sandbox: Sandbox | None = None,
    questions: dict[str, list] | None = None,
) -> Checked:
    """Check one submission in a worker (a fresh one after a check that ran out of memory or hung); ``questions``,
    the judged checks' questions (``nnlab.checks.judged.every_question``), spares the worker drawing them."""
    started = time.monotonic()
    sandbox = sandbox or choose("off", [])
    checked = Checked(name, sandbox=sandbox.note)
    copy = None
    try:
        with tempfile.TemporaryDirectory(prefix=f"nnlab-check-{name}-") as work:
            copy = Path(work) / "submission"
            submission = copy_submission(path, copy)
            while True:
                if STOPPING.is_set():
                    checked.status, checked.error = "error", "stopped (Ctrl-C) before it was checked"
                    break
                deadline = started + limits.timeout
                attempt = run_worker(submission, Path(work), adapter, limits, deadline, checked, sandbox, questions)
                if not STOPPING.is_set() and attempt_ends_submission(attempt, checked, limits):
                    break
    except Exception as error:  # noqa: BLE001  (one submission nnlab cannot handle must not stop the batch)
        checked.status, checked.error = "error", f"nnlab could not check it: {type(error).__name__}: {error}"
    if copy is not None:
        name_the_users_path(checked, copy, path)
    for check in all_checks():
        if check.id not in checked.results:
            checked.results[check.id] = Result(check.id, check.claim, "error", f"not run: {checked.error}")
    checked.seconds = time.monotonic() - started
    return checked


def attempt_ends_submission(attempt: Attempt, checked: Checked, limits: Limits) -> bool:
    """Record what the attempt came to; False when a fresh worker should go on after a lost check."""
    if attempt.finished:
        return True
    if not attempt.loaded and attempt.error is None and checked.output.startswith(b"bwrap: "):
        first = checked.output.decode(errors="replace").splitlines()[0]
        checked.status, checked.error = "error", f"the sandbox could not start ({first}): try --sandbox off"
        return True
    if attempt.tampered:  # no result it gave counts, those before the evidence included
        checked.status = "tampered"
        checked.error = f"tampered with the grader: {'; '.join(attempt.tampered)}"
        checked.results.clear()
        return True
    if attempt.out_of_memory and not attempt.loaded:
        checked.status, checked.error = "memory", f"ran out of its {limits.memory_gib:g} GiB of memory while loading"
        return True
    if attempt.out_of_memory:  # that check fails; a fresh worker, its memory back, goes on with the rest
        check = CHECKS_BY_ID[attempt.running]
        ran_out = f"ran out of its {limits.memory_gib:g} GiB of memory"
        checked.results[check.id] = Result(check.id, check.claim, "fail", f"{check.title.rstrip('.')}: {ran_out}")
        if checked.status == "checked":  # the first check it happened in names the submission's status
            checked.status, checked.error = "memory", f"{ran_out} in {check.id}"
        return False
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
    check = CHECKS_BY_ID[attempt.running]
    if attempt.stopped_for == "check":
        role = f" in {attempt.roles[-1]}" if attempt.roles else ""
        why = f"did not finish within {limits.check_timeout:g} s (the per-check limit){role}: a loop that never ends?"
        if attempt.roles:  # the role it hung in: the checks after it that need that role fail without running
            checked.hung_roles[attempt.roles[-1]] = check.id
    else:
        why = f"the process {ended(attempt.returncode)} during this check"
    checked.results[check.id] = Result(check.id, check.claim, "fail", f"{check.title.rstrip('.')}: {why}")
    return False


def name_the_users_path(checked: Checked, copy: Path, path: Path) -> None:
    """Messages that name the temporary copy name the submission's folder as the user gave it instead."""
    copied, original = str(copy), str(path if path.is_dir() else path.parent)
    if checked.error:
        checked.error = checked.error.replace(copied, original)
    for check, result in checked.results.items():
        checked.results[check] = replace(result, detail=result.detail.replace(copied, original))


def ended(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


def copy_submission(path: Path, target: Path) -> Path:
    """A copy of the submission at ``target``, so what it writes lands there and its original stays as it was."""
    if path.is_dir():
        # links copied as links: a dangling one is the submission's business, not a reason to stop
        shutil.copytree(path, target, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", ".*"))
        return target
    target.mkdir()
    return Path(shutil.copy2(path, target))


def run_worker(
    submission: Path,
    work: Path,
    adapter: Path | None,
    limits: Limits,
    deadline: float,
    checked: Checked,
    sandbox: Sandbox,
    questions: dict[str, list] | None = None,
) -> Attempt:
    asked = None
    if questions is not None:  # in its own folder: the only one of the supervisor's a sandboxed worker sees
        asked = work / "questions.json"
        asked.write_text(json.dumps(handed_over(questions)))
    events_read, events_write = os.pipe()
    token = secrets.token_hex(16)
    config = {
        "submission": str(submission),
        "adapter": str(adapter) if adapter else None,
        "skip": list(checked.results),
        "hung_roles": checked.hung_roles,
        "events_fd": events_write,
        "token": token,
        "memory_bytes": int(limits.memory_gib * 2**30),
        "threads": limits.threads,
        "questions": asked and str(asked),
    }
    attempt_mark = secrets.token_hex(8)  # not secret: it names what this worker starts, to find what outlives it
    environment = worker_environment(
        **{reaper.MARK: attempt_mark},
        OMP_NUM_THREADS=str(limits.threads),
        MKL_NUM_THREADS=str(limits.threads),
        TMPDIR=str(work),
        HOME=str(work),  # its home is its own folder: what it (or matplotlib) keeps there stays there
        CUDA_VISIBLE_DEVICES="",  # the checks run on the CPU; a submission has no business with a GPU
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",  # what it prints is read as it prints it, not lost in a buffer when it is stopped
        MPLBACKEND="Agg",
    )
    reaper.become_subreaper()  # what it starts and leaves behind comes back to this process, to be found
    with _LIVE_LOCK:  # known as a worker from its start: reaping what ended never takes one of them
        worker = subprocess.Popen(
            sandbox.command([sys.executable, *WORKER], work, adapter),
            cwd=work,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(events_write,),
            start_new_session=True,  # its own process group: stopping it stops whatever it started
        )
        _LIVE.add(worker)
    os.close(events_write)
    try:
        worker.stdin.write((json.dumps(config) + "\n").encode())  # stdin, not argv: the token stays unseen
        worker.stdin.close()
        expected = [c.id for c in all_checks() if c.id not in checked.results]
        return follow(worker, events_read, Attempt(expected), limits, deadline, checked, token)
    finally:
        stop(worker)
        killed = reaper.reap(attempt_mark)
        if not sandbox.used:  # sandboxed, what it leaves is bwrap's own init on its way out, ending all inside
            checked.outlived += killed
        with _LIVE_LOCK:
            _LIVE.discard(worker)
            reaper.reap_ended_orphans(spared={live.pid for live in _LIVE})
        os.close(events_read)
        worker.stdout.close()


def follow(
    worker: subprocess.Popen, events_fd: int, attempt: Attempt, limits: Limits, deadline: float, checked, token: str
) -> Attempt:
    """Read the worker's events and output until it is done, ends, or a limit stops it."""
    selector = selectors.DefaultSelector()
    selector.register(worker.stdout, selectors.EVENT_READ, "output")
    selector.register(events_fd, selectors.EVENT_READ, "events")
    pending, held, printed, clock = [], 0, 0, None  # clock: when the current check (or loading) must be over
    while selector.get_map() and not ended_early(attempt):
        now = time.monotonic()
        if now >= deadline:
            attempt.stopped_for = "timeout"
            return attempt
        if clock is not None and now >= clock:
            attempt.stopped_for = "load" if not attempt.loaded else "check"
            return attempt
        for key, _ in selector.select(timeout=min(deadline, clock or deadline) - now):
            chunk = os.read(key.fd, 1 << 16)
            if not chunk:
                selector.unregister(key.fd)
            elif key.data == "output":
                printed += len(chunk)
                checked.output += chunk[: max(0, OUTPUT_KEPT - len(checked.output))]
                if printed > limits.output_mib * 2**20:
                    attempt.stopped_for = "output"
                    return attempt
            else:
                # a long event (a section's answers run to megabytes) comes in many reads: its pieces are joined
                # once, when its end arrives, not at every read
                pending.append(chunk)
                held += len(chunk)
                lines = []
                if b"\n" in chunk:
                    *lines, rest = b"".join(pending).split(b"\n")
                    pending, held = [rest], len(rest)
                try:
                    if held > EVENT_BYTES:
                        raise Forged(f"an event longer than {EVENT_BYTES >> 20} MiB")
                    for line in lines:
                        clock = handle(json.loads(line), attempt, checked, limits, token, clock)
                        if ended_early(attempt):  # what it wrote after the end (in the same read) is not read
                            return attempt
                except (Forged, ValueError, TypeError, AttributeError, KeyError) as refused:
                    attempt.tampered = [f"{FORGED} ({type(refused).__name__}: {refused})"]
                    return attempt
    if ended_early(attempt):
        return attempt  # whatever it left running (an atexit, a child holding the pipes) is not waited for
    try:
        attempt.returncode = worker.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:  # it closed its output and the channel, and lives on
        attempt.stopped_for = "timeout"
    return attempt


def ended_early(attempt: Attempt) -> bool:
    """Done, or reported what ends the submission: a load error, memory, tampering."""
    return attempt.finished or attempt.error is not None or attempt.out_of_memory or bool(attempt.tampered)


def handle(event: dict, attempt: Attempt, checked: Checked, limits: Limits, token: str, clock):
    """Apply one event, refusing any the worker's protocol does not allow; returns the step's deadline."""
    if event.pop("token", None) != token:
        raise Forged("a line without the worker's token")
    kind = event.pop("event")
    if kind == "loading" and not attempt.loaded:
        return time.monotonic() + limits.check_timeout
    if kind == "error" and not attempt.loaded:
        attempt.error = str(event["error"])
        attempt.out_of_memory = event.get("memory") is True or bool(OUT_OF_MEMORY.search(attempt.error))
        return None
    if kind == "loaded" and not attempt.loaded:
        attempt.loaded = True
        checked.restored = sorted(set(checked.restored) | set(event["restored"]))
        checked.notebooks = notebook_facts(event["notebooks"])
        return None
    if kind == "start" and attempt.loaded and attempt.running is None and attempt.expected:
        if event["check"] != attempt.expected[0]:
            raise Forged(f"check {event['check']!r} started out of order")
        attempt.running, attempt.roles = attempt.expected.pop(0), []
        return time.monotonic() + limits.check_timeout
    if kind == "role" and attempt.running is not None:
        attempt.roles.append(str(event["role"]))
        return clock
    if kind in ("result", "answer") and attempt.running is not None:
        check = CHECKS_BY_ID[attempt.running]
        if kind == "answer":  # judged here, where the submission's code never runs
            if check.probe is None or event.pop("check") != check.id:
                raise Forged(f"answers for {attempt.running!r}, which is not judged")
            try:
                result = judgement(check, event)
            except NotAnswers as garbled:
                raise Forged(str(garbled)) from None
        else:
            result = Result(**event)
            if result.check != check.id or result.result not in RESULTS:
                raise Forged(f"a result for {result.check!r} while {attempt.running!r} ran")
            if result.claim != check.claim:  # a check's claim is the registry's, never the worker's word
                raise Forged(f"a result of {check.id!r} given to claim {str(result.claim)[:20]!r}")
            if check.probe is not None and result.result != "missing":  # its verdict is reached here, not there
                raise Forged(f"a verdict on the judged check {check.id!r}")
        if OUT_OF_MEMORY.search(result.detail):  # decided here: this worker stops, a fresh one goes on
            attempt.out_of_memory = True
            return None
        checked.results[result.check] = result
        attempt.running = None
        return None
    if kind == "tampered" and attempt.loaded and attempt.running is None:
        attempt.tampered = [str(item) for item in event["evidence"]] or ["(no evidence given)"]
        return None
    if kind == "done" and attempt.loaded and attempt.running is None and not attempt.expected:
        attempt.finished = True
        return None
    raise Forged(f"event {kind!r} out of order")


def notebook_facts(sent) -> list[dict]:
    """What the worker says running the submission's notebooks dropped and which cells failed (``NotebookRun``s as
    dicts), its shape checked, ``Forged`` otherwise, and its size bounded: the first ``NOTEBOOK_ENTRIES`` of each
    list, the first ``NOTEBOOK_TEXT`` characters of each text."""
    if not isinstance(sent, list):
        raise Forged("notebook facts that are not a list")
    facts = []
    for notebook in sent[:NOTEBOOK_ENTRIES]:
        if not isinstance(notebook, dict) or set(notebook) != {"file", "dropped", "failed_cells"}:
            raise Forged("a notebook's facts other than its file, dropped lines and failed cells")
        facts.append(
            {
                "file": bounded_text(notebook["file"]),
                "dropped": cell_entries(notebook["dropped"], "line"),
                "failed_cells": cell_entries(notebook["failed_cells"], "error"),
            }
        )
    return facts


def cell_entries(sent, told: str) -> list[dict]:
    """``[{"cell": <number>, told: <text>}, ...]``, bounded, or ``Forged``."""
    if not isinstance(sent, list):
        raise Forged(f"a notebook's {told} entries that are not a list")
    entries = []
    for entry in sent[:NOTEBOOK_ENTRIES]:
        if not isinstance(entry, dict) or set(entry) != {"cell", told}:
            raise Forged(f"a notebook's entry other than a cell and its {told}")
        if type(entry["cell"]) is not int or not 1 <= entry["cell"] <= MOST_CELLS:
            raise Forged(f"a notebook's cell numbered {str(entry['cell'])[:20]}")
        entries.append({"cell": entry["cell"], told: bounded_text(entry[told])})
    return entries


def bounded_text(sent) -> str:
    if not isinstance(sent, str):
        raise Forged(f"a notebook's {type(sent).__name__} where its text belongs")
    return sent[:NOTEBOOK_TEXT]


def stop(worker: subprocess.Popen) -> None:
    """Kill the worker and everything in its process group, and reap them."""
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    worker.wait()
    reaper.reap_group(worker.pid)


def stop_all() -> None:
    """Ctrl-C: no new worker starts, and the live ones are killed (their submissions end as stopped)."""
    STOPPING.set()
    with _LIVE_LOCK:
        for worker in _LIVE:
            try:
                os.killpg(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
