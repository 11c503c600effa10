"""Properties every role with parameters must have, whoever wrote it.

For each module role of ``nnlab.checks.roles`` filed under a claim, three checks, filed under that claim:

- a loss on the output gives every parameter a gradient (a layer that
  computes with ``.data`` or a detached copy silently never trains);
- a fresh instance loaded with its ``state_dict()`` computes the same outputs;
- ``.to(torch.float64)`` moves every parameter and buffer, and the module then
  computes in float64.

Each role is built as the table gives it and fed the table's input shape, at the role's own input width where
the table says it may have one (another edition's MLP takes 784 features, and is no less an MLP).
"""

import torch

from nnlab.checks.blocks import left_in_another_dtype, output_if_taken, reloaded
from nnlab.checks.expect import assert_close
from nnlab.checks.registry import check, for_role
from nnlab.checks.roles import MODULE_ROLES, ModuleRole


def scalar_loss(output) -> torch.Tensor:
    """A loss that depends on every output entry (outputs may be a tensor or a tuple of them)."""
    outputs = output if isinstance(output, tuple) else (output,)
    weights = [torch.linspace(0.5, 1.5, o.numel(), dtype=torch.float64).view(o.shape) for o in outputs]
    return sum((o.double() * w).sum() for o, w in zip(outputs, weights))


def input_width(spec: ModuleRole, module) -> int:
    """The table's input width, or where the module takes no input of it (a role at another edition's sizes),
    the first of its first weight's dimensions that it takes."""
    width = spec.input_shape[-1]
    if not spec.own_width:
        return width
    first = next((p for p in module.parameters() if p.dim() == 2), None)
    dtype = next((p.dtype for p in module.parameters()), torch.float32)
    for candidate in (width, *(reversed(first.shape) if first is not None else ())):
        if output_if_taken(module, torch.zeros(*spec.input_shape[:-1], candidate, dtype=dtype)) is not None:
            return candidate
    return width


def input_for(spec: ModuleRole, module, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(*spec.input_shape[:-1], input_width(spec, module), dtype=dtype)


def every_parameter_gets_a_gradient(spec: ModuleRole, lab) -> None:
    """A loss on {role}'s output gives every trainable parameter a finite gradient."""
    module = spec.make(lab)
    scalar_loss(module(input_for(spec, module))).backward()
    trainable = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
    assert trainable, f"{spec.role} has no trainable parameter: every one has requires_grad=False"
    stranded = [name for name, p in trainable if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not stranded, f"{spec.role}: a loss on the output gave no finite gradient to {stranded}"


def state_dict_round_trip_reproduces_outputs(spec: ModuleRole, lab) -> None:
    """A fresh {role} loaded with another's state_dict() computes the same outputs."""
    module = spec.make(lab)
    copy = reloaded(module, spec.make(lab)).eval()
    X = input_for(spec, module)
    assert_close(copy(X), module(X), rtol=0, atol=0)


def to_float64_moves_everything(spec: ModuleRole, lab) -> None:
    """{role}.to(torch.float64) moves every parameter and buffer, and computes in float64."""
    module = spec.make(lab).to(torch.float64)
    left = left_in_another_dtype(module, torch.float64)
    assert not left, f"{spec.role}.to(torch.float64) left {left} behind"
    outputs = module(input_for(spec, module, torch.float64))
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    assert all(o.dtype == torch.float64 for o in outputs), f"outputs in {[o.dtype for o in outputs]}"


GENERAL_PROPERTIES = (
    every_parameter_gets_a_gradient,
    state_dict_round_trip_reproduces_outputs,
    to_float64_moves_everything,
)

for _spec in MODULE_ROLES:
    if _spec.claim is None:
        continue
    for _prop in GENERAL_PROPERTIES:
        check(_spec.claim, documented=_spec.documented_function(_prop.__name__))(
            for_role(_prop, _spec, role=_spec.role, prefix=_spec.label)
        )
