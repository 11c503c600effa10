"""Fixtures for the Fashion-MNIST tests: small look-alikes of the real files (the real data is in ../conftest.py);
and every test leaves its process no subreaper."""

import ctypes

import pytest

from nnlab.grading.reaper import PR_SET_CHILD_SUBREAPER
from tests.fakedata import write_fake_fashion_mnist


@pytest.fixture(autouse=True)
def no_subreaper_left_behind():
    """nnlab check run in a test's process makes it the subreaper of what its workers leave; the process is put back
    after. Under mutmut it is the process that waits for its mutants' test runs, and an orphan handed to it (any
    test's subprocess outliving its parent) is a child it never started, and crashes it."""
    yield
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


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
