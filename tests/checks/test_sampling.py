"""The checks' distribution test keeps its level for every sample size, and says why a draw fails it."""

import pytest
import torch
from hypothesis import settings
from scipy import stats

from nnlab.checks.sampling import ALPHA, assert_distributed_as, bonferroni, dkw_radius, per_example


@pytest.mark.parametrize("n", [1, 10, 50, 2048, 20_000, 262_144])
@pytest.mark.parametrize("alpha", [0.05, ALPHA, bonferroni(4)])
def test_a_correct_draw_leaves_the_dkw_radius_with_probability_at_most_alpha(n, alpha):
    # kstwo is the exact distribution of the Kolmogorov-Smirnov distance of n draws
    assert stats.kstwo(n).sf(dkw_radius(n, alpha)) <= alpha


def test_a_correct_draw_passes_and_a_wider_one_fails_naming_its_distance_and_level():
    torch.manual_seed(0)
    uniform = stats.uniform(-1, 2)
    assert_distributed_as(torch.rand(5000) * 2 - 1, uniform, "U(-1, 1) draws")
    with pytest.raises(AssertionError) as failed:
        assert_distributed_as(torch.rand(5000) * 2.4 - 1.2, uniform, "U(-1.2, 1.2) draws")
    said = str(failed.value)
    assert said.startswith("U(-1.2, 1.2) draws: the 5000 draws' empirical CDF is 0.0"), said
    assert f"within {dkw_radius(5000, ALPHA):.3f} with probability 1 - 1e-06" in said, said
    assert "the distribution's, 0 and 0.5774" in said, said


def test_the_examples_of_a_check_share_its_level():
    assert per_example() * settings.default.max_examples == pytest.approx(ALPHA)
    assert bonferroni(4) == ALPHA / 4
