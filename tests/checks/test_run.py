"""The runner's own rules: what a check's failure becomes, and what one check cannot do to the next."""

import sys

import pytest
import torch
from torch import nn

import nnlab.blocks
from nnlab.checks import Result, Statement, all_checks, claim_result, load_lab, run_check, run_statement
from nnlab.checks.lab import Lab
from nnlab.checks.registry import Check
from nnlab.checks.run import describe, note
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
    check = check_named("centered_output_has_mean_zero")
    result = run_check(check, Lab("empty"))
    assert (result.check, result.result, result.detail) == (
        check.id,
        "missing",
        "empty defines no 'CenteredLayer' in its 'layers' section (report section 3: custom layers).",
    )


def test_in_one_file_mlp_is_section_5s_when_it_takes_dropout_rate_and_section_1s_otherwise(tmp_path):
    from nnlab.checks import RoleMissing

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


def wording_fails():
    """The documents' wording."""
    raise AssertionError("torch does otherwise")


def correction_holds():
    """The corrected statement."""


def correction_fails():
    """A corrected statement that is wrong too."""
    raise AssertionError("not this either")


@pytest.mark.parametrize(
    ("truth", "when_wrong", "result", "detail"),
    [
        (correction_holds, "qualified", "qualified", "What holds instead: The corrected statement."),
        (correction_holds, "refuted", "fail", "What holds instead: The corrected statement."),
        (correction_fails, "qualified", "error", "Nor does the correction hold: not this either"),
        (correction_fails, "refuted", "error", "Nor does the correction hold: not this either"),
    ],
)
def test_a_statement_is_qualified_or_refuted_only_where_its_correction_holds(truth, when_wrong, result, detail):
    said = run_statement(Statement("T0", wording_fails, truth, when_wrong))
    assert (said.check, said.result) == ("T0:wording_fails", result)
    assert said.detail == f"The documents' wording: torch does otherwise {detail}"


def test_a_failures_detail_carries_hypothesiss_example_on_one_line_but_not_its_reproduce_hint():
    error = AssertionError("outputs differ")
    error.add_note("Falsifying example: prop(\n    width=3,\n)")
    error.add_note("You can reproduce this example by temporarily adding @reproduce_failure")
    assert describe(error) == "outputs differ Falsifying example: prop( width=3, )"


def test_a_folder_holding_one_file_is_that_file_under_the_name_given(tmp_path):
    """As Gradescope hands over an upload of lab.py; a folder of several non-section files is refused."""
    (tmp_path / "upload").mkdir()
    (tmp_path / "upload" / "lab.py").write_text("class CenteredLayer:\n    pass\n")
    lab = load_lab(tmp_path / "upload", "student")
    assert (lab.name, lab.layers.CenteredLayer.__name__) == ("student", "CenteredLayer")
    (tmp_path / "upload" / "notes.py").write_text("")
    with pytest.raises(
        FileNotFoundError, match="holds none of the sections' scripts or notebooks, blocks.py, parameters.py"
    ):
        load_lab(tmp_path / "upload")
    with pytest.raises(FileNotFoundError, match="No lab at .*nowhere: give a .py or .ipynb file, or a folder"):
        load_lab(tmp_path / "nowhere")


@pytest.mark.parametrize("link", ["dangling", "loop"])
def test_a_section_script_that_cannot_be_read_is_named_not_taken_for_missing(link, tmp_path):
    (tmp_path / "layers.py").write_text("class CenteredLayer:\n    pass\n")
    blocks = tmp_path / "blocks.py"
    blocks.symlink_to(tmp_path / "elsewhere.py" if link == "dangling" else blocks)
    why = "No such file or directory" if link == "dangling" else "Too many levels of symbolic links"
    with pytest.raises(FileNotFoundError, match=f"blocks.py could not be read \\(a link that leads nowhere: {why}\\)"):
        load_lab(tmp_path)


def test_a_note_belongs_to_the_check_that_made_it_and_to_no_later_one():
    def noting(lab):
        note("named otherwise")

    def quiet(lab):
        pass

    noted, clean = (run_check(Check("L1", function), REFERENCE) for function in (noting, quiet))
    assert (noted.result, noted.detail) == ("pass", "Note: named otherwise")
    assert (clean.result, clean.detail) == ("pass", "")


def test_a_claim_with_one_role_absent_takes_the_result_of_the_checks_that_ran_marked_partial():
    only_nest = Lab("nest only", blocks=type("Blocks", (), {"NestMLP": nnlab.blocks.NestMLP}))
    results = [run_check(c, only_nest) for c in all_checks() if c.claim == "L6"]
    assert {r.result for r in results} == {"pass", "missing"}
    outcome = claim_result(results)
    assert (outcome.result, outcome.partial) == ("pass", True)
    assert "Partial: 1 of 6 checks could not run" in outcome.detail and "defines no" in outcome.detail


def test_a_claim_none_of_whose_checks_ran_is_missing_and_not_partial():
    outcome = claim_result(run_check(c, Lab("empty")) for c in all_checks() if c.claim == "L6")
    assert (outcome.result, outcome.partial) == ("missing", False)


def test_a_partial_claim_keeps_the_worst_result_of_the_checks_that_ran():
    results = [Result("X:a", "X", "pass"), Result("X:b", "X", "missing", "no b"), Result("X:c", "X", "fail", "bad")]
    assert claim_result(results) == ("fail", "[c] bad Partial: 1 of 3 checks could not run (no b)", True)


def test_a_claims_detail_is_that_of_its_worst_checks_only():
    results = [Result("X:a", "X", "pass", "Note: named otherwise"), Result("X:b", "X", "fail", "bad")]
    results += [Result("X:c", "X", "fail"), Result("X:d", "X", "fail", "worse")]
    assert claim_result(results) == ("fail", "[b] bad [d] worse", False)


def test_a_lab_with_an_unknown_section_is_refused_naming_the_sections():
    with pytest.raises(ValueError, match=r"Lab 'x': unknown sections \['block'\]; the sections are \['blocks', "):
        Lab("x", block=object())


def test_a_section_script_imports_its_siblings_and_is_its_own_module_while_it_runs(tmp_path):
    """As ``python layers.py`` would run it: a helper file beside it imports, and a dataclass (which looks its
    module up in sys.modules) defines."""
    (tmp_path / "helpers_of_the_lab.py").write_text("WIDTH = 3\n")
    (tmp_path / "layers.py").write_text(
        "from dataclasses import dataclass\n"
        "from helpers_of_the_lab import WIDTH\n\n\n"
        "@dataclass\nclass Sizes:\n    width: int = WIDTH\n\n\n"
        "class CenteredLayer:\n    sizes = Sizes()\n"
    )
    lab = load_lab(tmp_path, "student")
    assert lab.layers.CenteredLayer.sizes.width == 3
    assert str(tmp_path) not in sys.path
