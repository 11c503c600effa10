"""What a failed check shows: the code's value beside the property's (nnlab/checks/expect.py)."""

import pytest
import torch

from nnlab.checks.expect import assert_close, show


def test_a_mismatch_shows_both_values_after_torchs_message():
    with pytest.raises(AssertionError) as error:
        assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 3.0]))
    said = str(error.value)
    assert said.startswith("Tensor-likes are not close!") and "Mismatched elements: 1 / 2" in said
    assert said.endswith("\nGot tensor of shape (2,) [1, 2]; the property needs tensor of shape (2,) [1, 3].")


@pytest.mark.parametrize(
    ("msg", "start"), [("the outputs moved", "the outputs moved\nGot"), (str.upper, "TENSOR-LIKES")]
)
def test_a_checks_own_words_replace_torchs_or_rewrite_them(msg, start):
    with pytest.raises(AssertionError) as error:
        assert_close(torch.zeros(1), torch.ones(1), msg=msg)
    assert str(error.value).startswith(start)


def test_a_long_tensor_is_cut_after_eight_values_and_anything_else_is_its_repr():
    assert show(torch.arange(10)) == "tensor of shape (10,) [0, 1, 2, 3, 4, 5, 6, 7, ...]"
    assert show(torch.tensor([[0.5, 1 / 3]])) == "tensor of shape (1, 2) [0.5, 0.3333]"
    assert show((1, 2)) == "(1, 2)"
