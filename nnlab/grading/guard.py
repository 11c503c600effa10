"""No self-grading: what a submission changes in the modules the checks use is put back before they run.

A submission runs in the same process as the checks that grade it, so at
import it could rebind ``torch.allclose`` to a function that always agrees,
replace ``torch.testing.assert_close`` or the code inside it, patch a method
of ``torch.Tensor`` or ``nn.Module``, swap a check's function, push a
``__torch_function__`` mode, or register a global forward hook. ``Snapshot``
records, before the submission is loaded, every loaded module's namespace,
every class defined in one, the code and defaults of every function found
there, and the attributes of the objects it is given (the checks), and
``restore()`` puts them back afterwards: rebound and deleted names get their
old values, added ones go (new submodules stay: importing a module adds it to
its parent), and torch's global hook registries and mode stacks are emptied
of what was added. This is not a sandbox: code that runs can always reach
further (a thread that keeps patching, ``ctypes``); see ``nnlab check --help``.
"""

import io
import operator
import sys
import tempfile
import threading
import warnings
from collections import Counter
from itertools import islice
from types import FunctionType, ModuleType

import torch
from torch import nn, optim
from torch.nn.modules import module as nn_module

MISSING = object()

# Globals that change on their own, or as any library is imported: hypothesis times garbage collections in
# junkdrawer, and every hook registered anywhere takes the next RemovableHandle id (putting the counter back
# would hand out an id twice).
BOOKKEEPING = {"hypothesis.internal.conjecture.junkdrawer"}
COUNTERS = {("torch.utils.hooks.RemovableHandle", "next_id")}

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
FUNCTION_STATE = ("__code__", "__defaults__", "__kwdefaults__")
function_state = operator.attrgetter(*FUNCTION_STATE)


def _namespaces(watched=None) -> list[tuple[str, object, dict]]:
    """Every loaded module (of those ``watched(name)`` accepts), and every class it defines, with its name and a
    copy of its namespace."""
    found = []
    for name, module in list(sys.modules.items()):
        # __main__ (also known as __mp_main__) is the worker itself, whose names are its own business
        if not isinstance(module, ModuleType) or module.__name__ == "__main__" or name in BOOKKEEPING:
            continue
        if watched is not None and not watched(name):
            continue
        namespace = vars(module)
        found.append((name, module, dict(namespace)))
        for key, value in list(namespace.items()):
            # type(value), not isinstance: some deprecated attributes warn when asked for their __class__
            if issubclass(type(value), type) and vars(value).get("__module__") == name:
                found.append((f"{name}.{key}", value, dict(vars(value))))
    return found


def _functions(namespaces) -> dict[FunctionType, tuple]:
    """Each plain function in those namespaces, with its code and defaults (replacing __code__ patches in place)."""
    return {
        value: function_state(value)
        for _, _, namespace in namespaces
        for value in namespace.values()
        if type(value) is FunctionType
    }


def watched_by_the_checks(name: str) -> bool:
    """The modules the checks compute and compare with, which ``Snapshot(watched=...)`` re-checks before each
    check: a fraction of a second for all of them, where every loaded module takes that for each check. Not
    ``torch.nn.modules`` or ``torch.optim``, whose methods torch wraps on first use of ``torch.compile``."""
    return (
        name.split(".")[0] in ("nnlab", "builtins", "operator", "math")
        or name in ("torch", "torch._tensor", "torch.nn.functional", "torch.nn.init", "torch.random")
        or name.startswith("torch.testing")
    )


def tampering(snapshot: "Snapshot") -> list[str]:
    """What shows that the code under check is still at work after loading, with the snapshot put back.

    A trace or profile function, a thread of its own, or a change since the snapshot: each can rewrite what a
    check computes or concludes while it runs."""
    found = [f"{what} ({hook!r})" for what, hook in HOOKS.items() if hook() is not None]
    threads = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    if threads:
        found.append(f"threads of its own still running: {', '.join(threads)}")
    return found + snapshot.restore()


HOOKS = {
    "a trace function (sys.settrace)": sys.gettrace,
    "a profile function (sys.setprofile)": sys.getprofile,
    "a trace function for new threads (threading.settrace)": lambda: threading._trace_hook,
    "a profile function for new threads (threading.setprofile)": lambda: threading._profile_hook,
}


def warm_up() -> None:
    """Make the state torch creates on first use, so that an honest submission's first use is no change.

    torch and the standard library fill some of their namespaces lazily: the first optimizer wraps its class's
    ``step`` and imports ``torch._dynamo`` (which wraps ``torch.manual_seed``), the first pickle caches
    ``__slotnames__``, a first ``torch.load`` registers its safe globals, ``tempfile`` remembers its folder.
    Done before the snapshot, by the same calls, so that a submission that only saves, loads and trains at
    import is reported as having changed nothing. torch's random generator is left as it was.
    """
    # torch's own deprecation warnings on these calls (2.1 warns of TypedStorage) are nobody's to read here
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = nn.Linear(1, 1)
        for saved, weights_only in (({"module": net, "state": net.state_dict()}, False), (net.state_dict(), True)):
            for opened in (io.BytesIO, tempfile.TemporaryFile):
                with opened() as target:
                    torch.save(saved, target)
                    target.seek(0)
                    torch.load(target, weights_only=weights_only)
        for name in dir(optim):
            kind = getattr(optim, name)
            if isinstance(kind, type) and issubclass(kind, optim.Optimizer) and kind is not optim.Optimizer:
                # a matrix: some optimizers (Muon) take only matrices; an lr: torch 2.1's SGD has no default
                kind([nn.Parameter(torch.zeros(2, 2))], lr=1e-3)


class Snapshot:
    """The state of every loaded module, class and function, and of ``objects``, to put back with ``restore()``."""

    def __init__(self, objects=(), watched=None):
        self.modules = dict(sys.modules)
        self.namespaces = _namespaces(watched)
        self.objects = [(type(o).__name__, o, dict(vars(o))) for o in objects]
        # the objects' own functions too: a check built in a closure is in no module's namespace
        self.functions = _functions(self.namespaces + self.objects)
        self.hooks = {
            name: dict(getattr(nn_module, name)) for name in GLOBAL_HOOK_REGISTRIES if hasattr(nn_module, name)
        }

    def restore(self) -> list[str]:
        """Put back everything the snapshot holds; returns what had changed, by qualified name."""
        changed = []
        if not _same_start(self.modules, sys.modules):  # imports since only add modules at the end
            changed = [name for name, module in self.modules.items() if sys.modules.get(name) is not module]
        for name in changed:
            sys.modules[name] = self.modules[name]
        for label, owner, before in self.namespaces:
            changed += _restore_namespace(label, owner, before)
        # the objects (nnlab's checks) are many of one kind: one line per attribute, with how many had changed
        of_objects = Counter(
            name for label, owner, before in self.objects for name in _restore_namespace(label, owner, before)
        )
        changed += [f"{name} (of {count})" for name, count in sorted(of_objects.items())]
        for function, state in self.functions.items():
            if function_state(function) != state:
                changed.append(f"{function.__module__}.{function.__qualname__}.__code__")
                for attribute, value in zip(FUNCTION_STATE, state):
                    setattr(function, attribute, value)
        for name, before in self.hooks.items():
            registry = getattr(nn_module, name)
            if registry.keys() != before.keys():
                changed.append(f"torch.nn.modules.module.{name}")
                registry.clear()
                registry.update(before)
        changed += _pop_modes()
        return changed


def _same_start(before: dict, now) -> bool:
    """Whether ``now`` begins with ``before``'s names bound to the same objects, in the same order.

    One pass in C: the guard compares some 12,000 names before each check, and this took that from 4.3 to 1.9 ms a
    check here. False only means "look name by name"."""
    if len(now) < len(before):  # map would stop at the shorter one
        return False
    return all(map(operator.is_, before, islice(now, len(before)))) and all(
        map(operator.is_, before.values(), islice(now.values(), len(before)))
    )


def _restore_namespace(label: str, owner: object, before: dict) -> list[str]:
    now = vars(owner)
    if _same_start(before, now) and all(
        isinstance(value, ModuleType) for value in islice(now.values(), len(before), None)
    ):
        return []  # nothing rebound or deleted, and only submodules added
    changed = [key for key, value in before.items() if now.get(key, MISSING) is not value]
    changed = [key for key in changed if (label, key) not in COUNTERS]
    added = [key for key, value in now.items() if key not in before and not isinstance(value, ModuleType)]
    # object's own setattr for instances: a frozen dataclass (a Check) refuses the ordinary one
    set_, del_ = (setattr, delattr) if isinstance(owner, type) else (object.__setattr__, object.__delattr__)
    for key in changed:
        set_(owner, key, before[key])
    for key in added:
        del_(owner, key)
    return [f"{label}.{key}" for key in changed + added]


def _pop_modes() -> list[str]:
    """Leave no ``__torch_function__`` or ``__torch_dispatch__`` mode that the submission entered and kept."""
    popped = []
    while torch._C._len_torch_function_stack() > 0:
        popped.append(f"torch function mode {type(torch._C._pop_torch_function_stack()).__name__}")
    while torch._C._len_torch_dispatch_stack() > 0:
        popped.append(f"torch dispatch mode {type(torch._C._pop_torch_dispatch_stack(None)).__name__}")
    return popped
