"""Report section 4, file I/O: claims F1 to F6."""

import copy

import pytest
import torch
from hypothesis import given
from torch import nn

from nnlab import (
    MLP,
    CheckpointMismatchError,
    MyLinear,
    NestMLP,
    freeze,
    load_checkpoint,
    load_matching,
    load_module,
    load_state_dict,
    save_checkpoint,
    save_module,
    save_state_dict,
    unfreeze,
)
from nnlab.checks.strategies import tensors
from nnlab.fileio import NewNetwork, OriginalNetwork, atomic_save, check_fits, safe_load


@pytest.mark.claim("F1")
def test_loading_into_another_architecture_lists_the_keys_that_differ(tmp_path):
    save_state_dict(MLP(), tmp_path / "mlp.params")
    with pytest.raises(CheckpointMismatchError) as error:
        load_state_dict(NestMLP(), tmp_path / "mlp.params")
    message = str(error.value)
    assert "missing keys: linear.bias, linear.weight, net.0.bias" in message
    assert "unexpected keys: hidden.bias, hidden.weight, output.bias, output.weight" in message


@pytest.mark.claim("F1")
def test_a_state_dict_missing_a_key_is_refused_whole(tmp_path):
    state = MLP().state_dict()
    del state["output.bias"]
    atomic_save(state, tmp_path / "partial.params")
    with pytest.raises(CheckpointMismatchError) as error:
        load_state_dict(MLP(), tmp_path / "partial.params")
    assert str(error.value) == (
        "This state dict does not fit MLP (missing keys: output.bias). Was it saved from another architecture? "
        "Build the model it was saved from, or load the shared layers only with load_matching()."
    )


@pytest.mark.claim("F1")
def test_loading_same_names_other_shapes_lists_the_shapes(tmp_path):
    save_state_dict(MyLinear(6, 3), tmp_path / "small.params")
    with pytest.raises(CheckpointMismatchError, match=r"weight: file \(6, 3\), model \(6, 4\)"):
        load_state_dict(MyLinear(6, 4), tmp_path / "small.params")


@pytest.mark.claim("F1")
def test_loading_a_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="No file at .*nowhere.params"):
        load_state_dict(MLP(), tmp_path / "nowhere.params")


@pytest.mark.claim("F1")
def test_atomic_save_keeps_the_old_file_when_a_save_crashes(tmp_path, monkeypatch):
    path = tmp_path / "net.params"
    net = MLP()
    save_state_dict(net, path)
    good = path.read_bytes()

    beside_target = []

    def crash_midway(obj, f):
        beside_target.extend(p.name for p in tmp_path.iterdir() if p != path)
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        save_state_dict(MLP(), path)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["net.params"]
    # beside the target, so that the final rename stays on one file system; hidden, so never taken for a checkpoint
    (partial,) = beside_target
    assert partial.startswith(".net.params.") and partial.endswith(".tmp")


@pytest.mark.claim("F2")
def test_whole_module_round_trip_needs_explicit_trust(tmp_path):
    net, X = MLP(), torch.randn(2, 20)
    path = save_module(net, tmp_path / "mlp.pt")
    with pytest.raises(PermissionError, match="trusted=True"):
        load_module(path)
    assert torch.equal(load_module(path, trusted=True)(X), net(X))


@pytest.mark.claim("F2")
def test_load_module_refuses_a_file_that_holds_no_module(tmp_path):
    path = save_state_dict(MLP(), tmp_path / "mlp.params")
    with pytest.raises(TypeError, match=r"mlp.params holds a OrderedDict, not an nn.Module.$"):
        load_module(path, trusted=True)
    with pytest.raises(FileNotFoundError, match="No file at .*missing.pt: check the path"):
        load_module(tmp_path / "missing.pt", trusted=True)


@pytest.mark.claim("F2")
def test_the_safe_loader_never_unpickles_a_module(tmp_path):
    path = save_module(MLP(), tmp_path / "mlp.pt")
    with pytest.raises(Exception, match="Weights only load failed"):
        safe_load(path)


@pytest.mark.claim("F3")
def test_checkpoint_holds_model_optimizer_epoch_and_loss(tmp_path):
    net = MLP()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    save_checkpoint(tmp_path / "checkpoint.pth", net, optimizer, epoch=1, loss=0.5)
    checkpoint = safe_load(tmp_path / "checkpoint.pth")
    assert {"model_state_dict", "optimizer_state_dict", "epoch", "loss"} <= set(checkpoint)
    assert (checkpoint["epoch"], checkpoint["loss"]) == (1, 0.5)


@pytest.mark.claim("F3")
def test_load_checkpoint_refuses_a_bare_state_dict_naming_what_is_missing(tmp_path):
    save_state_dict(MLP(), tmp_path / "mlp.params")
    with pytest.raises(CheckpointMismatchError, match="lacks model_state_dict, optimizer_state_dict, epoch, loss"):
        load_checkpoint(tmp_path / "mlp.params", MLP())


@pytest.mark.claim("F3")
def test_load_checkpoint_refuses_a_file_that_is_no_dict(tmp_path):
    atomic_save(torch.zeros(3), tmp_path / "tensor.pt")
    with pytest.raises(CheckpointMismatchError, match="tensor.pt is not a checkpoint: it lacks model_state_dict, "):
        load_checkpoint(tmp_path / "tensor.pt", MLP())


@pytest.mark.claim("F3")
def test_load_checkpoint_refuses_another_architecture(tmp_path):
    net = MLP()
    save_checkpoint(tmp_path / "c.pth", net, torch.optim.SGD(net.parameters(), lr=0.1), epoch=1, loss=0.1)
    with pytest.raises(CheckpointMismatchError, match="missing keys: linear.bias"):
        load_checkpoint(tmp_path / "c.pth", NestMLP())


@pytest.mark.claim("F4")
def test_partial_load_needs_a_prefix_and_says_what_one_looks_like():
    with pytest.raises(ValueError, match=r"needs at least one prefix, such as \('layer1', 'layer2'\)"):
        load_matching(NewNetwork(), OriginalNetwork().state_dict(), ())


@pytest.mark.claim("F4")
def test_partial_load_refuses_prefixes_that_match_nothing():
    with pytest.raises(CheckpointMismatchError, match=r"No key starts with \['layer9'\].*'fc', 'layer1'"):
        load_matching(NewNetwork(), OriginalNetwork().state_dict(), ("layer9",))


@pytest.mark.claim("F4")
def test_partial_load_refuses_layers_of_another_shape():
    with pytest.raises(
        CheckpointMismatchError, match=r"layer3_new\.0\.weight: file \(64, 32, 3, 3\), model \(128, 32, 3, 3\)"
    ):
        load_matching(
            NewNetwork(),
            {"layer3_new.0.weight": OriginalNetwork().state_dict()["layer3.0.weight"]},
            ("layer3_new",),
        )


@pytest.mark.claim("F4")
def test_partial_load_refuses_layers_the_new_network_lacks():
    with pytest.raises(CheckpointMismatchError, match=r"^NewNetwork has no place for fc.bias, fc.weight.$"):
        load_matching(NewNetwork(), OriginalNetwork().state_dict(), ("layer1", "fc"))


@pytest.mark.claim("F5")
@pytest.mark.parametrize("change", [freeze, unfreeze])
def test_freeze_and_unfreeze_need_a_module(change):
    with pytest.raises(ValueError, match="^Name at least one module to freeze or unfreeze.$"):
        change()


@pytest.mark.claim("F1")
def test_atomic_save_creates_missing_folders(tmp_path):
    path = atomic_save({"x": torch.ones(1)}, tmp_path / "a" / "b" / "x.pt")
    assert torch.equal(safe_load(path)["x"], torch.ones(1))
    assert safe_load(path, map_location="meta")["x"].is_meta  # the tensors go where the caller says


MISFIT = (
    "This state dict does not fit Linear ({problems}). Was it saved from another architecture? "
    "Build the model it was saved from, or load the shared layers only with load_matching()."
)


@pytest.mark.claim("F4")
@pytest.mark.parametrize(
    ("strict", "problems"),
    [
        (True, "missing keys: bias; unexpected keys: extra; shape mismatches: weight: file (3, 2), model (2, 2)"),
        (False, "shape mismatches: weight: file (3, 2), model (2, 2)"),
    ],
    ids=["strict", "shared-keys-only"],
)
def test_a_misfit_lists_every_problem_and_the_way_out(strict, problems):
    misfit = {"weight": torch.zeros(3, 2), "extra": torch.zeros(1)}
    with pytest.raises(CheckpointMismatchError) as error:
        check_fits(nn.Linear(2, 2), misfit, strict=strict)
    assert str(error.value) == MISFIT.format(problems=problems)
    check_fits(nn.Linear(2, 2), {"weight": torch.zeros(2, 2), "extra": torch.zeros(1)}, strict=False)


@pytest.mark.claim("F6")
@pytest.mark.parametrize(("conv_bias", "biases"), [(False, []), (True, ["layer1.0.bias", "layer2.0.bias"])])
def test_exercise_convolutions_have_a_bias_only_in_the_reports_version(conv_bias, biases):
    for net in (OriginalNetwork(conv_bias=conv_bias), NewNetwork(conv_bias=conv_bias)):
        assert [name for name in net.state_dict() if name.startswith(("layer1.0.", "layer2.0."))] == [
            "layer1.0.weight",
            *biases[:1],
            "layer2.0.weight",
            *biases[1:],
        ]


def batch_norms(net: nn.Module) -> list[nn.BatchNorm2d]:
    return [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]


@pytest.mark.claim("F5")
def test_freeze_stops_batch_norm_statistics_and_unfreeze_puts_each_setting_back():
    net = NewNetwork()
    untracked = nn.BatchNorm2d(16, track_running_stats=False)
    net.layer1[1] = untracked
    freeze(net.layer1, net.layer2)
    assert [m.track_running_stats for m in batch_norms(net)] == [False, False, True]
    freeze(net.layer2)  # twice: the first freeze's record, True, is the one kept
    unfreeze(net)
    assert [m.track_running_stats for m in batch_norms(net)] == [False, True, True]
    assert untracked.running_mean is None
    assert all(p.requires_grad for p in net.parameters())


@pytest.mark.claim("F5")
@given(x=tensors((3, 2, 4, 4), -3, 3))
def test_a_frozen_network_keeps_its_statistics_in_train_mode_and_uses_them_in_eval(x):
    net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, bias=False), nn.BatchNorm2d(3), nn.ReLU()).train()
    net(x * 2 + 1)  # running statistics no longer the initial ones
    net.eval()
    with torch.no_grad():
        before_eval = net(x)
    state = copy.deepcopy(net.state_dict())
    freeze(net)
    net.train()
    net(x)
    assert all(torch.equal(value, state[key]) for key, value in net.state_dict().items())
    net.eval()
    with torch.no_grad():
        assert torch.equal(net(x), before_eval)
