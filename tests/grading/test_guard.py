"""No self-grading: the patches a submission makes at import would pass its wrong layer, and the guard undoes them."""

import torch

from nnlab.checks import CHECKS, all_checks, load_lab, run_check
from nnlab.grading.guard import Snapshot
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
