"""The sandbox's three promises, each tried by a submission that breaks it at import; off, each attempt succeeds.

These need a working bwrap: they are skipped where it does not work, unless NNLAB_REQUIRE_SANDBOX=1 (as in CI,
which installs Debian's bubblewrap).
"""

import json
import os
import shutil
import socket
import tempfile
import uuid
from pathlib import Path

import pytest

from nnlab.cli import main
from nnlab.grading import sandbox
from nnlab.grading.batch import check_batch
from nnlab.grading.supervise import Limits

WHY_NOT = sandbox.unavailable()
if WHY_NOT and os.environ.get("NNLAB_REQUIRE_SANDBOX") == "1":
    raise RuntimeError(f"NNLAB_REQUIRE_SANDBOX=1 but {WHY_NOT}")
pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=f"no sandbox here: {WHY_NOT}")

LIMITS = Limits(timeout=60, check_timeout=30, memory_gib=2)
# each promise kept, with the sandbox on; broken, with it off (the attack works: the test can fail)
MODES = [pytest.param("on", True, id="sandboxed"), pytest.param("off", False, id="not sandboxed")]


def checked(folder: Path, source: str, mode: str, others: list[Path] = ()) -> tuple[dict, str]:
    """Check the submission ``source`` (beside the submissions ``others``); its report and what it printed."""
    lab = folder / "attacker.py"
    lab.write_text(source)
    out = folder / "out"
    reports = check_batch([lab, *others], out, LIMITS, jobs=1, log=lambda line: None, sandbox=mode)
    printed = out / "attacker" / "output.txt"
    return reports[0], printed.read_text() if printed.exists() else ""


@pytest.mark.parametrize(("mode", "kept"), MODES)
def test_a_submission_reaches_no_listener_on_the_graders_loopback(mode, kept, tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        source = (
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=5).sendall(b'leak')\n"
            "    print('connected')\n"
            "except OSError as error:\n"
            "    print('refused:', error)\n"
        )
        report, printed = checked(tmp_path, source, mode)
        listener.setblocking(False)
        try:
            listener.accept()[0].close()
            connected = True
        except BlockingIOError:
            connected = False
    assert (connected, "refused:" in printed) == (not kept, kept), printed
    assert report["status"] == "checked"


@pytest.fixture
def outside_tmp():
    """A folder outside /tmp and the home, which the sandbox hides whole: there only the hiding of the other
    submissions and of the reports keeps them out of sight."""
    folder = Path(tempfile.mkdtemp(dir="/var/tmp", prefix="nnlab-test-"))
    yield folder
    shutil.rmtree(folder)


@pytest.mark.parametrize(("mode", "kept"), MODES)
def test_a_submission_sees_no_classmates_lab_no_reports_and_no_home_and_writes_only_its_copy(mode, kept, outside_tmp):
    tmp_path = outside_tmp
    classmate = tmp_path / "classmate"
    classmate.mkdir()
    (classmate / "blocks.py").write_text("SECRET = 'the classmate's answer'\n")
    home_secret = Path(tempfile.mkdtemp(dir=Path.home(), prefix=".nnlab-test-")) / "grades.txt"
    home_secret.write_text("the grader's own file\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "earlier.txt").write_text("a report already written\n")
    targets = {"classmate": classmate / "blocks.py", "home": home_secret, "reports": out / "earlier.txt"}
    written = {"classmate": classmate / "planted.py", "reports": out / "planted.txt", "home": home_secret.parent / "x"}
    source = (
        "import json\n"
        f"seen, wrote = {{}}, {{}}\n"
        f"for name, path in {json.dumps({k: str(v) for k, v in targets.items()})}.items():\n"
        "    try:\n"
        "        seen[name] = open(path).read()\n"
        "    except OSError as error:\n"
        "        seen[name] = type(error).__name__\n"
        f"for name, path in {json.dumps({k: str(v) for k, v in written.items()})}.items():\n"
        "    try:\n"
        "        open(path, 'w').write('planted')\n"
        "        wrote[name] = True\n"
        "    except OSError as error:\n"
        "        wrote[name] = type(error).__name__\n"
        "open('mine.txt', 'w').write('its own copy is writable')\n"
        "print(json.dumps({'seen': seen, 'wrote': wrote}))\n"
    )
    try:
        report, printed = checked(tmp_path, source, mode, others=[classmate])
        tried = json.loads(printed)
        leaked = {name for name, text in tried["seen"].items() if text == targets[name].read_text()}
        planted = {name for name, path in written.items() if path.exists()}
    finally:
        for path in (home_secret.parent / "x", home_secret):
            path.unlink(missing_ok=True)
        home_secret.parent.rmdir()
    everything = set(targets)
    assert (leaked, planted) == ((set(), set()) if kept else (everything, everything)), tried
    assert report["status"] == "checked"


def processes_running(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue  # it ended while we looked
    return found


@pytest.mark.parametrize("mode", ["on", "off"])
def test_no_process_a_submission_starts_outlives_its_check(mode, tmp_path):
    # sandboxed, its PID namespace ends it; not, nnlab check is its subreaper, kills it and names it in the report
    marker = f"{uuid.uuid4().int % 10**6}.{os.getpid()}"  # a sleep of an odd length, found by its argument
    source = (
        "import os\n"
        "if os.fork() == 0:\n"  # a daemon: a new session, and its parent gone, so no process group holds it
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execvp('sleep', ['sleep', '{marker}'])\n"
        "    os._exit(0)\n"
    )
    report, _ = checked(tmp_path, source, mode)
    left = processes_running(marker)
    for pid in left:
        os.kill(pid, 9)
    assert (left, report["status"]) == ([], "checked")
    named = [process for process in report["outlived"] if process.endswith(f": sleep {marker}")]
    assert len(named) == (mode == "off"), report["outlived"]
    markdown = (tmp_path / "out" / "attacker" / "report.md").read_text()
    assert ("Still running after its worker, and killed: pid " in markdown) == (mode == "off")


def test_each_report_says_whether_its_submission_ran_sandboxed(tmp_path):
    report, _ = checked(tmp_path, "x = 1\n", "auto")
    assert report["sandbox"].startswith("sandboxed (bwrap)")
    markdown = (tmp_path / "out" / "attacker" / "report.md").read_text()
    assert "; sandboxed (bwrap): no network" in markdown
    off, _ = checked(tmp_path, "x = 1\n", "off")
    assert off["sandbox"].startswith("not sandboxed (--sandbox off)")


def test_without_bwrap_auto_says_so_and_on_refuses_naming_the_package(tmp_path, monkeypatch, capsys):
    sandbox.unavailable.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    try:
        assert sandbox.choose("auto", []).note == (
            "not sandboxed: bwrap is not installed; it could reach the network and read your files"
        )
        lab = tmp_path / "lab.py"
        lab.write_text("x = 1\n")
        assert main(["check", str(lab), "--sandbox", "on", "--out", str(tmp_path / "out")]) == 2
    finally:
        sandbox.unavailable.cache_clear()
    error = capsys.readouterr().err
    assert "--sandbox on, but bwrap is not installed: install Debian's bubblewrap (apt-get install bubblewrap)" in error
    assert not (tmp_path / "out" / "lab").exists()  # refused before anything ran


@pytest.mark.parametrize(("mode", "kept"), MODES)
def test_a_submission_sees_none_of_the_graders_environment(mode, kept, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_SECRET_TOKEN", "s3cret")
    _, printed = checked(tmp_path, "import os\nprint(os.environ.get('GRADER_SECRET_TOKEN'))\n", mode)
    assert printed == "None\n"  # in both modes: the worker's environment is chosen, not inherited


@pytest.mark.skipif(os.geteuid() != 0, reason="the grader runs as root here only (as on Gradescope)")
def test_run_as_root_a_submission_can_neither_remount_nor_touch_the_kernels_switches(tmp_path):
    source = (
        "import json, subprocess\n"
        "tried = {'remount': subprocess.run(['mount', '-o', 'remount,rw', '/'], capture_output=True).returncode}\n"
        "for name in ('/proc/sys/kernel/core_pattern', '/proc/sysrq-trigger'):\n"
        "    try:\n"
        "        open(name, 'w').close()\n"
        "        tried[name] = 'written'\n"
        "    except OSError as error:\n"
        "        tried[name] = type(error).__name__\n"
        "print(json.dumps(tried))\n"
    )
    before = Path("/proc/sys/kernel/core_pattern").read_text()
    _, printed = checked(tmp_path, source, "on")
    tried = json.loads(printed)
    assert tried["remount"] != 0 and "written" not in tried.values(), tried
    assert Path("/proc/sys/kernel/core_pattern").read_text() == before
