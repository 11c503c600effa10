"""Fashion-MNIST in memory: where it is found, and that it holds what torchvision's ToTensor path holds."""

import pytest
import torch

pytest.importorskip("torchvision", reason="torchvision is not installed for this torch")

from nnlab import data as nnlab_data  # noqa: E402
from nnlab.data import DataNotFoundError, find_root, load_fashion_mnist  # noqa: E402
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


def test_missing_data_error_names_every_place_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("NNLAB_DATA_DIR", raising=False)
    monkeypatch.setattr(nnlab_data, "DEBIAN_DIR", tmp_path / "no-debian")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError) as error:
        load_fashion_mnist(tmp_path / "empty")
    message = str(error.value)
    assert f"{tmp_path / 'empty'} (no Fashion-MNIST files there)" in message
    assert f"{tmp_path / 'no-debian'} (no such folder)" in message
    assert "download (not tried: download=False)" in message
    assert "apt-get install dataset-fashion-mnist" in message and "--data-dir" in message
