"""The statements of tutorial section 3.3 (T6 to T8) about torch: which hold in this torch, which are qualified."""

from tests.checks.helpers import statement_results, statements_not_passing


def test_open_interval_statements_are_qualified_by_float32_saturation_and_the_other_t6_to_t8_statements_hold():
    assert statements_not_passing("T6", "T7", "T8") == {
        "tanh_is_odd_and_lies_in_the_open_interval": "qualified",
        "sigmoid_lies_in_the_open_interval_and_complements_itself": "qualified",
    }
    sigmoid = statement_results("T6", "T7", "T8")["sigmoid_lies_in_the_open_interval_and_complements_itself"]
    assert "exactly 1 for x >= 16.75" in sigmoid.detail


def test_the_open_interval_statements_are_qualified_only_by_saturation_their_symmetry_holds():
    # tanh(-x) = -tanh(x) and sigmoid(-x) = 1 - sigmoid(x) hold on the whole grid: what qualifies each statement is
    # the float32 output reaching the interval's end, not a broken symmetry
    results = statement_results("T6", "T7", "T8")
    tanh = results["tanh_is_odd_and_lies_in_the_open_interval"].detail
    sigmoid = results["sigmoid_lies_in_the_open_interval_and_complements_itself"].detail
    assert "float32 tanh(x) is exactly +-1 for |x| >= " in tanh, tanh
    assert "float32 sigmoid(x) is exactly 1 for x >= " in sigmoid, sigmoid
