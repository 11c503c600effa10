"""Training on in-memory tensors (report section 5), seeded and reproducible.

The report's recipe (``Recipe()``): cross-entropy, SGD with learning rate 0.01
and momentum 0.9, batches of 64 drawn in a fresh random order each epoch, 10
epochs; ``FAST_RECIPE`` reaches the same accuracy sooner. The report's
numbers per epoch: the mean training loss over the batches, the training
accuracy of those same forward passes (dropout on), and the test accuracy in
eval mode; nnlab adds the training accuracy in eval mode after the last epoch.

Same seed and same device give the same history; on the CPU, bit for bit.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.torch_version import TorchVersion
from tqdm.auto import tqdm

from nnlab import cuda_graphs
from nnlab.data import FashionMNIST, Split


@dataclass(frozen=True)
class Recipe:
    """How to train; the defaults are the report's.

    ``optimizer`` is ``"sgd"`` (with ``momentum``) or ``"adam"``;
    ``schedule="onecycle"`` ramps the learning rate up to ``lr`` and anneals it
    to nearly zero over the whole run (``torch.optim.lr_scheduler.OneCycleLR``).
    ``matmul_precision`` is ``torch.set_float32_matmul_precision``'s setting
    while training: ``"highest"`` is plain float32; ``"high"`` lets a GPU
    multiply in TensorFloat32 (10-bit mantissa, on tensor cores); ``"medium"``
    also allows bfloat16, and on a CPU sends products to oneDNN, which uses
    bfloat16 only where it has a kernel for it (on CPUs with AMX; elsewhere
    float32, on faster kernels than MKL's on AMD: ``benchmarks/``).
    """

    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.01
    momentum: float = 0.9
    optimizer: str = "sgd"
    schedule: str | None = None
    matmul_precision: str = "highest"

    def __post_init__(self):
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0 or not 0 <= self.momentum < 1:
            raise ValueError(f"Recipe needs epochs >= 1, batch_size >= 1, lr > 0, 0 <= momentum < 1; got {self}.")
        if self.optimizer not in ("sgd", "adam") or self.schedule not in (None, "onecycle"):
            raise ValueError(f"Recipe needs optimizer 'sgd' or 'adam' and schedule None or 'onecycle'; got {self}.")
        if self.matmul_precision not in ("highest", "high", "medium"):
            raise ValueError(f"Recipe needs matmul_precision 'highest', 'high' or 'medium'; got {self}.")

    def optimizer_for(self, parameters) -> torch.optim.Optimizer:
        parameters = list(parameters)
        if self.optimizer == "adam":
            # capturable: Adam keeps its step count on the device, so a CUDA graph can replay the update
            return torch.optim.Adam(parameters, lr=self.lr, capturable=parameters[0].is_cuda, **FUSED)
        return torch.optim.SGD(parameters, lr=self.lr, momentum=self.momentum, **FUSED)

    def scheduler_for(self, optimizer: torch.optim.Optimizer, steps_per_epoch: int):
        """The learning-rate schedule, stepped once per batch: ``OneCycleLR`` over the whole run, or None."""
        if self.schedule != "onecycle":
            return None
        total_steps = self.epochs * steps_per_epoch
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=self.lr, total_steps=total_steps)


# fused: one kernel updates every parameter, instead of a few small kernels per parameter. torch fuses SGD and Adam
# on the CPU from 2.4 on; older torch updates with its default (foreach) kernels, the same arithmetic.
FUSED = {"fused": True} if TorchVersion(torch.__version__) >= (2, 4) else {}


REPORT_RECIPE = Recipe()
# The report's architecture into its accuracy band in 5 epochs: the slow tests assert 0.87 for seeds 42 to 44,
# benchmarks/test_training_speed.py records the accuracy it reaches (docs/performance.md shows the saved run's).
FAST_RECIPE = Recipe(epochs=5, batch_size=256, lr=3e-3, optimizer="adam", schedule="onecycle")


@dataclass
class History:
    """Per-epoch numbers, one entry per epoch, and one number after the last.

    ``train_acc`` is the report's training accuracy: the forward passes the
    epoch trained on (dropout on, weights changing). ``eval_train_acc`` is
    the accuracy on the whole training set in eval mode after the last epoch
    (after every epoch it would cost a third of the training's products).
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    eval_train_acc: float | None = None

    def as_dict(self) -> dict[str, list[float]]:
        return asdict(self)


def pick_device(device: str = "auto") -> torch.device:
    """``"auto"`` is CUDA when present, else the CPU; anything else is passed to ``torch.device``."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for, but torch sees no CUDA device; use --device cpu.")
    return device


@contextmanager
def matmul_precision(precision: str) -> Iterator[None]:
    """``torch.set_float32_matmul_precision(precision)`` inside the block; the previous setting after it."""
    previous = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision(precision)
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(previous)


def accuracy(model: nn.Module, split: Split, batch_size: int = 10_000) -> float:
    """Fraction of ``split`` classified correctly, in eval mode."""
    was_training = model.training
    model.eval()
    with torch.no_grad():  # a block, not @torch.no_grad(): mutmut leaves decorated functions alone
        correct = sum(
            (model(split.images[i : i + batch_size]).argmax(1) == split.labels[i : i + batch_size]).sum()
            for i in range(0, len(split), batch_size)
        )
    model.train(was_training)
    return correct.item() / len(split)


def train(
    model: nn.Module,
    data: FashionMNIST,
    recipe: Recipe = REPORT_RECIPE,
    seed: int = 42,
    progress: tqdm | None = None,
    cuda_graph: bool = True,
) -> History:
    """Train ``model`` on ``data.train`` with ``recipe``; test on ``data.test`` after each epoch.

    ``model`` and ``data`` must be on the same device. The batch order comes
    from a generator seeded with ``seed``; dropout draws from torch's global
    RNG, which the caller seeds (``run`` in ``nnlab.experiment`` does).
    ``progress``, if given, is advanced once per epoch.

    On CUDA, unless ``cuda_graph=False`` or the recipe has a schedule, each
    step is replayed as a CUDA graph (``nnlab.cuda_graphs``): the same
    arithmetic with one launch instead of a few dozen.
    """
    device = data.train.images.device
    if next(model.parameters()).device != device:
        raise ValueError(f"model is on {next(model.parameters()).device} but the data is on {device}; move one.")
    optimizer = recipe.optimizer_for(model.parameters())
    order = torch.Generator(device=device).manual_seed(seed)
    images, labels = data.train.images, data.train.labels
    n = len(labels)
    batches = -(-n // recipe.batch_size)
    scheduler = recipe.scheduler_for(optimizer, batches)
    # accumulated on the device: a .item() per batch would stall a GPU on every step
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)

    def step(batch: torch.Tensor) -> None:
        # index_select: for 64 rows, 3x faster here than images[batch], which goes through advanced indexing
        x, y = images.index_select(0, batch), labels.index_select(0, batch)
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum.add_(loss.detach())
        correct.add_((logits.argmax(1) == y).sum())

    with matmul_precision(recipe.matmul_precision):
        model.train()
        if device.type == "cuda" and cuda_graph and scheduler is None:
            batch_sizes = {min(recipe.batch_size, n), n % recipe.batch_size} - {0}
            step = cuda_graphs.capture(step, batch_sizes, model, optimizer)
        history = History()
        for _ in range(recipe.epochs):
            loss_sum.zero_()
            correct.zero_()
            for batch in torch.randperm(n, generator=order, device=device).split(recipe.batch_size):
                step(batch)
                if scheduler is not None:
                    scheduler.step()
            history.train_loss.append(loss_sum.item() / batches)
            history.train_acc.append(correct.item() / n)
            history.test_acc.append(accuracy(model, data.test))
            if progress is not None:
                progress.update(1)
                progress.set_postfix(test_acc=f"{history.test_acc[-1]:.4f}")
        history.eval_train_acc = accuracy(model, data.train)
    return history
