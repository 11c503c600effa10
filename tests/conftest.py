"""Fixtures for the Fashion-MNIST tests: small look-alikes of the real files (the real data is in ../conftest.py)."""

import pytest

from tests.fakedata import write_fake_fashion_mnist


@pytest.fixture
def fake_dir(tmp_path, monkeypatch):
    """A folder with small gzipped look-alike files, and a private cache for their unpacked copies."""
    pytest.importorskip(
        "torchvision", reason="reading Fashion-MNIST files needs torchvision, not installed for this torch"
    )
    monkeypatch.setenv("NNLAB_CACHE", str(tmp_path / "cache"))
    return write_fake_fashion_mnist(tmp_path / "fake")


@pytest.fixture
def fake(fake_dir):
    from nnlab.data import load_fashion_mnist

    return load_fashion_mnist(fake_dir)
