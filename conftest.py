"""Suite-wide set-up: the claims ledger, hypothesis profiles, determinism.

Hypothesis profiles, chosen with ``NNLAB_HYPOTHESIS_PROFILE``:

- ``quick`` (default): few examples, fresh random seeds each run.
- ``ci``: more examples, derandomized, so CI is thorough and repeatable.
- ``repeatable``: quick's examples, derandomized: CI's runs under the other torches, and ``make mutation``, whose
  score must not change between two runs of the same code.
"""

import os
import zlib

import hypothesis_torch  # noqa: F401  (registers torch's RNG, so hypothesis seeds it per example)
import pytest
import torch
from hypothesis import HealthCheck, settings

pytest_plugins = ["tests.ledger"]

# Tensor-building examples are slower than hypothesis expects; its deadline would flag noise, not bugs.
_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("quick", max_examples=15, **_common)
settings.register_profile("ci", max_examples=60, derandomize=True, print_blob=True, **_common)
settings.register_profile("repeatable", max_examples=15, derandomize=True, print_blob=True, **_common)
settings.load_profile(os.environ.get("NNLAB_HYPOTHESIS_PROFILE", "quick"))

# One intra-op thread per core, shared among pytest-xdist's workers: with more threads than cores, torch's threads
# wait on each other (a tiny BatchNorm call took 50 to 90 ms with two workers of two threads, 0.04 ms with one each).
_workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
torch.set_num_threads(max(1, min(torch.get_num_threads(), (os.cpu_count() or 1) // _workers)))


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    no_cuda = pytest.mark.skip(reason="needs CUDA; torch sees no CUDA device here")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(no_cuda)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: minutes of work (training on the real Fashion-MNIST, inductor compilation); deselect with -m 'not slow'",
    )
    config.addinivalue_line("markers", "gpu: needs CUDA; skipped where none is present")


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


@pytest.fixture(autouse=True)
def own_randomness(request):
    """Each test draws from its own torch generator, seeded from its name: none leaks RNG state into another."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(zlib.crc32(request.node.nodeid.encode()))
        yield


def pytest_benchmark_update_machine_info(config, machine_info):
    """Saved benchmark runs name the torch and the GPU that produced them (docs/performance.md's figures cite them)."""
    machine_info["torch"] = torch.__version__
    if torch.cuda.is_available():
        machine_info["gpu"] = torch.cuda.get_device_name()
