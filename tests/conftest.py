"""Fixtures for the Fashion-MNIST tests: the real data where present, and small look-alikes."""

import os

import pytest

from tests.fakedata import write_fake_fashion_mnist


@pytest.fixture(scope="session")
def fashion():
    """The real Fashion-MNIST in memory. Skipped where absent, unless NNLAB_REQUIRE_DATA=1 (as in CI)."""
    pytest.importorskip("torchvision", reason="torchvision is not installed for this torch")
    from nnlab.data import DataNotFoundError, load_fashion_mnist

    try:
        return load_fashion_mnist()
    except DataNotFoundError as error:
        if os.environ.get("NNLAB_REQUIRE_DATA") == "1":
            pytest.fail(f"NNLAB_REQUIRE_DATA=1 but {error}")
        pytest.skip(f"real Fashion-MNIST not available: {error}")


@pytest.fixture
def fake_dir(tmp_path, monkeypatch):
    """A folder with small gzipped look-alike files, and a private cache for their unpacked copies."""
    monkeypatch.setenv("NNLAB_CACHE", str(tmp_path / "cache"))
    return write_fake_fashion_mnist(tmp_path / "fake")


@pytest.fixture
def fake(fake_dir):
    from nnlab.data import load_fashion_mnist

    return load_fashion_mnist(fake_dir)
