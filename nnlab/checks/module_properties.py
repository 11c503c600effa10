"""Properties every role with parameters must have, whoever wrote it.

For each module role of ``nnlab.checks.roles`` filed under a claim, three checks, filed under that claim:

- a loss on the output gives every parameter a gradient (a layer that
  computes with ``.data`` or a detached copy silently never trains);
- a fresh instance loaded with its ``state_dict()`` computes the same outputs;
- ``.to(torch.float64)`` moves every parameter and buffer, and the module then
  computes in float64.

Each role is built as the table gives it and fed the table's input shape, at the role's own input width where
the table says it may have one (another edition's MLP takes 784 features, and is no less an MLP).

PYTEST_DONT_REWRITE: see nnlab.checks.
"""

import torch

from nnlab.checks.blocks import reloaded
from nnlab.checks.expect import assert_close
from nnlab.checks.judged import judged, once
from nnlab.checks.recorded import output_if_taken
from nnlab.checks.registry import for_role
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


def gradients_after_a_loss(spec: ModuleRole, lab, question: None) -> dict:
    """The trainable parameters' names and, for each, its gradient's sum of magnitudes after a loss on the output
    (in float64: finite exactly when every entry is; None: no gradient)."""
    module = spec.make(lab)
    scalar_loss(module(input_for(spec, module))).backward()
    trainable = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
    sums = [None if p.grad is None else p.grad.double().abs().sum() for _, p in trainable]
    return {"names": [name for name, _ in trainable], "gradients": sums}


def every_parameter_gets_a_gradient(spec: ModuleRole, question: None, found: dict) -> None:
    """A loss on {role}'s output gives every trainable parameter a finite gradient."""
    assert found["names"], f"{spec.role} has no trainable parameter: every one has requires_grad=False"
    stranded = [
        name
        for name, gradient in zip(found["names"], found["gradients"], strict=True)
        if gradient is None or not torch.isfinite(gradient).all()
    ]
    assert not stranded, f"{spec.role}: a loss on the output gave no finite gradient to {stranded}"


def outputs_before_and_after_reloading(spec: ModuleRole, lab, question: None) -> list:
    """A fresh instance's outputs after loading another's state_dict(), and the other's, on one input."""
    module = spec.make(lab)
    copy = reloaded(module, spec.make(lab)).eval()
    X = input_for(spec, module)
    return [copy(X), module(X)]


def state_dict_round_trip_reproduces_outputs(spec: ModuleRole, question: None, outputs: list) -> None:
    """A fresh {role} loaded with another's state_dict() computes the same outputs."""
    reloaded_outputs, original_outputs = outputs
    assert_close(reloaded_outputs, original_outputs, rtol=0, atol=0)


def dtypes_after_to_float64(spec: ModuleRole, lab, question: None) -> dict:
    """After ``.to(torch.float64)``: the dtype of each floating-point parameter and buffer, and the outputs."""
    module = spec.make(lab).to(torch.float64)
    tensors = [*module.named_parameters(), *module.named_buffers()]
    dtypes = {name: str(t.dtype) for name, t in tensors if t.is_floating_point()}
    outputs = module(input_for(spec, module, torch.float64))
    return {"dtypes": dtypes, "outputs": list(outputs) if isinstance(outputs, tuple) else [outputs]}


def to_float64_moves_everything(spec: ModuleRole, question: None, found: dict) -> None:
    """{role}.to(torch.float64) moves every parameter and buffer, and computes in float64."""
    left = [name for name, dtype in found["dtypes"].items() if dtype != str(torch.float64)]
    assert not left, f"{spec.role}.to(torch.float64) left {left} behind"
    outputs = found["outputs"]
    assert all(o.dtype == torch.float64 for o in outputs), f"outputs in {[o.dtype for o in outputs]}"


# (answer, judge): what the worker runs on the role, and the property the answer must have
GENERAL_PROPERTIES = (
    (gradients_after_a_loss, every_parameter_gets_a_gradient),
    (outputs_before_and_after_reloading, state_dict_round_trip_reproduces_outputs),
    (dtypes_after_to_float64, to_float64_moves_everything),
)

for _spec in MODULE_ROLES:
    if _spec.claim is None:
        continue
    for _answer, _judge in GENERAL_PROPERTIES:
        judged(
            _spec.claim,
            ask=once,
            answer=for_role(_answer, _spec, role=_spec.role, prefix=_spec.label),
            documented=_spec.documented_probe(_judge.__name__),
        )(for_role(_judge, _spec, role=_spec.role, prefix=_spec.label))
