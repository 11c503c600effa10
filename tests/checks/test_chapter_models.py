"""The checks of claims T11 to T20 catch wrong implementations and pass correct ones written in another style."""

import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.checkpoint import checkpoint

from nnlab.checks import all_checks, run_check
from nnlab.labs import CHAPTER, REFERENCE
from nnlab.tutorial import architectures, custom_layers, debugging, efficiency, initialisation


def result(lab, claim: str, name: str) -> str:
    (found,) = [c for c in all_checks() if c.claim == claim and c.name == name]
    return run_check(found, lab).result


def results(lab, claims: tuple[str, ...]) -> dict[str, str]:
    return {c.id: run_check(c, lab).result for c in all_checks() if c.claim in claims}


def wrong(**roles):
    return REFERENCE.replace("wrong", chapter=roles)


# ------------------------------------------------------------------ T11


class AttentionOverTheBatch(custom_layers.SimpleAttention):
    def forward(self, h):
        weights = F.softmax(self.attention(h).squeeze(-1), dim=0)  # the wrong axis
        return (weights.unsqueeze(-1) * h).sum(dim=1), weights


class AttentionThatAverages(custom_layers.SimpleAttention):
    def forward(self, h):
        weights = F.softmax(self.attention(h).squeeze(-1), dim=-1)
        return h.mean(dim=1), weights  # not the weighted sum


# ------------------------------------------------------------------ T12


class StatefulKeepingTheGraph(custom_layers.StatefulLayer):
    def forward(self, x):
        previous = self.hidden_state if len(self.hidden_state) else x.new_zeros(len(x), self.hidden_size)
        new_hidden = torch.tanh(self.input_transform(x) + self.hidden_transform(previous))
        self.hidden_state = new_hidden  # not detached: the graph grows across calls
        return new_hidden


class StatefulThatForgets(custom_layers.StatefulLayer):
    def forward(self, x):
        self.reset_state()
        return super().forward(x)


class StatefulWithoutReset(custom_layers.StatefulLayer):
    def reset_state(self):
        pass


def test_the_chapters_expanding_layer_is_qualified_and_nnlabs_refusal_passes():
    name = "stateful_layer_handles_or_clearly_refuses_a_new_batch_size"
    assert result(CHAPTER, "T12", name) == "qualified"
    assert result(REFERENCE, "T12", name) == "pass"


# ------------------------------------------------------------------ T13


class XavierNormalDemo(initialisation.InitializationDemo):
    def __init__(self):
        super().__init__()
        nn.init.xavier_normal_(self.layers[0].weight)  # normal, not uniform, at the same variance


class DefaultInitDemo(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(10, 20), nn.Linear(20, 20), nn.Linear(20, 10), nn.Linear(10, 1)])


def identity_init(module):
    if isinstance(module, nn.Linear):
        nn.init.eye_(module.weight)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm1d):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def linear_only_init(module):
    if isinstance(module, nn.Linear):
        nn.init.orthogonal_(module.weight)
        nn.init.zeros_(module.bias)


def test_an_identity_init_is_orthogonal_but_fails_the_random_draw_check():
    lab = wrong(custom_init=identity_init)
    assert result(lab, "T13", "custom_init_makes_rows_or_columns_orthonormal_for_any_shape") == "pass"
    assert result(lab, "T13", "custom_init_draws_a_new_orthogonal_matrix_each_time") == "fail"


# ------------------------------------------------------------------ T14


def classifier_of(order):
    class Classifier(nn.Module):
        def __init__(self, input_size, hidden_sizes, num_classes, dropout_rate=0.2):
            super().__init__()
            layers, previous = [], input_size
            for hidden in hidden_sizes:
                layers += order(previous, hidden, dropout_rate)
                previous = hidden
            self.network = nn.Sequential(*layers, nn.Linear(previous, num_classes))

        def forward(self, x):
            return self.network(x)

    return Classifier


ReluBeforeBatchNorm = classifier_of(lambda n, h, p: [nn.Linear(n, h), nn.ReLU(), nn.BatchNorm1d(h), nn.Dropout(p)])
NoBatchNorm = classifier_of(lambda n, h, p: [nn.Linear(n, h), nn.ReLU(), nn.Dropout(p)])
NoDropout = classifier_of(lambda n, h, p: [nn.Linear(n, h), nn.BatchNorm1d(h), nn.ReLU()])


# ------------------------------------------------------------------ T15


class BlockWithoutSkip(architectures.ResidualBlock):
    def forward(self, x):
        return F.relu(self.branch(x))


class BlockReluBeforeAdding(architectures.ResidualBlock):
    def forward(self, x):
        return F.relu(self.branch(x)) + x


class BlockWithoutLastRelu(architectures.ResidualBlock):
    def forward(self, x):
        return self.branch(x) + x


class BlockWithoutInnerRelu(architectures.ResidualBlock):
    def forward(self, x):
        return F.relu(x + self.bn2(self.fc2(self.bn1(self.fc1(x)))))


class BlockWithNormsBeforeTheLinears(architectures.ResidualBlock):
    def forward(self, x):
        return F.relu(x + self.fc2(self.bn2(F.relu(self.fc1(self.bn1(x))))))


@pytest.mark.parametrize("block", [BlockWithoutInnerRelu, BlockWithNormsBeforeTheLinears])
def test_a_branch_without_its_inner_relu_or_with_misplaced_norms_fails_the_eval_mode_check(block):
    lab = wrong(ResidualBlock=block)
    assert result(lab, "T15", "residual_block_in_eval_mode_is_relu_of_x_plus_bn2_fc2_relu_bn1_fc1") == "fail"
    assert result(lab, "T15", "residual_block_adds_its_input_back_before_the_last_relu") == "pass"


class RawResidualBlock(nn.Module):
    """Correct, in another style: raw weights stored (in, out), batch norm written out with its own buffers."""

    def __init__(self, hidden_size, dropout_rate=0.1):
        super().__init__()
        h = hidden_size
        self.beta2, self.gamma2, self.beta1, self.gamma1 = (nn.Parameter(torch.full((h,), v)) for v in (0.0, 1.0) * 2)
        self.w2, self.b2 = nn.Parameter(torch.randn(h, h) / h**0.5), nn.Parameter(torch.zeros(h))
        self.w1, self.b1 = nn.Parameter(torch.randn(h, h) / h**0.5), nn.Parameter(torch.zeros(h))
        for i in (2, 1):
            self.register_buffer(f"var{i}", torch.ones(h))
            self.register_buffer(f"mean{i}", torch.zeros(h))
        self.p = dropout_rate

    def norm(self, z, i):
        mean, var = getattr(self, f"mean{i}"), getattr(self, f"var{i}")
        if self.training:
            with torch.no_grad():
                mean.lerp_(z.mean(0), 0.1)
                var.lerp_(z.var(0), 0.1)
            mean, var = z.mean(0), z.var(0, correction=0)
        return getattr(self, f"gamma{i}") * (z - mean) / torch.sqrt(var + 1e-5) + getattr(self, f"beta{i}")

    def forward(self, x):
        inner = F.dropout(torch.relu(self.norm(x @ self.w1 + self.b1, 1)), self.p, self.training)
        return torch.relu(x + self.norm(inner @ self.w2 + self.b2, 2))


def test_a_raw_residual_block_with_its_own_batch_norm_passes_every_residual_block_check():
    lab = REFERENCE.replace("another style", chapter={"ResidualBlock": RawResidualBlock})
    checks = [c for c in all_checks() if c.claim == "T15" and c.name.startswith(("residual_block_", "residualblock_"))]
    assert {c.id: run_check(c, lab).result for c in checks} == {c.id: "pass" for c in checks}


class ResNetWithoutBatchNorm(nn.Module):
    def __init__(self, input_size, hidden_size, num_blocks, num_classes):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(input_size, hidden_size),
            *[nn.Linear(hidden_size, hidden_size) for _ in range(2 * num_blocks)],
            nn.Linear(hidden_size, num_classes),
        )

    def forward(self, x):
        return self.layers(x)


# ------------------------------------------------------------------ T16


class SeparateLayers(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers):
        super().__init__()
        self.input_layer = nn.Linear(input_size, hidden_size)
        self.hidden = nn.ModuleList([nn.Linear(hidden_size, hidden_size) for _ in range(num_layers)])
        self.output_layer = nn.Linear(hidden_size, 1)

    def forward(self, x):
        x = F.relu(self.input_layer(x))
        for layer in self.hidden:
            x = F.relu(layer(x))
        return self.output_layer(x)


class SharedLayerOnce(efficiency.SharedLayerModel):
    def forward(self, x):
        return self.output_layer(F.relu(self.shared_layer(F.relu(self.input_layer(x)))))


# ------------------------------------------------------------------ T17


class CheckpointDetachingItsInput(efficiency.CheckpointModel):
    def forward(self, x):
        x = checkpoint(self._block1, x, use_reentrant=False)
        x = checkpoint(self._block2, x.detach(), use_reentrant=False)  # cuts layer1's and layer2's gradients
        return self.layer4(x)


def test_the_chapters_reentrant_checkpoint_is_qualified():
    assert result(CHAPTER, "T17", "checkpointing_gives_the_gradients_of_the_plain_forward") == "qualified"


# ------------------------------------------------------------------ T18


class ReluModel(efficiency.OptimizedModel):
    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


# ------------------------------------------------------------------ T19


class DebugAlwaysPrinting(debugging.DebugModel):
    def forward(self, x):
        debug, self.debug = self.debug, True
        try:
            return super().forward(x)
        finally:
            self.debug = debug


class DebugChangingItsOutput(debugging.DebugModel):
    def forward(self, x):
        out = super().forward(x)
        return out * 2 if self.debug else out


class DebugPrintingNoShapes(debugging.DebugModel):
    def _report(self, stage, x):
        if self.debug:
            print(f"{stage}: mean={x.mean().item():.4f}")


class DebugPrintingTheStdAsTheMean(debugging.DebugModel):
    def _report(self, stage, x):
        if self.debug:
            print(f"{stage}: shape={tuple(x.shape)}, mean={x.std(correction=0).item():.4f}")


class DebugPrintingTransposedShapes(debugging.DebugModel):
    def _report(self, stage, x):
        if self.debug:
            print(f"{stage}: shape={tuple(x.shape)[::-1]}, mean={x.mean().item():.4f}")


def raw_debug_model(show):
    """A DebugModel with raw weights stored (in, out), ``x @ w + b``, printing each stage with ``show(t)``."""

    class RawDebugModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.debug = True
            self.w1, self.b1 = nn.Parameter(torch.randn(10, 20) / 3), nn.Parameter(torch.randn(20) / 3)
            self.w2, self.b2 = nn.Parameter(torch.randn(20, 10) / 4), nn.Parameter(torch.randn(10) / 4)
            self.w3, self.b3 = nn.Parameter(torch.randn(10, 1) / 3), nn.Parameter(torch.randn(1) / 3)

        def forward(self, x):
            stages = [x]
            stages.append(torch.relu(x @ self.w1 + self.b1))
            stages.append(torch.relu(stages[-1] @ self.w2 + self.b2))
            stages.append(stages[-1] @ self.w3 + self.b3)
            if self.debug:
                for t in stages:
                    print(show(t))
            return stages[-1]

    return RawDebugModel


DEBUG_FORMATS = {
    "tuple and fixed point": lambda t: f"{tuple(t.shape)} mean {t.mean().item():.4f}",
    "b x w and exponent": lambda t: f"{t.shape[0]}x{t.shape[1]} mean={t.mean().item():.3e}",
    "list": lambda t: f"shape {list(t.shape)}, mean {t.mean().item():+.5f}",
    "torch.Size and tensor": lambda t: f"{t.shape} {t.mean().detach()}",
    "times sign and %g": lambda t: f"[{t.shape[0]} × {t.shape[1]}] μ={t.mean().item():g}",
}


@pytest.mark.parametrize("show", DEBUG_FORMATS.values(), ids=DEBUG_FORMATS.keys())
def test_a_debug_model_with_transposed_raw_weights_and_any_print_format_passes(show):
    lab = REFERENCE.replace("another style", chapter={"DebugModel": raw_debug_model(show)})
    assert results(lab, ("T19",)) == {c.id: "pass" for c in all_checks() if c.claim == "T19"}


# ------------------------------------------------------------------ T20


def histograms_ignoring_the_name(model, layer_name=None):
    return debugging.weight_histograms(model)


def histograms_one_figure_each(model, layer_name=None):
    from matplotlib.figure import Figure

    figures = []
    for name, p in model.named_parameters():
        if "weight" in name and (layer_name is None or layer_name in name):
            fig = Figure()
            ax = fig.add_subplot()
            ax.hist(p.detach().flatten().numpy(), bins=10)
            ax.set_title(name)
            figures.append(fig)
    return tuple(figures)


def test_histograms_returned_as_a_tuple_of_figures_pass():
    lab = REFERENCE.replace("another style", chapter={"visualize_weights": histograms_one_figure_each})
    assert results(lab, ("T20",)) == {c.id: "pass" for c in all_checks() if c.claim == "T20"}


def test_the_chapters_three_panel_histograms_are_qualified():
    assert result(CHAPTER, "T20", "weight_histograms_have_one_panel_per_weight_tensor") == "qualified"


# ------------------------------------------------------------------ each wrong variant above fails its check

# (claim, the check of the property the variant breaks, the roles swapped in), the id naming what is wrong
WRONG_VARIANTS = [
    pytest.param(
        "T11",
        "attention_weights_are_a_distribution_over_the_sequence",
        {"SimpleAttention": AttentionOverTheBatch},
        id="T11 attention softmax over the batch",
    ),
    pytest.param(
        "T11",
        "attention_output_is_the_weighted_sum_of_the_inputs",
        {"SimpleAttention": AttentionThatAverages},
        id="T11 attention averaging instead of weighting",
    ),
    pytest.param(
        "T12",
        "stateful_layer_state_is_detached_from_the_graph",
        {"StatefulLayer": StatefulKeepingTheGraph},
        id="T12 state kept in the graph",
    ),
    pytest.param(
        "T12",
        "stateful_layer_output_depends_on_the_previous_input",
        {"StatefulLayer": StatefulThatForgets},
        id="T12 state forgotten at each call",
    ),
    pytest.param(
        "T12",
        "stateful_layer_reset_restores_the_first_call",
        {"StatefulLayer": StatefulWithoutReset},
        id="T12 reset that keeps the state",
    ),
    pytest.param(
        "T13",
        "demo_weights_follow_their_schemes_distributions",
        {"InitializationDemo": XavierNormalDemo},
        id="T13 demo drawing xavier normal for uniform",
    ),
    pytest.param(
        "T13",
        "demo_weights_follow_their_schemes_distributions",
        {"InitializationDemo": DefaultInitDemo},
        id="T13 demo keeping the default weights",
    ),
    pytest.param(
        "T13",
        "demo_biases_are_zero_except_the_normal_layers_0_1",
        {"InitializationDemo": DefaultInitDemo},
        id="T13 demo keeping the default biases",
    ),
    pytest.param(
        "T13",
        "custom_init_sets_batchnorm_to_weight_one_bias_zero",
        {"custom_init": linear_only_init},
        id="T13 init skipping batchnorm",
    ),
    pytest.param(
        "T14",
        "classifier_batchnorm_follows_the_first_linear_layer",
        {"MultiClassifier": ReluBeforeBatchNorm},
        id="T14 relu before batchnorm",
    ),
    pytest.param(
        "T14",
        "classifier_has_linear_and_batchnorm_parameters_per_hidden_size",
        {"MultiClassifier": NoBatchNorm},
        id="T14 classifier without batchnorm",
    ),
    pytest.param(
        "T14",
        "classifier_dropout_closes_the_last_hidden_block",
        {"MultiClassifier": NoDropout},
        id="T14 classifier without dropout",
    ),
    pytest.param(
        "T15",
        "residual_block_adds_its_input_back_before_the_last_relu",
        {"ResidualBlock": BlockWithoutSkip},
        id="T15 block without the skip",
    ),
    pytest.param(
        "T15",
        "residual_block_adds_its_input_back_before_the_last_relu",
        {"ResidualBlock": BlockReluBeforeAdding},
        id="T15 block applying relu before adding",
    ),
    pytest.param(
        "T15",
        "residual_block_adds_its_input_back_before_the_last_relu",
        {"ResidualBlock": BlockWithoutLastRelu},
        id="T15 block without the last relu",
    ),
    pytest.param(
        "T15",
        "residual_mlp_parameter_count_follows_from_its_sizes",
        {"ResNet": ResNetWithoutBatchNorm},
        id="T15 residual mlp missing its batchnorms",
    ),
    pytest.param(
        "T16",
        "reused_layer_keeps_the_parameter_count_whatever_the_depth",
        {"MemoryEfficientModel": SeparateLayers},
        id="T16 separate layers per depth",
    ),
    pytest.param(
        "T16",
        "reused_layer_runs_num_layers_times",
        {"MemoryEfficientModel": SharedLayerOnce},
        id="T16 shared layer applied once",
    ),
    pytest.param(
        "T17",
        "checkpointing_gives_the_gradients_of_the_plain_forward",
        {"CheckpointModel": CheckpointDetachingItsInput},
        id="T17 checkpoint cutting the graph",
    ),
    pytest.param(
        "T17",
        "checkpointing_keeps_fewer_tensors_for_backward",
        {"CheckpointModel": lambda: efficiency.CheckpointModel(checkpointing=False)},
        id="T17 model not checkpointing",
    ),
    pytest.param(
        "T18",
        "optimized_model_is_three_layers_with_leaky_relu_between",
        {"OptimizedModel": ReluModel},
        id="T18 relu for leaky relu",
    ),
    pytest.param(
        "T19",
        "debug_model_prints_nothing_when_off_and_computes_the_same",
        {"DebugModel": DebugAlwaysPrinting},
        id="T19 debug model printing when off",
    ),
    pytest.param(
        "T19",
        "debug_model_prints_nothing_when_off_and_computes_the_same",
        {"DebugModel": DebugChangingItsOutput},
        id="T19 debug model whose output depends on the flag",
    ),
    pytest.param(
        "T19",
        "debug_model_prints_each_stages_shape_and_mean_when_on",
        {"DebugModel": DebugPrintingNoShapes},
        id="T19 debug model printing no shapes",
    ),
    pytest.param(
        "T19",
        "debug_model_prints_each_stages_shape_and_mean_when_on",
        {"DebugModel": DebugPrintingTheStdAsTheMean},
        id="T19 debug model printing the std as the mean",
    ),
    pytest.param(
        "T19",
        "debug_model_prints_each_stages_shape_and_mean_when_on",
        {"DebugModel": DebugPrintingTransposedShapes},
        id="T19 debug model printing transposed shapes",
    ),
    pytest.param(
        "T20",
        "weight_histograms_of_a_named_layer_only",
        {"visualize_weights": histograms_ignoring_the_name},
        id="T20 histograms ignoring layer_name",
    ),
]


@pytest.mark.parametrize(("claim", "name", "roles"), WRONG_VARIANTS)
def test_the_check_of_the_property_a_wrong_variant_breaks_fails(claim, name, roles):
    assert result(wrong(**roles), claim, name) == "fail"


# ------------------------------------------------------------------ correct, in another style


class SelfResettingStateful(nn.Module):
    """Weights stored (in, out), state a plain attribute, a new batch size starts afresh."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.w_x = nn.Parameter(torch.randn(input_size, hidden_size) * 0.3)
        self.w_h = nn.Parameter(torch.randn(hidden_size, hidden_size) * 0.3)
        self.b = nn.Parameter(torch.zeros(hidden_size))
        self.state = None

    def reset_state(self):
        self.state = None

    def forward(self, x):
        if self.state is None or len(self.state) != len(x):
            self.state = x.new_zeros(len(x), self.w_h.shape[0])
        out = torch.tanh(x @ self.w_x + self.state @ self.w_h + self.b)
        self.state = out.detach()
        return out


def init_demo_by_hand():
    layers = [nn.Linear(10, 20), nn.Linear(20, 20), nn.Linear(20, 10), nn.Linear(10, 1)]
    with torch.no_grad():
        a = math.sqrt(6 / 30)
        layers[0].weight.uniform_(-a, a)
        layers[1].weight.normal_(0, math.sqrt(2 / 20))
        layers[2].weight.normal_(0, 0.1)
        layers[3].weight.uniform_(-0.1, 0.1)
        for layer, b in zip(layers, (0.0, 0.0, 0.1, 0.0)):
            layer.bias.fill_(b)
    return nn.Sequential(*layers)


def qr_init(module):
    if isinstance(module, nn.Linear):
        rows, columns = module.weight.shape
        q, r = torch.linalg.qr(torch.randn(max(rows, columns), min(rows, columns)))
        q = q * torch.sign(torch.diagonal(r))
        with torch.no_grad():
            module.weight.copy_(q if rows >= columns else q.T)
            module.bias.zero_()
    elif isinstance(module, nn.BatchNorm1d):
        with torch.no_grad():
            module.weight.fill_(1.0)
            module.bias.fill_(0.0)


class HandResidualBlock(nn.Module):
    def __init__(self, hidden_size, dropout_rate=0.1):
        super().__init__()
        self.layers = nn.ModuleList(
            [
                nn.Linear(hidden_size, hidden_size),
                nn.BatchNorm1d(hidden_size),
                nn.Linear(hidden_size, hidden_size),
                nn.BatchNorm1d(hidden_size),
            ]
        )
        self.p = dropout_rate

    def forward(self, x):
        fc1, bn1, fc2, bn2 = self.layers
        inner = F.dropout(torch.relu(bn1(fc1(x))), self.p, self.training)
        return torch.relu(x + bn2(fc2(inner)))


class StackedSharedModel(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers):
        super().__init__()
        shared = nn.Linear(hidden_size, hidden_size)
        self.stack = nn.Sequential(
            nn.Linear(input_size, hidden_size),
            nn.ReLU(),
            *[m for _ in range(num_layers) for m in (shared, nn.ReLU())],
            nn.Linear(hidden_size, 1),
        )

    def forward(self, x):
        return self.stack(x)


class SequentialCheckpointModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(1000, 1000), nn.ReLU(), nn.Linear(1000, 1000), nn.ReLU(), nn.Linear(1000, 1000), nn.ReLU()
        )
        self.head = nn.Linear(1000, 1)

    def forward(self, x):
        x = torch.utils.checkpoint.checkpoint_sequential(self.body, 2, x, use_reentrant=False)
        return self.head(x)


def histograms_in_a_column(model, layer_name=None):
    import matplotlib.pyplot as plt

    weights = [
        (n, p.detach().flatten())
        for n, p in model.named_parameters()
        if n.endswith("weight") and (layer_name is None or layer_name in n)
    ]
    fig, axes = plt.subplots(len(weights), 1, squeeze=False)
    for ax, (name, values) in zip(axes[:, 0], weights):
        ax.hist(values.numpy(), bins=20)
        ax.set_title(name)
    return fig


# Correct roles in styles that neither nnlab's reference nor examples/correct_lab (which the suite runs
# through every check) uses; each runs through only the checks of its own role.
ANOTHER_STYLE = {
    "StatefulLayer": (SelfResettingStateful, ("stateful_layer_", "statefullayer_")),
    "InitializationDemo": (init_demo_by_hand, ("demo_",)),
    "custom_init": (qr_init, ("custom_init_",)),
    "ResidualBlock": (HandResidualBlock, ("residual_block_", "residualblock_")),
    "MemoryEfficientModel": (StackedSharedModel, ("reused_layer_", "memoryefficientmodel_")),
    "CheckpointModel": (SequentialCheckpointModel, ("checkpointing_", "checkpointmodel_")),
    "visualize_weights": (histograms_in_a_column, ("weight_histograms_",)),
}


@pytest.mark.parametrize("role", ANOTHER_STYLE)
def test_a_correct_role_in_another_style_passes_every_check_of_its_role(role):
    variant, prefixes = ANOTHER_STYLE[role]
    lab = REFERENCE.replace("another style", chapter={role: variant})
    checks = [c for c in all_checks() if c.claim in {f"T{i}" for i in range(11, 21)} and c.name.startswith(prefixes)]
    assert checks, f"no checks of {role}"
    failed = {c.id: r.detail for c in checks if (r := run_check(c, lab)).result != "pass"}
    assert not failed


def test_the_chapters_scripting_statement_is_qualified_where_torch_jit_script_warns():
    from nnlab.checks import all_statements, run_statement
    from nnlab.checks.chapter_models import SCRIPT_DEPRECATED_FROM, torch_version

    (scripting,) = [s for s in all_statements() if s.claim == "T18"]
    expected = "qualified" if torch_version() >= SCRIPT_DEPRECATED_FROM else "pass"
    assert run_statement(scripting).result == expected
