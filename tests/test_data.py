"""Fashion-MNIST in memory: where it is found, and that it holds what torchvision's ToTensor path holds."""

from types import SimpleNamespace

import pytest
import torch

pytest.importorskip("torchvision", reason="torchvision is not installed for this torch")

from nnlab import data as nnlab_data  # noqa: E402
from nnlab.data import FILES, DataNotFoundError, cache_dir, find_root, load_fashion_mnist  # noqa: E402
from tests.fakedata import write_fake_fashion_mnist  # noqa: E402


def test_real_data_has_60000_and_10000_images_of_784_pixels(fashion):
    assert fashion.train.images.shape == (60_000, 784)
    assert fashion.test.images.shape == (10_000, 784)
    assert fashion.train.images.dtype == torch.float32 and fashion.train.labels.dtype == torch.int64


def test_real_data_has_10_balanced_classes(fashion):
    for split, per_class in ((fashion.train, 6_000), (fashion.test, 1_000)):
        assert torch.equal(torch.bincount(split.labels), torch.full((10,), per_class))


def test_real_data_values_are_in_0_1_and_use_the_whole_range(fashion):
    images = fashion.train.images
    assert images.min().item() == 0.0 and images.max().item() == 1.0


def test_images_and_labels_are_torchvisions_to_tensor_values(fake_dir):
    from torchvision import datasets, transforms

    data, root = load_fashion_mnist(fake_dir), find_root(fake_dir)
    for split, train in ((data.train, True), (data.test, False)):
        dataset = datasets.FashionMNIST(root, train=train, transform=transforms.ToTensor())
        images, labels = zip(*(dataset[i] for i in range(len(dataset))))
        assert torch.equal(split.images, torch.stack(images).flatten(1))  # the look-alikes hold 0 and 255 pixels
        assert torch.equal(split.labels, torch.tensor(labels))


def test_real_data_equals_torchvision_to_tensor_on_a_sample(fashion):
    from torchvision import datasets, transforms

    root = find_root()
    generator = torch.Generator().manual_seed(0)
    for split, train in ((fashion.train, True), (fashion.test, False)):
        dataset = datasets.FashionMNIST(root, train=train, transform=transforms.ToTensor())
        for i in torch.randint(0, len(dataset), (200,), generator=generator).tolist():
            image, label = dataset[i]
            assert image.shape == (1, 28, 28)
            assert torch.equal(split.images[i], image.flatten())
            assert split.labels[i].item() == label


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "unpacked"])
def test_a_named_folder_of_the_four_files_loads(tmp_path, monkeypatch, gz):
    monkeypatch.setenv("NNLAB_CACHE", str(tmp_path / "cache"))
    folder = write_fake_fashion_mnist(tmp_path / "files", n_train=32, n_test=8, gz=gz)
    data = load_fashion_mnist(folder)
    assert data.train.images.shape == (32, 784) and data.test.images.shape == (8, 784)
    assert 0.0 <= data.train.images.min() and data.train.images.max() <= 1.0


def test_the_environment_variable_names_the_folder(fake_dir, monkeypatch):
    monkeypatch.setenv("NNLAB_DATA_DIR", str(fake_dir))
    assert len(load_fashion_mnist().train) == 256


def test_a_torchvision_root_is_used_in_place(fake_dir, tmp_path):
    root = find_root(fake_dir)
    assert (root / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").is_file()
    assert find_root(root) == root


def test_debian_folder_is_found_when_nothing_is_named(fake_dir, monkeypatch):
    monkeypatch.delenv("NNLAB_DATA_DIR", raising=False)
    monkeypatch.setattr(nnlab_data, "DEBIAN_DIR", fake_dir)
    assert len(load_fashion_mnist().test) == 64


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"NNLAB_CACHE": "mine"}, "mine"), ({"XDG_CACHE_HOME": "xdg"}, "xdg/nnlab"), ({}, "home/.cache/nnlab")],
    ids=["NNLAB_CACHE", "XDG_CACHE_HOME", "home"],
)
def test_unpacked_files_go_to_the_documented_cache(env, expected, tmp_path, monkeypatch):
    for name in ("NNLAB_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name, value in env.items():
        monkeypatch.setenv(name, str(tmp_path / value))
    assert cache_dir() == tmp_path / expected


def test_each_folder_is_unpacked_into_a_cache_of_its_own(tmp_path, monkeypatch):
    monkeypatch.setenv("NNLAB_CACHE", str(tmp_path / "cache"))
    roots = [find_root(write_fake_fashion_mnist(tmp_path / name, n_train=8, n_test=8)) for name in ("a", "b")]
    assert roots[0] != roots[1] and [root.parent for root in roots] == [tmp_path / "cache"] * 2


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No data in any place nnlab looks; the cache is private; downloads go to a stand-in that records them."""
    monkeypatch.delenv("NNLAB_DATA_DIR", raising=False)
    monkeypatch.setenv("NNLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(nnlab_data, "DEBIAN_DIR", tmp_path / "no-debian")
    (tmp_path / "empty").mkdir()
    downloads = []

    def fashion_mnist(root, train, download):
        downloads.append((root, train, download))
        if downloads[0][0] == tmp_path / "offline":
            raise OSError("network unreachable")

    monkeypatch.setattr(nnlab_data, "_torchvision_datasets", lambda: SimpleNamespace(FashionMNIST=fashion_mnist))
    return downloads


def test_download_fetches_both_splits_into_the_cache_only_when_asked(nowhere, tmp_path):
    for load in (find_root, load_fashion_mnist):
        with pytest.raises(DataNotFoundError):
            load(tmp_path / "empty")
    assert nowhere == []
    assert find_root(tmp_path / "empty", download=True) == tmp_path / "cache"
    assert nowhere == [(tmp_path / "cache", True, True), (tmp_path / "cache", False, True)]


MISSING = """Fashion-MNIST was not found. Looked in:
  - the folder you named: {tmp}/empty (no Fashion-MNIST files there)
  - Debian's dataset-fashion-mnist: {tmp}/no-debian (no such folder)
  - {download}
To get it: `apt-get install dataset-fashion-mnist` (Debian), or put the four files ({files}, gzipped or not) \
in a folder and pass --data-dir or set NNLAB_DATA_DIR, or allow the download where the network reaches it."""


@pytest.mark.parametrize(
    ("download", "outcome"),
    [
        (False, "torchvision's download (not tried: download=False)"),
        (True, "torchvision's download into {tmp}/offline (OSError: network unreachable)"),
    ],
    ids=["not-asked", "offline"],
)
def test_missing_data_error_names_every_place_and_the_fix(nowhere, tmp_path, monkeypatch, download, outcome):
    monkeypatch.setenv("NNLAB_CACHE", str(tmp_path / "offline"))
    with pytest.raises(DataNotFoundError) as error:
        load_fashion_mnist(tmp_path / "empty", download=download)
    expected = MISSING.format(tmp=tmp_path, download=outcome.format(tmp=tmp_path), files=", ".join(FILES))
    assert str(error.value) == expected
