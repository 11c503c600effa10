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

Every check is judged (``nnlab.checks.judged``). The questions hold what nnlab hands the lab's functions: its own
networks, as layer names and values, and the batches every network trains on. The lab's code answers with what it
ended with: outputs, state dicts, key lists, parameters before and after. The judge recomputes what nnlab's
networks must give (a checkpointed run is run straight through, its random draws replayed from a generator of its
own), or compares the tensors of the lab's own networks. The checks find the reused and the new layers by identity
(the parameters of ``net.layer1`` and ``net.layer2``) and the expected key lists from the networks' own
``state_dict()``, never from the code under check.

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import copy
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from nnlab.checks.expect import assert_close
from nnlab.checks.judged import Probe, drawn, judged
from nnlab.checks.strategies import batches

REUSED = ("layer1", "layer2")
IMAGES = (4, 3, 32, 32)  # the report's exercise-2 batch
# the layers of nnlab's networks a question may name: ``[["Linear", 6, 16], ["ReLU"]]``
LAYERS = {
    "Linear": nn.Linear,
    "BatchNorm1d": nn.BatchNorm1d,
    "Dropout": nn.Dropout,
    "ReLU": nn.ReLU,
    "Tanh": nn.Tanh,
    "Sigmoid": nn.Sigmoid,
}
ACTIVATIONS = ("ReLU", "Sigmoid", "Tanh")


def in_folder(function: Callable[[Path], object]):
    """``function(folder)`` in a temporary folder, removed after: what it returns."""
    with tempfile.TemporaryDirectory(prefix="nnlab-check-") as folder:
        return function(Path(folder))


def network(layers: list[list]) -> nn.Sequential:
    """The ``nn.Sequential`` a question names, each layer as a name of ``LAYERS`` and its arguments."""
    return nn.Sequential(*(LAYERS[name](*arguments) for name, *arguments in layers))


def drawn_network(layers: list[list], generator: torch.Generator) -> nn.Sequential:
    """``network(layers)``, every parameter uniform in [-0.5, 0.5] from ``generator``: the same in every process,
    whatever else draws from torch's global generator meanwhile."""
    net = network(layers)
    with torch.no_grad():
        for p in net.parameters():
            p.uniform_(-0.5, 0.5, generator=generator)
    return net


def rebuilt(question: dict) -> nn.Sequential:
    """The question's network, holding the values of its ``state``."""
    net = network(question["layers"])
    net.load_state_dict(question["state"])
    return net


def scrambled(net: nn.Module) -> nn.Module:
    """A copy of ``net`` with other values in every parameter and buffer: a fresh instance, as far as loading goes.
    The same values on every call (a generator of its own): a lab that loads nothing gives the same answers twice."""
    fresh = copy.deepcopy(net)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for tensor in [*fresh.parameters(), *fresh.buffers()]:
            if tensor.is_floating_point():
                tensor.uniform_(0.5, 1.5, generator=generator)
            else:
                tensor.add_(7)
    return fresh


def snapshot(net: nn.Module) -> dict[str, torch.Tensor]:
    return {key: value.detach().clone() for key, value in net.state_dict().items()}


def eval_outputs(net: nn.Module, X: torch.Tensor) -> torch.Tensor:
    net.eval()
    with torch.no_grad():
        return net(X)


def assert_same_outputs(got: torch.Tensor, expected: torch.Tensor, what: str) -> None:
    assert torch.equal(got, expected), (
        f"{what}: outputs differ from the saved network's by up to {(got - expected).abs().max().item():.3g}"
    )


def saved_and_reloaded(question: dict, reloaded: nn.Module) -> dict:
    """The eval outputs on the question's ``X`` of its network as saved, rebuilt, and of ``reloaded``: computed in one
    process, on one thread count, so that a faithful reload gives them bitwise."""
    return {"saved": eval_outputs(rebuilt(question), question["X"]), "reloaded": eval_outputs(reloaded, question["X"])}


def assert_reproduces_the_saved_outputs(question: dict, found: dict, what: str) -> None:
    """The reloaded outputs are bitwise those of the network as saved, both computed in the worker; and those are
    the question's network's, to float32 rounding: the supervisor's products, on its own thread count, split their
    sums otherwise (1 and 2 threads put a batch-norm MLP's outputs 4e-7 apart)."""
    assert_same_outputs(found["reloaded"], found["saved"], what)
    expected = eval_outputs(rebuilt(question), question["X"])
    assert_close(found["saved"], expected, msg=f"{what}: the outputs given as the saved network's are not its")


def image_batches(count: int, classes: int, seed: int) -> list[dict]:
    """``count`` batches of exercise-2 images with labels in ``range(classes)``, the same in every process."""
    generator = torch.Generator().manual_seed(seed)
    return [
        {
            "images": torch.randn(IMAGES, generator=generator),
            "labels": torch.randint(0, classes, (IMAGES[0],), generator=generator),
        }
        for _ in range(count)
    ]


def train_on(net: nn.Module, batches_: list[dict], lr: float, **options) -> None:
    """An SGD step of cross-entropy on each batch, with every parameter in the optimizer, in the modes the net's
    modules are in (a frozen layer may keep eval mode)."""
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, **options)
    for batch in batches_:
        optimizer.zero_grad()
        F.cross_entropy(net(batch["images"]), batch["labels"]).backward()
        optimizer.step()


# --- F1: state dicts ---------------------------------------------------------------------


def saved_and_loaded(lab, net: nn.Module, fresh: nn.Module) -> None:
    """``net`` saved with save_params, then loaded into ``fresh`` with load_params, through a temporary file."""

    def in_(folder: Path) -> None:
        lab.fileio.save_params(net, folder / "net.params")
        lab.fileio.load_params(fresh, folder / "net.params")

    in_folder(in_)


@st.composite
def linear_layers(draw) -> list[list]:
    """Linear layers from 6 to 3 features through 0 to 3 hidden widths of 1 to 16, each followed by an activation."""
    sizes = [6, *draw(st.lists(st.integers(1, 16), max_size=3)), 3]
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [["Linear", n_in, n_out], [draw(st.sampled_from(ACTIVATIONS))]]
    return layers


def linear_networks() -> list[dict]:
    """Any linear network, its values drawn, and any batch of its 6 input features."""
    questions = []
    for seed, (layers, X) in enumerate(drawn(st.tuples(linear_layers(), batches(6)))):
        net = drawn_network(layers, torch.Generator().manual_seed(seed))
        questions.append({"layers": layers, "state": snapshot(net), "X": X})
    return questions


BATCH_NORM_MLP = [["Linear", 20, 256], ["BatchNorm1d", 256], ["ReLU"], ["Linear", 256, 10]]


def batch_norm_mlp() -> list[dict]:
    """One question: section 4's MLP with a batch norm in between, after a batch in train mode (its running
    statistics have moved), and a batch to compare its eval outputs on."""
    generator = torch.Generator().manual_seed(20)
    net = drawn_network(BATCH_NORM_MLP, generator).train()
    with torch.no_grad():
        net(torch.randn(8, 20, generator=generator) * 3 + 1)
    return [{"layers": BATCH_NORM_MLP, "state": snapshot(net), "X": torch.randn(5, 20, generator=generator)}]


def reloaded(lab, question: dict) -> dict:
    """The question's network saved with save_params and loaded with load_params into a copy holding other values:
    the eval outputs on X of the network saved and of the copy."""
    net = rebuilt(question)
    fresh = scrambled(net)
    saved_and_loaded(lab, net, fresh)
    return saved_and_reloaded(question, fresh)


@judged("F1", ask=linear_networks, answer=reloaded)
def saved_params_reproduce_any_linear_network_exactly(question: dict, found: dict) -> None:
    """Saved with save_params and loaded into a fresh instance, any linear network reproduces its outputs exactly."""
    assert_reproduces_the_saved_outputs(question, found, "a linear network reloaded from its saved parameters")


@judged("F1", ask=batch_norm_mlp, answer=reloaded)
def saved_params_keep_the_running_statistics(question: dict, found: dict) -> None:
    """save_params and load_params carry buffers too: a trained batch-norm network reloads to the same eval outputs."""
    assert_reproduces_the_saved_outputs(question, found, "an MLP with batch norm reloaded from its saved parameters")


EXERCISE_CLASSES = {"OriginalNetwork": 10, "NewNetwork": 20}


def exercise_networks() -> list[dict]:
    """For each exercise network: its role, a batch to train it a step on, and images to compare its outputs on."""
    return [
        {
            "role": role,
            "batch": image_batches(1, classes, seed)[0],
            "X": image_batches(1, classes, seed + 2)[0]["images"],
        }
        for seed, (role, classes) in enumerate(EXERCISE_CLASSES.items())
    ]


def exercise_reloaded(lab, question: dict) -> dict:
    """The role trained a step, saved with save_params and loaded into a fresh one with load_params: the eval
    outputs of both on X."""
    build = getattr(lab.fileio, question["role"])
    net = build().train()
    train_on(net, [question["batch"]], lr=0.01)
    fresh = build()
    saved_and_loaded(lab, net, fresh)
    return {"saved": eval_outputs(net, question["X"]), "reloaded": eval_outputs(fresh, question["X"])}


@judged("F1", ask=exercise_networks, answer=exercise_reloaded)
def saved_params_reproduce_the_exercise_networks(question: dict, found: dict) -> None:
    """A trained OriginalNetwork and NewNetwork, saved and loaded into fresh ones, reproduce their outputs exactly."""
    what = f"a trained {question['role']} reloaded into a fresh one"
    assert_same_outputs(found["reloaded"], found["saved"], what)


# --- F2: whole modules -------------------------------------------------------------------


def saved_then_spoiled(lab, question: dict, path: Path) -> nn.Module:
    """The question's network, in eval mode, saved whole with save_model, then zeroed in memory: what loads back
    must come from the file."""
    net = rebuilt(question).eval()
    lab.fileio.save_model(net, path)
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
    return net


def loaded_whole(lab, question: dict) -> dict:
    """The eval outputs on X of the question's network and of what load_model gives back for it saved with
    save_model."""

    def in_(folder: Path) -> dict:
        net = saved_then_spoiled(lab, question, folder / "net.pt")
        try:
            loaded = lab.fileio.load_model(folder / "net.pt")
        except Exception as error:  # noqa: BLE001  (torch's long message, cut to its first sentence)
            first = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).split(". ")[0]
            raise AssertionError(f"load_model raised {type(error).__name__}: {first}.") from None
        # failures said here only make the answer fail sooner, with their reason: a pass is judged on the outputs
        assert isinstance(loaded, nn.Module), f"load_model gave a {type(loaded).__name__}, not a module"
        assert loaded is not net, "load_model gave back the object in memory, not the one in the file"
        return saved_and_reloaded(question, loaded)

    return in_folder(in_)


def refused_then_loaded(lab, question: dict) -> dict:
    """What load_model raised for the question's network saved with save_model (None: it loaded), and the eval
    outputs on X of the network and of the file loaded with weights_only=False."""

    def in_(folder: Path) -> dict:
        saved_then_spoiled(lab, question, folder / "net.pt")
        try:
            lab.fileio.load_model(folder / "net.pt")
        except Exception as error:  # noqa: BLE001  (torch's UnpicklingError, whatever its module)
            refusal = str(error)
        else:
            refusal = None
        return {"refusal": refusal, **saved_and_reloaded(question, torch.load(folder / "net.pt", weights_only=False))}

    return in_folder(in_)


def whole_module_loads_only_with_weights_only_false(question: dict, found: dict) -> None:
    """Plain torch.load refuses the module (torch 2.6 on: weights_only=True); it loads with weights_only=False."""
    refusal = found["refusal"]
    assert refusal is not None, "load_model loaded the module, so it is not the refusal this describes"
    assert "weights_only" in refusal, f"load_model failed, not for weights_only: {refusal}"
    assert_reproduces_the_saved_outputs(question, found, "the module loaded with weights_only=False")


@judged(
    "F2",
    ask=batch_norm_mlp,
    answer=loaded_whole,
    documented=Probe(batch_norm_mlp, refused_then_loaded, whole_module_loads_only_with_weights_only_false),
)
def whole_module_loads_back_and_reproduces_the_outputs(question: dict, found: dict) -> None:
    """A module saved whole with save_model and loaded back with load_model computes the outputs it had when saved."""
    assert_reproduces_the_saved_outputs(question, found, "the module loaded back with load_model")


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
DROPOUT_NET = [["Linear", 4, 16], ["ReLU"], ["Dropout", 0.3], ["Linear", 16, 1]]
PLAIN_NET = [["Linear", 4, 16], ["Tanh"], ["Linear", 16, 1]]


def training_run(layers: list[list], optimizer: str, lr: float, split: int, shuffle: bool, seed: int) -> dict:
    """A run to checkpoint: the network and its starting values, 32 rows of data, the optimizer, the step after
    which it is checkpointed, and whether its minibatches are shuffled."""
    generator = torch.Generator().manual_seed(seed)
    net = drawn_network(layers, generator)
    data = {"X": torch.randn(32, 4, generator=generator), "y": torch.randn(32, 1, generator=generator)}
    run = {"optimizer": optimizer, "lr": lr, "split": split, "shuffle": shuffle}
    return {"layers": layers, "state": snapshot(net), **data, **run}


def dropout_runs() -> list[dict]:
    """Any optimizer, learning rate and checkpoint step, on a network with dropout and shuffled minibatches."""
    draws = st.tuples(st.sampled_from(sorted(OPTIMIZERS)), st.floats(1e-3, 0.1), st.integers(1, STEPS - 1))
    return [
        training_run(DROPOUT_NET, optimizer, lr, split, shuffle=True, seed=seed)
        for seed, (optimizer, lr, split) in enumerate(drawn(draws))
    ]


def runs_without_randomness() -> list[dict]:
    """Each optimizer, checkpointed after step 2, on a network without dropout, always on the first minibatch."""
    return [
        training_run(PLAIN_NET, optimizer, 0.05, 2, shuffle=False, seed=seed)
        for seed, optimizer in enumerate(OPTIMIZERS)
    ]


def optimizer_of(question: dict, net: nn.Module) -> torch.optim.Optimizer:
    return OPTIMIZERS[question["optimizer"]](net.parameters(), question["lr"])


def train_steps(net: nn.Module, optimizer, question: dict, steps: int, generator=None) -> float:
    """Steps on minibatches of 8 of the question's data: shuffled, each drawn with torch.randperm (from
    ``generator``, else torch's global one); else the first 8, always. The last step's loss."""
    net.train()
    X, y = question["X"], question["y"]
    loss = torch.tensor(0.0)
    for _ in range(steps):
        batch = torch.randperm(len(X), generator=generator)[:8] if question["shuffle"] else torch.arange(8)
        optimizer.zero_grad()
        loss = F.mse_loss(net(X[batch]), y[batch])
        loss.backward()
        optimizer.step()
    return loss.item()


def resumed(lab, question: dict) -> dict:
    """The question's run, torch seeded, stopped after ``split`` steps and saved with save_checkpoint; then resumed
    in a "new process": a freshly built model and optimizer, torch seeded again as the script seeds it, then
    load_checkpoint and the remaining steps. What load_checkpoint gave back, and the model's state at the end."""

    def in_(folder: Path) -> dict:
        first = rebuilt(question)
        first_optimizer = optimizer_of(question, first)
        torch.manual_seed(SEED)
        loss = train_steps(first, first_optimizer, question, question["split"])
        lab.fileio.save_checkpoint(folder / "checkpoint.pth", first, first_optimizer, question["split"], loss)

        restarted = network(question["layers"])
        restarted_optimizer = optimizer_of(question, restarted)
        torch.manual_seed(SEED)  # the new process runs the same script, seed included
        epoch, saved_loss = lab.fileio.load_checkpoint(folder / "checkpoint.pth", restarted, restarted_optimizer)
        train_steps(restarted, restarted_optimizer, question, STEPS - question["split"])
        return {"returned": [epoch, saved_loss], "state": snapshot(restarted)}

    return in_folder(in_)


class DrawnDropout(nn.Dropout):
    """``nn.Dropout`` drawing its mask from ``generator`` as torch's dropout draws it from the global one (a
    Bernoulli draw, then scaled): the same outputs and gradients where the two generators are in the same state."""

    def __init__(self, p: float, generator: torch.Generator):
        super().__init__(p)
        self.generator = generator

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return X
        noise = torch.empty_like(X).bernoulli_(1 - self.p, generator=self.generator)
        return X * noise.div_(1 - self.p)


def uninterrupted(question: dict) -> tuple[float, dict[str, torch.Tensor]]:
    """The question's run straight through, its random draws from a generator of its own seeded as torch's global one
    is in ``resumed``: the loss after ``split`` steps (what was checkpointed), and the model's state at the end."""
    generator = torch.Generator().manual_seed(SEED)
    net = rebuilt(question)
    for i, layer in enumerate(net):
        if isinstance(layer, nn.Dropout):
            net[i] = DrawnDropout(layer.p, generator)
    optimizer = optimizer_of(question, net)
    loss = train_steps(net, optimizer, question, question["split"], generator)
    train_steps(net, optimizer, question, STEPS - question["split"], generator)
    return loss, snapshot(net)


def assert_resumes_as_the_uninterrupted_run(question: dict, found: dict) -> None:
    split = question["split"]
    loss, expected = uninterrupted(question)
    returned = tuple(found["returned"])
    assert returned == (split, loss), f"load_checkpoint gave (epoch, loss) {returned}, saved {(split, loss)}"
    got = found["state"]
    differ = [key for key, value in expected.items() if not torch.equal(got[key], value)]
    assert not differ, (
        f"resumed after {split} of {STEPS} steps, the model's {differ} differ from the uninterrupted run's "
        f"by up to {max((got[key] - expected[key]).abs().max().item() for key in differ):.3g}"
    )


def resumes_bitwise_when_nothing_random_follows(question: dict, found: dict) -> None:
    """Resuming is bitwise only when the run draws no random numbers after the checkpoint: it keeps no RNG state."""
    assert_resumes_as_the_uninterrupted_run(question, found)


@judged(
    "F3",
    ask=dropout_runs,
    answer=resumed,
    documented=Probe(runs_without_randomness, resumed, resumes_bitwise_when_nothing_random_follows),
)
def resuming_from_a_checkpoint_continues_bitwise(question: dict, found: dict) -> None:
    """Resuming from a checkpoint continues bitwise as the uninterrupted run, dropout and shuffling included."""
    assert_resumes_as_the_uninterrupted_run(question, found)


def checkpoints_to_restore() -> list[dict]:
    """Any epoch and loss, with a network, its starting values and a batch to train it a step on."""
    run = training_run(PLAIN_NET, "SGD with momentum", 0.1, 1, shuffle=False, seed=3)
    draws = st.tuples(st.integers(0, 10_000), st.floats(0, 100, allow_nan=False))
    return [{**run, "epoch": epoch, "loss": loss} for epoch, loss in drawn(draws)]


def trained_a_step(question: dict) -> tuple[nn.Module, torch.optim.Optimizer]:
    """The question's network after one step of its optimizer: a model and an optimizer with state to restore."""
    net = rebuilt(question)
    optimizer = optimizer_of(question, net)
    train_steps(net, optimizer, question, 1)
    return net, optimizer


def momenta(optimizer: torch.optim.Optimizer, net: nn.Module) -> list:
    """Each parameter's momentum buffer in ``optimizer`` (None: it holds none)."""
    return [optimizer.state[p].get("momentum_buffer") for p in net.parameters()]


def restored(lab, question: dict) -> dict:
    """The question's trained network and optimizer saved with save_checkpoint, loaded with load_checkpoint into a
    copy holding other values and a fresh optimizer: what it gave back, the copy's parameters and its momenta."""

    def in_(folder: Path) -> dict:
        net, optimizer = trained_a_step(question)
        lab.fileio.save_checkpoint(folder / "c.pth", net, optimizer, question["epoch"], question["loss"])
        other = scrambled(net)
        other_optimizer = optimizer_of(question, other)
        returned = list(lab.fileio.load_checkpoint(folder / "c.pth", other, other_optimizer))
        parameters = [p.detach().clone() for p in other.parameters()]
        return {"returned": returned, "parameters": parameters, "momenta": momenta(other_optimizer, other)}

    return in_folder(in_)


@judged("F3", ask=checkpoints_to_restore, answer=restored)
def a_checkpoint_gives_back_its_epoch_and_loss(question: dict, found: dict) -> None:
    """load_checkpoint gives back the epoch and loss given to save_checkpoint, and the model's and optimizer's state."""
    epoch, loss = question["epoch"], question["loss"]
    got = tuple(found["returned"])
    assert got == (epoch, loss), f"load_checkpoint gave {got}, saved (epoch, loss) {(epoch, loss)}"
    net, optimizer = trained_a_step(question)
    parameters = zip(found["parameters"], net.parameters(), strict=True)
    assert all(torch.equal(a, b) for a, b in parameters), "the model was not restored"
    restored_momenta = zip(found["momenta"], momenta(optimizer, net), strict=True)
    assert all(m is not None and torch.equal(m, e) for m, e in restored_momenta), (
        "the optimizer's momenta were not restored"
    )


# --- F4: reusing layers ------------------------------------------------------------------


def first_images() -> list[dict]:
    """One question: a batch of two exercise-2 images."""
    return [{"X": torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))}]


def reused_shapes(net: nn.Module) -> dict[str, list[int]]:
    """The shape of each state_dict entry under layer1 and layer2."""
    return {key: list(value.shape) for key, value in net.state_dict().items() if key.split(".")[0] in REUSED}


def outputs_and_reused_shapes(lab, question: dict) -> dict:
    original, new = lab.fileio.OriginalNetwork().eval(), lab.fileio.NewNetwork().eval()
    X = question["X"]
    return {"outputs": [original(X), new(X)], "reused": [reused_shapes(original), reused_shapes(new)]}


@judged("F4", ask=first_images, answer=outputs_and_reused_shapes)
def the_exercise_networks_classify_into_10_and_20_classes(question: dict, found: dict) -> None:
    """OriginalNetwork maps (b, 3, 32, 32) to (b, 10), NewNetwork to (b, 20); their layer1 and layer2 are alike."""
    shapes = tuple(tuple(Y.shape) for Y in found["outputs"])
    assert shapes == ((2, 10), (2, 20)), f"the networks gave shapes {shapes}, not (2, 10) and (2, 20)"
    original, new = ({key: tuple(shape) for key, shape in reused.items()} for reused in found["reused"])
    assert original and original == new, (
        f"layer1 and layer2 differ: OriginalNetwork has {original}, NewNetwork has {new}"
    )


PREFIXES = (REUSED, ("layer1",), ("layer2",))


def prefixes_to_reuse() -> list[dict]:
    """Exercise 2, once for each of PREFIXES: the prefixes, and a batch to train an OriginalNetwork a step on first."""
    batch = image_batches(1, 10, seed=4)[0]
    return [{"prefixes": list(prefixes), "batch": batch} for prefixes in PREFIXES]


def under(keys, prefixes: tuple[str, ...]) -> set[str]:
    """The keys whose first name is one of ``prefixes``: those reusing them loads."""
    return {key for key in keys if key.split(".")[0] in prefixes}


def reuse(lab, question: dict) -> tuple[dict, dict, dict, object]:
    """A trained OriginalNetwork's state dict reused under the question's prefixes in a NewNetwork: the original's
    state dict, the new net's before and after, and what reuse_layers reported missing."""
    original = lab.fileio.OriginalNetwork().train()
    train_on(original, [question["batch"]], lr=0.01)
    original_state = snapshot(original)
    prefixes = tuple(question["prefixes"])
    new = lab.fileio.NewNetwork()
    initial = snapshot(new)
    outside = sorted(under(original_state, prefixes) - set(initial))
    assert not outside, f"NewNetwork has no {outside}: its {prefixes} are not OriginalNetwork's"
    missing = lab.fileio.reuse_layers(new, {key: value.clone() for key, value in original_state.items()}, prefixes)
    return original_state, initial, snapshot(new), missing


def reused_states(lab, question: dict) -> dict:
    original, initial, after, _ = reuse(lab, question)
    return {"original": original, "initial": initial, "after": after}


def reused_keys(lab, question: dict) -> dict:
    """The original's and the new net's state_dict keys, and the keys reuse_layers reported missing."""
    original, _, after, missing = reuse(lab, question)
    return {"original": list(original), "new": list(after), "missing": list(missing)}


@judged("F4", ask=prefixes_to_reuse, answer=reused_states)
def reusing_layers_copies_them_exactly_and_leaves_the_rest_as_initialised(question: dict, found: dict) -> None:
    """reuse_layers copies every tensor under the prefixes bitwise, buffers included, and leaves the rest as it was."""
    prefixes = tuple(question["prefixes"])
    original, initial, after = found["original"], found["initial"], found["after"]
    loaded = under(original, prefixes)
    not_copied = [key for key in sorted(loaded) if not torch.equal(after[key], original[key])]
    assert not not_copied, f"reusing {prefixes}: {not_copied} are not the original's"
    touched = [key for key in after if key not in loaded and not torch.equal(after[key], initial[key])]
    assert not touched, f"reusing {prefixes}: {touched} changed, though not under the prefixes"


def missing_keys_leave_out_num_batches_tracked(question: dict, found: dict) -> None:
    """reuse_layers reports torch's missing_keys, which leave out BatchNorm's num_batches_tracked; the rest is right."""
    loaded = under(found["original"], tuple(question["prefixes"]))
    expected = sorted(key for key in found["new"] if key not in loaded and not key.endswith(".num_batches_tracked"))
    assert sorted(found["missing"]) == expected


@judged(
    "F4",
    ask=prefixes_to_reuse,
    answer=reused_keys,
    documented=Probe(prefixes_to_reuse, reused_keys, missing_keys_leave_out_num_batches_tracked),
)
def reusing_layers_reports_every_key_not_loaded_as_missing(question: dict, found: dict) -> None:
    """reuse_layers reports as missing exactly the state_dict keys it did not load, num_batches_tracked included."""
    prefixes = tuple(question["prefixes"])
    loaded = under(found["original"], prefixes)
    expected = sorted(key for key in found["new"] if key not in loaded)
    got = sorted(found["missing"])
    assert got == expected, (
        f"reusing {prefixes}: missing keys left out {sorted(set(expected) - set(got))} "
        f"and added {sorted(set(got) - set(expected))}"
    )


# --- F5 and F6: freezing and fine-tuning ---------------------------------------------------


def reused_layers(net: nn.Module) -> tuple[nn.Module, nn.Module]:
    return net.layer1, net.layer2


def new_parameters(net: nn.Module, frozen) -> dict[str, nn.Parameter]:
    held = {id(p) for module in frozen for p in module.parameters()}
    return {name: p for name, p in net.named_parameters() if id(p) not in held}


def held(net: nn.Module, frozen) -> dict[str, dict[str, torch.Tensor]]:
    """What freezing concerns, by name, copied: the frozen layers' parameters and buffers, and every other parameter."""
    return {
        "frozen parameters": {
            f"{prefix}.{name}": p.detach().clone()
            for prefix, module in zip(REUSED, frozen)
            for name, p in module.named_parameters()
        },
        "frozen buffers": {
            f"{prefix}.{name}": b.detach().clone()
            for prefix, module in zip(REUSED, frozen)
            for name, b in module.named_buffers()
        },
        "new parameters": {name: p.detach().clone() for name, p in new_parameters(net, frozen).items()},
    }


def freezing_batches() -> list[dict]:
    """One question: three batches to train a NewNetwork on with layer1 and layer2 frozen."""
    return [{"batches": image_batches(3, 20, seed=5)}]


def frozen_training(lab, question: dict) -> dict:
    """A NewNetwork in train mode, layer1 and layer2 frozen, trained on the question's batches with every parameter
    in SGD with momentum and decay: what freezing concerns, before and after."""
    net = lab.fileio.NewNetwork().train()
    frozen = reused_layers(net)
    lab.fileio.freeze(*frozen)
    before = held(net, frozen)
    train_on(net, question["batches"], lr=0.05, momentum=0.9, weight_decay=0.01)
    return {"before": before, "after": held(net, frozen)}


def changed(found: dict, kind: str) -> list[str]:
    """The names of the tensors of ``kind`` (a key of ``held``) that training changed."""
    before, after = found["before"][kind], found["after"][kind]
    return [key for key, t in after.items() if not torch.equal(t, before[key])]


def the_new_parameters_all_changed(found: dict) -> None:
    moved = changed(found, "new parameters")
    still = [name for name in found["after"]["new parameters"] if name not in moved]
    assert not still, f"the new layers' {still} did not change"


def frozen_parameters_stay_but_running_statistics_move(question: dict, found: dict) -> None:
    """freeze only stops gradients: frozen parameters stay bitwise, their BatchNorm running statistics move."""
    parameters, buffers = changed(found, "frozen parameters"), changed(found, "frozen buffers")
    assert buffers and not parameters, f"of the frozen layers, changed: {sorted(parameters + buffers)}"
    the_new_parameters_all_changed(found)


@judged(
    "F5",
    ask=freezing_batches,
    answer=frozen_training,
    documented=Probe(freezing_batches, frozen_training, frozen_parameters_stay_but_running_statistics_move),
)
def frozen_layers_stay_bitwise_while_the_new_layers_train(question: dict, found: dict) -> None:
    """Frozen layers keep every parameter and buffer bitwise through training steps; every other parameter changes.

    The steps run in train mode, with every parameter in an SGD with momentum and weight decay, which would
    move a frozen parameter that merely got a zero gradient.
    """
    moved = changed(found, "frozen parameters") + changed(found, "frozen buffers")
    assert not moved, f"the frozen layers' {moved} changed"
    the_new_parameters_all_changed(found)


LR_FINE_TUNE = 0.001
# A learning step at lr 0.001 moves a parameter with a real gradient by 1e-5 or more; one whose gradient is zero
# but for rounding (1e-7 against gradients of 1e-1) moves by 1e-9 or less, or not at all.
MOVED = 1e-3 * LR_FINE_TUNE


def fine_tuning_batches() -> list[dict]:
    """One question: a batch to train a step on with layer1 and layer2 frozen, then three to fine-tune on."""
    batches_ = image_batches(4, 20, seed=6)
    return [{"frozen": batches_[:1], "fine-tuning": batches_[1:]}]


def parameters_of(net: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in net.named_parameters()}


def fine_tune(lab, question: dict) -> tuple[nn.Module, dict]:
    """The report's path: freeze layer1 and layer2, train a step, unfreeze the network, fine-tune 3 steps at lr 0.001.

    Returns the network, and its parameters before and after fine-tuning.
    """
    net = lab.fileio.NewNetwork().train()
    lab.fileio.freeze(*reused_layers(net))
    train_on(net, question["frozen"], lr=0.01)
    lab.fileio.unfreeze(net)
    before = parameters_of(net)
    train_on(net, question["fine-tuning"], lr=LR_FINE_TUNE)
    return net, {"before": before, "after": parameters_of(net)}


def fine_tuned(lab, question: dict) -> dict:
    return fine_tune(lab, question)[1]


def convolutions_into_norms(net: nn.Module, x: torch.Tensor) -> list[list]:
    """The calls of ``net``'s convolutions and batch norms on ``x``, in order: ``["convolution", name of its bias
    (None: it has none), id of its input, id of its output]`` or ``["norm", None, id of its input, id of its
    output]``: which convolution feeds which norm, found by running ``net``."""
    names = {id(p): name for name, p in net.named_parameters()}
    calls: list[list] = []

    def recorder(kind: str):
        def hook(module, args, output):
            bias = names.get(id(module.bias)) if kind == "convolution" and module.bias is not None else None
            calls.append([kind, bias, id(args[0]) if args else None, id(output)])

        return hook

    handles = []
    for module in net.modules():
        if isinstance(module, nn.modules.conv._ConvNd):
            handles.append(module.register_forward_hook(recorder("convolution")))
        elif isinstance(module, nn.modules.batchnorm._BatchNorm):
            handles.append(module.register_forward_hook(recorder("norm")))
    try:
        with torch.no_grad():
            net(x)
    finally:
        for handle in handles:
            handle.remove()
    return calls


def fine_tuned_and_traced(lab, question: dict) -> dict:
    """``fine_tuned``'s parameters, and the network's convolutions and norms traced on a batch."""
    net, found = fine_tune(lab, question)
    return {**found, "calls": convolutions_into_norms(net, question["fine-tuning"][0]["images"])}


def feeding_batch_norm(calls: list[list]) -> set[str]:
    """The names of the biases of convolutions whose output goes straight into a batch norm, from the calls traced."""
    outputs: dict[int, str | None] = {}  # a convolution's output, by id: its bias's name
    fed = set()
    for kind, bias, into, out in calls:
        if kind == "convolution":
            outputs[out] = bias
        elif outputs.get(into) is not None:
            fed.add(outputs[into])
    return fed


def shifts(found: dict) -> dict[str, float]:
    """The largest change of each parameter through fine-tuning."""
    return {name: (p - found["before"][name]).abs().max().item() for name, p in found["after"].items()}


def all_but_the_biases_feeding_batch_norm_change(question: dict, found: dict) -> None:
    """Every parameter changes but the biases of convolutions feeding BatchNorm, whose gradient is zero."""
    still = {name for name, shift in shifts(found).items() if shift <= MOVED}
    assert still and still == feeding_batch_norm(found["calls"]), f"unchanged: {sorted(still)}"


@judged(
    "F6",
    ask=fine_tuning_batches,
    answer=fine_tuned,
    documented=Probe(fine_tuning_batches, fine_tuned_and_traced, all_but_the_biases_feeding_batch_norm_change),
)
def fine_tuning_after_unfreezing_changes_every_parameter(question: dict, found: dict) -> None:
    """Unfrozen and fine-tuned at a smaller learning rate, 0.001, every parameter moves by more than rounding."""
    still = {name: f"{shift:.2g}" for name, shift in shifts(found).items() if shift <= MOVED}
    assert not still, f"parameters that moved by {MOVED:g} or less: {still}"


def unfreezing_batches() -> list[dict]:
    """One question: two batches to train on."""
    return [{"batches": image_batches(2, 20, seed=7)}]


def unfrozen_and_never_frozen(lab, question: dict) -> dict:
    """A NewNetwork frozen and unfrozen, and an identical one never frozen, each trained on the question's batches
    from the same seed: the state dicts of both."""
    net = lab.fileio.NewNetwork().train()
    twin = copy.deepcopy(net)
    lab.fileio.freeze(*reused_layers(net))
    lab.fileio.unfreeze(net)
    for model in (net, twin):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(SEED)
            train_on(model, question["batches"], lr=0.01, momentum=0.9)
    return {"unfrozen": snapshot(net), "never frozen": snapshot(twin)}


@judged("F6", ask=unfreezing_batches, answer=unfrozen_and_never_frozen)
def unfreezing_undoes_freezing(question: dict, found: dict) -> None:
    """A NewNetwork frozen and unfrozen trains as an identical one never frozen: parameters and buffers, bitwise."""
    unfrozen = found["unfrozen"]
    differ = [key for key, value in found["never frozen"].items() if not torch.equal(unfrozen[key], value)]
    assert not differ, f"after freeze and unfreeze, {differ} trained otherwise than in a network never frozen"
