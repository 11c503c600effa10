"""Report section 1, layers and blocks: claims L1 to L7."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nnlab import MLP, FixedHiddenMLP, ListSequential, MySequential, NestMLP, ParallelBlock, chimera
from nnlab.blocks import mlp_as_sequential
from nnlab.checks.strategies import batch_sizes, batches, widths


def copy_mlp_into_sequential(mlp: MLP, seq: nn.Sequential) -> None:
    with torch.no_grad():
        for src, dst in ((mlp.hidden, seq[0]), (mlp.output, seq[2])):
            dst.weight.copy_(src.weight)
            dst.bias.copy_(src.bias)


@pytest.mark.claim("L1")
@given(batch=batch_sizes)
def test_mlp_maps_any_batch_of_20_to_10(batch):
    assert MLP()(torch.randn(batch, 20)).shape == (batch, 10)


@pytest.mark.claim("L1")
@pytest.mark.parametrize("shape", [(2, 19), (20, 2), (2, 21)])
def test_mlp_refuses_wrong_width_naming_it(shape):
    with pytest.raises(ValueError, match=r"\(batch, 20\)"):
        MLP()(torch.randn(shape))


@pytest.mark.claim("L2")
@given(X=batches(20))
def test_sequential_with_same_weights_computes_same_function_as_mlp(X):
    mlp, seq = MLP(), mlp_as_sequential()
    copy_mlp_into_sequential(mlp, seq)
    torch.testing.assert_close(seq(X), mlp(X), rtol=0, atol=0)


@pytest.mark.claim("L3")
def test_my_sequential_registers_children_in_insertion_order():
    children = [nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2)]
    net = MySequential(*children)
    assert list(net._modules.values()) == children
    assert list(net._modules) == ["0", "1", "2"]
    expected = [p for child in children for p in child.parameters()]
    assert [id(p) for p in net.parameters()] == [id(p) for p in expected]


@pytest.mark.claim("L3")
@given(X=batches(4), widths=st.lists(widths, min_size=1, max_size=4))
def test_my_sequential_equals_nn_sequential_on_same_children(X, widths):
    sizes = [4, *widths]
    children = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        children += [nn.Linear(n_in, n_out), nn.Tanh()]
    torch.testing.assert_close(MySequential(*children)(X), nn.Sequential(*children)(X), rtol=0, atol=0)


@pytest.mark.claim("L3")
def test_my_sequential_applies_children_in_insertion_order():
    add_one, double = nn.Identity(), nn.Identity()
    add_one.forward = lambda x: x + 1
    double.forward = lambda x: x * 2
    x = torch.tensor([3.0])
    assert MySequential(add_one, double)(x).item() == 8.0
    assert MySequential(double, add_one)(x).item() == 7.0


@pytest.mark.claim("L3")
@pytest.mark.parametrize("container", [MySequential, ListSequential])
def test_containers_refuse_empty_and_non_modules(container):
    with pytest.raises(ValueError, match=f"^{container.__name__} needs at least one module, got none.$"):
        container()
    with pytest.raises(TypeError, match=f"^{container.__name__}: argument 1 is a builtin_function_or_method, not"):
        container(nn.ReLU(), torch.relu)


def list_sequential():
    return ListSequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))


@pytest.mark.claim("L4", verdict="holds")
def test_list_storage_hides_parameters_and_state_dict():
    net = list_sequential()
    assert list(net.parameters()) == []
    assert net.state_dict() == {}
    assert "Linear" not in repr(net)
    assert "Linear" in repr(MySequential(nn.Linear(20, 256)))


@pytest.mark.claim("L4")
def test_list_storage_gives_optimizer_an_empty_parameter_list():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        torch.optim.SGD(list_sequential().parameters(), lr=0.1)


@pytest.mark.claim("L4")
def test_list_storage_leaves_listed_layers_behind_on_to():
    net = list_sequential().to(torch.float64)
    assert net.blocks[0].weight.dtype == torch.float32
    assert MySequential(nn.Linear(20, 256)).to(torch.float64)._modules["0"].weight.dtype == torch.float64


WHY_L4 = (
    "Of the report's five consequences, 'gradients cannot be computed' is false: autograd fills .grad of "
    "the listed layers' weights; only nothing registered can reach or update them."
)


@pytest.mark.claim("L4", verdict="refuted", why=WHY_L4)
def test_list_storage_still_computes_gradients():
    net = list_sequential()
    net(torch.randn(4, 20)).sum().backward()
    for layer in (net.blocks[0], net.blocks[2]):
        assert layer.weight.grad is not None
        assert layer.weight.grad.abs().sum() > 0


@pytest.mark.claim("L5")
def test_fixed_hidden_constant_is_not_a_parameter():
    net = FixedHiddenMLP()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["linear.weight", "linear.bias"]
    assert not net.rand_weight.requires_grad
    assert "rand_weight" not in net.state_dict()


@pytest.mark.claim("L5")
def test_fixed_hidden_uses_its_linear_layer_twice():
    net = FixedHiddenMLP()
    calls = []
    net.linear.register_forward_hook(lambda module, args, output: calls.append(module))
    net(torch.rand(2, 20))
    assert calls == [net.linear, net.linear]


def fixed_hidden_as_in_the_report(net: FixedHiddenMLP, X: torch.Tensor) -> torch.Tensor:
    X = net.linear(X)
    X = torch.relu(torch.mm(X, net.rand_weight) + 1)
    X = net.linear(X)
    while X.abs().sum() > 1:
        X /= 2
    return X.sum()


@pytest.mark.claim("L5")
@given(X=batches(20, low=-100, high=100))
def test_fixed_hidden_computes_the_report_function_bounded_by_one(X):
    net = FixedHiddenMLP()
    out = net(X)
    torch.testing.assert_close(out, fixed_hidden_as_in_the_report(net, X), rtol=0, atol=0)
    assert out.abs().item() <= 1.0


@pytest.mark.claim("L5")
def test_fixed_hidden_refuses_non_finite_input_instead_of_looping_forever():
    with pytest.raises(ValueError, match="non-finite"):
        FixedHiddenMLP()(torch.full((1, 20), float("inf")))


WHY_L5 = (
    "A reloaded FixedHiddenMLP computes the same function only when rand_weight is a registered buffer; "
    "as the report's plain attribute it is not in state_dict() and a fresh one is drawn."
)


@pytest.mark.claim("L5", verdict="qualified", why=WHY_L5)
@pytest.mark.parametrize("as_buffer", [False, True])
def test_fixed_hidden_survives_reload_only_as_buffer(as_buffer):
    X = torch.rand(3, 20)
    net, reloaded = FixedHiddenMLP(as_buffer), FixedHiddenMLP(as_buffer)
    reloaded.load_state_dict(net.state_dict())
    assert ("rand_weight" in net.state_dict()) == as_buffer
    assert torch.equal(net(X), reloaded(X)) == as_buffer


@pytest.mark.claim("L6")
def test_nest_mlp_is_the_chapters_sequential_then_a_layer():
    net = NestMLP()
    assert [type(m) for m in net.net] == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU]
    assert [(m.in_features, m.out_features) for m in (net.net[0], net.net[2], net.linear)] == [
        (20, 64),
        (64, 32),
        (32, 16),
    ]


@pytest.mark.claim("L6")
@given(X=batches(20))
def test_nest_mlp_and_chimera_run_end_to_end(X):
    assert NestMLP()(X).shape == (X.shape[0], 16)
    out = chimera()(X)
    assert out.shape == () and torch.isfinite(out)


@pytest.mark.claim("L6")
def test_chimera_parameters_are_the_union_of_its_parts():
    net = chimera()
    parts = [p for part in net for p in part.parameters()]
    assert {id(p) for p in net.parameters()} == {id(p) for p in parts}
    assert sum(p.numel() for p in net.parameters()) == sum(p.numel() for p in parts)


def two_nets(d_in, d1, d2):
    return nn.Sequential(nn.Linear(d_in, 7), nn.ReLU(), nn.Linear(7, d1)), nn.Linear(d_in, d2)


@pytest.mark.claim("L7")
@given(X=batches(5), d1=widths, d2=widths)
def test_parallel_concat_is_cat_of_both_outputs_for_any_widths(X, d1, d2):
    net1, net2 = two_nets(5, d1, d2)
    out = ParallelBlock(net1, net2)(X)
    torch.testing.assert_close(out, torch.cat((net1(X), net2(X)), dim=-1), rtol=0, atol=0)
    assert out.shape == (X.shape[0], d1 + d2)


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


WHY_L7 = (
    "The report's ParallelBlock sums the outputs and calls it concatenation; a sum needs equal widths "
    "and is refused otherwise, a concatenation works for any widths."
)


@pytest.mark.claim("L7", verdict="qualified", why=WHY_L7)
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


@pytest.mark.claim("L7")
@pytest.mark.parametrize("combine", ParallelBlock.COMBINES)
def test_parallel_parameters_and_gradients_reach_both_nets(combine):
    net1, net2 = two_nets(5, 4, 4)
    block = ParallelBlock(net1, net2, combine=combine)
    assert {id(p) for p in block.parameters()} == {id(p) for p in [*net1.parameters(), *net2.parameters()]}
    block(torch.randn(3, 5)).square().sum().backward()
    for p in block.parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0
