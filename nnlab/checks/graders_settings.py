"""The hypothesis settings the checks run under wherever a lab is graded, so that a student's run gives the grader's
result: ``nnlab check``'s worker, ``parametrize_with_checks`` and the pytest plugin (``pytest --nnlab-lab``).

Derandomized, so every run, in every process, draws the same examples; no example database, nothing written.
Every setting is given here, none inherited from the profile loaded at import (a student's own, the suite's, or
hypothesis's ``ci`` profile, which it loads where a CI variable is set). nnlab's own suite runs the checks under
its own profiles (``conftest.py``), through ``run_check``, which leaves the loaded profile alone.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, Phase, Verbosity, settings

from nnlab.checks.lab import Lab
from nnlab.checks.registry import Check
from nnlab.checks.run import Result, run_check


def graders_settings() -> settings:
    """The settings, built anew at each call from the values written here: a settings object kept between calls
    could be changed in place by code under check (its attributes are plain instance state, which the guard's
    snapshot of module namespaces does not see), and the checks after would draw what it chose."""
    return settings(
        max_examples=50,
        derandomize=True,
        database=None,
        verbosity=Verbosity.normal,
        phases=tuple(Phase),
        stateful_step_count=50,
        report_multiple_bugs=True,
        suppress_health_check=[HealthCheck.too_slow],
        deadline=None,  # building modules is slow, not wrong
        print_blob=False,
        backend="hypothesis",
    )


PROFILE = "nnlab-check"


@contextmanager
def under_graders_settings() -> Iterator[None]:
    """Run the block with ``graders_settings()`` loaded, whatever profile was (a student's own included), and load
    that one again after."""
    loaded = settings.get_current_profile_name()
    # registered again each time: code under check may have registered a profile of its own under this name
    settings.register_profile(PROFILE, graders_settings())
    settings.load_profile(PROFILE)
    try:
        yield
    finally:
        settings.load_profile(loaded)


def graded(check: Check, lab: Lab) -> Result:
    """``run_check`` under the grader's settings: in one process, the result ``nnlab check`` gives."""
    with under_graders_settings():
        return run_check(check, lab)
