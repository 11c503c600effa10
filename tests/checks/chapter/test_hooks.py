"""The checks of T9 (tutorial 3.4) catch the wrong code they are for and pass correct code."""

import pytest
from torch import nn
from torch.nn import functional as F

from nnlab.labs import CHAPTER
from tests.checks.helpers import (
    results_of,
    statements_not_passing,
    variant,
    wrong_results,
)

# ---------------------------------------------------------------- T9: HookDemo


class HookDemoRecordingAfterReLU(nn.Module):
    """Wrong: records the activations after the ReLU, not the layers' outputs."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(10, 20), nn.Linear(20, 10), nn.Linear(10, 1)
        self.activations = {}

    def forward(self, x):
        h1 = F.relu(self.fc1(x))
        h2 = F.relu(self.fc2(h1))
        self.activations = {"fc1": h1.detach(), "fc2": h2.detach()}
        return self.fc3(h2)


class HookDemoWithMeddlingHook(HookDemoRecordingAfterReLU):
    """Wrong: a hook that returns a value replaces the output, here scaled by 2."""

    def __init__(self):
        super().__init__()
        for name in ("fc1", "fc2"):
            getattr(self, name).register_forward_hook(self.recorder(name))

    def recorder(self, name):
        def hook(module, inputs, output):
            self.activations[name] = output.detach()
            return output * 2

        return hook

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class SequentialHookDemo(nn.Module):
    """Correct, in another style: the layers in a Sequential, the hooks registered in a loop by index."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 10), nn.ReLU(), nn.Linear(10, 1))
        self.activations = {}
        for name, index in (("fc1", 0), ("fc2", 2)):
            self.net[index].register_forward_hook(
                lambda m, i, o, name=name: self.activations.__setitem__(name, o.detach())
            )

    def forward(self, x):
        return self.net(x)


def test_t9_passes_hooks_on_a_sequential():
    assert set(results_of(variant("chapter", HookDemo=SequentialHookDemo), "T9").values()) == {"pass"}


# ---------------------------------------------------------------- each wrong variant above fails its checks

# (claim, the roles swapped in, {check: result} for the checks named), the id naming what is wrong
WRONG_VARIANTS = [
    pytest.param(
        "T9",
        {"HookDemo": HookDemoRecordingAfterReLU},
        {"hook_demo_records_the_outputs_of_its_first_two_layers": "fail"},
        id="T9 recording after the relu",
    ),
    pytest.param(
        "T9",
        {"HookDemo": HookDemoWithMeddlingHook},
        {"hook_demo_computes_its_three_layers_unchanged_by_the_hooks": "fail"},
        id="T9 hook changing the output",
    ),
]


@pytest.mark.parametrize(("claim", "roles", "expected"), WRONG_VARIANTS)
def test_the_checks_of_the_properties_a_wrong_variant_breaks_fail(claim, roles, expected):
    assert wrong_results(claim, roles, expected) == expected


# ---------------------------------------------------------------- statements about torch, the chapter's own code


def test_the_t9_statement_holds_in_this_torch():
    assert statements_not_passing("T9") == {}


def test_the_chapters_code_passes_its_checks():
    assert set(results_of(CHAPTER, "T9").values()) == {"pass"}
