"""The tests of the checks ask only whether a check passes or fails a variant, not for its smallest counterexample."""

import pytest
from hypothesis import Phase, settings


@pytest.fixture(autouse=True)
def no_shrinking():
    """Checks read the loaded profile when they run: load one without the shrink phase, then put the old one back."""
    previous = settings.get_current_profile_name()
    settings.register_profile(
        "checks-without-shrinking", settings.default, phases=[Phase.explicit, Phase.reuse, Phase.generate]
    )
    settings.load_profile("checks-without-shrinking")
    yield
    settings.load_profile(previous)
