"""The sample labs with one typical mistake each: the mistaken claim fails, with the why; the rest pass."""

import pytest

pytestmark = pytest.mark.xdist_group("grading")

MISTAKES = [
    ("python_list_sequential", "L3", "MySequential's parameters() are exactly its children's parameters"),
    ("per_row_centering", "C1", "CenteredLayer()(X) is X - X.mean(), the mean over the whole"),
    ("dropout_always_on", "M1", "computes the plain network in eval mode"),
    ("parallel_block_on_batch_dim", "L7", "ParallelBlock(net1, net2)(X) is cat(net1(X), net2(X), dim=-1)"),
    ("patches_torch", "C1", "CenteredLayer()(X) is X - X.mean(), the mean over the whole"),
]


@pytest.mark.parametrize(("name", "claim", "property_"), MISTAKES, ids=[case[0] for case in MISTAKES])
def test_the_mistake_fails_its_claim_naming_the_property_and_every_other_provided_claim_passes(
    batch, name, claim, property_
):
    report = batch.report(name)
    assert report["status"] == "checked"
    failed = batch.claim(name, claim)
    assert failed["result"] == "fail" and property_ in failed["detail"]
    assert {c["result"] for c in report["claims"] if c["id"] != claim} <= {"pass", "missing"}
    assert f"| {claim} | fail |" in (batch.out / name / "report.md").read_text()


def test_a_failed_comparison_shows_the_counterexample_and_what_a_correct_implementation_gives(batch):
    detail = batch.claim("parallel_block_on_batch_dim", "L7")["detail"]
    # judged in the supervisor, without shrinking: the first question hypothesis draws is its simplest
    assert "for tensor of shape (1, 5) [0, 0, 0, 0, 0] and widths 1, 1" in detail and "(question 1 of " in detail
    assert "Got tensor of shape (2, 1) [" in detail and "; the property needs tensor of shape (1, 2) [" in detail


def test_comparisons_patched_at_import_are_put_back_and_reported(batch):
    restored = batch.report("patches_torch")["restored"]
    for name in ("torch.allclose", "torch.equal", "torch.Tensor.equal", "torch.testing.assert_close"):
        assert name in restored
    assert "torch function mode Agreeable" in restored
    assert "torch.testing._comparison.assert_close.__code__" in restored and any(
        name.startswith("Check.function (of ") for name in restored
    )
    assert "torch.nn.modules.module._global_forward_hooks" in restored


def test_a_submission_that_patches_torch_leaves_the_others_results_as_they_are_alone(batch, tmp_path):
    from nnlab.grading.supervise import Limits, check_submission
    from tests.grading.conftest import EXAMPLES

    alone = check_submission(EXAMPLES / "per_row_centering", "alone", Limits())
    beside = batch.report("per_row_centering")
    assert {r.check: (r.result, r.detail) for r in alone.results.values()} == {
        c["check"]: (c["result"], c["detail"]) for claim in beside["claims"] for c in claim["checks"]
    }
