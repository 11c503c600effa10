"""The checks' inputs: hypothesis strategies, ``forall`` (the ``given`` that checks use), and fixed grids."""

import hypothesis_torch as ht
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

batch_sizes = st.integers(min_value=1, max_value=16)
widths = st.integers(min_value=1, max_value=12)
float_dtypes = st.sampled_from([torch.float32, torch.float64])


def tensors(shape, low: float = -10.0, high: float = 10.0, dtype=torch.float32):
    """Finite tensors with entries in ``[low, high]``.

    ``shape`` is a strategy of shapes, or a tuple of ints and strategies.
    """
    if not isinstance(shape, st.SearchStrategy):
        shape = st.tuples(*(s if isinstance(s, st.SearchStrategy) else st.just(s) for s in shape))
    width = 32 if dtype == torch.float32 else 64
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=width)
    return ht.tensor_strategy(
        dtype=dtype,
        shape=shape,
        elements=elements,
        layout=torch.strided,
        device=torch.device("cpu"),
        requires_grad=False,
    )


# Above this many features a batch's entries come from a drawn seed, not one by one: hypothesis then shrinks the
# batch size and the seed only, where drawing 784 floats a row would make each example take seconds.
DRAWN_FEATURES = 64


@st.composite
def batches(draw, features: int, low: float = -10.0, high: float = 10.0, dtype=torch.float32):
    """A ``(batch, features)`` tensor with a drawn batch size: drawn value by value up to ``DRAWN_FEATURES``
    features; wider, a uniform draw in [low, high) from a drawn seed, so hypothesis shrinks the batch size and the
    seed, not 784 values per row."""
    if features <= DRAWN_FEATURES:
        return draw(tensors((draw(batch_sizes), features), low, high, dtype))
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    generator = torch.Generator().manual_seed(seed)
    return torch.empty(draw(batch_sizes), features, dtype=dtype).uniform_(low, high, generator=generator)


def forall(**strategies):
    """``hypothesis.given`` with the settings a check needs, on top of whatever profile is loaded.

    No deadline (building modules is slow, not wrong) and one failure reported, not a group of them, so a
    result names a single smallest counterexample. Applied when the check runs, so the profile loaded by
    then (the suite's, or ``nnlab check``'s) decides the number of examples.
    """

    def decorate(prop):
        return settings(
            deadline=None,
            report_multiple_bugs=False,
            suppress_health_check=[HealthCheck.too_slow],
            phases=[phase for phase in settings.default.phases if phase != Phase.explain],
        )(given(**strategies)(prop))

    return decorate


def float32_grid(low: float, high: float) -> torch.Tensor:
    """Every multiple of 1/8 in ``[low, high]``, in float32: fixed inputs that reach the saturation points."""
    return torch.arange(low, high + 0.125, 0.125, dtype=torch.float32)
