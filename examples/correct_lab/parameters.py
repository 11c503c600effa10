"""Report section 2, written unlike nnlab: initialisers as tensor operations, blocks from ordered dicts."""

import math
from collections import OrderedDict

import torch
from torch import nn


def block1():
    layers = [nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU()]
    return nn.Sequential(OrderedDict((str(position), layer) for position, layer in enumerate(layers)))


def block2():
    return nn.Sequential(OrderedDict((f"block {i}", block1()) for i in range(4)))


def tied_net():
    shared = nn.Linear(8, 8)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1))


def _linear_only(init):
    def apply_to(module):
        if isinstance(module, nn.Linear):
            with torch.no_grad():
                init(module)

    apply_to.__name__ = init.__name__
    return apply_to


@_linear_only
def init_normal(m):
    m.weight.copy_(torch.randn_like(m.weight) * 0.01)
    m.bias.zero_()


@_linear_only
def init_constant(m):
    m.weight.fill_(1.0)
    m.bias.fill_(0.0)


@_linear_only
def xavier(m):
    fan_out, fan_in = m.weight.shape
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    m.weight.copy_(torch.rand_like(m.weight) * 2 * bound - bound)


@_linear_only
def init_42(m):
    m.weight.fill_(42.0)


@_linear_only
def my_init(m):
    m.weight.copy_(torch.full_like(m.weight, 1.0 / m.weight.numel()))
    m.bias.zero_()


@_linear_only
def textbook_init(m):
    values = torch.rand_like(m.weight) * 20 - 10
    m.weight.copy_(torch.where(values.abs() >= 5, values, torch.zeros_like(values)))
