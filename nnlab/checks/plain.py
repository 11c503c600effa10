"""Plain data: what a judged check's answer may hold when it crosses from the process that ran the lab's code.

Tensors, numbers, strings, ``None``, and lists and string-keyed dicts of them, written as JSON. A tensor goes as
its dtype, shape and bytes, so what arrives is a ``torch.Tensor`` built here from those bytes and nothing else:
a ``torch.Tensor`` subclass (whose ``__torch_function__`` could say every comparison is equal) is refused when
it is written, and a module, a function or any other object cannot be written at all. Reading checks each
tensor's bytes against its dtype and shape, so a garbled answer is an error, never a wrong tensor.
"""

import base64
import binascii
import math

import torch
from torch import nn

# the dtypes an answer may hold, by name: the ones the checks compare
DTYPES = {
    str(dtype).removeprefix("torch."): dtype
    for dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int32, torch.int64, torch.bool)
}
PLAIN_TENSORS = (torch.Tensor, nn.Parameter)
MOST_ELEMENTS = 1 << 26  # one tensor of an answer: far beyond what a check asks of a role, short of a runaway


class NotPlain(TypeError):
    """A value that cannot cross as plain data: a tensor subclass, a module, anything but the kinds above."""


def encode(value):
    """``value`` as JSON-ready data; raises ``NotPlain`` naming what cannot be sent."""
    if isinstance(value, torch.Tensor):
        return {"tensor": _tensor(value)}
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) in (list, tuple):
        return {"list": [encode(item) for item in value]}
    if type(value) is dict and all(type(key) is str for key in value):
        return {"dict": {key: encode(item) for key, item in value.items()}}
    raise NotPlain(f"a {type(value).__qualname__} where the check needs plain data (tensors, numbers, lists)")


def _tensor(value: torch.Tensor) -> dict:
    if type(value) not in PLAIN_TENSORS:
        raise NotPlain(f"a {type(value).__qualname__}, a subclass of torch.Tensor: the checks compare plain tensors")
    if value.layout != torch.strided:
        raise NotPlain(f"a {value.layout} tensor, where the checks compare dense (torch.strided) tensors")
    dtype = str(value.dtype).removeprefix("torch.")
    if dtype not in DTYPES:
        raise NotPlain(f"a tensor of dtype {dtype}, where the checks compare {', '.join(DTYPES)}")
    # A fresh copy in row-major order: ``contiguous()`` keeps an empty tensor's zero strides, which ``view`` refuses.
    data = value.detach().cpu().clone(memory_format=torch.contiguous_format).reshape(-1).view(torch.uint8)
    return {
        "dtype": dtype,
        "shape": list(value.shape),
        "requires_grad": value.requires_grad,
        "bytes": base64.b64encode(data.numpy().tobytes()).decode(),
    }


def decode(data):
    """The value ``encode`` wrote; raises ``ValueError`` for anything it could not have written."""
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is not dict or len(data) != 1:
        raise ValueError(f"not plain data: {type(data).__name__}")
    ((kind, body),) = data.items()
    if kind == "list" and type(body) is list:
        return [decode(item) for item in body]
    if kind == "dict" and type(body) is dict:
        return {str(key): decode(item) for key, item in body.items()}
    if kind == "tensor" and type(body) is dict:
        return _read_tensor(body)
    raise ValueError(f"not plain data: a {kind!r}")


def _read_tensor(body: dict) -> torch.Tensor:
    dtype, shape = DTYPES.get(body.get("dtype")), body.get("shape")
    if dtype is None:
        raise ValueError(f"a tensor of unknown dtype {body.get('dtype')!r}")
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
        raise ValueError(f"a tensor of shape {shape!r}")
    elements = math.prod(shape)
    if elements > MOST_ELEMENTS:
        raise ValueError(f"a tensor of {elements} elements, more than the {MOST_ELEMENTS} an answer may hold")
    try:
        raw = base64.b64decode(body.get("bytes", ""), validate=True)
    except (TypeError, binascii.Error):
        raise ValueError("a tensor whose bytes are not base64") from None
    size = elements * dtype.itemsize
    if len(raw) != size:
        raise ValueError(f"a {body['dtype']} tensor of shape {shape} in {len(raw)} bytes, not {size}")
    flat = torch.frombuffer(bytearray(raw), dtype=torch.uint8) if raw else torch.empty(0, dtype=torch.uint8)
    tensor = flat.view(dtype).reshape(shape)
    return tensor.requires_grad_() if body.get("requires_grad") is True and dtype.is_floating_point else tensor


def round_trip(value):
    """``value`` as the judge receives it: in one process, the same conversion the grader's channel makes."""
    return decode(encode(value))
