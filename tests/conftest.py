"""Fixtures for the Fashion-MNIST tests: small look-alikes of the real files (the real data is in ../conftest.py);
and every test leaves its process no child and no subreaper."""

import ctypes

import pytest

from nnlab.grading.reaper import PR_SET_CHILD_SUBREAPER, children, command_line
from tests.fakedata import write_fake_fashion_mnist


@pytest.fixture(autouse=True)
def no_process_left_behind():
    """A test leaves its process no child and no subreaper. Under mutmut the process that ran the tests once goes on
    to wait for its mutants' test runs (``os.wait``), and any child it never started, running or exited, that ends
    or is found there crashes it: a subprocess a test did not wait for, or an orphan handed to it as subreaper
    (nnlab check run in the test's process makes it one)."""
    before = set(children())
    yield
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
    # torch.compile's pool of compile workers (torch 2.5 and older start one) serves the process until it exits
    left = {pid for pid in set(children()) - before if "torch/_inductor/compile_worker" not in command_line(pid)}
    if left:
        pytest.fail(f"the test left {len(left)} child process(es): " + "; ".join(map(command_line, sorted(left))))


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
