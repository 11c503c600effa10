"""The checks' sampling statistics: the level they run at, how a check shares it, and the one distribution test.

scipy is imported by the functions that test, not here: every worker of ``nnlab check`` imports every check and
tests nothing (the supervisor judges), and scipy.stats is half a second of each worker's start.

A statistical check can fail a correct implementation by chance, and says how often: at most ``ALPHA``.
Where one check makes several tests, each runs at ``bonferroni(k)``, so that together they keep ``ALPHA``;
where a test runs once per hypothesis example, at ``per_example()``.

``assert_distributed_as`` is a Kolmogorov-Smirnov test whose critical distance is the
Dvoretzky-Kiefer-Wolfowitz bound with Massart's constant: for ``n`` independent draws from a continuous
distribution with CDF ``F``, ``P(sup |F_n - F| > eps) <= 2 exp(-2 n eps^2)``. Rejecting beyond
``eps = sqrt(ln(2 / alpha) / (2 n))`` fails a correct draw with probability at most ``alpha`` for every ``n``,
whatever its random-number stream; scipy's p-value, asymptotic beyond 10,000 draws, is an approximation, not
a bound (at ``alpha = 1e-6`` the two critical distances differ by under 1% there).

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import math

import torch
from hypothesis import settings

ALPHA = 1e-6  # the chance that a correct implementation fails one statistical check


def bonferroni(tests: int, alpha: float = ALPHA) -> float:
    """The level of each of ``tests`` tests that together fail a correct implementation at most ``alpha``."""
    return alpha / tests


def per_example(alpha: float = ALPHA) -> float:
    """``alpha`` shared among the examples hypothesis runs, so that the whole check keeps ``alpha`` (Bonferroni)."""
    return bonferroni(settings.default.max_examples, alpha)


def dkw_radius(n: int, alpha: float) -> float:
    """The ``eps`` with ``P(sup |F_n - F| > eps) <= alpha`` for ``n`` draws (DKW, Massart's constant)."""
    return math.sqrt(math.log(2 / alpha) / (2 * n))


def uniform(low: float, high: float):
    """U(low, high), frozen, for ``assert_distributed_as``."""
    from scipy import stats

    return stats.uniform(low, high - low)


def normal(mean: float, std: float):
    """N(mean, std²), frozen, for ``assert_distributed_as``."""
    from scipy import stats

    return stats.norm(mean, std)


def binomial_pvalue(successes: int, trials: int, p: float) -> float:
    """The exact two-sided binomial test's p-value for ``successes`` of ``trials`` at probability ``p``."""
    from scipy import stats

    return stats.binomtest(successes, trials, p).pvalue


def assert_distributed_as(samples: torch.Tensor, distribution, what: str, alpha: float = ALPHA) -> None:
    """``samples`` pass a Kolmogorov-Smirnov test against ``distribution`` (a frozen ``scipy.stats`` one: ``uniform``,
    ``normal``) at level ``alpha``, with the DKW bound as the critical distance.
    """
    from scipy import stats

    x = samples.detach().double().flatten().numpy()
    test = stats.kstest(x, distribution.cdf)
    radius = dkw_radius(x.size, alpha)
    assert test.statistic <= radius, (
        f"{what}: the {x.size} draws' empirical CDF is {test.statistic:.3f} from the expected one at its farthest "
        f"(Kolmogorov-Smirnov, p = {test.pvalue:.2g}); a correct draw stays within {radius:.3f} with probability "
        f"1 - {alpha:g}. Their mean is {x.mean():.4g} and standard deviation {x.std(ddof=1):.4g}; the "
        f"distribution's, {distribution.mean():.4g} and {distribution.std():.4g}"
    )
