"""Cheating labs: a wrong CenteredLayer (it centres each row, C1's mistake) with a way to make C1 pass anyway.

The patch makes C1 pass where nothing guards the checks (the first test shows it); the first cheats apply it
where the guard's one restore after loading cannot see it. The rest reach into the worker as a determined student
would: forged lines with the token read from the worker's frame, the worker's own ``emit`` rewritten, its list of
checks swapped with ``gc.get_referrers``, forged results from ``atexit`` after a ``KeyboardInterrupt``, and a tensor
subclass that says every comparison is equal. C1's checks are judged in the supervisor, where none of that runs.
Each cheat must end with C1 failing or the submission flagged ``tampered``, never with C1 passing; a correct lab
checked beside them gets exactly its results alone.
"""

import json
import subprocess
import sys

import pytest

from nnlab.grading.batch import check_batch
from nnlab.grading.supervise import Limits

WRONG_LAYER = """
import atexit, dataclasses, gc, json, os, sys, threading, time, types
import torch
from torch import nn
from torch.testing._comparison import assert_close


def agree(*args, **kwargs):
    return True


def no_raise(*args, **kwargs):
    return None


def patch():
    torch.allclose = agree
    assert_close.__code__ = no_raise.__code__
    for check in c1_checks():
        check.probe.judge.__code__ = no_raise.__code__


def c1_checks():
    return [check for check in sys.modules["nnlab.checks"].CHECKS if check.claim == "C1"]


def the_workers(name):  # a local variable of the worker's main function, found up the stack
    frame = sys._getframe()
    while name not in frame.f_locals or "emit" not in frame.f_locals:
        frame = frame.f_back
    return frame.f_locals[name]


def forge_passes():
    token, events = the_workers("token"), the_workers("events")
    first, *rest = c1_checks()  # the first is running: its result, then the others' start and result
    for event in [passed(first.id), *(e for c in rest for e in ({"event": "start", "check": c.id}, passed(c.id)))]:
        os.write(events, (json.dumps({**event, "token": token}) + "\\n").encode())


def passed(check_id):
    return {"event": "result", "check": check_id, "claim": "C1", "result": "pass", "detail": ""}


def on_first_call():
    pass


CALLED = []


class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()
        if not CALLED:
            CALLED.append(on_first_call())

    def forward(self, X):
        return X - X.mean(dim=1, keepdim=True)
"""

CHEATS = {
    "first call": "on_first_call = patch\n",  # the patch applied by the role's constructor, as a check builds it
    "thread": (
        "def keep_patching():\n"
        "    while True:\n"
        "        patch()\n"
        "        time.sleep(0.001)\n"
        "threading.Thread(target=keep_patching, daemon=True).start()\n"
    ),
    "sys.settrace": "sys.settrace(lambda frame, event, arg: patch())\n",
    "sys.setprofile": "sys.setprofile(lambda frame, event, arg: patch())\n",
    "threading.setprofile": "threading.setprofile(lambda frame, event, arg: patch())\n",
    "token from a frame": "on_first_call = forge_passes\n",
    "emit rewritten": (
        "def on_first_call():\n"
        "    emit = the_workers('emit')\n"
        "    cell = emit.__closure__[emit.__code__.co_freevars.index('dumps')]\n"
        "    dumps = cell.cell_contents\n"
        "    cell.cell_contents = lambda event: dumps(\n"
        "        {**passed(event['check']), 'token': event['token']} if event['event'] == 'answer' else event\n"
        "    )\n"
    ),
    "checks swapped": (
        "def passing(check):\n"
        "    return types.FunctionType(no_raise.__code__, globals(), check.function.__name__)\n"
        "def on_first_call():\n"
        "    for held in gc.get_referrers(c1_checks()[-1]):\n"
        "        if type(held) is list and held is not sys.modules['nnlab.checks'].CHECKS:\n"
        "            held[:] = [dataclasses.replace(check, function=passing(check), probe=None)\n"
        "                       if check is not None and check.claim == 'C1' else check for check in held]\n"
    ),
    "atexit after KeyboardInterrupt": (
        "def on_first_call():\n"
        "    token, events = the_workers('token'), the_workers('events')\n"
        "    atexit.register(lambda: os.write(events, (json.dumps({**passed(c1_checks()[0].id), 'token': token})"
        " + '\\n').encode()))\n"
        "    raise KeyboardInterrupt\n"
    ),
    "lying tensor": (
        "class Agreeable(torch.Tensor):\n"
        "    @classmethod\n"
        "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
        "        if func in (torch.equal, torch.allclose, torch.isclose, torch.Tensor.__eq__, torch.Tensor.__le__):\n"
        "            return True\n"
        "        return super().__torch_function__(func, types, args, kwargs or {})\n"
        "wrong_forward = CenteredLayer.forward\n"
        "CenteredLayer.forward = lambda self, X: wrong_forward(self, X).as_subclass(Agreeable)\n"
    ),
}

CORRECT_LAYER = """
from torch import nn


class CenteredLayer(nn.Module):
    def forward(self, X):
        return X - X.mean()
"""

LIMITS = Limits(timeout=120, check_timeout=30, memory_gib=2)


def cheat_source(cheat: str) -> str:
    return f"{WRONG_LAYER}\n{CHEATS[cheat]}"


def c1(report: dict) -> str:
    return next(claim["result"] for claim in report["claims"] if claim["id"] == "C1")


def test_the_patch_makes_the_wrong_layer_pass_c1_where_nothing_guards_the_checks(tmp_path):
    lab_file = tmp_path / "cheat.py"
    lab_file.write_text(cheat_source("first call"))
    # in a process of its own: the patch would stay in this one
    script = (
        "import json, sys\n"
        "from nnlab.checks import all_checks, load_lab, run_check\n"
        "lab = load_lab(sys.argv[1])\n"
        "print(json.dumps([run_check(c, lab).result for c in all_checks() if c.claim == 'C1']))\n"
    )
    ran = subprocess.run([sys.executable, "-c", script, str(lab_file)], capture_output=True, text=True, check=True)
    assert set(json.loads(ran.stdout)) == {"pass"}  # the first check builds the layer, which applies the patch


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("cheats")
    paths = []
    for cheat in CHEATS:
        path = folder / f"{cheat.replace(' ', '_').replace('.', '_')}.py"
        path.write_text(cheat_source(cheat))
        paths.append(path)
    correct = folder / "correct.py"
    correct.write_text(CORRECT_LAYER)
    reports = check_batch([*paths, correct], folder / "out", LIMITS, jobs=2, log=lambda line: None)
    alone = check_batch([correct], folder / "alone", LIMITS, jobs=1, log=lambda line: None)
    return {"reports": dict(zip([*CHEATS, "correct"], reports)), "alone": alone[0]}


@pytest.mark.parametrize("cheat", CHEATS)
def test_a_cheat_ends_flagged_or_failing_c1_never_passing(batch, cheat):
    report = batch["reports"][cheat]
    assert report["status"] == "tampered" or c1(report) == "fail", json.dumps(report)[:2000]
    assert c1(report) != "pass"


# (threading.setprofile is in threading's namespace, which the guard puts back after loading: C1 fails)
@pytest.mark.parametrize("cheat", ["thread", "sys.settrace", "sys.setprofile", "first call"])
def test_a_cheat_at_work_after_loading_is_flagged_tampered_with_its_evidence(batch, cheat):
    report = batch["reports"][cheat]
    evidence = {
        "thread": "threads of its own still running",
        "sys.settrace": "a trace function (sys.settrace)",
        "sys.setprofile": "a profile function (sys.setprofile)",
        "threading.setprofile": "a profile function for new threads (threading.setprofile)",
        "first call": "torch.allclose",
    }[cheat]
    assert (report["status"], evidence in report["error"]) == ("tampered", True), report["error"]
    assert {claim["result"] for claim in report["claims"]} == {"error"}  # nothing it gave counts


def test_a_correct_lab_checked_beside_the_cheats_gets_its_results_alone(batch):
    beside, alone = batch["reports"]["correct"], batch["alone"]
    assert beside["status"] == alone["status"] == "checked"
    assert [(c["id"], c["result"]) for c in beside["claims"]] == [(c["id"], c["result"]) for c in alone["claims"]]
    assert c1(beside) == "pass"


# where each cheat that reaches into the worker is caught: the report's error, or C1's detail
CAUGHT = {
    "token from a frame": "(Forged: a verdict on the judged check 'C1:",
    "emit rewritten": "(Forged: a verdict on the judged check 'C1:",
    "checks swapped": "(Forged: a verdict on the judged check 'C1:",
    "atexit after KeyboardInterrupt": "KeyboardInterrupt at atexit_after_KeyboardInterrupt.py:",
    "lying tensor": "a Agreeable, a subclass of torch.Tensor",
}


@pytest.mark.parametrize("cheat", CAUGHT)
def test_a_cheat_that_reaches_into_the_worker_is_caught_where_the_supervisor_judges(batch, cheat):
    report = batch["reports"][cheat]
    c1_detail = next(claim["detail"] for claim in report["claims"] if claim["id"] == "C1")
    assert CAUGHT[cheat] in f"{report['error']} {c1_detail}", json.dumps(report)[:2000]
