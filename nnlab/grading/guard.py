"""No self-grading: what a submission changes in the modules the checks use is put back before they run.

A submission runs in the same process as the checks that grade it, so at
import it could rebind ``torch.allclose`` to a function that always agrees,
replace ``torch.testing.assert_close``, patch a method of ``torch.Tensor`` or
``nn.Module``, push a ``__torch_function__`` mode, or register a global
forward hook. ``Snapshot`` records, before the submission is loaded, every
loaded module's namespace and every class defined in one, and ``restore()``
puts them back afterwards: rebound and deleted names get their old values,
added ones go (new submodules stay: importing a module adds it to its
parent), and torch's global hook registries and mode stacks are emptied of
what was added. This is not a sandbox: code that runs can always reach
further (a thread that keeps patching, ``ctypes``); see ``nnlab check --help``.
"""

import sys
from types import ModuleType

import torch
from torch.nn.modules import module as nn_module

MISSING = object()

# modules whose globals change on their own while anything runs: hypothesis times garbage collections in these
BOOKKEEPING = {"hypothesis.internal.conjecture.junkdrawer"}

# nn.Module's process-wide hooks: a registered global forward hook would change every module's output
GLOBAL_HOOK_REGISTRIES = (
    "_global_backward_pre_hooks",
    "_global_backward_hooks",
    "_global_forward_pre_hooks",
    "_global_forward_hooks",
    "_global_forward_hooks_with_kwargs",
    "_global_forward_hooks_always_called",
    "_global_module_registration_hooks",
    "_global_parameter_registration_hooks",
    "_global_buffer_registration_hooks",
)


def _namespaces() -> list[tuple[object, dict]]:
    """Every loaded module, and every class a loaded module defines, with a copy of its namespace."""
    found = []
    for name, module in list(sys.modules.items()):
        # __main__ (also known as __mp_main__) is the worker itself, whose names are its own business
        if not isinstance(module, ModuleType) or module.__name__ == "__main__" or name in BOOKKEEPING:
            continue
        namespace = vars(module)
        found.append((module, dict(namespace)))
        for value in list(namespace.values()):
            # type(value), not isinstance: some deprecated attributes warn when asked for their __class__
            if issubclass(type(value), type) and vars(value).get("__module__") == name:
                found.append((value, dict(vars(value))))
    return found


class Snapshot:
    """The state of every loaded module and class, to put back with ``restore()``."""

    def __init__(self):
        self.modules = dict(sys.modules)
        self.namespaces = _namespaces()
        self.hooks = {
            name: dict(getattr(nn_module, name)) for name in GLOBAL_HOOK_REGISTRIES if hasattr(nn_module, name)
        }

    def restore(self) -> list[str]:
        """Put back everything the snapshot holds; returns what had changed, as ``module.name``."""
        changed = [name for name, module in self.modules.items() if sys.modules.get(name) is not module]
        for name in changed:
            sys.modules[name] = self.modules[name]
        for owner, before in self.namespaces:
            changed += _restore_namespace(owner, before)
        for name, before in self.hooks.items():
            registry = getattr(nn_module, name)
            if registry.keys() != before.keys():
                changed.append(f"torch.nn.modules.module.{name}")
                registry.clear()
                registry.update(before)
        changed += _pop_modes()
        return changed


def _restore_namespace(owner: object, before: dict) -> list[str]:
    now = vars(owner)
    changed = [key for key, value in before.items() if now.get(key, MISSING) is not value]
    added = [key for key, value in now.items() if key not in before and not isinstance(value, ModuleType)]
    for key in changed:
        setattr(owner, key, before[key])
    for key in added:
        delattr(owner, key)
    label = getattr(owner, "__qualname__", None) or getattr(owner, "__name__", "?")
    return [f"{label}.{key}" for key in changed + added]


def _pop_modes() -> list[str]:
    """Leave no ``__torch_function__`` or ``__torch_dispatch__`` mode that the submission entered and kept."""
    popped = []
    while torch._C._len_torch_function_stack() > 0:
        popped.append(f"torch function mode {type(torch._C._pop_torch_function_stack()).__name__}")
    while torch._C._len_torch_dispatch_stack() > 0:
        popped.append(f"torch dispatch mode {type(torch._C._pop_torch_dispatch_stack(None)).__name__}")
    return popped
