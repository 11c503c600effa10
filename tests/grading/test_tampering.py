"""Cheating labs: one wrong lab (a MySequential that keeps its children in a Python list, a ParallelBlock that
concatenates in the wrong order, a CenteredLayer that centres each row: L3's, L7's and C1's mistakes) with a way to
make those claims pass anyway.

The patch makes the three claims pass where nothing guards the checks (the first test shows it); the first cheats
apply it where the guard's one restore after loading cannot see it. The rest reach into the worker as a determined
student would: forged lines with the token read from the worker's frame, the worker's own ``emit`` rewritten, its
list of checks swapped with ``gc.get_referrers``, forged results from ``atexit`` after a ``KeyboardInterrupt``, and a
tensor subclass that says every comparison is equal. The three claims' checks are judged in the supervisor, where
none of that runs. Each cheat must end with the three claims failing or the submission flagged ``tampered``, never
with one of them passing; a correct lab checked beside them gets exactly its results alone.
"""

import json
import subprocess
import sys

import pytest

from nnlab.grading.batch import check_batch
from nnlab.grading.supervise import Limits

WRONG_CLAIMS = ("L3", "L7", "C1")

WRONG_LAB = """
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
    for check in wrong_checks():
        check.probe.judge.__code__ = no_raise.__code__


def repatch(*args):  # as a trace or profile function: cheap on every call, it patches again what was put back
    if torch.allclose is not agree:
        patch()


def wrong_checks():
    return [check for check in sys.modules["nnlab.checks"].CHECKS if check.claim in ("L3", "L7", "C1")]


def the_workers(name):  # a local variable of the worker's main function, found up the stack
    frame = sys._getframe()
    while name not in frame.f_locals or "emit" not in frame.f_locals:
        frame = frame.f_back
    return frame.f_locals[name]


def forge_passes():
    token, events = the_workers("token"), the_workers("events")
    running, checks = the_workers("check"), the_workers("checks")
    rest = [c for c in checks[checks.index(running) + 1 :] if c in wrong_checks()]
    # the running check's result, then the start and result of each wrong check still to come
    for event in [passed(running.id), *(e for c in rest for e in ({"event": "start", "check": c.id}, passed(c.id)))]:
        os.write(events, (json.dumps({**event, "token": token}) + "\\n").encode())


def passed(check_id):
    claim = check_id.split(":")[0]
    return {"event": "result", "check": check_id, "claim": claim, "result": "pass", "detail": ""}


def on_first_call():
    pass


CALLED = []


class FirstCall:  # whichever role a check builds first calls on_first_call
    def __init__(self, *args, **kwargs):
        super().__init__()
        if not CALLED:
            CALLED.append(on_first_call())


class MySequential(FirstCall, nn.Module):
    def __init__(self, *modules):
        super().__init__()
        self.children_in_a_list = list(modules)

    def forward(self, X):
        for child in self.children_in_a_list:
            X = child(X)
        return X


class ParallelBlock(FirstCall, nn.Module):
    def __init__(self, net1, net2):
        super().__init__()
        self.net1, self.net2 = net1, net2

    def forward(self, X):
        return torch.cat((self.net2(X), self.net1(X)), dim=-1)


class CenteredLayer(FirstCall, nn.Module):
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
    "sys.settrace": "sys.settrace(repatch)\n",
    "sys.setprofile": "sys.setprofile(repatch)\n",
    "threading.setprofile": "threading.setprofile(repatch)\n",
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
        "    wrong = wrong_checks()\n"
        "    for held in gc.get_referrers(wrong[-1]):\n"
        "        if type(held) is list and held is not wrong and held is not sys.modules['nnlab.checks'].CHECKS:\n"
        "            held[:] = [dataclasses.replace(check, function=passing(check), probe=None)\n"
        "                       if check in wrong else check for check in held]\n"
    ),
    "atexit after KeyboardInterrupt": (
        "def on_first_call():\n"
        "    token, events = the_workers('token'), the_workers('events')\n"
        "    running = the_workers('check')\n"
        "    atexit.register(lambda: os.write(events, (json.dumps({**passed(running.id), 'token': token})"
        " + '\\n').encode()))\n"
        "    raise KeyboardInterrupt\n"
    ),
    # the worker's function that runs each check, replaced where main() finds it: a failing check of the three
    # claims reported as a missing role of another claim's (T20's), so the three look passed
    "checked replaced": (
        "def forged(real):\n"
        "    def checked(check, lab):\n"
        "        if check.claim in ('L3', 'L7', 'C1'):\n"
        "            return {'event': 'result', 'check': check.id, 'claim': 'T20', 'result': 'missing', 'detail': ''}\n"
        "        return real(check, lab)\n"
        "    return checked\n"
        "def on_first_call():\n"
        "    for name in ('__main__', 'nnlab.grading.worker'):\n"
        "        if hasattr(sys.modules.get(name), 'checked'):\n"
        "            sys.modules[name].checked = forged(sys.modules[name].checked)\n"
        "on_first_call()\n"
    ),
    "lying tensor": (
        "class Agreeable(torch.Tensor):\n"
        "    @classmethod\n"
        "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
        "        if func in (torch.equal, torch.allclose, torch.isclose, torch.Tensor.__eq__, torch.Tensor.__le__):\n"
        "            return True\n"
        "        return super().__torch_function__(func, types, args, kwargs or {})\n"
        "def lying(forward):\n"
        "    return lambda self, X: forward(self, X).as_subclass(Agreeable)\n"
        "for role in (MySequential, ParallelBlock, CenteredLayer):\n"
        "    role.forward = lying(role.forward)\n"
    ),
}

CORRECT_LAB = """
import torch
from torch import nn


class MySequential(nn.Module):
    def __init__(self, *modules):
        super().__init__()
        for index, module in enumerate(modules):
            self.add_module(str(index), module)

    def forward(self, X):
        for module in self._modules.values():
            X = module(X)
        return X


class ParallelBlock(nn.Module):
    def __init__(self, net1, net2):
        super().__init__()
        self.net1, self.net2 = net1, net2

    def forward(self, X):
        return torch.cat((self.net1(X), self.net2(X)), dim=-1)


class CenteredLayer(nn.Module):
    def forward(self, X):
        return X - X.mean()
"""

LIMITS = Limits(timeout=120, check_timeout=30, memory_gib=2)


def cheat_source(cheat: str) -> str:
    return f"{WRONG_LAB}\n{CHEATS[cheat]}"


def wrong_claims(report: dict, field: str = "result") -> dict[str, str]:
    return {claim["id"]: claim[field] for claim in report["claims"] if claim["id"] in WRONG_CLAIMS}


def test_every_check_is_judged_in_the_supervisor():
    # what the cheats that forge a verdict run into: a verdict on a judged check, from the worker, is refused
    from nnlab.checks import all_checks

    decided_in_the_worker = [c.id for c in all_checks() if c.probe is None]
    assert not decided_in_the_worker


def test_the_patch_makes_the_wrong_lab_pass_its_wrong_claims_where_nothing_guards_the_checks(tmp_path):
    lab_file = tmp_path / "cheat.py"
    lab_file.write_text(cheat_source("first call"))
    # in a process of its own: the patch would stay in this one
    script = (
        "import json, sys\n"
        "from nnlab.checks import all_checks, load_lab, run_check\n"
        "lab = load_lab(sys.argv[1])\n"
        f"print(json.dumps([(c.claim, run_check(c, lab).result) for c in all_checks() if c.claim in {WRONG_CLAIMS}]))\n"
    )
    ran = subprocess.run([sys.executable, "-c", script, str(lab_file)], capture_output=True, text=True, check=True)
    results = json.loads(ran.stdout)
    # the first check builds a role, which applies the patch: every check of the three claims passes
    assert {claim for claim, _ in results} == set(WRONG_CLAIMS)
    assert {result for _, result in results} == {"pass"}, results


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("cheats")
    paths = []
    for cheat in CHEATS:
        path = folder / f"{cheat.replace(' ', '_').replace('.', '_')}.py"
        path.write_text(cheat_source(cheat))
        paths.append(path)
    correct = folder / "correct.py"
    correct.write_text(CORRECT_LAB)
    reports = check_batch([*paths, correct], folder / "out", LIMITS, jobs=2, log=lambda line: None)
    alone = check_batch([correct], folder / "alone", LIMITS, jobs=1, log=lambda line: None)
    return {"reports": dict(zip([*CHEATS, "correct"], reports)), "alone": alone[0]}


@pytest.mark.parametrize("cheat", CHEATS)
def test_a_cheat_ends_flagged_or_failing_its_wrong_claims_never_passing_one(batch, cheat):
    report = batch["reports"][cheat]
    results = wrong_claims(report)
    assert report["status"] == "tampered" or set(results.values()) == {"fail"}, json.dumps(report)[:2000]
    assert "pass" not in results.values(), results


# (threading.setprofile is in threading's namespace, which the guard puts back after loading: the claims fail)
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
    assert set(wrong_claims(beside).values()) == {"pass"}


# where each cheat that reaches into the worker is caught: the report's error, or a wrong claim's detail
CAUGHT = {
    "token from a frame": "(Forged: a verdict on the judged check 'L3:",
    "emit rewritten": "(Forged: a verdict on the judged check 'L3:",
    "checks swapped": "(Forged: a verdict on the judged check 'L3:",
    "atexit after KeyboardInterrupt": "KeyboardInterrupt at atexit_after_KeyboardInterrupt.py:",
    "lying tensor": "a Agreeable, a subclass of torch.Tensor",
    "checked replaced": "nnlab.grading.worker.checked",  # put back after loading, or seen changed before a check
}


@pytest.mark.parametrize("cheat", CAUGHT)
def test_a_cheat_that_reaches_into_the_worker_is_caught_where_the_supervisor_judges(batch, cheat):
    report = batch["reports"][cheat]
    details = " ".join(wrong_claims(report, "detail").values())
    assert CAUGHT[cheat] in f"{report['error']} {details}", json.dumps(report)[:2000]
