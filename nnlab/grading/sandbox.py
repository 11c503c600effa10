"""The sandbox a worker runs in where Debian's bubblewrap (``bwrap``) works.

Inside it a submission has:

- no network: a network namespace of its own, with only its own loopback;
- a read-only view of the machine, in which its temporary copy, where it runs, is
  the only place it can write (with a private ``/tmp``), and the other
  submissions, the output folder and the grader's home are not there at all
  (Python and nnlab are put back, read-only, where they lie inside them);
- a PID namespace of its own, whose every process dies with the worker: nothing
  it starts outlives its check.

The time and memory limits stay the supervisor's, as without the sandbox.
``--sandbox auto`` (the default) uses it where ``bwrap`` works and says in each
report whether the submission ran in it; ``on`` refuses to check anything
without it; ``off`` runs workers as plain processes.
"""

import functools
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

MODES = ("auto", "on", "off")
# a fresh network, PID, IPC and host-name namespace, all gone with the worker (bwrap's own pid 1 dies with it)
NAMESPACES = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent"]
INSTALL = "install Debian's bubblewrap (apt-get install bubblewrap), or pass --sandbox off to run without it"


class SandboxUnavailable(RuntimeError):
    """``--sandbox on`` where bwrap is missing or cannot make namespaces."""


@dataclass(frozen=True)
class Sandbox:
    """How workers run: ``used`` in bwrap or not, and the sentence each report gives."""

    used: bool
    note: str
    hidden: tuple[Path, ...] = ()  # folders and files no worker may see (submissions, the output)

    def command(self, command: list[str], work: Path, adapter: Path | None) -> list[str]:
        """``command`` as it runs for one submission whose temporary folder is ``work``."""
        if not self.used:
            return command
        return [*bwrap_arguments(work, self.hidden, adapter), "--", *command]


def bwrap_arguments(work: Path, hidden: tuple[Path, ...], adapter: Path | None) -> list[str]:
    """bwrap's mounts, in order, each laid over the ones before it."""
    arguments = ["bwrap", *NAMESPACES, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    private = {Path("/tmp"), Path(tempfile.gettempdir()), Path.home()}  # the grader's temporary files and home
    for folder in sorted(private):
        arguments += ["--tmpfs", str(folder)]
    # Python, its packages and nnlab, where they lie under a folder made private above; the adapter's folder too,
    # which it may read files from
    needed = {Path(p) for p in [sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path] if Path(p).is_absolute()}
    if adapter is not None:
        needed.add(adapter.parent)
    put_back = sorted(p for p in needed if p.exists() and any(p.is_relative_to(f) for f in private))
    for path in put_back:
        arguments += ["--ro-bind", str(path), str(path)]

    def visible(path: Path) -> bool:
        return not any(path.is_relative_to(f) for f in private) or any(path.is_relative_to(p) for p in put_back)

    for path in filter(visible, hidden):  # after the above: a submission inside the repository stays hidden
        arguments += ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
    return [*arguments, "--bind", str(work), str(work), "--chdir", str(work)]


@functools.cache
def unavailable() -> str | None:
    """Why bwrap cannot sandbox a worker on this machine, or None where it can (tried once per process)."""
    if shutil.which("bwrap") is None:
        return "bwrap is not installed"
    try:
        tried = subprocess.run(
            ["bwrap", *NAMESPACES, "--ro-bind", "/", "/", "--proc", "/proc", "--", "true"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bwrap could not start ({error})"
    if tried.returncode != 0:
        return f"bwrap cannot make namespaces here ({' '.join(tried.stderr.split()) or tried.returncode})"
    return None


def choose(mode: str, hidden: list[Path]) -> Sandbox:
    """The sandbox ``mode`` (``auto``, ``on``, ``off``) gives on this machine; ``on`` without one raises."""
    if mode not in MODES:
        raise ValueError(f"--sandbox is one of {', '.join(MODES)}, not {mode!r}")
    if mode == "off":
        return Sandbox(False, "not sandboxed (--sandbox off): it could reach the network and read your files")
    why = unavailable()
    if why is None:
        return Sandbox(True, "sandboxed (bwrap): no network, read-only files, no process outlives it", tuple(hidden))
    if mode == "on":
        raise SandboxUnavailable(f"--sandbox on, but {why}: {INSTALL}")
    return Sandbox(False, f"not sandboxed: {why}; it could reach the network and read your files")
