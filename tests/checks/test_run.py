"""The runner's own rules: what a check's failure becomes, and what one check cannot do to the next."""

import sys

import pytest
import torch
from torch import nn

from nnlab.checks import all_checks, run_check
from nnlab.checks.lab import Lab
from nnlab.labs import REFERENCE
from tests.checks.helpers import variant


def check_named(name: str):
    return next(c for c in all_checks() if c.name == name)


class CenteredButSwitchesGradientsOff(nn.Module):
    """Correct output, but its constructor turns autograd off for the whole process."""

    def __init__(self):
        super().__init__()
        torch.set_grad_enabled(False)

    def forward(self, X):
        return X - X.mean()


def test_a_check_cannot_leave_autograd_off_for_the_next_one():
    lab = variant("layers", CenteredLayer=CenteredButSwitchesGradientsOff)
    run_check(check_named("centered_output_has_mean_zero"), lab)
    assert torch.is_grad_enabled()
    assert run_check(check_named("parallel_block_trains_both_nets"), REFERENCE).result == "pass"


@pytest.mark.parametrize(
    "escape",
    [lambda: sys.exit(0), lambda: pytest.skip("no"), lambda: pytest.xfail("no")],
    ids=["exit", "skip", "xfail"],
)
def test_exiting_or_skipping_inside_the_code_under_check_is_a_failure(escape):
    class Escaping(nn.Module):
        def forward(self, X):
            escape()

    lab = variant("layers", CenteredLayer=Escaping)
    assert run_check(check_named("centered_output_has_mean_zero"), lab).result == "fail"


def test_a_failure_stays_a_failure_when_the_documented_behaviour_needs_a_missing_role():
    class Stacking(nn.Module):
        def __init__(self, net1, net2):
            super().__init__()
            self.net1, self.net2 = net1, net2

        def forward(self, X):
            return torch.stack((self.net1(X), self.net2(X)))

    check = check_named("parallel_block_concatenates_for_any_widths")
    assert check.documented is not None
    only_the_block = Lab("partial", blocks=type("Blocks", (), {"ParallelBlock": Stacking}))
    assert run_check(check, only_the_block).result == "fail"


def test_a_role_the_lab_lacks_is_missing_not_failed():
    result = run_check(check_named("centered_output_has_mean_zero"), Lab("empty"))
    assert (result.result, result.detail) == (
        "missing",
        "empty defines no 'CenteredLayer' in its 'layers' section (report section 3: custom layers).",
    )


def test_in_one_file_mlp_is_section_5s_when_it_takes_dropout_rate_and_section_1s_otherwise(tmp_path):
    from nnlab.checks import RoleMissing, load_lab

    for source, section, other in (
        ("class MLP:\n    def __init__(self): pass\n", "blocks", "classifier"),
        ("class MLP:\n    def __init__(self, activation=None, dropout_rate=0.0): pass\n", "classifier", "blocks"),
    ):
        path = tmp_path / f"{section}_lab.py"
        path.write_text(source)
        lab = load_lab(path)
        assert getattr(lab, section).MLP.__name__ == "MLP"
        with pytest.raises(RoleMissing):
            _ = getattr(lab, other).MLP
