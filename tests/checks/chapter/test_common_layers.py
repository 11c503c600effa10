"""The statements of tutorial section 3.3 (T6 to T8) about torch: which hold in this torch, which are qualified."""

from tests.checks.helpers import statement_results, statements_not_passing


def test_open_interval_statements_are_qualified_by_float32_saturation_and_the_other_t6_to_t8_statements_hold():
    assert statements_not_passing("T6", "T7", "T8") == {
        "tanh_is_odd_and_lies_in_the_open_interval": "qualified",
        "sigmoid_lies_in_the_open_interval_and_complements_itself": "qualified",
    }
    sigmoid = statement_results("T6", "T7", "T8")["sigmoid_lies_in_the_open_interval_and_complements_itself"]
    assert "exactly 1 for x >= 16.75" in sigmoid.detail
