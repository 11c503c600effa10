"""The lab's module roles in one table: where each is, how the checks build it, and the input it takes.

Two files read it. ``nnlab.checks.lab`` makes the lazy parameters (``nn.LazyLinear``, as the d2l book writes
section 1) of a role whose input has the same shape whatever its arguments, by one forward on zeros of that
shape. ``nnlab.checks.module_properties`` builds each role filed under a claim at the lab's sizes and checks
the general properties on random inputs of that shape.

``nnlab.checks.lab`` imports this table while ``nnlab.checks`` loads, before any file of checks, so a row
names the function that does what the documents' code does by its file and name, imported when asked for.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn


@dataclass(frozen=True)
class ModuleRole:
    section: str
    role: str
    build: Callable[[object], nn.Module]  # the role's class or factory -> a module at the lab's sizes
    input_shape: tuple[int, ...]
    fixed_input: bool = False  # the input has this shape whatever the arguments: lazy layers can be materialised
    own_width: bool = False  # the input's width is the module's own (another edition's sizes), read from its weights
    claim: str | None = None  # the claim the general properties are filed under; None where they are not checked
    # {general property: "file.PROBE" in nnlab.checks}: the judged probe of that property as the documents' version
    # has it, where the documents are wrong about it; the other properties have no excuse
    documented: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        return self.role.lower()

    def make(self, lab) -> nn.Module:
        module = self.build(getattr(getattr(lab, self.section), self.role))
        return module.eval()  # dropout and batch statistics off: the same input must give the same output

    def documented_probe(self, prop: str):
        if prop not in self.documented:
            return None
        file, name = self.documented[prop].rsplit(".", 1)
        return getattr(importlib.import_module(f"nnlab.checks.{file}"), name)


def quiet_debug_model(DebugModel) -> nn.Module:
    """A DebugModel with its flag off, for the general module checks."""
    model = DebugModel()
    model.debug = False
    return model


MODULE_ROLES = [
    # report section 1
    ModuleRole("blocks", "MLP", lambda MLP: MLP(), (4, 20), fixed_input=True, own_width=True, claim="L1"),
    ModuleRole(
        "blocks",
        "FixedHiddenMLP",
        lambda cls: cls(),
        (4, 20),
        fixed_input=True,
        claim="L5",
        documented={
            "state_dict_round_trip_reproduces_outputs": "blocks.RELOADS_ONCE_ITS_CONSTANT_IS_COPIED",
            "to_float64_moves_everything": "blocks.MOVES_TO_FLOAT64_BUT_FOR_ITS_UNSAVED_CONSTANT",
        },
    ),
    ModuleRole("blocks", "NestMLP", lambda cls: cls(), (4, 20), fixed_input=True, own_width=True, claim="L6"),
    # materialised only: the general properties are checked on its parts, NestMLP and FixedHiddenMLP
    ModuleRole("blocks", "chimera", lambda chimera: chimera(), (4, 20), fixed_input=True),
    # report sections 2, 3 and 5
    ModuleRole("parameters", "block1", lambda block1: block1(), (4, 4), fixed_input=True, own_width=True, claim="P2"),
    ModuleRole("parameters", "block2", lambda block2: block2(), (4, 4), fixed_input=True, own_width=True, claim="P2"),
    ModuleRole(
        "parameters", "tied_net", lambda tied_net: tied_net(), (4, 4), fixed_input=True, own_width=True, claim="P5"
    ),
    ModuleRole("layers", "MyLinear", lambda cls: cls(5, 3), (4, 5), claim="C2"),
    ModuleRole("layers", "ParameterizedTensorDot", lambda cls: cls(6), (4, 6), claim="C3"),
    ModuleRole("classifier", "MLP", lambda cls: cls(dropout_rate=0.3), (4, 1, 28, 28), fixed_input=True, claim="M1"),
    # report section 4
    ModuleRole("fileio", "OriginalNetwork", lambda cls: cls(), (2, 3, 32, 32), fixed_input=True, claim="F1"),
    ModuleRole("fileio", "NewNetwork", lambda cls: cls(), (2, 3, 32, 32), fixed_input=True, claim="F1"),
    # the chapter
    ModuleRole("chapter", "HookDemo", lambda cls: cls(), (4, 10), claim="T9"),
    ModuleRole("chapter", "CustomLinear", lambda cls: cls(5, 3), (4, 5), claim="T10"),
    ModuleRole("chapter", "SimpleAttention", lambda cls: cls(4), (2, 5, 4), claim="T11"),
    ModuleRole("chapter", "StatefulLayer", lambda cls: cls(6, 5), (4, 6), claim="T12"),
    ModuleRole("chapter", "MultiClassifier", lambda cls: cls(12, [8, 6], 5, 0.2), (4, 12), claim="T14"),
    ModuleRole("chapter", "ResidualBlock", lambda cls: cls(6), (4, 6), claim="T15"),
    ModuleRole("chapter", "ResNet", lambda cls: cls(5, 6, 2, 3), (4, 5), claim="T15"),
    ModuleRole("chapter", "MemoryEfficientModel", lambda cls: cls(5, 6, 3), (4, 5), claim="T16"),
    ModuleRole(
        "chapter",
        "CheckpointModel",
        lambda cls: cls(),
        (2, 1000),
        claim="T17",
        documented={"every_parameter_gets_a_gradient": "chapter.efficiency.CHECKPOINTED_LAYERS_GET_NO_GRADIENT"},
    ),
    ModuleRole("chapter", "OptimizedModel", lambda cls: cls(), (4, 100), claim="T18"),
    ModuleRole("chapter", "DebugModel", quiet_debug_model, (4, 10), claim="T19"),
]

# the roles lab.py materialises: one forward on zeros, so only the shape matters, not the batch size
FIXED_INPUTS = {(r.section, r.role): r.input_shape for r in MODULE_ROLES if r.fixed_input}
