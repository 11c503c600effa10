"""Report section 4, written unlike nnlab: named conv and norm attributes, a tuple checkpoint, layers copied by hand."""

import torch
import torch.nn.functional as F
from torch import nn


def save_params(net, path):
    torch.save([(name, tensor.clone()) for name, tensor in net.state_dict().items()], path)


def load_params(net, path):
    net.load_state_dict(dict(torch.load(path, weights_only=True)))


def save_model(net, path):
    torch.save(net, path)


def load_model(path):
    return torch.load(path, weights_only=False)  # unpickles code: only for files you made yourself


def save_checkpoint(path, model, optimizer, epoch, loss):
    # the RNG state too, so that dropout and shuffling resume exactly where they were
    torch.save((model.state_dict(), optimizer.state_dict(), torch.random.get_rng_state(), epoch, loss), path)


def load_checkpoint(path, model, optimizer):
    model_state, optimizer_state, rng_state, epoch, loss = torch.load(path, weights_only=True)
    model.load_state_dict(model_state)
    optimizer.load_state_dict(optimizer_state)
    torch.random.set_rng_state(rng_state)
    return epoch, loss


class ConvNorm(nn.Module):
    """3x3 convolution (no bias: the norm after it removes any), batch norm, ReLU, and a 2x2 max-pool if asked."""

    def __init__(self, channels_in, channels_out, pool):
        super().__init__()
        self.conv = nn.Conv2d(channels_in, channels_out, 3, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(channels_out)
        self.pool = pool

    def forward(self, x):
        x = F.relu(self.norm(self.conv(x)))
        return F.max_pool2d(x, 2) if self.pool else x


class OriginalNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1, self.layer2, self.layer3 = ConvNorm(3, 16, False), ConvNorm(16, 32, True), ConvNorm(32, 64, True)
        self.head = nn.Parameter(torch.randn(10, 64 * 8 * 8) * 0.01)

    def forward(self, x):
        return self.layer3(self.layer2(self.layer1(x))).flatten(1) @ self.head.T


class NewNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1, self.layer2, self.extra = ConvNorm(3, 16, False), ConvNorm(16, 32, True), ConvNorm(32, 128, True)
        self.head = nn.Linear(128 * 8 * 8, 20)

    def forward(self, x):
        return self.head(torch.flatten(self.extra(self.layer2(self.layer1(x))), 1))


def reuse_layers(new_net, original_state_dict, prefixes):
    """Copy the entries under ``prefixes``; the keys of ``new_net`` not copied are returned as missing."""
    own = new_net.state_dict()
    taken = [key for key in original_state_dict if key.partition(".")[0] in prefixes]
    with torch.no_grad():
        for key in taken:
            own[key].copy_(original_state_dict[key])
    return sorted(set(own) - set(taken))


def freeze(*modules):
    """No gradients, and eval mode, so batch norms use and keep their running statistics."""
    for module in modules:
        module.eval()
        module.requires_grad_(False)


def unfreeze(*modules):
    for module in modules:
        module.train()
        module.requires_grad_(True)
