"""Small Fashion-MNIST look-alikes in the original IDX format, for tests that must not need the real files."""

import gzip
import struct
from pathlib import Path

import torch

from nnlab.data import FILES


def idx_bytes(tensor: torch.Tensor) -> bytes:
    """The IDX encoding of a uint8 tensor: magic (0, 0, type 0x08, ndim), big-endian sizes, then the bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, tensor.dim()) + struct.pack(f">{tensor.dim()}I", *tensor.shape)
    return header + tensor.contiguous().numpy().tobytes()


def learnable_split(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Images whose label is written in their brightest row, so a small MLP can learn it."""
    labels = torch.randint(0, 10, (n,), generator=generator, dtype=torch.uint8)
    images = torch.randint(0, 60, (n, 28, 28), generator=generator, dtype=torch.uint8)
    images[torch.arange(n), labels.long() * 2 + 4] = 255
    return images, labels


def write_fake_fashion_mnist(folder: Path, n_train: int = 256, n_test: int = 64, gz: bool = True) -> Path:
    """The four files, named as Debian ships them (``.gz``) or unpacked, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(0)
    train, test = learnable_split(n_train, generator), learnable_split(n_test, generator)
    tensors = {FILES[0]: train[0], FILES[1]: train[1], FILES[2]: test[0], FILES[3]: test[1]}
    for name, tensor in tensors.items():
        data = idx_bytes(tensor)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return folder
