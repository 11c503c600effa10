"""Plain data (nnlab.checks.plain): what crosses from the worker is what was sent, and nothing else can cross."""

import json

import hypothesis_torch as ht
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnlab.checks import plain

shapes = st.lists(st.integers(0, 5), max_size=3)
plain_tensors = st.sampled_from(list(plain.DTYPES.values())).flatmap(
    lambda dtype: ht.tensor_strategy(
        dtype=dtype, shape=shapes.map(tuple), device=torch.device("cpu"), layout=torch.strided
    )
)


@given(tensor=plain_tensors)
def test_a_tensor_arrives_bit_for_bit_with_its_dtype_and_shape(tensor):
    sent = json.loads(json.dumps(plain.encode(tensor)))  # as the channel carries it: one line of JSON
    arrived = plain.decode(sent)
    assert type(arrived) is torch.Tensor
    assert (arrived.dtype, arrived.shape) == (tensor.dtype, tensor.shape)
    assert torch.equal(bits(arrived), bits(tensor))


@pytest.mark.parametrize(
    "tensor",
    [
        torch.empty_strided((0,), (0,), dtype=torch.int32),
        torch.empty_strided((2, 0, 3), (0, 0, 0)),
        torch.arange(6.0).reshape(2, 3).t(),
        torch.tensor([1.0, 2.0]).expand(3, 2),
    ],
    ids=["empty, stride 0", "empty, all strides 0", "transposed", "expanded"],
)
def test_a_tensor_of_any_strides_arrives_in_row_major_order(tensor):
    arrived = plain.round_trip(tensor)
    assert arrived.shape == tensor.shape
    assert torch.equal(arrived, tensor)


@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | plain_tensors,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
        max_leaves=8,
    )
)
def test_nested_lists_and_dicts_arrive_as_they_were_sent(value):
    arrived = plain.decode(json.loads(json.dumps(plain.encode(value))))
    assert same(arrived, value), (arrived, value)


def bits(tensor: torch.Tensor) -> torch.Tensor:
    row_major = torch.empty(tensor.shape, dtype=tensor.dtype).copy_(tensor.detach())
    return row_major.reshape(-1).view(torch.uint8)


def same(arrived, sent) -> bool:
    """Equal, kind for kind; tensors bit for bit, with their dtype and shape (a tuple arrives as a list)."""
    if isinstance(sent, torch.Tensor):
        return type(arrived) is torch.Tensor and arrived.dtype == sent.dtype and torch.equal(bits(arrived), bits(sent))
    if isinstance(sent, (list, tuple)):
        return type(arrived) is list and len(arrived) == len(sent) and all(map(same, arrived, sent))
    if isinstance(sent, dict):
        return type(arrived) is dict and arrived.keys() == sent.keys() and all(same(arrived[k], sent[k]) for k in sent)
    return type(arrived) is type(sent) and arrived == sent


def test_a_parameter_arrives_as_a_tensor_that_requires_grad():
    arrived = plain.round_trip(nn.Parameter(torch.ones(2)))
    assert (type(arrived), arrived.requires_grad) == (torch.Tensor, True)


class Agreeable(torch.Tensor):
    """A tensor that says every comparison is equal."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in (torch.equal, torch.allclose):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        (torch.zeros(2).as_subclass(Agreeable), "a Agreeable, a subclass of torch.Tensor"),
        ([torch.zeros(1), nn.Linear(1, 1)], "a Linear where the check needs plain data"),
        ({1: torch.zeros(1)}, "a dict where the check needs plain data"),
        (torch.zeros(1, dtype=torch.complex64), "a tensor of dtype complex64"),
        (lambda: None, "a function where the check needs plain data"),
        (torch.eye(2).to_sparse(), "a torch.sparse_coo tensor"),
    ],
    ids=["tensor subclass", "module", "dict with an int key", "complex tensor", "function", "sparse tensor"],
)
def test_what_is_not_plain_data_is_refused_where_it_is_sent(value, refused):
    with pytest.raises(plain.NotPlain, match=refused):
        plain.encode(value)


SENT = plain.encode(torch.arange(6.0).reshape(2, 3))["tensor"]


@pytest.mark.parametrize(
    ("garbled", "error"),
    [
        ({"tensor": {**SENT, "dtype": "object"}}, "a tensor of unknown dtype 'object'"),
        ({"tensor": {**SENT, "shape": [2, -3]}}, r"a tensor of shape \[2, -3\]"),
        ({"tensor": {**SENT, "shape": [3, 3]}}, r"a float32 tensor of shape \[3, 3\] in 24 bytes, not 36"),
        ({"tensor": {**SENT, "shape": [1 << 14, 1 << 14]}}, "more than the 67108864 an answer may hold"),
        ({"tensor": {**SENT, "bytes": "not base64!"}}, "a tensor whose bytes are not base64"),
        ({"module": {}}, "not plain data: a 'module'"),
        ({"list": [], "dict": {}}, "not plain data: dict"),
        ([1, 2], "not plain data: list"),
    ],
    ids=[
        "dtype",
        "negative size",
        "bytes short of the shape",
        "too many elements",
        "bytes",
        "kind",
        "two kinds",
        "bare list",
    ],
)
def test_what_no_encoder_wrote_is_an_error_when_read_never_a_wrong_value(garbled, error):
    with pytest.raises(ValueError, match=error):
        plain.decode(garbled)
