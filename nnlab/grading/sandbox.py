"""The sandbox a worker runs in where Debian's bubblewrap (``bwrap``) works.

Inside it a submission has:

- no network: a network namespace of its own, with only its own loopback;
- a read-only view of the machine, in which its temporary copy, where it runs, is
  the only place it can write (with a private ``/tmp``), and the other
  submissions, the output folder and the grader's home are not there at all
  (Python and nnlab are put back, read-only, where they lie inside them);
- a PID namespace of its own, whose every process dies with the worker: nothing
  it starts outlives its check;
- no capabilities (``--cap-drop ALL``) and ``/proc/sys`` read-only: run as root,
  it can neither remount a folder writable nor change the kernel's settings.

The time and memory limits stay the supervisor's, as without the sandbox.
``--sandbox auto`` (the default) uses it where ``bwrap`` works and says in each
report whether the submission ran in it; ``on`` refuses to check anything
without it; ``off`` runs workers as plain processes.
"""

import functools
import os
import shutil
import site
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
    private_tmp = work / "tmp"  # its /tmp, on disk beside its copy: a tmpfs would be memory outside its cap
    private_tmp.mkdir(exist_ok=True)
    arguments = ["bwrap", *NAMESPACES, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    # as root it stays uid 0: without capabilities, and with the kernel's switches out of its reach
    arguments += ["--cap-drop", "ALL", "--ro-bind", "/proc/sys", "/proc/sys"]
    if Path("/proc/sysrq-trigger").exists():  # (some kernels and containers have none)
        arguments += ["--ro-bind", "/dev/null", "/proc/sysrq-trigger"]
    # its own /tmp over the grader's; an empty folder over each other folder it must not see, made read-only
    # once what it needs is put back inside
    temporary = sorted(f for f in {Path("/tmp"), Path(tempfile.gettempdir())} if real_folder(f))
    for folder in temporary:
        arguments += ["--bind", str(private_tmp), str(folder)]
    emptied = sorted(f for f in {Path.home(), *RUNTIME_FOLDERS} if real_folder(f))
    for folder in emptied:
        arguments += ["--tmpfs", str(folder)]
    private = temporary + emptied
    put_back = sorted(path for path in python_folders(adapter) if any(path.is_relative_to(f) for f in private))
    for path in put_back:
        arguments += ["--ro-bind", str(path), str(path)]

    def visible(path: Path) -> bool:
        return not any(path.is_relative_to(f) for f in private) or any(path.is_relative_to(p) for p in put_back)

    # after the above: a submission inside a folder put back stays hidden; a link is hidden where it leads
    for path in sorted(filter(visible, {p.resolve() for p in hidden})):
        if path.is_dir():
            arguments += ["--tmpfs", str(path)]
            emptied.append(path)
        else:
            arguments += ["--ro-bind", "/dev/null", str(path)]
    for folder in emptied:
        arguments += ["--remount-ro", str(folder)]
    return [*arguments, "--bind", str(work), str(work), "--chdir", str(work)]


def real_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


# where services listen on Unix sockets (D-Bus, databases, Docker): a socket file crosses network namespaces
RUNTIME_FOLDERS = (Path("/run"), Path("/var/run"))


def python_folders(adapter: Path | None) -> set[Path]:
    """What the worker needs to run: Python, its standard library and packages, nnlab, the adapter's folder (an
    adapter may read files beside it), and nothing else on the supervisor's path (its working folder)."""
    import nnlab

    prefixes = {Path(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    folders = {*prefixes, *map(Path, site.getsitepackages()), Path(nnlab.__file__).parent}
    folders |= {Path(p) for p in sys.path if p and any(Path(p).is_relative_to(prefix) for prefix in prefixes)}
    if adapter is not None:
        folders.add(adapter.parent)
    return {folder for folder in folders if folder.exists()}


@functools.cache
def unavailable() -> str | None:
    """Why bwrap cannot sandbox a worker on this machine, or None where it can: tried once per process, by
    importing nnlab inside it with the mounts a worker gets."""
    if shutil.which("bwrap") is None:
        return "bwrap is not installed"
    with tempfile.TemporaryDirectory(prefix="nnlab-sandbox-") as work:
        command = [*bwrap_arguments(Path(work), (), None), "--", sys.executable, "-c", "import nnlab"]
        try:
            tried = subprocess.run(command, capture_output=True, text=True, timeout=60, env=worker_environment())
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bwrap could not start ({error})"
    if tried.returncode != 0:
        return f"bwrap cannot run a worker here ({' '.join(tried.stderr.split()[-12:]) or tried.returncode})"
    return None


def worker_environment(**settings: str) -> dict[str, str]:
    """The worker's environment: the locale, the paths, and ``settings``; no other variable of the grader's (a
    token, a password) reaches the code under check."""
    import nnlab

    kept = {name: value for name, value in os.environ.items() if name in KEPT or name.startswith(KEPT_PREFIXES)}
    # the worker imports the very nnlab this process runs, wherever its working folder is
    package_root = str(Path(nnlab.__file__).resolve().parents[1])
    python_path = os.pathsep.join([package_root, *filter(None, [os.environ.get("PYTHONPATH")])])
    return kept | {"PYTHONPATH": python_path} | settings


KEPT = {"PATH", "HOME", "LANG", "LANGUAGE", "TERM", "LD_LIBRARY_PATH", "NNLAB_HYPOTHESIS_PROFILE"}
KEPT_PREFIXES = ("LC_",)  # the locale


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
