"""Fashion-MNIST as in-memory tensors (report section 5).

The report feeds the data through ``DataLoader`` + ``ToTensor``: one PIL
image at a time, about 3 s an epoch on two cores. The same values held as one
tensor and batched by index cost about 0.05 s an epoch. ``load_fashion_mnist``
returns that tensor, with exactly ``ToTensor``'s values (``uint8 / 255``).

Where the files come from, in order:

1. a folder the caller names (``data_dir``, the ``--data-dir`` option or the
   ``NNLAB_DATA_DIR`` environment variable);
2. Debian's package ``dataset-fashion-mnist`` in ``/usr/share/datasets/fashion-mnist``;
3. torchvision's download, when ``download=True``.

A folder may hold the four original files (``.gz`` or not) or be a
torchvision root (``FashionMNIST/raw/...``). Gzipped files are unpacked into
a cache folder: torchvision's own MD5 check rejects Debian's recompressed
``.gz`` files, but reads the unpacked ones.
"""

import gzip
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


class DataNotFoundError(FileNotFoundError):
    """Fashion-MNIST is in none of the places nnlab looks."""


@dataclass
class Split:
    """One split held in memory. ``images``: ``(n, 784)`` float32 in ``[0, 1]``; ``labels``: ``(n,)`` int64."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)

    def to(self, device: torch.device | str) -> "Split":
        return Split(self.images.to(device), self.labels.to(device))


@dataclass
class FashionMNIST:
    train: Split
    test: Split

    def to(self, device: torch.device | str) -> "FashionMNIST":
        return FashionMNIST(self.train.to(device), self.test.to(device))


def cache_dir() -> Path:
    """Where unpacked files go: ``$NNLAB_CACHE``, else ``$XDG_CACHE_HOME/nnlab``, else ``~/.cache/nnlab``."""
    if "NNLAB_CACHE" in os.environ:
        return Path(os.environ["NNLAB_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nnlab"


def _torchvision_root(folder: Path) -> Path | None:
    """A torchvision root holding ``folder``'s files, or None if it lacks any of the four."""
    if all((folder / "FashionMNIST" / "raw" / name).is_file() for name in FILES):
        return folder
    sources = {}
    for name in FILES:
        found = [path for path in (folder / name, folder / f"{name}.gz") if path.is_file()]
        if not found:
            return None
        sources[name] = found[0]
    # one cache root per source folder, so two folders never mix their files
    root = cache_dir() / str(folder.resolve()).strip("/").replace("/", "_")
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, source in sources.items():
        target = raw / name
        if not target.is_file():
            partial = target.with_suffix(".partial")
            opener = gzip.open if source.suffix == ".gz" else open
            with opener(source, "rb") as src, open(partial, "wb") as dst:
                shutil.copyfileobj(src, dst)
            partial.replace(target)  # a crash mid-unpack leaves no half file under the final name
    return root


def _torchvision_datasets():
    try:
        from torchvision import datasets
    except ImportError as error:
        raise ImportError(
            "Fashion-MNIST needs torchvision: pip install 'nnlab[lab]' (a torchvision matching your torch)."
        ) from error
    return datasets


def find_root(data_dir: str | os.PathLike | None = None, download: bool = False) -> Path:
    """The torchvision root to load from; see the module docstring for the search order."""
    datasets = _torchvision_datasets()

    named = data_dir if data_dir is not None else os.environ.get("NNLAB_DATA_DIR")
    looked = []
    for label, folder in (("the folder you named", named), ("Debian's dataset-fashion-mnist", DEBIAN_DIR)):
        if folder is None:
            continue
        folder = Path(folder)
        root = _torchvision_root(folder) if folder.is_dir() else None
        if root is not None:
            return root
        looked.append(f"{label}: {folder} ({'no Fashion-MNIST files there' if folder.is_dir() else 'no such folder'})")
    if download:
        root = cache_dir()
        try:
            datasets.FashionMNIST(root, train=True, download=True)
            datasets.FashionMNIST(root, train=False, download=True)
            return root
        except Exception as error:  # any network or checksum failure: report it among the places looked
            looked.append(f"torchvision's download into {root} ({type(error).__name__}: {error})")
    else:
        looked.append("torchvision's download (not tried: download=False)")
    raise DataNotFoundError(
        "Fashion-MNIST was not found. Looked in:\n  - "
        + "\n  - ".join(looked)
        + "\nTo get it: `apt-get install dataset-fashion-mnist` (Debian), or put the four files "
        + f"({', '.join(FILES)}, gzipped or not) in a folder and pass --data-dir or set NNLAB_DATA_DIR, "
        + "or allow the download where the network reaches it."
    )


def load_split(root: Path, train: bool) -> Split:
    """One split as tensors, with ``ToTensor``'s values: ``uint8 / 255`` as float32."""
    dataset = _torchvision_datasets().FashionMNIST(root, train=train, download=False)
    images = dataset.data.reshape(len(dataset.data), -1).to(torch.float32).div(255)
    return Split(images, dataset.targets.to(torch.int64))


def load_fashion_mnist(data_dir: str | os.PathLike | None = None, download: bool = False) -> FashionMNIST:
    """Both splits in memory: 60,000 training and 10,000 test images of ``28 * 28 = 784`` pixels."""
    root = find_root(data_dir, download)
    return FashionMNIST(load_split(root, train=True), load_split(root, train=False))
