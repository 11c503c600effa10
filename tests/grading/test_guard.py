"""No self-grading: the patches a submission makes at import would pass its wrong layer, and the guard undoes them."""

import json
import shutil
import sys
import threading
import types

import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nnlab import stats
from nnlab.checks import CHECKS, all_checks, load_lab, run_check
from nnlab.cli import main
from nnlab.grading.guard import Snapshot, tampering, warm_up, watched_by_the_checks
from tests.grading.conftest import EXAMPLES

ORIGINALS = (torch.allclose, torch.equal, torch.Tensor.equal, torch.testing.assert_close)


def test_patched_comparisons_pass_the_wrong_layer_until_the_guard_puts_torch_back():
    c1 = [check for check in all_checks() if check.claim == "C1"]
    snapshot = Snapshot(objects=CHECKS)
    try:
        lab = load_lab(EXAMPLES / "patches_torch.py")
        while_patched = [run_check(check, lab).result for check in c1]
    finally:
        restored = snapshot.restore()
    assert (torch.allclose, torch.equal, torch.Tensor.equal, torch.testing.assert_close) == ORIGINALS
    assert torch._C._len_torch_function_stack() == 0
    assert "torch.allclose" in restored and "torch function mode Agreeable" in restored
    guarded = [run_check(check, lab).result for check in c1]
    # checks that fail the layer once torch is back, and passed it while torch was patched: the attack works on
    # an unguarded process, and the guard is what stops it
    fooled = [
        check.name for check, patched, now in zip(c1, while_patched, guarded) if (patched, now) == ("pass", "fail")
    ]
    assert fooled, f"the patches fooled no check: {while_patched} then {guarded}"


def test_restoring_an_unchanged_process_changes_nothing():
    assert Snapshot().restore() == []


# A lab's ordinary use of torch at import: saving and loading, to a file and to memory, a module and a state
# dict, and training steps of two optimizers. torch fills some of its namespaces on first use of these.
SAVES_AND_TRAINS_AT_IMPORT = """
import io, os, tempfile
import torch
from torch import optim

_net = OriginalNetwork()
_path = os.path.join(tempfile.gettempdir(), "at_import.pt")
torch.save(_net, _path)
torch.load(_path, weights_only=False)
_memory = io.BytesIO()
torch.save(_net.state_dict(), _memory)
_memory.seek(0)
_net.load_state_dict(torch.load(_memory))
for _optimizer in (optim.SGD(_net.parameters(), lr=0.01, momentum=0.9), optim.Adam(_net.parameters())):
    _net(torch.randn(2, 3, 32, 32)).sum().backward()
    _optimizer.step()
torch.manual_seed(0)
"""


def test_a_correct_lab_that_saves_loads_and_trains_at_import_is_reported_as_changing_nothing(tmp_path):
    lab = tmp_path / "honest"
    shutil.copytree(EXAMPLES / "correct_lab", lab, ignore=shutil.ignore_patterns("__pycache__", "test_*"))
    (lab / "fileio.py").write_text((lab / "fileio.py").read_text() + SAVES_AND_TRAINS_AT_IMPORT)
    out = tmp_path / "out"
    assert main(["check", str(lab), "--out", str(out), "--jobs", "1"]) == 0
    report = json.loads((out / "honest" / "report.json").read_text())
    assert report["status"] == "checked" and report["restored"] == []


def test_warming_up_leaves_torchs_random_generator_as_it_was():
    before = torch.random.get_rng_state()
    warm_up()
    assert torch.equal(torch.random.get_rng_state(), before)


def test_tampering_names_a_thread_a_profile_function_and_a_change_since_the_snapshot():
    snapshot = Snapshot(watched=watched_by_the_checks)
    # what this test process has anyway (coverage's trace function under --cov, tqdm's monitor thread) is
    # in the evidence too: a worker has neither
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="patcher")
    thread.start()
    original, torch.allclose = torch.allclose, lambda *args, **kwargs: True
    sys.setprofile(lambda frame, event, arg: None)
    try:
        found = tampering(snapshot)
    finally:
        sys.setprofile(None)
        stop.set()
        thread.join()
    assert any(item.startswith("a profile function (sys.setprofile)") for item in found), found
    threads = [item for item in found if item.startswith("threads of its own still running: ")]
    assert len(threads) == 1 and "patcher" in threads[0].split(": ")[1].split(", "), found
    assert found[-1] == "torch.allclose" and torch.allclose is original  # named, and put back
    assert "torch.allclose" not in tampering(snapshot)


def test_a_module_replaced_in_sys_modules_and_a_functions_code_swapped_in_place_are_put_back_and_named():
    # nnlab.stats: a module of plain functions, among those the checks' snapshot watches
    module, code = sys.modules["nnlab.stats"], stats.epochs_run.__code__
    snapshot = Snapshot(watched=watched_by_the_checks)
    try:
        sys.modules["nnlab.stats"] = type(sys)("nnlab.stats")
        stats.epochs_run.__code__ = code.replace(co_name="swapped")  # its own free variables (mutmut wraps it)
    finally:
        restored = snapshot.restore()
    assert sys.modules["nnlab.stats"] is module and stats.epochs_run.__code__ is code
    assert "nnlab.stats" in restored and "nnlab.stats.epochs_run.__code__" in restored


# Edits a submission could make to a namespace: rebind a name, delete one, add one, delete and re-add a name with
# its own value (same names and objects, another order), move a name's value to a new name (the same objects in the
# same order, another name), import a submodule (which the guard lets stay).
KINDS = ["rebind", "delete", "add", "reorder", "rename", "submodule"]
EDITS = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 3)), max_size=6)


# a few hundred examples of a sub-millisecond test: the edits that leave the namespace a prefix of the snapshot's,
# or the same names in another order, are few among those drawn (the guard's fast path must not take them)
@settings(max_examples=300)
@example(edits=[("delete", 3)])  # the last name gone: what remains is the snapshot's start
@example(edits=[("reorder", 0), ("rebind", 0)])
@example(edits=[("rename", 3)])
@given(edits=EDITS)
def test_every_rebound_deleted_or_added_name_is_named_and_put_back_and_nothing_else(edits):
    probe = types.ModuleType("nnlab_guard_probe")
    names = [f"name{i}" for i in range(4)]
    for name in names:
        setattr(probe, name, object())
    original = dict(vars(probe))
    sys.modules[probe.__name__] = probe
    try:
        snapshot = Snapshot(watched=lambda name: name == probe.__name__)
        changed, submodules = set(), set()
        for kind, index in edits:
            name = names[index]
            if kind == "rebind":
                setattr(probe, name, object())
                changed.add(name)
            elif kind == "delete" and hasattr(probe, name):
                delattr(probe, name)
                changed.add(name)
            elif kind == "add":
                setattr(probe, f"added{index}", object())
                changed.add(f"added{index}")
            elif kind == "reorder" and hasattr(probe, name):
                value = getattr(probe, name)
                delattr(probe, name)
                setattr(probe, name, value)  # the object it held at the snapshot, or not, as the edits before say
                if value is original[name]:
                    changed.discard(name)
                else:
                    changed.add(name)
            elif kind == "rename" and hasattr(probe, name):
                setattr(probe, f"renamed{index}", getattr(probe, name))
                delattr(probe, name)
                changed |= {name, f"renamed{index}"}
            elif kind == "submodule":
                setattr(probe, f"sub{index}", types.ModuleType(f"{probe.__name__}.sub{index}"))
                submodules.add(f"sub{index}")
        restored = snapshot.restore()
    finally:
        del sys.modules[probe.__name__]
    assert sorted(restored) == sorted(f"{probe.__name__}.{name}" for name in changed)
    assert {key: value for key, value in vars(probe).items() if key not in submodules} == original
