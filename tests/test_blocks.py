"""Report section 1, layers and blocks: claims L1 to L7."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnlab import MLP, FixedHiddenMLP, ListSequential, MySequential, ParallelBlock
from nnlab.checks.blocks import two_nets
from nnlab.checks.strategies import widths


@pytest.mark.claim("L1")
@pytest.mark.parametrize("shape", [(2, 19), (20, 2), (2, 21)])
def test_mlp_refuses_wrong_width_naming_it(shape):
    with pytest.raises(ValueError, match=r"\(batch, 20\)"):
        MLP()(torch.randn(shape))


@pytest.mark.claim("L3")
@pytest.mark.parametrize("container", [MySequential, ListSequential])
def test_containers_refuse_empty_and_non_modules(container):
    with pytest.raises(ValueError, match=f"^{container.__name__} needs at least one module, got none.$"):
        container()
    with pytest.raises(TypeError, match=f"^{container.__name__}: argument 1 is a builtin_function_or_method, not"):
        container(nn.ReLU(), torch.relu)


def list_sequential():
    return ListSequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))


@pytest.mark.claim("L4")
def test_list_storage_hides_parameters_and_state_dict():
    net = list_sequential()
    assert list(net.parameters()) == []
    assert net.state_dict() == {}
    assert "Linear" not in repr(net)
    assert "Linear" in repr(MySequential(nn.Linear(20, 256)))


@pytest.mark.claim("L5")
def test_fixed_hidden_refuses_non_finite_input_instead_of_looping_forever():
    with pytest.raises(ValueError, match="non-finite"):
        FixedHiddenMLP()(torch.full((1, 20), float("inf")))


@pytest.mark.claim("L5")
@pytest.mark.parametrize("as_buffer", [False, True])
def test_fixed_hidden_survives_reload_only_as_buffer(as_buffer):
    X = torch.rand(3, 20)
    net, reloaded = FixedHiddenMLP(as_buffer), FixedHiddenMLP(as_buffer)
    reloaded.load_state_dict(net.state_dict())
    assert ("rand_weight" in net.state_dict()) == as_buffer
    assert torch.equal(net(X), reloaded(X)) == as_buffer


@pytest.mark.claim("L7")
@given(leading=st.lists(st.integers(1, 3), min_size=1, max_size=3), d1=widths, d2=widths)
def test_parallel_concat_joins_the_last_dimension_for_any_leading_ones(leading, d1, d2):
    net1, net2 = two_nets(5, d1, d2)
    X = torch.randn(*leading, 5)
    out = ParallelBlock(net1, net2)(X)
    assert out.shape == (*leading, d1 + d2)
    torch.testing.assert_close(out[..., :d1], net1(X), rtol=0, atol=0)


@pytest.mark.claim("L7")
def test_parallel_refuses_outputs_that_differ_before_the_last_dimension():
    block = ParallelBlock(nn.Linear(5, 3), nn.Flatten(0, 1))
    with pytest.raises(ValueError, match=r"all but the last dimension; got \(2, 4, 3\) and \(8, 5\)"):
        block(torch.randn(2, 4, 5))


@pytest.mark.parametrize("combine", ["concat", "sum"])
def test_parallel_block_prints_how_it_combines(combine):
    assert repr(ParallelBlock(nn.Identity(), nn.Identity(), combine)).startswith(
        f"ParallelBlock(\n  combine='{combine}'\n"
    )


@pytest.mark.claim("L7")
def test_parallel_refuses_non_modules_naming_itself():
    with pytest.raises(TypeError, match="^ParallelBlock: argument 1 is a builtin_function_or_method"):
        ParallelBlock(nn.ReLU(), torch.relu)


@pytest.mark.claim("L7")
@given(leading=st.lists(st.integers(1, 3), min_size=1, max_size=3), d=widths)
def test_parallel_sum_is_sum_of_both_outputs_for_any_leading_dimensions(leading, d):
    net1, net2 = two_nets(5, d, d)
    X = torch.randn(*leading, 5)
    torch.testing.assert_close(ParallelBlock(net1, net2, combine="sum")(X), net1(X) + net2(X), rtol=0, atol=0)


@pytest.mark.claim("L7")
def test_parallel_sum_refuses_unequal_widths_naming_both():
    net1, net2 = two_nets(5, 3, 4)
    with pytest.raises(ValueError, match="net1 gives 3, net2 gives 4"):
        ParallelBlock(net1, net2, combine="sum")(torch.randn(2, 5))
    with pytest.raises(ValueError, match="net1 gives 3, net2 gives 4"):
        ParallelBlock(net1, net2, combine="sum")(torch.randn(6, 2, 5))


@pytest.mark.claim("L7")
def test_parallel_refuses_unknown_combine():
    with pytest.raises(ValueError, match="combine must be one of"):
        ParallelBlock(nn.ReLU(), nn.ReLU(), combine="stack")


@pytest.mark.parametrize(("as_buffer", "kept"), [(False, "plain tensor"), (True, "buffer")])
def test_fixed_hidden_repr_says_how_the_constant_is_kept(as_buffer, kept):
    assert f"rand_weight=(20, 20) ({kept})" in repr(FixedHiddenMLP(constant_as_buffer=as_buffer))
