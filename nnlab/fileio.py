"""File I/O (report section 4): state dicts, checkpoints, whole modules, partial reuse.

Three rules keep files trustworthy:

- Writes are atomic: the file is written beside its target and renamed over
  it, so a crash mid-save leaves the last good file, never a truncated one.
- Reads use ``torch.load(weights_only=True)``, which unpickles tensors and
  plain containers only. A whole pickled module runs arbitrary code when
  loaded; ``load_module`` does that only when the caller says ``trusted=True``.
- A file that does not fit the model is refused with the keys that differ.
"""

import os
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

CHECKPOINT_KEYS = ("model_state_dict", "optimizer_state_dict", "epoch", "loss")


class CheckpointMismatchError(ValueError):
    """A state dict whose keys or shapes do not fit the model it is loaded into."""


def atomic_save(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save(obj, path)``, but the old file stays whole until the new one is complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def safe_load(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> Any:
    """``torch.load`` with ``weights_only=True`` and a clear error for a missing file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No file at {path}: check the path, or save the model there first.")
    return torch.load(path, map_location=map_location, weights_only=True)


def check_fits(module: nn.Module, state_dict: dict[str, torch.Tensor], strict: bool = True) -> None:
    """Raise ``CheckpointMismatchError`` listing missing, unexpected and reshaped keys.

    With ``strict=False`` only the keys present in both must agree in shape.
    """
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state_dict)) if strict else []
    unexpected = sorted(set(state_dict) - set(expected)) if strict else []
    reshaped = [
        f"{key}: file {tuple(state_dict[key].shape)}, model {tuple(expected[key].shape)}"
        for key in state_dict
        if key in expected and state_dict[key].shape != expected[key].shape
    ]
    if missing or unexpected or reshaped:
        problems = [
            f"{label}: {', '.join(keys)}"
            for label, keys in (
                ("missing keys", missing),
                ("unexpected keys", unexpected),
                ("shape mismatches", reshaped),
            )
            if keys
        ]
        raise CheckpointMismatchError(
            f"This state dict does not fit {type(module).__name__} ({'; '.join(problems)}). "
            "Was it saved from another architecture? Build the model it was saved from, "
            "or load the shared layers only with load_matching()."
        )


def save_state_dict(module: nn.Module, path: str | os.PathLike) -> Path:
    """Save ``module.state_dict()``: parameters and persistent buffers, no code."""
    return atomic_save(module.state_dict(), path)


def load_state_dict(module: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Load a state dict saved by ``save_state_dict`` into ``module``, which must fit it exactly."""
    state_dict = safe_load(path)
    check_fits(module, state_dict)
    module.load_state_dict(state_dict)
    return module


class Checkpoint(NamedTuple):
    epoch: int
    loss: float


def save_checkpoint(
    path: str | os.PathLike, model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int, loss: float
) -> Path:
    """Save what resuming needs: model and optimizer state, epoch, loss, and the CPU RNG state.

    The RNG state makes a resumed run draw the same dropout masks and shuffles
    as the uninterrupted one.
    """
    return atomic_save(
        {
            "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "epoch": int(epoch),
            "loss": float(loss),
            "rng_state": torch.get_rng_state(),
        },
        path,
    )


def load_checkpoint(
    path: str | os.PathLike, model: nn.Module, optimizer: torch.optim.Optimizer | None = None
) -> Checkpoint:
    """Restore ``model`` (and ``optimizer`` and the CPU RNG state) from ``save_checkpoint``'s file."""
    checkpoint = safe_load(path)
    absent = (
        [key for key in CHECKPOINT_KEYS if key not in checkpoint] if isinstance(checkpoint, dict) else CHECKPOINT_KEYS
    )
    if absent:
        raise CheckpointMismatchError(
            f"{path} is not a checkpoint: it lacks {', '.join(absent)}. "
            "A file from save_state_dict() loads with load_state_dict()."
        )
    check_fits(model, checkpoint["model_state_dict"])
    model.load_state_dict(checkpoint["model_state_dict"])
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    if "rng_state" in checkpoint:
        torch.set_rng_state(checkpoint["rng_state"])
    return Checkpoint(checkpoint["epoch"], checkpoint["loss"])


def save_module(module: nn.Module, path: str | os.PathLike) -> Path:
    """Pickle the whole module, code references included. Prefer ``save_state_dict``."""
    return atomic_save(module, path)


def load_module(path: str | os.PathLike, *, trusted: bool = False) -> nn.Module:
    """Unpickle a whole module saved by ``save_module``.

    Unpickling runs code named in the file, so a file from elsewhere can do
    anything your user account can. Since torch 2.6 ``torch.load`` refuses it
    by default (``weights_only=True``); this function does it only for
    ``trusted=True``.
    """
    if not trusted:
        raise PermissionError(
            f"Loading {path} as a whole module unpickles arbitrary code. Pass trusted=True only for "
            "files you made yourself, or save and load a state dict instead."
        )
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No file at {path}: check the path, or save the module there first.")
    module = torch.load(path, map_location="cpu", weights_only=False)
    if not isinstance(module, nn.Module):
        raise TypeError(f"{path} holds a {type(module).__name__}, not an nn.Module.")
    return module


def load_matching(module: nn.Module, state_dict: dict[str, torch.Tensor], prefixes: tuple[str, ...]) -> list[str]:
    """Exercise 2: copy the entries of ``state_dict`` under ``prefixes`` into ``module``.

    A key matches a prefix ``p`` when it is ``p`` or starts with ``p + "."``
    (so ``"layer1"`` does not take ``"layer10.weight"``). Everything else in
    ``module`` stays as it was. Returns the module's keys left untouched.
    """
    if not prefixes:
        raise ValueError("load_matching needs at least one prefix, such as ('layer1', 'layer2').")
    selected = {
        key: value for key, value in state_dict.items() if any(key == p or key.startswith(p + ".") for p in prefixes)
    }
    if not selected:
        tops = sorted({key.split(".")[0] for key in state_dict})
        raise CheckpointMismatchError(
            f"No key starts with {list(prefixes)}; the state dict's top-level names are {tops}."
        )
    unknown = sorted(set(selected) - set(module.state_dict()))
    if unknown:
        raise CheckpointMismatchError(f"{type(module).__name__} has no place for {', '.join(unknown)}.")
    check_fits(module, selected, strict=False)
    module.load_state_dict(selected, strict=False)
    # not load_state_dict's missing_keys: BatchNorm fills in num_batches_tracked itself and hides it there
    return [key for key in module.state_dict() if key not in selected]


def _conv_block(in_channels: int, out_channels: int, pool: bool, conv_bias: bool) -> nn.Sequential:
    layers = [
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=conv_bias),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    ]
    return nn.Sequential(*layers, nn.MaxPool2d(2)) if pool else nn.Sequential(*layers)


class OriginalNetwork(nn.Module):
    """Exercise 2's pretrained network: three conv blocks and a classifier.

    Each block is ``Conv2d -> BatchNorm2d -> ReLU`` (then ``MaxPool2d(2)`` in
    blocks 2 and 3). The convolutions have no bias: the BatchNorm after each
    subtracts the batch mean, which cancels any per-channel constant, so such
    a bias gets zero gradient and never trains. ``conv_bias=True`` builds the
    report's version, with those dead biases.

    Shape: ``(batch, 3, 32, 32) -> (batch, 10)``.
    """

    def __init__(self, conv_bias: bool = False):
        super().__init__()
        self.layer1 = _conv_block(3, 16, pool=False, conv_bias=conv_bias)
        self.layer2 = _conv_block(16, 32, pool=True, conv_bias=conv_bias)
        self.layer3 = _conv_block(32, 64, pool=True, conv_bias=conv_bias)
        self.fc = nn.Linear(64 * 8 * 8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.flatten(1))


class NewNetwork(nn.Module):
    """Exercise 2's new architecture: ``OriginalNetwork``'s ``layer1`` and ``layer2``, then new layers.

    Convolutions without bias, as in ``OriginalNetwork``; ``conv_bias=True`` is the report's version.

    Shape: ``(batch, 3, 32, 32) -> (batch, 20)``.
    """

    def __init__(self, conv_bias: bool = False):
        super().__init__()
        self.layer1 = _conv_block(3, 16, pool=False, conv_bias=conv_bias)
        self.layer2 = _conv_block(16, 32, pool=True, conv_bias=conv_bias)
        self.layer3_new = _conv_block(32, 128, pool=True, conv_bias=conv_bias)
        self.fc_new = nn.Linear(128 * 8 * 8, 20)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer3_new(self.layer2(self.layer1(x)))
        return self.fc_new(x.flatten(1))
