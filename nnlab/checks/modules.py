"""Properties every role with parameters must have, whoever wrote it.

For each module role below, three checks, filed under the role's claim:

- a loss on the output gives every parameter a gradient (a layer that
  computes with ``.data`` or a detached copy silently never trains);
- a fresh instance loaded with its ``state_dict()`` computes the same outputs;
- ``.to(torch.float64)`` moves every parameter and buffer, and the module then
  computes in float64.

Each role is built at the lab's own sizes and fed the lab's input shapes.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from nnlab.checks.blocks import fixed_hidden_constant_is_left_out_of_the_state_dict, reloaded
from nnlab.checks.chapter.debugging import quiet_debug_model
from nnlab.checks.chapter.efficiency import checkpointed_layers_get_no_gradient
from nnlab.checks.expect import assert_close
from nnlab.checks.registry import check, for_role


@dataclass(frozen=True)
class ModuleRole:
    claim: str
    section: str
    role: str
    build: Callable[[object], nn.Module]  # the role's class or factory -> a module at the lab's sizes
    input_shape: tuple[int, ...]
    documented: Callable | None = None  # what the documents' version does where it lacks these properties

    @property
    def label(self) -> str:
        return self.role.lower()

    def make(self, lab) -> nn.Module:
        module = self.build(getattr(getattr(lab, self.section), self.role))
        return module.eval()  # dropout and batch statistics off: the same input must give the same output


MODULE_ROLES = [
    ModuleRole("L1", "blocks", "MLP", lambda MLP: MLP(), (4, 20)),
    ModuleRole(
        "L5",
        "blocks",
        "FixedHiddenMLP",
        lambda cls: cls(),
        (4, 20),
        fixed_hidden_constant_is_left_out_of_the_state_dict,
    ),
    ModuleRole("L6", "blocks", "NestMLP", lambda cls: cls(), (4, 20)),
    # report sections 2 and 3
    ModuleRole("P2", "parameters", "block1", lambda block1: block1(), (4, 4)),
    ModuleRole("P2", "parameters", "block2", lambda block2: block2(), (4, 4)),
    ModuleRole("P5", "parameters", "tied_net", lambda tied_net: tied_net(), (4, 4)),
    ModuleRole("C2", "layers", "MyLinear", lambda cls: cls(5, 3), (4, 5)),
    ModuleRole("C3", "layers", "ParameterizedTensorDot", lambda cls: cls(6), (4, 6)),
    ModuleRole("M1", "classifier", "MLP", lambda cls: cls(dropout_rate=0.3), (4, 1, 28, 28)),
    # report section 4
    ModuleRole("F1", "fileio", "OriginalNetwork", lambda cls: cls(), (2, 3, 32, 32)),
    ModuleRole("F1", "fileio", "NewNetwork", lambda cls: cls(), (2, 3, 32, 32)),
    # chapter, T1 to T10
    ModuleRole("T9", "chapter", "HookDemo", lambda cls: cls(), (4, 10)),
    ModuleRole("T10", "chapter", "CustomLinear", lambda cls: cls(5, 3), (4, 5)),
    # chapter, T11 to T20
    ModuleRole("T11", "chapter", "SimpleAttention", lambda cls: cls(4), (2, 5, 4)),
    ModuleRole("T12", "chapter", "StatefulLayer", lambda cls: cls(6, 5), (4, 6)),
    ModuleRole("T14", "chapter", "MultiClassifier", lambda cls: cls(12, [8, 6], 5, 0.2), (4, 12)),
    ModuleRole("T15", "chapter", "ResidualBlock", lambda cls: cls(6), (4, 6)),
    ModuleRole("T15", "chapter", "ResNet", lambda cls: cls(5, 6, 2, 3), (4, 5)),
    ModuleRole("T16", "chapter", "MemoryEfficientModel", lambda cls: cls(5, 6, 3), (4, 5)),
    ModuleRole("T17", "chapter", "CheckpointModel", lambda cls: cls(), (2, 1000), checkpointed_layers_get_no_gradient),
    ModuleRole("T18", "chapter", "OptimizedModel", lambda cls: cls(), (4, 100)),
    ModuleRole("T19", "chapter", "DebugModel", quiet_debug_model, (4, 10)),
]


def scalar_loss(output) -> torch.Tensor:
    """A loss that depends on every output entry (outputs may be a tensor or a tuple of them)."""
    outputs = output if isinstance(output, tuple) else (output,)
    weights = [torch.linspace(0.5, 1.5, o.numel(), dtype=torch.float64).view(o.shape) for o in outputs]
    return sum((o.double() * w).sum() for o, w in zip(outputs, weights))


def every_parameter_gets_a_gradient(spec: ModuleRole, lab) -> None:
    """A loss on {role}'s output gives every trainable parameter a finite gradient."""
    module = spec.make(lab)
    scalar_loss(module(torch.randn(spec.input_shape))).backward()
    trainable = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
    assert trainable, f"{spec.role} has no trainable parameter: every one has requires_grad=False"
    stranded = [name for name, p in trainable if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not stranded, f"{spec.role}: a loss on the output gave no finite gradient to {stranded}"


def state_dict_round_trip_reproduces_outputs(spec: ModuleRole, lab) -> None:
    """A fresh {role} loaded with another's state_dict() computes the same outputs."""
    module = spec.make(lab)
    copy = reloaded(module, spec.make(lab)).eval()
    X = torch.randn(spec.input_shape)
    assert_close(copy(X), module(X), rtol=0, atol=0)


def to_float64_moves_everything(spec: ModuleRole, lab) -> None:
    """{role}.to(torch.float64) moves every parameter and buffer, and computes in float64."""
    module = spec.make(lab).to(torch.float64)
    tensors = [*module.named_parameters(), *module.named_buffers()]
    left = [name for name, t in tensors if t.is_floating_point() and t.dtype != torch.float64]
    assert not left, f"{spec.role}.to(torch.float64) left {left} behind"
    outputs = module(torch.randn(spec.input_shape, dtype=torch.float64))
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    assert all(o.dtype == torch.float64 for o in outputs), f"outputs in {[o.dtype for o in outputs]}"


GENERAL_PROPERTIES = (
    every_parameter_gets_a_gradient,
    state_dict_round_trip_reproduces_outputs,
    to_float64_moves_everything,
)

for _spec in MODULE_ROLES:
    for _prop in GENERAL_PROPERTIES:
        check(_spec.claim, documented=_spec.documented)(for_role(_prop, _spec, role=_spec.role, prefix=_spec.label))
