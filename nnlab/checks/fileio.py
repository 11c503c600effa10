"""Checks of report section 4, file I/O: claims F1 to F6, on any implementation.

Roles (section ``fileio``), named after what the report's script does:

- ``save_params(net, path)``, ``load_params(net, path)``: the state dict to a
  file and back into ``net`` (F1);
- ``save_model(net, path)``, ``load_model(path) -> module``: the whole module
  (F2);
- ``save_checkpoint(path, model, optimizer, epoch, loss)``,
  ``load_checkpoint(path, model, optimizer) -> (epoch, loss)``: restores
  ``model`` and ``optimizer`` in place (F3);
- ``OriginalNetwork()``, ``NewNetwork()``: exercise 2's networks, ``(b, 3, 32, 32)``
  to 10 and 20 classes; both have the blocks ``layer1`` and ``layer2`` (F4);
- ``reuse_layers(new_net, original_state_dict, prefixes) -> missing keys``:
  loads the entries under ``prefixes`` (such as ``("layer1", "layer2")``) into
  ``new_net`` and says which of its keys were not loaded (F4);
- ``freeze(*modules)``, ``unfreeze(*modules)`` (F5, F6).

The checks find the reused and the new layers by identity (the parameters of
``net.layer1`` and ``net.layer2``) and the expected key lists from the
networks' own ``state_dict()``, never from the code under check.

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import copy
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import hypothesis_torch as ht
import torch
from hypothesis import strategies as st
from torch import nn

from nnlab.checks.registry import check
from nnlab.checks.strategies import batches, forall

REUSED = ("layer1", "layer2")
IMAGES = (4, 3, 32, 32)  # the report's exercise-2 batch


def in_folder(function: Callable[[Path], None]) -> None:
    with tempfile.TemporaryDirectory(prefix="nnlab-check-") as folder:
        function(Path(folder))


def scrambled(net: nn.Module) -> nn.Module:
    """A copy of ``net`` with other values in every parameter and buffer: a fresh instance, as far as loading goes."""
    fresh = copy.deepcopy(net)
    with torch.no_grad():
        for tensor in [*fresh.parameters(), *fresh.buffers()]:
            if tensor.is_floating_point():
                tensor.uniform_(0.5, 1.5)
            else:
                tensor.add_(7)
    return fresh


def train_step(net: nn.Module, classes: int, parameters=None, lr: float = 0.01) -> None:
    """One SGD step of cross-entropy on a random image batch, in train mode: parameters and batch statistics move."""
    net.train()
    optimizer = torch.optim.SGD(net.parameters() if parameters is None else parameters, lr=lr)
    optimizer.zero_grad()
    nn.functional.cross_entropy(net(torch.randn(IMAGES)), torch.randint(0, classes, (IMAGES[0],))).backward()
    optimizer.step()


def snapshot(net: nn.Module) -> dict[str, torch.Tensor]:
    return {key: value.detach().clone() for key, value in net.state_dict().items()}


def assert_same_outputs(copy_: nn.Module, net: nn.Module, X: torch.Tensor, what: str) -> None:
    copy_.eval(), net.eval()
    with torch.no_grad():
        got, expected = copy_(X), net(X)
    assert torch.equal(got, expected), (
        f"{what}: outputs differ from the saved network's by up to {(got - expected).abs().max().item():.3g}"
    )


# --- F1: state dicts ---------------------------------------------------------------------


def params_round_trip(lab, net: nn.Module, fresh: nn.Module, X: torch.Tensor, what: str) -> None:
    def in_(folder: Path) -> None:
        lab.fileio.save_params(net, folder / "net.params")
        lab.fileio.load_params(fresh, folder / "net.params")
        assert_same_outputs(fresh, net, X, what)

    in_folder(in_)


linear_networks = ht.linear_network_strategy(
    input_shape=(6,),
    output_shape=(3,),
    activation_layer=st.sampled_from([nn.ReLU(), nn.Tanh(), nn.Sigmoid()]),
    hidden_layer_size=st.integers(1, 16),
    num_hidden_layers=st.integers(0, 3),
    device=torch.device("cpu"),
)


@check("F1")
def saved_params_reproduce_any_linear_network_exactly(lab):
    """Saved with save_params and loaded into a fresh instance, any linear network reproduces its outputs exactly."""

    @forall(net=linear_networks, X=batches(6))
    def prop(net, X):
        params_round_trip(lab, net, scrambled(net), X, "a linear network reloaded from its saved parameters")

    prop()


def with_buffers() -> nn.Module:
    """Section 4's MLP with a batch norm in between, after a batch in train mode: its running statistics have moved."""
    net = nn.Sequential(nn.Linear(20, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, 10)).train()
    net(torch.randn(8, 20) * 3 + 1)
    return net


@check("F1")
def saved_params_keep_the_running_statistics(lab):
    """save_params and load_params carry buffers too: a trained batch-norm network reloads to the same eval outputs."""
    net = with_buffers()
    params_round_trip(
        lab, net, scrambled(net), torch.randn(5, 20), "an MLP with batch norm reloaded from its saved parameters"
    )


@check("F1")
def saved_params_reproduce_the_exercise_networks(lab):
    """A trained OriginalNetwork and NewNetwork, saved and loaded into fresh ones, reproduce their outputs exactly."""
    for role, classes in (("OriginalNetwork", 10), ("NewNetwork", 20)):
        build = getattr(lab.fileio, role)
        net = build()
        train_step(net, classes)
        params_round_trip(lab, net, build(), torch.randn(2, 3, 32, 32), f"a trained {role} reloaded into a fresh one")


# --- F2: whole modules -------------------------------------------------------------------


def whole_mlp() -> nn.Module:
    return with_buffers().eval()


def save_then_spoil(lab, net: nn.Module, path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Save ``net`` whole, then zero it in memory: what loads back must come from the file.

    Returns an input and the outputs ``net`` gave for it before.
    """
    X = torch.randn(5, 20)
    with torch.no_grad():
        expected = net(X)
    lab.fileio.save_model(net, path)
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
    return X, expected


def whole_module_loads_only_with_weights_only_false(lab):
    """Plain torch.load refuses the module (torch 2.6 on: weights_only=True); it loads with weights_only=False."""

    def in_(folder: Path) -> None:
        net = whole_mlp()
        X, expected = save_then_spoil(lab, net, folder / "net.pt")
        try:
            lab.fileio.load_model(folder / "net.pt")
        except Exception as error:  # noqa: BLE001  (torch's UnpicklingError, whatever its module)
            assert "weights_only" in str(error), f"load_model failed, not for weights_only: {error}"
        else:
            raise AssertionError("load_model loaded the module, so it is not the refusal this describes")
        loaded = torch.load(folder / "net.pt", weights_only=False)
        with torch.no_grad():
            assert torch.equal(loaded.eval()(X), expected), (
                "the module loaded with weights_only=False computes otherwise"
            )

    in_folder(in_)


@check("F2", documented=whole_module_loads_only_with_weights_only_false)
def whole_module_loads_back_and_reproduces_the_outputs(lab):
    """A module saved whole with save_model and loaded back with load_model computes the outputs it had when saved."""

    def in_(folder: Path) -> None:
        net = whole_mlp()
        X, expected = save_then_spoil(lab, net, folder / "net.pt")
        try:
            loaded = lab.fileio.load_model(folder / "net.pt")
        except Exception as error:  # noqa: BLE001  (torch's long message, cut to its first sentence)
            first = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).split(". ")[0]
            raise AssertionError(f"load_model raised {type(error).__name__}: {first}.") from None
        assert isinstance(loaded, nn.Module), f"load_model gave a {type(loaded).__name__}, not a module"
        assert loaded is not net, "load_model gave back the object in memory, not the one in the file"
        with torch.no_grad():
            got = loaded.eval()(X)
        assert torch.equal(got, expected), (
            f"the loaded module's outputs differ by up to {(got - expected).abs().max().item():.3g}"
        )

    in_folder(in_)


# --- F3: checkpoints ---------------------------------------------------------------------

OPTIMIZERS = {
    "SGD with momentum": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "SGD Nesterov": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True),
    "Adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
    "AdamW amsgrad": lambda params, lr: torch.optim.AdamW(params, lr=lr, amsgrad=True),
    "RMSprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr, momentum=0.5),
    "Adagrad": lambda params, lr: torch.optim.Adagrad(params, lr=lr),
    "NAdam": lambda params, lr: torch.optim.NAdam(params, lr=lr),
}
STEPS = 5
SEED = 20250101


def dropout_net() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 1))


def plain_net() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))


def train_steps(net: nn.Module, optimizer, X, y, steps: int, shuffle: bool) -> float:
    """Steps on minibatches of 8: with ``shuffle``, each drawn with torch.randperm; else the first 8, always."""
    net.train()
    loss = torch.tensor(0.0)
    for _ in range(steps):
        batch = torch.randperm(len(X))[:8] if shuffle else torch.arange(8)
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(net(X[batch]), y[batch])
        loss.backward()
        optimizer.step()
    return loss.item()


def resume_matches_uninterrupted(lab, build, make_optimizer, split: int, shuffle: bool) -> None:
    """Train STEPS steps straight through; then the same run stopped after ``split`` steps, checkpointed, and resumed
    in a "new process": the same seed, a freshly built model and optimizer, then load_checkpoint. Both must end
    bitwise equal.
    """
    X, y = torch.randn(32, 4), torch.randn(32, 1)
    torch.manual_seed(SEED)
    start = build()
    initial = copy.deepcopy(start.state_dict())
    train_steps(start, make_optimizer(start.parameters()), X, y, STEPS, shuffle)

    def in_(folder: Path) -> None:
        torch.manual_seed(SEED)
        first = build()
        first.load_state_dict(initial)
        first_optimizer = make_optimizer(first.parameters())
        loss = train_steps(first, first_optimizer, X, y, split, shuffle)
        lab.fileio.save_checkpoint(folder / "checkpoint.pth", first, first_optimizer, split, loss)

        torch.manual_seed(SEED)  # the new process runs the same script, seed included
        restarted = build()
        restarted_optimizer = make_optimizer(restarted.parameters())
        epoch, saved_loss = lab.fileio.load_checkpoint(folder / "checkpoint.pth", restarted, restarted_optimizer)
        assert (epoch, saved_loss) == (split, loss), (
            f"load_checkpoint gave (epoch, loss) {(epoch, saved_loss)}, saved {(split, loss)}"
        )
        train_steps(restarted, restarted_optimizer, X, y, STEPS - split, shuffle)

        expected, got = start.state_dict(), restarted.state_dict()
        differ = [key for key, value in expected.items() if not torch.equal(got[key], value)]
        assert not differ, (
            f"resumed after {split} of {STEPS} steps, the model's {differ} differ from the uninterrupted run's "
            f"by up to {max((got[key] - expected[key]).abs().max().item() for key in differ):.3g}"
        )

    in_folder(in_)


def resumes_bitwise_when_nothing_random_follows(lab):
    """Resuming is bitwise only when the run draws no random numbers after the checkpoint: it keeps no RNG state."""
    for make in OPTIMIZERS.values():
        resume_matches_uninterrupted(lab, plain_net, lambda params, make=make: make(params, 0.05), 2, shuffle=False)


@check("F3", documented=resumes_bitwise_when_nothing_random_follows)
def resuming_from_a_checkpoint_continues_bitwise(lab):
    """Resuming from a checkpoint continues bitwise as the uninterrupted run, dropout and shuffling included."""

    @forall(optimizer=st.sampled_from(sorted(OPTIMIZERS)), lr=st.floats(1e-3, 0.1), split=st.integers(1, STEPS - 1))
    def prop(optimizer, lr, split):
        resume_matches_uninterrupted(
            lab, dropout_net, lambda params: OPTIMIZERS[optimizer](params, lr), split, shuffle=True
        )

    prop()


@check("F3")
def a_checkpoint_gives_back_its_epoch_and_loss(lab):
    """load_checkpoint gives back the epoch and loss given to save_checkpoint, and the model's and optimizer's state."""

    @forall(epoch=st.integers(0, 10_000), loss=st.floats(0, 100, allow_nan=False))
    def prop(epoch, loss):
        def in_(folder: Path) -> None:
            net = plain_net()
            optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
            train_steps(net, optimizer, torch.randn(8, 4), torch.randn(8, 1), 1, shuffle=False)
            lab.fileio.save_checkpoint(folder / "c.pth", net, optimizer, epoch, loss)
            other = scrambled(net)
            other_optimizer = torch.optim.SGD(other.parameters(), lr=0.1, momentum=0.9)
            got = tuple(lab.fileio.load_checkpoint(folder / "c.pth", other, other_optimizer))
            assert got == (epoch, loss), f"load_checkpoint gave {got}, saved (epoch, loss) {(epoch, loss)}"
            assert all(torch.equal(a, b) for a, b in zip(other.parameters(), net.parameters())), (
                "the model was not restored"
            )
            momenta = [other_optimizer.state[p].get("momentum_buffer") for p in other.parameters()]
            expected = [optimizer.state[p]["momentum_buffer"] for p in net.parameters()]
            assert all(m is not None and torch.equal(m, e) for m, e in zip(momenta, expected)), (
                "the optimizer's momenta were not restored"
            )

        in_folder(in_)

    prop()


# --- F4: reusing layers ------------------------------------------------------------------


def trained_original(lab) -> nn.Module:
    """An OriginalNetwork after one training step: weights and batch statistics all differ from a fresh one's."""
    original = lab.fileio.OriginalNetwork()
    train_step(original, classes=10)
    return original


def reuses(lab):
    """Exercise 2, for each of PREFIXES: a trained OriginalNetwork's state dict reused under them in a NewNetwork.

    Yields the prefixes, the original's state dict, the new net, its state before, the keys the check expects
    loaded (every key of the original whose first name is a prefix), and what reuse_layers reported missing.
    """
    original_state = snapshot(trained_original(lab))
    for prefixes in PREFIXES:
        yield (prefixes, *reuse(lab, original_state, prefixes))


def reuse(lab, original_state: dict[str, torch.Tensor], prefixes: tuple[str, ...]):
    new = lab.fileio.NewNetwork()
    initial = snapshot(new)
    loaded = {key for key in original_state if key.split(".")[0] in prefixes}
    outside = sorted(loaded - set(initial))
    assert not outside, f"NewNetwork has no {outside}: its {prefixes} are not OriginalNetwork's"
    missing = lab.fileio.reuse_layers(new, {key: value.clone() for key, value in original_state.items()}, prefixes)
    return original_state, new, initial, loaded, missing


PREFIXES = (REUSED, ("layer1",), ("layer2",))


@check("F4")
def the_exercise_networks_classify_into_10_and_20_classes(lab):
    """OriginalNetwork maps (b, 3, 32, 32) to (b, 10), NewNetwork to (b, 20); their layer1 and layer2 are alike."""
    x = torch.randn(2, 3, 32, 32)
    original, new = lab.fileio.OriginalNetwork().eval(), lab.fileio.NewNetwork().eval()
    shapes = (tuple(original(x).shape), tuple(new(x).shape))
    assert shapes == ((2, 10), (2, 20)), f"the networks gave shapes {shapes}, not (2, 10) and (2, 20)"

    def reused(net: nn.Module) -> dict:
        return {key: tuple(value.shape) for key, value in net.state_dict().items() if key.split(".")[0] in REUSED}

    assert reused(original) and reused(original) == reused(new), (
        f"layer1 and layer2 differ: OriginalNetwork has {reused(original)}, NewNetwork has {reused(new)}"
    )


@check("F4")
def reusing_layers_copies_them_exactly_and_leaves_the_rest_as_initialised(lab):
    """reuse_layers copies every tensor under the prefixes bitwise, buffers included, and leaves the rest as it was."""
    for prefixes, original_state, new, initial, loaded, _ in reuses(lab):
        after = new.state_dict()
        not_copied = [key for key in sorted(loaded) if not torch.equal(after[key], original_state[key])]
        assert not not_copied, f"reusing {prefixes}: {not_copied} are not the original's"
        touched = [key for key in after if key not in loaded and not torch.equal(after[key], initial[key])]
        assert not touched, f"reusing {prefixes}: {touched} changed, though not under the prefixes"


def missing_keys_leave_out_num_batches_tracked(lab):
    """reuse_layers reports torch's missing_keys, which leave out BatchNorm's num_batches_tracked; the rest is right."""
    for _, _, new, _, loaded, missing in reuses(lab):
        expected = sorted(
            key for key in new.state_dict() if key not in loaded and not key.endswith(".num_batches_tracked")
        )
        assert sorted(missing) == expected


@check("F4", documented=missing_keys_leave_out_num_batches_tracked)
def reusing_layers_reports_every_key_not_loaded_as_missing(lab):
    """reuse_layers reports as missing exactly the state_dict keys it did not load, num_batches_tracked included."""
    for prefixes, _, new, _, loaded, missing in reuses(lab):
        expected = sorted(key for key in new.state_dict() if key not in loaded)
        got = sorted(missing)
        assert got == expected, (
            f"reusing {prefixes}: missing keys left out {sorted(set(expected) - set(got))} "
            f"and added {sorted(set(got) - set(expected))}"
        )


# --- F5 and F6: freezing and fine-tuning ---------------------------------------------------


def reused_layers(net: nn.Module) -> tuple[nn.Module, nn.Module]:
    return net.layer1, net.layer2


def tensors_of(modules) -> dict[str, torch.Tensor]:
    """Every parameter and buffer of the reused layers, by name."""
    return {
        f"{prefix}.{name}": t
        for prefix, module in zip(REUSED, modules)
        for name, t in [*module.named_parameters(), *module.named_buffers()]
    }


def new_parameters(net: nn.Module, frozen) -> dict[str, nn.Parameter]:
    held = {id(p) for module in frozen for p in module.parameters()}
    return {name: p for name, p in net.named_parameters() if id(p) not in held}


def train_everything(net: nn.Module, steps: int, lr: float, **options) -> None:
    """``steps`` SGD steps with every parameter in the optimizer, in train mode (set once, before freezing)."""
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, **options)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(net(torch.randn(IMAGES)), torch.randint(0, 20, (IMAGES[0],))).backward()
        optimizer.step()


def frozen_training(lab) -> tuple[dict, dict, dict, dict]:
    """A NewNetwork, layer1 and layer2 frozen, trained 3 steps with every parameter in SGD with momentum and decay."""
    net = lab.fileio.NewNetwork().train()
    frozen = reused_layers(net)
    lab.fileio.freeze(*frozen)
    frozen_before = {key: t.detach().clone() for key, t in tensors_of(frozen).items()}
    new_before = {name: p.detach().clone() for name, p in new_parameters(net, frozen).items()}
    train_everything(net, steps=3, lr=0.05, momentum=0.9, weight_decay=0.01)
    return frozen_before, tensors_of(frozen), new_before, new_parameters(net, frozen)


def the_new_parameters_all_changed(new_before: dict, new_after: dict) -> None:
    still = [name for name, p in new_after.items() if torch.equal(p, new_before[name])]
    assert not still, f"the new layers' {still} did not change"


def frozen_parameters_stay_but_running_statistics_move(lab):
    """freeze only stops gradients: frozen parameters stay bitwise, their BatchNorm running statistics move."""
    frozen_before, frozen_after, new_before, new_after = frozen_training(lab)
    moved = {
        key: isinstance(t, nn.Parameter) for key, t in frozen_after.items() if not torch.equal(t, frozen_before[key])
    }
    assert moved and not any(moved.values()), f"of the frozen layers, changed: {sorted(moved)}"
    the_new_parameters_all_changed(new_before, new_after)


@check("F5", documented=frozen_parameters_stay_but_running_statistics_move)
def frozen_layers_stay_bitwise_while_the_new_layers_train(lab):
    """Frozen layers keep every parameter and buffer bitwise through training steps; every other parameter changes.

    The steps run in train mode, with every parameter in an SGD with momentum and weight decay, which would
    move a frozen parameter that merely got a zero gradient.
    """
    frozen_before, frozen_after, new_before, new_after = frozen_training(lab)
    moved = [key for key, t in frozen_after.items() if not torch.equal(t, frozen_before[key])]
    assert not moved, f"the frozen layers' {moved} changed"
    the_new_parameters_all_changed(new_before, new_after)


def feeds_batch_norm(net: nn.Module, x: torch.Tensor) -> set[int]:
    """Ids of the biases of convolutions whose output goes straight into a batch norm, found by running ``net``."""
    outputs: dict[int, nn.Module] = {}
    fed: set[int] = set()
    handles = []
    for module in net.modules():
        if isinstance(module, nn.modules.conv._ConvNd):
            handles.append(module.register_forward_hook(lambda m, args, out: outputs.__setitem__(id(out), m)))
        elif isinstance(module, nn.modules.batchnorm._BatchNorm):

            def into_norm(m, args):
                conv = outputs.get(id(args[0]))
                if conv is not None and conv.bias is not None:
                    fed.add(id(conv.bias))

            handles.append(module.register_forward_pre_hook(into_norm))
    try:
        with torch.no_grad():
            net(x)
    finally:
        for handle in handles:
            handle.remove()
    return fed


LR_FINE_TUNE = 0.001


def fine_tuned(lab):
    """The report's path: freeze layer1 and layer2, train a step, unfreeze the network, fine-tune 3 steps at lr 0.001.

    Returns the network, its parameters before fine-tuning, and the largest change of each parameter.
    """
    net = lab.fileio.NewNetwork().train()
    lab.fileio.freeze(*reused_layers(net))
    train_everything(net, steps=1, lr=0.01)
    lab.fileio.unfreeze(net)
    before = {name: p.detach().clone() for name, p in net.named_parameters()}
    train_everything(net, steps=3, lr=LR_FINE_TUNE)
    return net, {name: (p - before[name]).abs().max().item() for name, p in net.named_parameters()}


# A learning step at lr 0.001 moves a parameter with a real gradient by 1e-5 or more; one whose gradient is zero
# but for rounding (1e-7 against gradients of 1e-1) moves by 1e-9 or less, or not at all.
MOVED = 1e-3 * LR_FINE_TUNE


def all_but_the_biases_feeding_batch_norm_change(lab):
    """Every parameter changes but the biases of convolutions feeding BatchNorm, whose gradient is zero."""
    net, shifts = fine_tuned(lab)
    dead = feeds_batch_norm(net, torch.randn(IMAGES))
    ids = {name: id(p) for name, p in net.named_parameters()}
    still = {name for name, shift in shifts.items() if shift <= MOVED}
    assert still and still == {name for name, i in ids.items() if i in dead}, f"unchanged: {sorted(still)}"


@check("F6", documented=all_but_the_biases_feeding_batch_norm_change)
def fine_tuning_after_unfreezing_changes_every_parameter(lab):
    """Unfrozen and fine-tuned at a smaller learning rate, 0.001, every parameter moves by more than rounding."""
    _, shifts = fine_tuned(lab)
    still = {name: f"{shift:.2g}" for name, shift in shifts.items() if shift <= MOVED}
    assert not still, f"parameters that moved by {MOVED:g} or less: {still}"


@check("F6")
def unfreezing_undoes_freezing(lab):
    """A NewNetwork frozen and unfrozen trains as an identical one never frozen: parameters and buffers, bitwise."""
    net = lab.fileio.NewNetwork().train()
    twin = copy.deepcopy(net)
    lab.fileio.freeze(*reused_layers(net))
    lab.fileio.unfreeze(net)
    for model in (net, twin):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(SEED)
            train_everything(model, steps=2, lr=0.01, momentum=0.9)
    differ = [key for key, value in twin.state_dict().items() if not torch.equal(net.state_dict()[key], value)]
    assert not differ, f"after freeze and unfreeze, {differ} trained otherwise than in a network never frozen"
