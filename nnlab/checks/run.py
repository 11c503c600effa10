"""Running a check on an implementation, and what a claim's checks add up to.

A check's result is one of:

- ``pass``: the implementation has the property; the detail holds the notes
  the check made (``note``) of cosmetic deviations from the documents, such
  as another name or a trailing singleton dimension, which are no failure;
- ``qualified``: it lacks the property but does exactly what the documents'
  code does there (say, a parallel block that sums where it should concatenate);
- ``fail``: it lacks the property; the detail names the property, the error
  and hypothesis's smallest counterexample;
- ``missing``: it does not define a role the check needs.

A claim's result is the worst of its checks that ran; where some could not run, it is marked partial.

A statement about torch is ``pass`` when the documents' wording holds,
``qualified`` or ``fail`` (refuted) when it does not but the corrected
statement does, and ``error`` when neither holds: then the check itself is wrong.

Each run owns its randomness: torch's generator is forked and seeded from the
check's name, so a result never depends on what ran before it.
"""

import random
import threading
import traceback
import warnings
import zlib
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch

from nnlab.checks.lab import Lab, RoleMissing
from nnlab.checks.registry import Check, Statement, first_line

# A claim takes the last of the results its checks gave in this order (``missing`` only when no check could run).
RESULTS = ("pass", "missing", "qualified", "fail", "error")


class _Notes(threading.local):
    """What the running check noted: one list per thread, as the grader's supervisor judges from one thread per
    submission."""

    def __init__(self):
        self.taken: list[str] = []


_notes = _Notes()


def note(text: str) -> None:
    """Record, from inside a check, a cosmetic deviation from the documents: shown when the check passes.

    A check asserts its claim's property and nothing incidental: a block named ``block0`` where the report
    says ``"block 0"`` nests its parameters just as well, so the check passes and says so.
    """
    if text not in _notes.taken:
        _notes.taken.append(text)


def clear_notes() -> None:
    _notes.taken.clear()


@dataclass(frozen=True)
class Result:
    check: str
    claim: str
    result: str
    detail: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def passed(check: Check) -> Result:
    """A pass, with what the check noted since ``clear_notes``."""
    return Result(check.id, check.claim, "pass", " ".join(f"Note: {text}" for text in _notes.taken))


def describe(error: BaseException) -> str:
    """One paragraph: the error's type and message, then hypothesis's falsifying example if it found one."""
    message = str(error).strip() or "(no message)"
    if isinstance(error, AssertionError):
        head = message
    else:
        origin = traceback.extract_tb(error.__traceback__)[-1:]
        where = f" at {origin[0].filename.rsplit('/', 1)[-1]}:{origin[0].lineno}" if origin else ""
        head = f"{type(error).__name__}{where}: {message}"
    notes = [note for note in getattr(error, "__notes__", []) if not note.startswith("You can reproduce")]
    return " ".join([head, *(" ".join(notes).split())]) if notes else head


@contextmanager
def torch_state_kept():
    """Put back torch's global switches that code under check may flip, so one check cannot fail the next."""
    grad, dtype, threads = torch.is_grad_enabled(), torch.get_default_dtype(), torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    python_random = random.getstate()
    try:
        yield
    finally:
        torch.set_grad_enabled(grad)
        torch.set_default_dtype(dtype)
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
        random.setstate(python_random)


def seeded(name: str, function: Callable[[], None]) -> BaseException | None:
    """Run ``function`` with its own seeded torch generator and torch's switches as they were.

    Returns the exception it raised, or ``None``. Anything raised counts, ``SystemExit`` and test
    frameworks' skips included (a submission must not skip its own check); only Ctrl-C goes through.
    """
    with torch.random.fork_rng(devices=[]), torch_state_kept(), warnings.catch_warnings():
        # the code under check may warn as it likes; checks that are about a warning record it themselves
        warnings.simplefilter("ignore")
        torch.manual_seed(zlib.crc32(name.encode()))
        torch.set_grad_enabled(True)
        try:
            function()
        except (RoleMissing, KeyboardInterrupt):
            raise
        except BaseException as error:  # noqa: BLE001  (any failure of untrusted code is a result, not a crash)
            return error
    return None


def run_check(check: Check, lab: Lab) -> Result:
    try:
        clear_notes()
        error = seeded(check.id, lambda: check.function(lab))
        if error is None:
            return passed(check)
        return failed(check, error, documented_holds=check.documented is not None and _documented_holds(check, lab))
    except RoleMissing as missing:
        return Result(check.id, check.claim, "missing", str(missing))


def failed(check: Check, error: BaseException | str, documented_holds: bool = False) -> Result:
    """The result of a check that raised ``error`` (or, judged elsewhere, failed for the reason given):
    ``qualified`` where the lab does what the documents' code does, else ``fail``."""
    failure = f"{check.title.rstrip('.')}: {error if isinstance(error, str) else describe(error)}"
    if documented_holds:
        documented = first_line(check.documented)
        return Result(check.id, check.claim, "qualified", f"{failure} It does what the documents do: {documented}")
    return Result(check.id, check.claim, "fail", failure)


def _documented_holds(check: Check, lab: Lab) -> bool:
    """Whether the lab does what the documents' code does; a role it lacks there leaves the failure a failure."""
    try:
        return seeded(check.id, lambda: check.documented(lab)) is None
    except RoleMissing:
        return False


def run_statement(statement: Statement) -> Result:
    error = seeded(statement.id, statement.function)
    if error is None:
        return Result(statement.id, statement.claim, "pass")
    stated = f"{statement.title.rstrip('.')}: {describe(error)}"
    truth_error = seeded(statement.id, statement.truth)
    truth = first_line(statement.truth)
    if truth_error is not None:
        return Result(
            statement.id, statement.claim, "error", f"{stated} Nor does the correction hold: {describe(truth_error)}"
        )
    result = "qualified" if statement.when_wrong == "qualified" else "fail"
    return Result(statement.id, statement.claim, result, f"{stated} What holds instead: {truth}")


class ClaimResult(NamedTuple):
    result: str
    detail: str
    partial: bool  # some checks could not run for a role the lab lacks: the result is that of the others


def claim_result(results: Iterable[Result]) -> ClaimResult:
    """A claim's result over its checks' results: the worst of those that ran, with the details that gave it.

    A lab without one role of a claim still shows what its other roles do: the claim takes the result of the
    checks that could run, marked partial, and is ``missing`` only when none could.
    """
    results = list(results)
    if not results:
        raise ValueError("a claim's result needs at least one check result")
    ran = [r for r in results if r.result != "missing"] or results
    worst = max(RESULTS.index(r.result) for r in ran)
    details = " ".join(
        f"[{r.check.split(':')[-1]}] {r.detail}" for r in ran if RESULTS.index(r.result) == worst and r.detail
    )
    skipped = [r for r in results if r.result == "missing"]
    partial = bool(skipped) and len(skipped) < len(results)
    if partial:
        lacking = " ".join(sorted({r.detail for r in skipped}))
        details = f"{details} Partial: {len(skipped)} of {len(results)} checks could not run ({lacking})".strip()
    return ClaimResult(RESULTS[worst], details, partial)
