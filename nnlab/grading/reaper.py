"""Finding and killing the processes a submission started that outlived its worker, without the sandbox.

A process that leaves its session (``setsid``) escapes the worker's process
group, so killing the group leaves it running; its parent gone, Linux hands it
to the nearest ancestor that asked to be a *subreaper* (``PR_SET_CHILD_SUBREAPER``)
instead of to pid 1. ``nnlab check`` asks, so every such process becomes one
of its own children. Each worker's environment carries a mark of its attempt
(``NNLAB_ATTEMPT``), inherited by what it starts: after the worker is stopped,
the children of this process bearing that mark are killed and reported. (A
process that execs with an environment of its own making goes unfound here;
in the sandbox, its PID namespace ends it all the same.)
"""

import ctypes
import os
import signal
import time
from pathlib import Path

MARK = "NNLAB_ATTEMPT"
PR_SET_CHILD_SUBREAPER = 36  # from <linux/prctl.h>


def become_subreaper() -> bool:
    """Make the processes orphaned below this one its children; False where the kernel has no such call."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def children() -> list[int]:
    """The pids of this process's children, those handed to it as subreaper included."""
    found = []
    for task in Path("/proc/self/task").glob("*/children"):
        try:
            found += [int(pid) for pid in task.read_text().split()]
        except OSError:
            continue
    return found


def marked(pid: int, attempt: str) -> bool:
    """Whether the process ``pid`` was started with the mark of ``attempt`` in its environment."""
    try:
        return f"{MARK}={attempt}".encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def reap(attempt: str, rounds: int = 20) -> list[str]:
    """Kill this process's children marked by ``attempt``, and what they started; each as ``"pid N: its command"``.
    Killing one hands its own children to this process: the rounds go on until none is left."""
    killed = []
    for _ in range(rounds):
        found = [pid for pid in children() if marked(pid, attempt)]
        if not found:
            return killed
        for pid in found:
            killed.append(f"pid {pid}: {command_line(pid)}")
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                continue
        time.sleep(0.01)  # their children are handed over as they exit
    return killed


def reap_group(group: int, patience: float = 5.0) -> None:
    """Wait for this process's children in process group ``group``, which was just killed: what its leader started
    (bwrap's own init in the sandbox) is handed to this process, as subreaper, when the leader dies, and would stay
    a zombie here for as long as this process lives. Gives up after ``patience`` seconds."""
    give_up = time.monotonic() + patience
    while time.monotonic() < give_up:
        try:
            pid, _ = os.waitpid(-group, os.WNOHANG)
        except ChildProcessError:  # no child of this process is left in the group
            return
        if pid == 0:  # one is left and has not ended yet
            time.sleep(0.01)


def ended(pid: int) -> bool:
    """Whether the process ``pid`` has ended and waits to be reaped (a zombie)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def reap_ended_orphans(spared: set[int]) -> None:
    """Wait for this process's children that have ended, except those in ``spared`` (the live workers, which their
    own threads wait for): an orphan handed to this process as subreaper, such as the first child of a daemon that
    left its session, is nobody else's to wait for, and would stay a zombie here for as long as this process lives.
    (Its mark is gone with its environment: a zombie's cannot be read.)"""
    for pid in children():
        if pid not in spared and ended(pid):
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                continue
