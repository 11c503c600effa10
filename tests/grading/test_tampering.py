"""Cheating labs: a wrong CenteredLayer (it centres each row, C1's mistake) with a way to make C1 pass anyway.

Each patch is one that makes C1 pass when nothing guards the checks (the first test shows it); each cheat applies it
where the guard's one restore after loading cannot see it. Each must end with C1 failing or the submission flagged
``tampered``, never with C1 passing; a correct lab checked beside them gets exactly its results alone.
"""

import json
import subprocess
import sys

import pytest

from nnlab.grading.batch import check_batch
from nnlab.grading.supervise import Limits

WRONG_LAYER = """
import sys, threading, time
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
    for check in sys.modules["nnlab.checks"].CHECKS:
        if check.claim == "C1":
            check.function.__code__ = no_raise.__code__


PATCHED = []


class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()
        if CHEAT == "first call" and not PATCHED:
            PATCHED.append(patch())

    def forward(self, X):
        return X - X.mean(dim=1, keepdim=True)
"""

CHEATS = {
    "first call": "",  # the patch applied by the role's constructor, the first time a check builds it
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
}

CORRECT_LAYER = """
from torch import nn


class CenteredLayer(nn.Module):
    def forward(self, X):
        return X - X.mean()
"""

LIMITS = Limits(timeout=120, check_timeout=30, memory_gib=2)


def cheat_source(cheat: str) -> str:
    return f"CHEAT = {cheat!r}\n{WRONG_LAYER}\n{CHEATS[cheat]}"


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
