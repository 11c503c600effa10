"""Many runs of one architecture trained as one batched model (report section 5, over many seeds).

``R`` copies of ``FashionMLP``, each with its own weights, batch order and
dropout masks, take their training steps together: layer ``l`` of every run
is one stacked weight of shape ``(R, in, out)``, and a step is a handful of
batched products (``torch.baddbmm``) instead of ``R`` times as many small
ones. The loss is the sum of the runs' own mean losses, so each run's
gradient is exactly the one it would get alone; SGD with momentum (and Adam)
act elementwise, so each run's update is too.

What keeps a run independent of what trains beside it:

- its batch order comes from a generator seeded with its seed, as in ``train``;
- its dropout masks come from a generator of its own (``torch.vmap``'s
  randomness would draw every run's masks from one stream, so a run would
  depend on its neighbours; that is why this is ``bmm`` and not ``vmap``);
  on a GPU, from a Philox stream keyed by a seed drawn from that generator,
  every run's masks in one launch per step (``nnlab.philox_masks``);
- it is evaluated alone, as a plain ``FashionMLP`` (``StackedMLP.unstack``).

``train_many`` returns one ``History`` per run, the numbers ``train``
records. On the CPU a run's history is bitwise the same through its first
epoch whatever trains beside it, and the same to float32 rounding after; it
follows ``train``'s to float32 rounding without dropout. With dropout its
masks are its own generator's uniform draws, not ``nn.Dropout``'s
``bernoulli_``: the same distribution, other masks than ``train`` draws.
"""

import copy
from collections.abc import Sequence

import torch
from torch import nn

from nnlab.classifier import ACTIVATIONS, FashionMLP
from nnlab.data import FashionMNIST
from nnlab.training import REPORT_RECIPE, History, Recipe, accuracy, matmul_precision


class StackedMLP(nn.Module):
    """``R`` ``FashionMLP`` runs of one architecture, computed together.

    Args:
        models: the runs, all with the same hidden sizes, activation and dropout; their weights are copied.
        dropout_generators: one ``torch.Generator`` per run, on the models' device; its dropout masks
            are drawn from it. Needed when the models have dropout.

    Shape: ``(R, batch, 784) -> (R, batch, 10)``; run ``r`` computes ``models[r](x[r])``.
    Parameters: ``weights[l]`` of shape ``(R, in, out)`` (``nn.Linear``'s weight transposed, so that the
    weight gradient ``x^T @ grad`` comes out in the parameter's own layout and is not copied) and
    ``biases[l]`` of shape ``(R, 1, out)``.
    """

    def __init__(self, models: Sequence[FashionMLP], dropout_generators: Sequence[torch.Generator] | None = None):
        super().__init__()
        if not models:
            raise ValueError("StackedMLP needs at least one model.")
        first = models[0]
        self.hidden, self.activation, self.dropout = first.hidden, first.activation, first.dropout
        for model in models:
            if _architecture(model) != _architecture(first):
                raise ValueError(
                    f"StackedMLP stacks runs of one architecture; got {_architecture(first)} beside"
                    f" {_architecture(model)}. Stack each architecture separately."
                )
        if self.dropout > 0 and (dropout_generators is None or len(dropout_generators) != len(models)):
            raise ValueError("StackedMLP with dropout needs one dropout generator per model (dropout_generators).")
        self.generators = list(dropout_generators or [])
        self.philox_seeds, self.philox_drawn = None, 0  # philox_masks's stream: each run's seed, numbers drawn
        layers = [[m for m in model.modules() if isinstance(m, nn.Linear)] for model in models]
        self.weights = nn.ParameterList(
            torch.stack([run[i].weight.detach().T for run in layers]) for i in range(len(layers[0]))
        )
        self.biases = nn.ParameterList(
            torch.stack([run[i].bias.detach() for run in layers]).unsqueeze(1) for i in range(len(layers[0]))
        )
        self.act = ACTIVATIONS[self.activation]()

    @property
    def runs(self) -> int:
        return len(self.weights[0])

    def dropout_masks(self, batch: int) -> list[torch.Tensor]:
        """Every hidden layer's inverted-dropout mask for a batch, each ``(R, batch, width)``.

        Run ``r``'s masks come from its own generator, one uniform draw per
        hidden unit, so they are the same whatever trains beside it: ``1 / (1 - p)``
        where the draw falls below ``1 - p``, else 0. (Uniform draws cost a third
        of what ``nn.Dropout``'s ``bernoulli_`` does here, per element.) Every
        layer's masks are one draw: on a GPU one launch for all runs, on the CPU
        one call per run.
        """
        widths = [weight.shape[2] for weight in self.weights[:-1]]
        draw = self.philox_masks if self.weights[0].is_cuda else self.uniform_masks
        return list(draw(batch, sum(widths)).split(widths, dim=2))

    def uniform_masks(self, batch: int, width: int) -> torch.Tensor:
        """``(R, batch, width)`` masks, run ``r``'s from ``self.generators[r]``'s uniform draws: one call per run."""
        draws = self.weights[0].new_empty(self.runs, batch, width)
        for run_draws, generator in zip(draws, self.generators):
            run_draws.uniform_(generator=generator)  # in place: no copy into the stack
        keep = 1 - self.dropout
        return draws.lt_(keep).mul_(1 / keep)

    def philox_masks(self, batch: int, width: int) -> torch.Tensor:
        """``(R, batch, width)`` masks on a GPU, every run's in one launch (``nnlab.philox_masks``).

        Run ``r`` draws from a Philox stream keyed by one seed drawn from ``self.generators[r]`` at its first
        masks, and continues where its last masks ended: the same masks whatever trains beside it.
        """
        from nnlab.philox_masks import keep_masks  # Triton: only where CUDA is

        if self.philox_seeds is None:
            self.philox_seeds = torch.cat(
                [torch.randint(2**62, (1,), generator=g, device=g.device) for g in self.generators]
            )
        masks = keep_masks(self.philox_seeds, self.philox_drawn, (batch, width), 1 - self.dropout)
        self.philox_drawn += batch * width
        return masks

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[0] != self.runs:
            raise ValueError(f"StackedMLP expects (runs={self.runs}, batch, features); got {tuple(x.shape)}.")
        masks = self.dropout_masks(x.shape[1]) if self.training and self.dropout > 0 else None
        last = len(self.weights) - 1
        for index, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(bias, x, weight)
            if index < last:
                x = self.act(x)
                if masks is not None:
                    x = x * masks[index]
        return x

    @torch.no_grad()
    def unstack(self) -> list[FashionMLP]:
        """Each run as a plain ``FashionMLP`` holding a copy of its current weights."""
        models = []
        for r in range(self.runs):
            with torch.device("meta"):  # no initial weights drawn: torch's global RNG stays as it was
                in_features, classes = self.weights[0].shape[1], self.weights[-1].shape[2]
                model = FashionMLP(self.hidden, self.activation, self.dropout, in_features, classes)
            model = model.to_empty(device=self.weights[0].device)
            linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
            for linear, weight, bias in zip(linears, self.weights, self.biases):
                linear.weight.copy_(weight[r].T)
                linear.bias.copy_(bias[r, 0])
            models.append(model)
        return models

    def extra_repr(self) -> str:
        return f"runs={self.runs}, hidden={self.hidden}, activation={self.activation!r}, dropout={self.dropout}"


# each activation's backward as autograd computes it: from the gradient of its output and the output itself
ACTIVATION_BACKWARDS = {
    "relu": lambda grad, output: torch.ops.aten.threshold_backward(grad, output, 0),
    "sigmoid": torch.ops.aten.sigmoid_backward,
    "tanh": torch.ops.aten.tanh_backward,
}


def _sgd_step(
    stacked: StackedMLP, x: torch.Tensor, y: torch.Tensor, lr: float, momentum: float, momenta: list
) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of SGD with momentum for every run, differentiated by hand; returns the logits and each run's mean loss.

    The arithmetic of autograd and ``torch.optim.SGD`` (to float32 rounding), in fewer passes over memory:
    each layer's weight gradient is never written, its product accumulates straight into the momentum
    (``m = momentum * m + x^T grad``, one ``baddbmm_``), and the update is one ``add_`` per parameter.
    ``momenta`` holds each layer's ``(weight, bias)`` momentum, zero before the first step, where
    ``momentum * 0 + grad`` is SGD's first ``m = grad``.
    """
    with torch.no_grad():
        masks = stacked.dropout_masks(x.shape[1]) if stacked.dropout > 0 else None
        inputs, activations = [], []
        last = len(stacked.weights) - 1
        for index, (weight, bias) in enumerate(zip(stacked.weights, stacked.biases)):
            inputs.append(x)
            x = torch.baddbmm(bias, x, weight)
            if index < last:
                x = stacked.act(x)
                activations.append(x)
                if masks is not None:
                    x = x * masks[index]
        logits, size = x, x.shape[1]
        log_probs = logits.log_softmax(2)
        targets = y.unsqueeze(2)
        loss = -log_probs.gather(2, targets).squeeze(2).mean(1)
        # the gradient of the runs' summed mean losses: (softmax - one-hot) / batch size
        grad = log_probs.exp_().scatter_add_(2, targets, torch.full_like(targets, -1, dtype=x.dtype)).div_(size)
        for index in reversed(range(len(inputs))):
            weight, bias = stacked.weights[index], stacked.biases[index]
            weight_momentum, bias_momentum = momenta[index]
            if index > 0:
                input_grad = torch.bmm(grad, weight.transpose(1, 2))  # through the weight before its update
            weight_momentum.baddbmm_(inputs[index].transpose(1, 2), grad, beta=momentum)
            bias_momentum.mul_(momentum).add_(grad.sum(1, keepdim=True))
            weight.add_(weight_momentum, alpha=-lr)
            bias.add_(bias_momentum, alpha=-lr)
            if index > 0:
                if masks is not None:
                    input_grad.mul_(masks[index - 1])
                grad = ACTIVATION_BACKWARDS[stacked.activation](input_grad, activations[index - 1])
    return logits, loss


def _architecture(model: FashionMLP) -> tuple:
    """What runs must share to be stacked: widths (input and classes included), activation and dropout."""
    widths = tuple(tuple(m.weight.shape[::-1]) for m in model.modules() if isinstance(m, nn.Linear))
    return widths, model.activation, model.dropout


def _copy(generator: torch.Generator) -> torch.Generator:
    twin = torch.Generator(device=generator.device)
    twin.set_state(generator.get_state())
    return twin


def train_many(
    models: Sequence[FashionMLP],
    data: FashionMNIST,
    seeds: Sequence[int],
    recipe: Recipe = REPORT_RECIPE,
    dropout_generators: Sequence[torch.Generator] | None = None,
    progress=None,
) -> list[History]:
    """Train every model in ``models`` with ``recipe``, in place, as ``train`` would one by one; one ``History`` each.

    Run ``r`` draws its batch order from ``seeds[r]`` and its dropout masks
    from ``dropout_generators[r]``. ``progress``, if given, is advanced by
    ``len(models)`` per epoch.
    """
    if len(seeds) != len(models):
        raise ValueError(f"train_many needs one seed per model; got {len(seeds)} seeds for {len(models)} models.")
    if len(models) == 1 and data.train.images.device.type == "cpu":
        # on the CPU torch hands a lone product to a gemm that splits its sums across threads, a batch of them to one
        # gemm per thread: a twin keeps a lone run on the batched kernels, as it would be among others
        models, seeds = [models[0], copy.deepcopy(models[0])], [seeds[0]] * 2
        dropout_generators = dropout_generators and [dropout_generators[0], _copy(dropout_generators[0])]
        return _train_stacked(models, data, seeds, recipe, dropout_generators, progress, reported=1)[:1]
    return _train_stacked(models, data, seeds, recipe, dropout_generators, progress, reported=len(models))


def _train_stacked(models, data, seeds, recipe, dropout_generators, progress, reported: int) -> list[History]:
    device = data.train.images.device
    if any(p.device != device for model in models for p in model.parameters()):
        raise ValueError(f"train_many: the data is on {device}; move every model there.")
    stacked = StackedMLP(models, dropout_generators).to(device)
    # plain SGD, the report's, is differentiated and applied by hand (_sgd_step: fewer passes over the weights);
    # Adam, and SGD under a schedule, go through autograd and torch's optimizer
    by_hand = recipe.optimizer == "sgd" and recipe.schedule is None
    orders = [torch.Generator(device=device).manual_seed(seed) for seed in seeds]
    images, labels = data.train.images, data.train.labels
    n, runs = len(labels), stacked.runs
    batches = -(-n // recipe.batch_size)
    if by_hand:
        momenta = [(torch.zeros_like(w), torch.zeros_like(b)) for w, b in zip(stacked.weights, stacked.biases)]
    else:
        optimizer = recipe.optimizer_for(stacked.parameters())
        scheduler = recipe.scheduler_for(optimizer, batches)
    loss_sum = torch.zeros(runs, device=device)
    correct = torch.zeros(runs, dtype=torch.int64, device=device)

    def step(batch: torch.Tensor) -> None:
        size = batch.shape[1]
        x = images.index_select(0, batch.flatten()).view(runs, size, -1)
        y = labels.index_select(0, batch.flatten()).view(runs, size)
        if by_hand:
            logits, loss = _sgd_step(stacked, x, y, recipe.lr, recipe.momentum, momenta)
        else:
            logits = stacked(x)
            losses = nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none").view(runs, size)
            loss = losses.mean(1)  # each run's own mean loss; their sum gives each run its own gradient
            optimizer.zero_grad(set_to_none=True)
            loss.sum().backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
        loss_sum.add_(loss.detach())
        correct.add_((logits.argmax(2) == y).sum(1))

    histories = [History() for _ in range(runs)]
    with matmul_precision(recipe.matmul_precision):
        stacked.train()
        for _ in range(recipe.epochs):
            loss_sum.zero_()
            correct.zero_()
            order = torch.stack([torch.randperm(n, generator=g, device=device) for g in orders])
            for batch in order.split(recipe.batch_size, dim=1):
                step(batch)
            trained = stacked.unstack()
            for history, model, run_loss, run_correct in zip(histories, trained, loss_sum.tolist(), correct.tolist()):
                history.train_loss.append(run_loss / batches)
                history.train_acc.append(run_correct / n)
                history.test_acc.append(accuracy(model, data.test))
            if progress is not None:
                progress.update(reported)
        for history, model, trained_model in zip(histories[:reported], models, trained):
            history.eval_train_acc = accuracy(trained_model, data.train)
            model.load_state_dict(trained_model.state_dict())
    return histories
