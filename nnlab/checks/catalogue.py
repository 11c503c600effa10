"""The lab's claims catalogue, ``claims.toml``: each claim's ID, its section and the claim in one line."""

import functools
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover  (Python 3.10)
    import tomli as tomllib

CATALOGUE = Path(__file__).with_name("claims.toml")


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """``{"L7": {"section": ..., "title": ...}, ...}`` in the catalogue's order."""
    with CATALOGUE.open("rb") as f:
        return tomllib.load(f)
