"""The tutorial chapter, written unlike nnlab: raw parameters stored (in, out), Sequentials, hooks, functional calls.

A correct lab: nnlab's checks must pass it. It is here to catch false alarms,
checks that accept only nnlab's way of writing the chapter.
"""

import math
from collections import OrderedDict
from functools import partial

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import nn
from torch.utils.checkpoint import checkpoint


def _uniform(*shape: int, bound: float) -> nn.Parameter:
    """A parameter of ``shape`` drawn from U(-bound, bound)."""
    return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))


def _raw_linear(fan_in: int, fan_out: int) -> tuple[nn.Parameter, nn.Parameter]:
    """A weight stored (in, out), the transpose of nn.Linear's, and a bias, both with nn.Linear's initial scale."""
    bound = 1 / math.sqrt(fan_in)
    return _uniform(fan_in, fan_out, bound=bound), _uniform(fan_out, bound=bound)


# ---------------------------------------------------------------- 3.1, 3.2: the perceptron, parameters and buffers


class Perceptron(nn.Module):
    """One neuron: sigmoid(<x, w> + b) for a sample x of ``input_size`` features (or a batch of them)."""

    def __init__(self, input_size):
        super().__init__()
        self.w = nn.Parameter(torch.randn(input_size) / math.sqrt(input_size))
        self.b = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return torch.special.expit(torch.inner(x, self.w) + self.b)


class CustomModule(nn.Module):
    """Linear(10, 5), ReLU, dropout 0.2, Linear(5, 1); beside them a bare parameter of 5 and a buffer of 5 zeros."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleDict({"hidden": nn.Linear(10, 5), "out": nn.Linear(5, 1)})
        self.register_parameter("custom_param", nn.Parameter(torch.randn(5)))
        self.register_buffer("running_mean", torch.zeros(5))

    def forward(self, x):
        hidden = F.dropout(F.relu(self.layers["hidden"](x)), p=0.2, training=self.training)
        return self.layers["out"](hidden)


def count_parameters(model):
    """The number of trainable scalars; a parameter shared by several layers counts once."""
    return sum(map(torch.numel, filter(lambda p: p.requires_grad, model.parameters())))


def freeze_model(model):
    """Stop gradients to every parameter of ``model``."""
    model.requires_grad_(False)


def unfreeze_model(model):
    """Let gradients reach every parameter of ``model`` again."""
    model.requires_grad_(True)


def freeze_layer(layer):
    """Stop gradients to the parameters of one layer; the rest of the model still trains."""
    for p in layer.parameters():
        p.requires_grad = False


# ---------------------------------------------------------------- 3.4: hooks


class HookDemo(nn.Module):
    """10 -> 20 -> 10 -> 1 with ReLUs; forward hooks keep the last outputs of the first two Linear layers."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 10), nn.ReLU(), nn.Linear(10, 1))
        self.activations = {}
        self.handles = [
            self.net[i].register_forward_hook(partial(self._keep, name)) for name, i in (("fc1", 0), ("fc2", 2))
        ]

    def _keep(self, name, module, inputs, output):
        self.activations[name] = output.detach()  # returns None: the output goes on unchanged

    def forward(self, x):
        return self.net(x)


# ---------------------------------------------------------------- 3.5: custom layers


class CustomLinear(nn.Module):
    """y = x W^T + b, the weight kept as W^T, of shape (in, out); nn.Linear's initial bounds 1/sqrt(in)."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight_t = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """Redraw every parameter from U(-1/sqrt(in), 1/sqrt(in))."""
        bound = 1 / math.sqrt(self.in_features)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound)

    def forward(self, x):
        y = x @ self.weight_t
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        return f"{self.in_features} -> {self.out_features}, " + ("with bias" if self.bias is not None else "no bias")


class SimpleAttention(nn.Module):
    """Softmax over the sequence of the scores <h_t, q>; returns (sum_t a_t h_t, a)."""

    def __init__(self, hidden_size):
        super().__init__()
        self.query = nn.Parameter(torch.randn(hidden_size) / math.sqrt(hidden_size))

    def forward(self, h):
        scores = h @ self.query  # (batch, seq)
        weights = torch.exp(scores - torch.logsumexp(scores, dim=1, keepdim=True))
        return torch.bmm(weights.unsqueeze(1), h).squeeze(1), weights


class StatefulLayer(nn.Module):
    """h = tanh([x, h_prev] W + b), h_prev the (detached) output of the previous call, zeros after a reset."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.w, self.b = _raw_linear(input_size + hidden_size, hidden_size)
        self.state = None  # not a buffer: it belongs to the batch, not to the model

    def reset_state(self):
        """Forget the state; the next call starts from zeros, with any batch size."""
        self.state = None

    def forward(self, x):
        if self.state is None:
            previous = x.new_zeros(x.shape[0], self.hidden_size)
        elif self.state.shape[0] != x.shape[0]:
            raise ValueError(
                f"the state is for a batch of {self.state.shape[0]}, not a batch of {x.shape[0]}: "
                "call reset_state() before changing the batch size"
            )
        else:
            previous = self.state.to(x.dtype)
        out = torch.tanh(torch.addmm(self.b, torch.cat([x, previous], dim=1), self.w))
        self.state = out.detach()
        return out


# ---------------------------------------------------------------- 3.6: initialisation


class InitializationDemo(nn.Module):
    """10 -> 20 -> 20 -> 10 -> 1, initialised by hand.

    Layer by layer: Xavier uniform, Kaiming normal (fan_out, ReLU gain),
    N(0, 0.1^2) with bias 0.1, U(-0.1, 0.1); the other biases 0.
    """

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleDict(
            {
                "xavier": nn.Linear(10, 20),
                "kaiming": nn.Linear(20, 20),
                "normal": nn.Linear(20, 10),
                "uniform": nn.Linear(10, 1),
            }
        )
        with torch.no_grad():
            for name, layer in self.layers.items():
                fan_out, fan_in = layer.weight.shape
                if name == "xavier":
                    a = math.sqrt(6 / (fan_in + fan_out))
                    layer.weight.copy_(torch.rand(fan_out, fan_in) * 2 * a - a)
                elif name == "kaiming":
                    layer.weight.copy_(torch.randn(fan_out, fan_in) * math.sqrt(2 / fan_out))
                elif name == "normal":
                    layer.weight.copy_(torch.randn(fan_out, fan_in) * 0.1)
                else:
                    layer.weight.copy_(torch.rand(fan_out, fan_in) * 0.2 - 0.1)
                layer.bias.fill_(0.1 if name == "normal" else 0.0)

    def forward(self, x):
        *hidden, last = self.layers.values()
        for layer in hidden:
            x = F.relu(layer(x))
        return last(x)


def custom_init(module):
    """For ``model.apply``: Linear weights orthogonal, biases 0; BatchNorm weight 1, bias 0.

    The orthogonal matrix is the polar factor U V^T of a Gaussian matrix U S V^T:
    orthonormal rows or columns, whichever there are fewer of.
    """
    with torch.no_grad():
        if isinstance(module, nn.Linear):
            u, _, vh = torch.linalg.svd(torch.randn(module.weight.shape, dtype=torch.float64), full_matrices=False)
            module.weight.copy_(u @ vh)
            if module.bias is not None:
                module.bias.zero_()
        elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)) and module.affine:
            module.weight.fill_(1.0)
            module.bias.fill_(0.0)


# ---------------------------------------------------------------- 3.8: architectures


class MultiClassifier(nn.Module):
    """Per hidden size: Linear, BatchNorm1d, ReLU, dropout; then Linear to the class logits."""

    def __init__(self, input_size, hidden_sizes, num_classes, dropout_rate=0.2):
        super().__init__()
        widths = [input_size, *hidden_sizes]
        self.hidden = nn.ModuleList(
            nn.ModuleDict({"linear": nn.Linear(a, b), "norm": nn.BatchNorm1d(b)}) for a, b in zip(widths, widths[1:])
        )
        self.classes = nn.Linear(widths[-1], num_classes)
        self.dropout_rate = dropout_rate

    def forward(self, x):
        for block in self.hidden:
            x = F.relu(block["norm"](block["linear"](x)))
            x = F.dropout(x, self.dropout_rate, self.training)
        return self.classes(x)


class ResidualBlock(nn.Module):
    """relu(x + branch(x)), branch = Linear, BatchNorm, ReLU, dropout, Linear, BatchNorm."""

    def __init__(self, hidden_size, dropout_rate=0.1):
        super().__init__()
        h = hidden_size
        self.branch = nn.Sequential(
            nn.Linear(h, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout_rate), nn.Linear(h, h), nn.BatchNorm1d(h)
        )

    def forward(self, x):
        return F.relu(x + self.branch(x))


def ResNet(input_size, hidden_size, num_blocks, num_classes):
    """The residual MLP: Linear and ReLU in, ``num_blocks`` residual blocks, Linear out."""
    return nn.Sequential(
        nn.Linear(input_size, hidden_size),
        nn.ReLU(),
        *(ResidualBlock(hidden_size) for _ in range(num_blocks)),
        nn.Linear(hidden_size, num_classes),
    )


# ---------------------------------------------------------------- 3.9: efficiency


class MemoryEfficientModel(nn.Module):
    """In, then one hidden layer applied ``num_layers`` times (ReLU after each), then one output: depth for free."""

    def __init__(self, input_size, hidden_size, num_layers):
        super().__init__()
        self.w_in, self.b_in = _raw_linear(input_size, hidden_size)
        self.w_shared, self.b_shared = _raw_linear(hidden_size, hidden_size)
        self.w_out, self.b_out = _raw_linear(hidden_size, 1)
        self.num_layers = num_layers

    def forward(self, x):
        x = torch.addmm(self.b_in, x, self.w_in).relu()
        for _ in range(self.num_layers):
            x = torch.addmm(self.b_shared, x, self.w_shared).relu()
        return torch.addmm(self.b_out, x, self.w_out)


class CheckpointModel(nn.Module):
    """Three ``width``-wide Linear-ReLU layers, recomputed in backward instead of stored, then Linear(width, 1)."""

    def __init__(self, width=1000):
        super().__init__()
        self.trunk = nn.Sequential(*(m for _ in range(3) for m in (nn.Linear(width, width), nn.ReLU())))
        self.head = nn.Linear(width, 1)

    def forward(self, x):
        return self.head(checkpoint(self.trunk, x, use_reentrant=False))


class OptimizedModel(nn.Module):
    """100 -> 200 -> 100 -> 1 with LeakyReLU(0.01) between, raw (in, out) weights: a model to torch.compile."""

    def __init__(self):
        super().__init__()
        self.w1, self.b1 = _raw_linear(100, 200)
        self.w2, self.b2 = _raw_linear(200, 100)
        self.w3, self.b3 = _raw_linear(100, 1)

    def forward(self, x):
        x = F.leaky_relu(torch.addmm(self.b1, x, self.w1), negative_slope=0.01)
        x = F.leaky_relu(torch.addmm(self.b2, x, self.w2), negative_slope=0.01)
        return torch.addmm(self.b3, x, self.w3)


# ---------------------------------------------------------------- 3.10: debugging


class DebugModel(nn.Module):
    """10 -> 20 -> 10 -> 1 with ReLUs; while ``debug`` is on, hooks print each stage's shape, mean and std."""

    def __init__(self, debug=True):
        super().__init__()
        self.debug = debug
        self.net = nn.Sequential(
            OrderedDict(
                [
                    ("fc1", nn.Linear(10, 20)),
                    ("relu1", nn.ReLU()),
                    ("fc2", nn.Linear(20, 10)),
                    ("relu2", nn.ReLU()),
                    ("fc3", nn.Linear(10, 1)),
                ]
            )
        )
        self.net.register_forward_pre_hook(lambda module, inputs: self._show("input", inputs[0]))
        for stage in ("relu1", "relu2", "fc3"):
            self.net.get_submodule(stage).register_forward_hook(
                lambda module, inputs, output, stage=stage: self._show(stage, output)
            )

    def _show(self, stage, t):
        if self.debug:
            std, mean = torch.std_mean(t.detach(), correction=0)
            print(f"[{stage:>6}] shape {list(t.shape)}  mean {mean.item():+.4f}  std {std.item():.4f}")

    def forward(self, x):
        return self.net(x)


def visualize_weights(model, layer_name=None):
    """A figure with one histogram per weight tensor (those whose names contain ``layer_name``, if given)."""
    weights = [
        (name, p.detach().cpu().double().flatten())
        for name, p in model.named_parameters()
        if "weight" in name and (layer_name is None or layer_name in name)
    ]
    if not weights:
        raise ValueError(f"no weight tensors to draw in {type(model).__name__}")
    columns = math.ceil(math.sqrt(len(weights)))
    rows = math.ceil(len(weights) / columns)
    fig = Figure(figsize=(4 * columns, 3 * rows), layout="constrained")
    for index, (name, values) in enumerate(weights, start=1):
        ax = fig.add_subplot(rows, columns, index)
        ax.hist(values.numpy(), bins=40, color="tab:blue", alpha=0.8)
        ax.set_title(f"{name} ({values.numel()} values)")
        ax.set_xlabel("value")
    return fig
