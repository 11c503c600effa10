"""The checks of T16 to T18 (tutorial 3.9) catch the wrong code they are for and pass correct code in other styles."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.checkpoint import checkpoint

from nnlab.checks import all_statements, run_statement
from nnlab.labs import CHAPTER
from nnlab.tutorial import efficiency
from tests.checks.helpers import another_style_failures, result, wrong_results

# ---------------------------------------------------------------- T16: a reused layer


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


# ---------------------------------------------------------------- T17: checkpointing


class CheckpointDetachingItsInput(efficiency.CheckpointModel):
    def forward(self, x):
        x = checkpoint(self._block1, x, use_reentrant=False)
        x = checkpoint(self._block2, x.detach(), use_reentrant=False)  # cuts layer1's and layer2's gradients
        return self.layer4(x)


class CheckpointDoublingLayer2sBiasGradient(efficiency.CheckpointModel):
    def __init__(self):
        super().__init__()
        self.layer2.bias.register_hook(lambda grad: 2 * grad)  # a gradient, but not the loss's


def test_the_chapters_reentrant_checkpoint_is_qualified():
    assert result(CHAPTER, "T17", "checkpointing_gives_the_gradients_of_the_plain_forward") == "qualified"


# ---------------------------------------------------------------- T18: compilation


class ReluModel(efficiency.OptimizedModel):
    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def test_the_chapters_scripting_statement_is_qualified_where_torch_jit_script_warns():
    from nnlab.checks.chapter.efficiency import SCRIPT_DEPRECATED_FROM, torch_version

    (scripting,) = [s for s in all_statements() if s.claim == "T18"]
    expected = "qualified" if torch_version() >= SCRIPT_DEPRECATED_FROM else "pass"
    assert run_statement(scripting).result == expected


# ---------------------------------------------------------------- each wrong variant above fails its checks

# (claim, the roles swapped in, {check: result} for the checks named), the id naming what is wrong
WRONG_VARIANTS = [
    pytest.param(
        "T16",
        {"MemoryEfficientModel": SeparateLayers},
        {"reused_layer_keeps_the_parameter_count_whatever_the_depth": "fail"},
        id="T16 separate layers per depth",
    ),
    pytest.param(
        "T16",
        {"MemoryEfficientModel": SharedLayerOnce},
        {"reused_layer_runs_num_layers_times": "fail"},
        id="T16 shared layer applied once",
    ),
    pytest.param(
        "T17",
        {"CheckpointModel": CheckpointDetachingItsInput},
        {"checkpointing_gives_the_gradients_of_the_plain_forward": "fail"},
        id="T17 checkpoint cutting the graph",
    ),
    pytest.param(
        "T17",
        {"CheckpointModel": CheckpointDoublingLayer2sBiasGradient},
        {"checkpointing_gives_the_gradients_of_the_plain_forward": "fail"},
        id="T17 checkpoint model doubling a gradient",
    ),
    pytest.param(
        "T17",
        {"CheckpointModel": lambda: efficiency.CheckpointModel(checkpointing=False)},
        {"checkpointing_keeps_fewer_tensors_for_backward": "fail"},
        id="T17 model not checkpointing",
    ),
    pytest.param(
        "T18",
        {"OptimizedModel": ReluModel},
        {"optimized_model_is_three_layers_with_leaky_relu_between": "fail"},
        id="T18 relu for leaky relu",
    ),
]


@pytest.mark.parametrize(("claim", "roles", "expected"), WRONG_VARIANTS)
def test_the_checks_of_the_properties_a_wrong_variant_breaks_fail(claim, roles, expected):
    assert wrong_results(claim, roles, expected) == expected


# ---------------------------------------------------------------- correct, in another style


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


# Correct roles in styles that neither nnlab's reference nor examples/correct_lab (which the suite runs
# through every check) uses; each runs through only the checks of its own role.
ANOTHER_STYLE = {
    "MemoryEfficientModel": (StackedSharedModel, ("reused_layer_", "memoryefficientmodel_")),
    "CheckpointModel": (SequentialCheckpointModel, ("checkpointing_", "checkpointmodel_")),
}


@pytest.mark.parametrize("role", ANOTHER_STYLE)
def test_a_correct_role_in_another_style_passes_every_check_of_its_role(role):
    assert not another_style_failures(role, *ANOTHER_STYLE[role])
