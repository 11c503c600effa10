"""The suite's wrong labs in one table: each makes one plausible mistake, and names the checks it must fail.

As scikit-learn declares a check's expected failures, each entry declares its targets, by check id, so
``test_every_check_catches_something.py`` runs only those pairs and can ask that every registered check be the
target of one. The wrong roles the tests of ``tests/checks/`` already show are imported from there (the chapter's
with their ``WRONG_VARIANTS`` tables), as are the sample submissions of ``examples/`` with one typical mistake each;
the roles written below are for the checks none of those fails.
"""

import copy
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.checkpoint import checkpoint

from nnlab import blocks, fileio
from nnlab.checks import Lab, load_lab
from nnlab.checks.module_properties import GENERAL_PROPERTIES
from nnlab.checks.roles import MODULE_ROLES, ModuleRole
from nnlab.labs import REFERENCE
from nnlab.parameters import block1, tied_net
from nnlab.tutorial import architectures, custom_layers, debugging, efficiency, initialisation, modules
from tests.checks import test_blocks, test_classifier, test_fileio, test_layers, test_parameters
from tests.checks.chapter import (
    test_architectures,
    test_custom_layers,
    test_debugging,
    test_efficiency,
    test_hooks,
    test_initialisation,
    test_modules,
)
from tests.checks.helpers import variant

EXAMPLES = Path(__file__).parents[2] / "examples"


class WrongLab(NamedTuple):
    name: str
    lab: Lab
    fails: tuple[str, ...]  # the ids of the checks it must fail


def wrong(name: str, section: str, roles: dict, *fails: str) -> WrongLab:
    return WrongLab(name, variant(section, **roles), fails)


# ---------------------------------------------------------------- mistakes any module role can make


class RunUnderNoGrad(nn.Module):
    """Wrong: the role's forward run under torch.no_grad(), as evaluation code runs it: no loss reaches its
    parameters."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, *inputs):
        with torch.no_grad():
            return self.module(*inputs)


class HeldInAList(nn.Module):
    """Wrong: the role's module kept in a plain Python list, as layers in a list are (the report's exercise 1):
    nn.Module registers none of it, so state_dict() saves none of it and .to() moves none of it."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.parts = [module]

    def forward(self, *inputs):
        return self.parts[0](*inputs)


def general_id(spec: ModuleRole, prop) -> str:
    return f"{spec.claim}:{spec.label}_{prop.__name__}"


def made_with(mistake, role):
    """``role``'s factory, each module it builds wrapped in ``mistake``."""
    return lambda *args, **kwargs: mistake(role(*args, **kwargs))


def in_every_role(spec: ModuleRole) -> list[WrongLab]:
    """Each mistake, made by the reference's ``spec`` role, with the general properties it breaks."""
    gradient, round_trip, float64 = (judge for _, judge in GENERAL_PROPERTIES)
    role = getattr(getattr(REFERENCE, spec.section), spec.role)
    return [
        wrong(
            f"{spec.section} {spec.role} {mistake.__name__}",
            spec.section,
            {spec.role: made_with(mistake, role)},
            *(general_id(spec, prop) for prop in broken),
        )
        for mistake, broken in ((RunUnderNoGrad, [gradient]), (HeldInAList, [round_trip, float64]))
    ]


# ---------------------------------------------------------------- report section 1


class MLPSqueezingItsOutput(blocks.MLP):
    """Wrong: squeezes its output, so a batch of one comes out of shape (10,)."""

    def forward(self, X):
        return super().forward(X).squeeze()


class MLPWith128HiddenUnits(blocks.MLP):
    """Not the report's sizes (its size check fails, no property): 128 hidden units, section 5's second width,
    where section 1's MLP has 256."""

    def __init__(self):
        super().__init__()
        self.hidden, self.output = nn.Linear(20, 128), nn.Linear(128, 10)


class SequentialRunningLastToFirst(blocks.MySequential):
    """Wrong: runs its children last to first, as the composition f(g(x)) reads."""

    def forward(self, X):
        for block in reversed(self._modules.values()):
            X = block(X)
        return X


class FixedHiddenMLPTrainingItsConstant(blocks.FixedHiddenMLP):
    """Wrong: the constant an nn.Parameter, so an optimizer trains it with the layer."""

    def __init__(self):
        super().__init__()
        self.rand_weight = nn.Parameter(self.rand_weight)


class FixedHiddenMLPDrawingItsConstantEachCall(nn.Module):
    """Wrong: draws its constant anew in every forward, so nothing fixes it: a reloaded copy computes another
    function, and the new draw stays in float32."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = self.linear(F.relu(self.linear(X) @ torch.rand(20, 20) + 1))
        while X.abs().sum() > 1:
            X = X / 2
        return X.sum()


class NestMLPEndingIn20(blocks.NestMLP):
    """Not the report's sizes (its size check fails, no property): its last layer maps to 20, its input width,
    where NestMLP's maps to 16."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(32, 20)


class ParallelBlockHoldingItsNetsInATuple(nn.Module):
    """Wrong: holds its two nets in a plain tuple, so neither is registered: parameters() is empty and an
    optimizer built from it trains nothing."""

    def __init__(self, net1, net2):
        super().__init__()
        self.nets = (net1, net2)

    def forward(self, X):
        return torch.cat([net(X) for net in self.nets], dim=-1)


# ---------------------------------------------------------------- report section 2


def block2_adding_one_block_four_times() -> nn.Sequential:
    """Wrong: builds block1() once and adds it four times, so the four blocks share one set of parameters."""
    block, net = block1(), nn.Sequential()
    for i in range(4):
        net.add_module(f"block {i}", block)
    return net


def init_42_adding_42(m):
    """Wrong: adds 42 to each Linear weight rather than setting it to 42."""
    if isinstance(m, nn.Linear):
        m.weight.data += 42


# ---------------------------------------------------------------- report section 3


class CenteredOnTheMedian(nn.Module):
    """Wrong: subtracts the median, not the mean, so the output's mean is the gap between the two."""

    def forward(self, X):
        return X - X.median()


class CenteredAndScaledToOne(nn.Module):
    """Wrong: also divides by the largest |X|, normalising to [-1, 1], so adding a constant to the input rescales
    the output."""

    def forward(self, X):
        return (X - X.mean()) / (X.abs().max() + 1e-8)


class CenteredWithALearnableShift(nn.Module):
    """Wrong: adds a learnable shift, zero at the start, which training would move the output's mean away with."""

    def __init__(self):
        super().__init__()
        self.shift = nn.Parameter(torch.zeros(1))

    def forward(self, X):
        return X - X.mean() + self.shift


class MyLinearOfPlainTensors(nn.Module):
    """Wrong: weight and bias plain tensors with requires_grad=True, not nn.Parameter: the layer computes, but
    no container, optimizer or named_parameters() sees them."""

    def __init__(self, in_units, units):
        super().__init__()
        self.weight = torch.randn(in_units, units, requires_grad=True)
        self.bias = torch.randn(units, requires_grad=True)

    def forward(self, X):
        return F.relu(X @ self.weight + self.bias)


class TensorDotSummingOverTheBatch(test_layers.TensorDotKIJ):
    """Wrong: leaves b out of einsum's output subscripts, so the batch is summed away: (b, n) comes out (n,)."""

    def forward(self, x):
        return torch.einsum("bi,kij,bj->k", x, self.kernel, x)


class TensorDotWithABias(test_layers.TensorDotKIJ):
    """Wrong: adds a bias, as a layer usually has, so scaling x by c no longer scales the output by c²."""

    def __init__(self, in_features):
        super().__init__(in_features)
        self.bias = nn.Parameter(torch.randn(in_features))

    def forward(self, x):
        return super().forward(x) + self.bias


class TensorDotInFloat32(test_layers.TensorDotKIJ):
    """Wrong: casts to float32 inside forward, so a float64 layer computes, and differentiates, in float32."""

    def forward(self, x):
        return torch.einsum("bi,kij,bj->bk", x.float(), self.kernel.float(), x.float())


# ---------------------------------------------------------------- report sections 4 and 5


class NewNetworkWithTheOriginalHead(fileio.NewNetwork):
    """Wrong: keeps OriginalNetwork's 10-class head, where the new task has 20 classes."""

    def __init__(self):
        super().__init__()
        self.fc_new = nn.Linear(128 * 8 * 8, 10)


def new_network_with_conv_biases() -> fileio.NewNetwork:
    """Wrong: NewNetwork built as the report writes it, with conv biases, where OriginalNetwork has none: layer1 and
    layer2 hold other tensors, so OriginalNetwork's cannot be reused whole."""
    return fileio.NewNetwork(conv_bias=True)


def classifier_mlp_without_flatten(activation=nn.ReLU(), dropout_rate=0.0):  # noqa: B008  (the report's signature)
    """Wrong: no Flatten, so the first layer meets rows of 28 pixels, not images of 784."""
    mlp = test_classifier.SequentialMLP(activation, dropout_rate)
    mlp.net[0] = nn.Identity()
    return mlp


def classifier_mlp_always_relu(activation=nn.ReLU(), dropout_rate=0.0):  # noqa: B008  (the report's signature)
    """Wrong: ignores activation= and applies ReLU whatever it is given."""
    return test_classifier.SequentialMLP(nn.ReLU(), dropout_rate)


# ---------------------------------------------------------------- the chapter


class AttentionQueryingTheLastStep(custom_layers.SimpleAttention):
    """Wrong: scores each step against the sequence's last step, a query picked by position, so reordering the
    sequence changes the weights, not only their order."""

    def forward(self, h):
        weights = F.softmax(self.attention(h * h[:, -1:]).squeeze(-1), dim=-1)
        return (weights.unsqueeze(-1) * h).sum(dim=1), weights


class StatefulResettingInPlace(custom_layers.StatefulLayer):
    """Wrong: reset_state() zeroes the state in place, so it keeps its batch size and the next batch must have it."""

    def reset_state(self):
        self.hidden_state.zero_()


class StatefulRefusingWithABareAssert(custom_layers.StatefulLayer):
    """Wrong: refuses a new batch size with a bare assert, whose error names neither the size nor reset_state()."""

    def forward(self, x):
        assert len(self.hidden_state) in (0, len(x))
        return super().forward(x)


def unit_rows_init(module):
    """Wrong: scales each row of a random weight to unit length, which does not make the rows orthogonal."""
    if isinstance(module, nn.Linear):
        with torch.no_grad():
            module.weight.normal_()
            module.weight /= module.weight.norm(dim=1, keepdim=True)
            module.bias.zero_()
    else:
        initialisation.orthogonal_init(module)


class ClassifierReturningClasses(architectures.MultiClassifier):
    """Wrong: returns the predicted classes, argmax of the logits, not the logits."""

    def forward(self, x):
        return super().forward(x).argmax(dim=1)


class ClassifierNormalisingEachBatch(architectures.MultiClassifier):
    """Wrong: batch norms that keep no running statistics (track_running_stats=False), so in eval mode each row
    is normalised with the statistics of the batch it came in."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i, layer in enumerate(self.network):
            if isinstance(layer, nn.BatchNorm1d):
                self.network[i] = nn.BatchNorm1d(layer.num_features, track_running_stats=False)


class BlockConcatenatingItsInput(architectures.ResidualBlock):
    """Wrong: concatenates its input to the branch, as a DenseNet block does, instead of adding it: (b, h) comes
    out (b, 2h)."""

    def forward(self, x):
        return F.relu(torch.cat([x, self.branch(x)], dim=1))


class BlockWithoutAffineNorms(architectures.ResidualBlock):
    """Wrong: batch norms without their learnable scale and shift (affine=False)."""

    def __init__(self, hidden_size, dropout_rate=0.1):
        super().__init__(hidden_size, dropout_rate)
        self.bn1, self.bn2 = (nn.BatchNorm1d(hidden_size, affine=False) for _ in range(2))


class CheckpointModelWithAPathOfItsOwnWhenRecording(efficiency.CheckpointModel):
    """Wrong: checkpoints only while autograd records, as training code often does, and that path leaves out the
    ReLU after layer3 that the plain one has."""

    def forward(self, x):
        if not torch.is_grad_enabled():
            return super().forward(x)
        x = checkpoint(self._block1, x, use_reentrant=False)
        return self.layer4(checkpoint(self.layer3, x, use_reentrant=False))


class OptimizedModelScalingItsInputInPlace(efficiency.OptimizedModel):
    """Wrong: scales its input in place, changing the caller's tensor, so a second call on it computes another
    output."""

    def forward(self, x):
        x *= 0.5
        return super().forward(x)


def histograms_of_every_parameter(model, layer_name=None):
    """Wrong: one panel per parameter tensor, biases included, not one per weight tensor."""
    import matplotlib.pyplot as plt

    named = [(n, p) for n, p in model.named_parameters() if layer_name is None or layer_name in n]
    fig, axes = plt.subplots(1, len(named), squeeze=False)
    for ax, (name, p) in zip(axes[0], named):
        ax.hist(p.detach().flatten().numpy(), bins=10)
        ax.set_title(name)
    return fig


def histograms_shown_and_closed(model, layer_name=None):
    """Wrong: shows the histograms, closes the figure and returns nothing: no figure is left to save."""
    import matplotlib.pyplot as plt

    fig = debugging.weight_histograms(model, layer_name)
    plt.show()
    plt.close(fig)


# ---------------------------------------------------------------- mistakes that reach the asserts the others pass


class MySequentialRegisteringEachChildTwice(blocks.MySequential):
    """Wrong: keeps its children in a ModuleList as well as in _modules, so state_dict() saves each tensor twice."""

    def __init__(self, *modules):
        super().__init__(*modules)
        self.kept = nn.ModuleList(modules)


class ParallelBlockDetachingItsSecondNet(blocks.ParallelBlock):
    """Wrong: detaches the second net's output, so no loss reaches that net's parameters."""

    def forward(self, X):
        return torch.cat([self.net1(X), self.net2(X).detach()], dim=-1)


class MLPWithItsHiddenLayerUnderNoGrad(blocks.MLP):
    """Wrong: computes its hidden layer under torch.no_grad(), so hidden.weight and hidden.bias get no gradient."""

    def forward(self, X):
        with torch.no_grad():
            hidden = F.relu(self.hidden(X))
        return self.output(hidden)


class CustomModuleWithABufferOfOnes(modules.CustomModule):
    """Wrong: its buffer starts at ones, where the chapter's running mean starts at zeros."""

    def __init__(self):
        super().__init__()
        self.running_mean.fill_(1.0)


class CustomModuleWithANonPersistentBuffer(modules.CustomModule):
    """Wrong: registers its buffer with persistent=False, so state_dict() does not save it."""

    def __init__(self):
        super().__init__()
        del self.running_mean
        self.register_buffer("running_mean", torch.zeros(5), persistent=False)


class CustomModuleWhoseEvalSetsOnlyItsOwnFlag(modules.CustomModule):
    """Wrong: overrides eval() to set its own training flag only, so its dropout stays in training mode."""

    def eval(self):
        self.training = False
        return self


class CustomModuleWhoseTrainSetsOnlyItsOwnFlag(modules.CustomModule):
    """Wrong: overrides train() to set its own training flag only (eval() is nn.Module's), so after eval() its
    dropout stays off."""

    def train(self, mode=True):
        if not mode:
            return super().train(False)
        self.training = True
        return self


class CustomModuleWithoutDropout(modules.CustomModule):
    """Wrong: leaves dropout out, so training mode is as repeatable as eval mode."""

    def __init__(self):
        super().__init__()
        self.dropout = nn.Identity()


class HookDemoShiftedByItsLastBatch(test_hooks.SequentialHookDemo):
    """Wrong: a hook on its second layer adds the mean of the previous batch's output there, so every call after the
    first computes something else than its layers."""

    def __init__(self):
        super().__init__()
        self.last = 0.0
        self.net[2].register_forward_hook(self.shift)

    def shift(self, module, inputs, output):
        shifted, self.last = output + self.last, output.detach().mean()
        return shifted


class HookDemoRecordingUnderLayerIndices(test_hooks.SequentialHookDemo):
    """Wrong: records under the Sequential's indices, "0" and "2", not the names the chapter reads, "fc1" and "fc2"."""

    def forward(self, x):
        y = super().forward(x)
        self.activations = {"0": self.activations.pop("fc1"), "2": self.activations.pop("fc2")}
        return y


def classifier_mlp_ignoring_dropout_rate(activation=nn.ReLU(), dropout_rate=0.0):  # noqa: B008  (the report's signature)
    """Wrong: ignores dropout_rate= and builds the network without dropout."""
    return test_classifier.SequentialMLP(activation, 0.0)


def load_checkpoint_giving_loss_then_epoch(path, model, optimizer):
    """Wrong: restores everything and gives back (loss, epoch), the other order."""
    epoch, loss = fileio.load_checkpoint(path, model, optimizer)
    return loss, epoch


def load_checkpoint_restoring_the_optimizer_only(path, model, optimizer):
    """Wrong: restores the optimizer and leaves the model as it is."""
    checkpoint = torch.load(path)
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    return checkpoint["epoch"], checkpoint["loss"]


class LinearWhoseReprLeavesOutTheBias(custom_layers.CustomLinear):
    """Wrong: its repr shows the sizes only, so bias=True and bias=False print alike."""

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}"


class AttentionDividingByTheScoresSum(custom_layers.SimpleAttention):
    """Wrong: normalises the raw scores by their sum, not by softmax: weights that sum to 1 but may be negative, so
    the output may leave the inputs' range."""

    def forward(self, h):
        scores = self.attention(h).squeeze(-1)
        weights = scores / scores.sum(dim=-1, keepdim=True)
        return (weights.unsqueeze(-1) * h).sum(dim=1), weights


class StatefulDetachingItsInput(custom_layers.StatefulLayer):
    """Wrong: detaches its input along with the state, so no loss reaches the input of the current call either."""

    def forward(self, x):
        return super().forward(x.detach())


class DemoWithItsUniformLayerTwiceAsWide(initialisation.InitializationDemo):
    """Wrong: its last layer drawn from U(-0.2, 0.2), where the chapter's scheme is U(-0.1, 0.1)."""

    def __init__(self):
        super().__init__()
        nn.init.uniform_(self.layers[3].weight, -0.2, 0.2)


def histograms_titled_by_position(model, layer_name=None):
    """Wrong: titles each panel by its position, so no panel names the weight tensor it shows."""
    fig = debugging.weight_histograms(model, layer_name)
    for position, ax in enumerate(fig.axes):
        ax.set_title(f"panel {position}")
    return fig


def save_model_in_half_precision(net, path):
    """Wrong: saves a float16 copy to halve the file, so what loads back has lost precision."""
    torch.save(copy.deepcopy(net).half(), path)


def load_model_back_to_float(path):
    return test_fileio.load_anything(path).float()


SAVED_IN_MEMORY: dict[str, nn.Module] = {}


def save_model_keeping_it(net, path):
    """Wrong, with load_model_from_memory: keeps the module it saved, and gives that back rather than the file's."""
    torch.save(net, path)
    SAVED_IN_MEMORY[str(path)] = net


def load_model_from_memory(path):
    return SAVED_IN_MEMORY[str(path)]


class BlockGivingZerosInEvalMode(architectures.ResidualBlock):
    """Wrong: in eval mode its output is 0 whatever the input, which relu(x + c) matches for c = -x: no input is
    added back."""

    def forward(self, x):
        return super().forward(x) if self.training else torch.zeros_like(x)


class BlockWithAProjectedSkip(architectures.ResidualBlock):
    """Wrong: passes its input through a learned Linear before adding it back, a third h x h weight where the
    chapter's skip is the identity."""

    def __init__(self, hidden_size, dropout_rate=0.1):
        super().__init__(hidden_size, dropout_rate)
        self.skip = nn.Linear(hidden_size, hidden_size, bias=False)

    def forward(self, x):
        return F.relu(self.branch(x) + self.skip(x))


class BlockWithoutRunningStatistics(architectures.ResidualBlock):
    """Wrong: batch norms that keep no running statistics (track_running_stats=False): in eval mode each batch is
    normalised by its own statistics."""

    def __init__(self, hidden_size, dropout_rate=0.1):
        super().__init__(hidden_size, dropout_rate)
        self.bn1, self.bn2 = (nn.BatchNorm1d(hidden_size, track_running_stats=False) for _ in range(2))


def on_linear_weights(init_weight):
    """An init for net.apply: ``init_weight`` on each Linear's weight, its bias zeroed."""

    def init(m):
        if isinstance(m, nn.Linear):
            init_weight(m.weight)
            nn.init.zeros_(m.bias)

    return init


def textbook_init_zeroing_none(m):
    """Wrong: draws |w| from U(5, 10) with a random sign, so no weight is zeroed where half should be."""
    if isinstance(m, nn.Linear):
        with torch.no_grad():
            m.weight.uniform_(5.0, 10.0)
            m.weight *= torch.randint(0, 2, m.weight.shape) * 2 - 1


def tied_net_with_its_shared_layer_frozen():
    """Wrong: the shared layer frozen (requires_grad=False), so training never moves it."""
    return tied_net(nn.Linear(8, 8).requires_grad_(False))


# ---------------------------------------------------------------- the table


def from_chapter_table(table) -> list[WrongLab]:
    """A chapter test file's WRONG_VARIANTS, ``pytest.param(claim, roles, {check name: result})``, as wrong labs."""
    labs = []
    for param in table:
        claim, roles, expected = param.values
        fails = tuple(f"{claim}:{name}" for name, outcome in expected.items() if outcome == "fail")
        labs.append(WrongLab(param.id, variant("chapter", **roles), fails))
    return labs


def example(name: str, *fails: str) -> WrongLab:
    return WrongLab(f"examples/{name}", load_lab(EXAMPLES / name), fails)


CHAPTER_TABLES = (
    test_modules.WRONG_VARIANTS,
    test_hooks.WRONG_VARIANTS,
    test_custom_layers.WRONG_VARIANTS,
    test_initialisation.WRONG_VARIANTS,
    test_architectures.WRONG_VARIANTS,
    test_efficiency.WRONG_VARIANTS,
    test_debugging.WRONG_VARIANTS,
)

T2_BUFFER = "custom_module_buffer_is_saved_and_moved_but_not_trained"
T3_MODES = "custom_module_eval_turns_dropout_off_and_train_back_on"

WRONG_LABS: list[WrongLab] = [
    *(lab for spec in MODULE_ROLES if spec.claim is not None for lab in in_every_role(spec)),
    *(lab for table in CHAPTER_TABLES for lab in from_chapter_table(table)),
    example(
        "python_list_sequential",
        "L3:my_sequential_parameters_are_its_childrens_in_order",
        "L3:my_sequential_registers_its_children",
    ),
    example("per_row_centering", "C1:centered_layer_subtracts_the_mean_of_the_whole_batch"),
    example("dropout_always_on", "M1:classifier_mlp_drops_hidden_units_in_training_only"),
    example("parallel_block_on_batch_dim.py", "L7:parallel_block_concatenates_for_any_widths"),
    # report section 1
    wrong(
        "MLP squeezing its output",
        "blocks",
        {"MLP": MLPSqueezingItsOutput},
        "L1:mlp_maps_any_batch_to_its_output_width",
    ),
    wrong(
        "MLP of 128 hidden units",
        "blocks",
        {"MLP": MLPWith128HiddenUnits},
        "L1:mlp_is_20_256_10_as_the_report_writes_it",
    ),
    wrong(
        "MLP with tanh",
        "blocks",
        {"MLP": test_blocks.MLPWithTanh},
        "L2:torch_sequential_of_the_same_layers_computes_mlp",
    ),
    wrong(
        "MySequential running last to first",
        "blocks",
        {"MySequential": SequentialRunningLastToFirst},
        "L3:my_sequential_applies_children_in_insertion_order",
    ),
    wrong(
        "MySequential looping over children()",
        "blocks",
        {"MySequential": test_blocks.ChildrenSequential},
        "L3:my_sequential_applies_a_child_given_twice_twice",
    ),
    wrong(
        "MySequential broken for one child",
        "blocks",
        {"MySequential": test_blocks.SequentialBrokenForOneChild},
        "L3:my_sequential_equals_nn_sequential_on_the_same_children",
    ),
    wrong(
        "FixedHiddenMLP drawing its constant each call",
        "blocks",
        {"FixedHiddenMLP": FixedHiddenMLPDrawingItsConstantEachCall},
        "L5:fixed_hidden_reloads_to_the_same_function",
        "L5:fixedhiddenmlp_state_dict_round_trip_reproduces_outputs",
        "L5:fixedhiddenmlp_to_float64_moves_everything",
    ),
    wrong(
        "FixedHiddenMLP training its constant",
        "blocks",
        {"FixedHiddenMLP": FixedHiddenMLPTrainingItsConstant},
        "L5:fixed_hidden_trains_only_its_linear_layer",
    ),
    wrong(
        "FixedHiddenMLP without the sum",
        "blocks",
        {"FixedHiddenMLP": test_blocks.FixedHiddenMLPWithoutTheSum},
        "L5:fixed_hidden_applies_one_linear_layer_twice_around_its_constant",
        "L5:fixed_hidden_output_is_at_most_one_in_magnitude",
    ),
    wrong(
        "FixedHiddenMLP with an in-place ReLU",
        "blocks",
        {"FixedHiddenMLP": test_blocks.FixedHiddenMLPWithAnInPlaceReLU},
        "L5:fixedhiddenmlp_every_parameter_gets_a_gradient",
    ),
    wrong(
        "NestMLP ending in 20",
        "blocks",
        {"NestMLP": NestMLPEndingIn20},
        "L6:nest_mlp_is_20_64_32_16_as_the_report_writes_it",
    ),
    wrong(
        "NestMLP without its inner ReLU",
        "blocks",
        {"NestMLP": test_blocks.NestMLPWithoutInnerReLU},
        "L6:nest_mlp_applies_relu_after_each_of_its_first_two_layers",
    ),
    wrong(
        "chimera missing two of its parts",
        "blocks",
        {"chimera": test_blocks.chimera_missing_two_of_its_parts},
        "L6:chimera_runs_end_to_end_with_all_its_parts",
    ),
    wrong(
        "ParallelBlock holding its nets in a tuple",
        "blocks",
        {"ParallelBlock": ParallelBlockHoldingItsNetsInATuple},
        "L7:parallel_block_trains_both_nets",
    ),
    # report section 2
    *(
        wrong(
            f"{role} touching every weight",
            "parameters",
            {role: init},
            f"P3:{role}_leaves_modules_other_than_linear_alone",
        )
        for role, init in test_parameters.TOUCHING_EVERY_WEIGHT.items()
    ),
    wrong(
        "init_normal too wide",
        "parameters",
        {"init_normal": test_parameters.init_normal_too_wide},
        "P3:init_normal_draws_weights_from_normal_0_001_and_zeroes_biases",
    ),
    wrong(
        "init_constant leaving the bias",
        "parameters",
        {"init_constant": test_parameters.constant_weight_leaving_the_bias},
        "P3:init_constant_sets_weights_to_1_and_biases_to_0",
    ),
    wrong(
        "xavier by kaiming_uniform_(a=1)",
        "parameters",
        {"xavier": test_parameters.kaiming_a1},
        "P3:xavier_draws_uniform_within_the_fan_bound_of_each_layer",
    ),
    wrong(
        "init_42 adding 42",
        "parameters",
        {"init_42": init_42_adding_42},
        "P3:init_42_sets_every_linear_weight_to_42",
    ),
    wrong(
        "my_init per row",
        "parameters",
        {"my_init": test_parameters.my_init_per_row},
        "P3:my_init_fills_weights_with_one_over_their_count_and_zeroes_biases",
    ),
    wrong(
        "textbook_init zeroing below 2",
        "parameters",
        {"textbook_init": test_parameters.textbook_init_zeroing_below(2)},
        "P3:textbook_init_keeps_uniform_weights_with_magnitude_5_to_10_and_zeroes_the_rest",
    ),
    wrong(
        "block1 without its last ReLU",
        "parameters",
        {"block1": test_parameters.block1_without_its_last_relu},
        "P2:block1_is_linear_relu_linear_relu",
    ),
    wrong(
        "block2 adding one block four times",
        "parameters",
        {"block2": block2_adding_one_block_four_times},
        "P2:rgnet_has_18_named_parameters_those_of_four_block1_and_its_last_layer",
    ),
    wrong(
        "block1 of the other edition's sizes",
        "parameters",
        {"block1": test_parameters.Block1OfTheOtherEdition, "block2": test_parameters.block2_of_the_other_edition},
        "P2:block1_is_4_8_4_as_the_report_writes_it",
    ),
    wrong(
        "tied_net with four outputs",
        "parameters",
        {"tied_net": test_parameters.tied_net_with_four_outputs},
        "P5:tied_net_is_4_8_8_8_1_as_the_report_writes_it",
    ),
    wrong(
        "block2 flattened",
        "parameters",
        {"block2": test_parameters.block2_flattened},
        "P2:rgnet_names_nest_four_blocks_named_block_0_to_3",
    ),
    wrong(
        "init_constant undone by its container",
        "parameters",
        {"init_constant": test_parameters.undone_by_its_container},
        "P4:init_constant_applied_to_rgnet_reaches_every_nested_linear",
    ),
    wrong(
        "tied_net untied",
        "parameters",
        {"tied_net": test_parameters.untied_net},
        "P5:tied_net_holds_one_shared_square_layer_and_no_more",
        "P5:tied_net_shared_gradient_is_the_sum_of_both_uses",
        "P6:tied_net_uses_stay_identical_while_it_trains",
    ),
    wrong(
        "tied_net's second use copied from the shared layer at each forward",
        "parameters",
        {"tied_net": test_parameters.SecondUseCopiedAtEachForward},
        "P5:tied_net_holds_one_shared_square_layer_and_no_more",
        "P5:tied_net_shared_gradient_is_the_sum_of_both_uses",
        "P6:tied_net_uses_stay_identical_while_it_trains",
    ),
    wrong(
        "MLP with an unregistered output layer",
        "blocks",
        {"MLP": test_parameters.MLPWithUnregisteredOutput},
        "P7:mlp_parameters_are_reachable_by_attribute_and_name_and_get_gradients_of_their_shape",
    ),
    wrong(
        "MLP whose parameter names lead to other tensors",
        "blocks",
        {"MLP": test_parameters.MLPWhoseNamesLeadElsewhere},
        "P7:mlp_parameters_are_reachable_by_attribute_and_name_and_get_gradients_of_their_shape",
    ),
    # report section 3
    wrong(
        "CenteredLayer on the median",
        "layers",
        {"CenteredLayer": CenteredOnTheMedian},
        "C1:centered_output_has_mean_zero",
        "C1:centered_layer_after_linear_gives_mean_about_zero",
    ),
    wrong(
        "CenteredLayer scaled to one",
        "layers",
        {"CenteredLayer": CenteredAndScaledToOne},
        "C1:centered_layer_is_invariant_to_adding_a_constant",
    ),
    wrong(
        "CenteredLayer with a learnable shift",
        "layers",
        {"CenteredLayer": CenteredWithALearnableShift},
        "C1:centered_layer_has_no_parameters",
    ),
    wrong(
        "MyLinear in nn.Linear's layout",
        "layers",
        {"MyLinear": test_layers.LinearLayout},
        "C2:my_linear_weight_is_in_units_by_units_and_bias_units",
    ),
    wrong(
        "MyLinear without ReLU",
        "layers",
        {"MyLinear": test_layers.AffineWithoutReLU},
        "C2:my_linear_computes_relu_of_x_w_plus_b",
    ),
    wrong(
        "MyLinear of plain tensors",
        "layers",
        {"MyLinear": MyLinearOfPlainTensors},
        "C2:my_linear_works_inside_sequential_with_named_parameters",
    ),
    wrong(
        "tensor dot summing over the batch",
        "layers",
        {"ParameterizedTensorDot": TensorDotSummingOverTheBatch},
        "C3:tensor_dot_maps_b_n_to_b_n",
    ),
    wrong(
        "tensor dot without cross terms",
        "layers",
        {"ParameterizedTensorDot": test_layers.DiagonalOnly},
        "C3:tensor_dot_equals_the_triple_loop_over_its_weight_with_its_gradients",
    ),
    wrong(
        "tensor dot with a bias",
        "layers",
        {"ParameterizedTensorDot": TensorDotWithABias},
        "C3:tensor_dot_is_homogeneous_of_degree_two",
    ),
    wrong(
        "tensor dot in float32",
        "layers",
        {"ParameterizedTensorDot": TensorDotInFloat32},
        "C3:tensor_dot_passes_gradcheck_in_float64",
    ),
    # report section 4
    wrong(
        "load_params loading nothing",
        "fileio",
        {"load_params": test_fileio.load_nothing},
        "F1:saved_params_reproduce_any_linear_network_exactly",
        "F1:saved_params_reproduce_the_exercise_networks",
    ),
    wrong(
        "save_params saving the parameters only",
        "fileio",
        {"save_params": test_fileio.save_parameters_only, "load_params": test_fileio.load_what_is_there},
        "F1:saved_params_keep_the_running_statistics",
    ),
    wrong(
        "save_model saving the state dict",
        "fileio",
        {"save_model": test_fileio.save_the_state_dict_as_the_module, "load_model": test_fileio.load_anything},
        "F2:whole_module_loads_back_and_reproduces_the_outputs",
    ),
    wrong(
        "load_checkpoint restoring the model only",
        "fileio",
        {"load_checkpoint": test_fileio.load_model_only},
        "F3:resuming_from_a_checkpoint_continues_bitwise",
        "F3:a_checkpoint_gives_back_its_epoch_and_loss",
    ),
    wrong(
        "NewNetwork with the original head",
        "fileio",
        {"NewNetwork": NewNetworkWithTheOriginalHead},
        "F4:the_exercise_networks_classify_into_10_and_20_classes",
    ),
    wrong(
        "NewNetwork with conv biases where OriginalNetwork has none",
        "fileio",
        {"NewNetwork": new_network_with_conv_biases},
        "F4:the_exercise_networks_classify_into_10_and_20_classes",
    ),
    wrong(
        "reuse_layers copying parameters only",
        "fileio",
        {"reuse_layers": test_fileio.reuse_parameters_only},
        "F4:reusing_layers_copies_them_exactly_and_leaves_the_rest_as_initialised",
    ),
    wrong(
        "reuse_layers reporting nothing missing",
        "fileio",
        {"reuse_layers": test_fileio.load_and_say_nothing},
        "F4:reusing_layers_reports_every_key_not_loaded_as_missing",
    ),
    wrong(
        "freeze zeroing gradients",
        "fileio",
        {"freeze": test_fileio.freeze_by_zeroing_gradients},
        "F5:frozen_layers_stay_bitwise_while_the_new_layers_train",
    ),
    wrong(
        "unfreeze doing nothing",
        "fileio",
        {"unfreeze": test_fileio.unfreeze_nothing},
        "F6:fine_tuning_after_unfreezing_changes_every_parameter",
    ),
    wrong(
        "unfreeze leaving batch statistics frozen",
        "fileio",
        {"unfreeze": test_fileio.unfreeze_parameters_only},
        "F6:unfreezing_undoes_freezing",
    ),
    # report section 5
    wrong(
        "classifier MLP without flatten",
        "classifier",
        {"MLP": classifier_mlp_without_flatten},
        "M1:classifier_mlp_has_the_layers_784_256_128_10",
    ),
    wrong(
        "classifier MLP always ReLU",
        "classifier",
        {"MLP": classifier_mlp_always_relu},
        "M1:classifier_mlp_applies_the_activation_it_is_given_after_each_hidden_layer",
    ),
    wrong(
        "classifier MLP dropping the input",
        "classifier",
        {"MLP": test_classifier.placed("input")},
        "M1:classifier_mlp_drops_out_after_each_hidden_activation_only",
    ),
    # the chapter
    wrong(
        "perceptron of a sigmoid of a sigmoid",
        "chapter",
        {"Perceptron": test_modules.DoubleSigmoidPerceptron},
        "T1:perceptron_is_the_sigmoid_of_an_affine_function",
    ),
    wrong(
        "attention querying the last step",
        "chapter",
        {"SimpleAttention": AttentionQueryingTheLastStep},
        "T11:permuting_the_sequence_permutes_the_weights_and_keeps_the_output",
    ),
    wrong(
        "stateful layer resetting in place",
        "chapter",
        {"StatefulLayer": StatefulResettingInPlace},
        "T12:stateful_layer_takes_a_new_batch_size_after_a_reset",
    ),
    wrong(
        "stateful layer refusing with a bare assert",
        "chapter",
        {"StatefulLayer": StatefulRefusingWithABareAssert},
        "T12:stateful_layer_handles_or_clearly_refuses_a_new_batch_size",
    ),
    wrong(
        "custom_init of unit rows",
        "chapter",
        {"custom_init": unit_rows_init},
        "T13:custom_init_makes_rows_or_columns_orthonormal_for_any_shape",
    ),
    wrong(
        "custom_init of the identity",
        "chapter",
        {"custom_init": test_initialisation.identity_init},
        "T13:custom_init_draws_a_new_orthogonal_matrix_each_time",
    ),
    wrong(
        "classifier returning classes",
        "chapter",
        {"MultiClassifier": ClassifierReturningClasses},
        "T14:classifier_softmax_is_a_distribution_over_the_classes",
    ),
    wrong(
        "classifier normalising each batch",
        "chapter",
        {"MultiClassifier": ClassifierNormalisingEachBatch},
        "T14:classifier_in_eval_mode_treats_each_row_alone",
    ),
    wrong(
        "residual block concatenating its input",
        "chapter",
        {"ResidualBlock": BlockConcatenatingItsInput},
        "T15:residual_block_keeps_the_shape",
    ),
    wrong(
        "residual block without its inner ReLU",
        "chapter",
        {"ResidualBlock": test_architectures.BlockWithoutInnerRelu},
        "T15:residual_block_in_eval_mode_is_relu_of_x_plus_bn2_fc2_relu_bn1_fc1",
    ),
    wrong(
        "residual block without affine norms",
        "chapter",
        {"ResidualBlock": BlockWithoutAffineNorms},
        "T15:residual_block_has_two_linear_and_two_batchnorm_layers",
        "T15:residual_block_in_eval_mode_is_relu_of_x_plus_bn2_fc2_relu_bn1_fc1",
    ),
    wrong(
        "checkpoint model with a path of its own when recording",
        "chapter",
        {"CheckpointModel": CheckpointModelWithAPathOfItsOwnWhenRecording},
        "T17:checkpointing_gives_the_outputs_of_the_plain_forward",
    ),
    wrong(
        "optimized model scaling its input in place",
        "chapter",
        {"OptimizedModel": OptimizedModelScalingItsInputInPlace},
        "T18:compiled_optimized_model_computes_what_eager_computes",
    ),
    wrong(
        "histograms of every parameter",
        "chapter",
        {"visualize_weights": histograms_of_every_parameter},
        "T20:weight_histograms_have_one_panel_per_weight_tensor",
    ),
    wrong(
        "histograms shown and closed",
        "chapter",
        {"visualize_weights": histograms_shown_and_closed},
        "T20:weight_histograms_can_be_written_to_an_image_file",
    ),
    wrong(
        "ReLU perceptron, 0 at the probes",
        "chapter",
        {"Perceptron": test_modules.ReluPerceptron},
        "T1:perceptron_is_the_sigmoid_of_an_affine_function",
    ),
    wrong(
        "MySequential registering each child twice",
        "blocks",
        {"MySequential": MySequentialRegisteringEachChildTwice},
        "L3:my_sequential_registers_its_children",
    ),
    wrong(
        "ParallelBlock detaching its second net",
        "blocks",
        {"ParallelBlock": ParallelBlockDetachingItsSecondNet},
        "L7:parallel_block_trains_both_nets",
    ),
    wrong(
        "MLP with its hidden layer under no_grad",
        "blocks",
        {"MLP": MLPWithItsHiddenLayerUnderNoGrad},
        "P7:mlp_parameters_are_reachable_by_attribute_and_name_and_get_gradients_of_their_shape",
    ),
    wrong(
        "init_constant by eye_",
        "parameters",
        {"init_constant": on_linear_weights(nn.init.eye_)},  # ones on the diagonal only
        "P3:init_constant_sets_weights_to_1_and_biases_to_0",
    ),
    wrong(
        "xavier drawing normal",  # whose tails pass the uniform draw's bound
        "parameters",
        {"xavier": on_linear_weights(nn.init.xavier_normal_)},
        "P3:xavier_draws_uniform_within_the_fan_bound_of_each_layer",
    ),
    wrong(
        "textbook_init zeroing none",
        "parameters",
        {"textbook_init": textbook_init_zeroing_none},
        "P3:textbook_init_keeps_uniform_weights_with_magnitude_5_to_10_and_zeroes_the_rest",
    ),
    wrong(
        "tied_net with its shared layer frozen",
        "parameters",
        {"tied_net": tied_net_with_its_shared_layer_frozen},
        "P6:tied_net_uses_stay_identical_while_it_trains",
    ),
    wrong(
        "HookDemo shifted by its last batch",
        "chapter",
        {"HookDemo": HookDemoShiftedByItsLastBatch},
        "T9:hook_demo_computes_its_three_layers_unchanged_by_the_hooks",
    ),
    wrong(
        "HookDemo recording under layer indices",
        "chapter",
        {"HookDemo": HookDemoRecordingUnderLayerIndices},
        "T9:hook_demo_records_the_outputs_of_its_first_two_layers",
    ),
    wrong(
        "classifier MLP ignoring dropout_rate",
        "classifier",
        {"MLP": classifier_mlp_ignoring_dropout_rate},
        "M1:classifier_mlp_drops_hidden_units_in_training_only",
    ),
    *(
        wrong(name, "fileio", {"load_checkpoint": role}, "F3:a_checkpoint_gives_back_its_epoch_and_loss")
        for name, role in (
            ("load_checkpoint giving loss then epoch", load_checkpoint_giving_loss_then_epoch),
            ("load_checkpoint restoring the optimizer only", load_checkpoint_restoring_the_optimizer_only),
        )
    ),
    wrong(
        "linear whose repr leaves out the bias",
        "chapter",
        {"CustomLinear": LinearWhoseReprLeavesOutTheBias},
        "T10:custom_linear_repr_shows_its_sizes_and_bias",
    ),
    wrong(
        "attention dividing by the scores' sum",
        "chapter",
        {"SimpleAttention": AttentionDividingByTheScoresSum},
        "T11:attention_weights_are_a_distribution_over_the_sequence",
        "T11:attention_output_is_the_weighted_sum_of_the_inputs",
    ),
    wrong(
        "stateful layer detaching its input",
        "chapter",
        {"StatefulLayer": StatefulDetachingItsInput},
        "T12:stateful_layer_state_is_detached_from_the_graph",
    ),
    wrong(
        "demo with its uniform layer twice as wide",
        "chapter",
        {"InitializationDemo": DemoWithItsUniformLayerTwiceAsWide},
        "T13:demo_weights_follow_their_schemes_distributions",
    ),
    wrong(
        "histograms titled by position",
        "chapter",
        {"visualize_weights": histograms_titled_by_position},
        "T20:weight_histograms_have_one_panel_per_weight_tensor",
    ),
    *(
        wrong(name, "fileio", roles, "F2:whole_module_loads_back_and_reproduces_the_outputs")
        for name, roles in (
            (
                "save_model in half precision",
                {"save_model": save_model_in_half_precision, "load_model": load_model_back_to_float},
            ),
            (
                "load_model giving back the module in memory",
                {"save_model": save_model_keeping_it, "load_model": load_model_from_memory},
            ),
        )
    ),
    wrong(
        "residual block giving zeros in eval mode",
        "chapter",
        {"ResidualBlock": BlockGivingZerosInEvalMode},
        "T15:residual_block_adds_its_input_back_before_the_last_relu",
        "T15:residual_block_in_eval_mode_is_relu_of_x_plus_bn2_fc2_relu_bn1_fc1",
    ),
    wrong(
        "residual block with a projected skip",
        "chapter",
        {"ResidualBlock": BlockWithAProjectedSkip},
        "T15:residual_block_adds_its_input_back_before_the_last_relu",
        "T15:residual_block_in_eval_mode_is_relu_of_x_plus_bn2_fc2_relu_bn1_fc1",
    ),
    wrong(
        "residual block without running statistics",
        "chapter",
        {"ResidualBlock": BlockWithoutRunningStatistics},
        "T15:residual_block_in_eval_mode_is_relu_of_x_plus_bn2_fc2_relu_bn1_fc1",
    ),
    *(
        wrong(name, "chapter", {"CustomModule": role}, check_id)
        for name, role, check_id in (
            ("CustomModule with a buffer of ones", CustomModuleWithABufferOfOnes, "T2:" + T2_BUFFER),
            ("CustomModule with a non-persistent buffer", CustomModuleWithANonPersistentBuffer, "T2:" + T2_BUFFER),
            (
                "CustomModule whose eval() sets only its own flag",
                CustomModuleWhoseEvalSetsOnlyItsOwnFlag,
                "T3:" + T3_MODES,
            ),
            (
                "CustomModule whose train() sets only its own flag",
                CustomModuleWhoseTrainSetsOnlyItsOwnFlag,
                "T3:" + T3_MODES,
            ),
            ("CustomModule without dropout", CustomModuleWithoutDropout, "T3:" + T3_MODES),
        )
    ),
]
