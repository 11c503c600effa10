"""The claim checks: what each one is, and how the section files declare them.

Two kinds, because the documents make two kinds of claim:

- A **check** is a property a correct implementation of a role must have
  (``@check("L7")``). It runs on any ``Lab``: nnlab's, the documents',
  a student's. Where the documents' own code is wrong, ``documented=`` names
  what their code does instead; an implementation that fails the property
  but does exactly that is ``qualified``, not merely failing.
- A **statement** is a claim the documents make about torch itself
  (``@statement("T6", ...)``): it is checked against the installed torch,
  once, not against an implementation. ``truth=`` is the corrected
  statement, which must hold whenever the documents' wording does not, and
  ``when_wrong=`` says what the documents' claim then is (``qualified``:
  true only under a condition; ``refuted``: false).

A **judged** check (``@judged("C1", ask=..., answer=...)``, ``nnlab.checks.judged``)
is a check split in three, so that the grader can reach its verdict outside
the process that runs the code under check.

A check or statement is a plain function that raises (``AssertionError`` or
anything else) when the property fails; hypothesis's falsifying example, where
there is one, becomes the evidence. Its docstring's first paragraph names the
property.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

CheckFunction = Callable[[Any], None]


class _Registered:
    """What checks and statements share: the claim they belong to and a function named after its property."""

    claim: str
    function: Callable

    @property
    def name(self) -> str:
        return self.function.__name__

    @property
    def title(self) -> str:
        return first_line(self.function)

    @property
    def id(self) -> str:
        return f"{self.claim}:{self.name}"


@dataclass(frozen=True)
class Check(_Registered):
    claim: str
    function: CheckFunction = field(repr=False)
    documented: CheckFunction | None = field(default=None, repr=False)
    # a judged check's probes (nnlab.checks.judged): the grader answers them in the worker and judges outside it
    probe: Any = field(default=None, repr=False)
    documented_probe: Any = field(default=None, repr=False)


@dataclass(frozen=True)
class Statement(_Registered):
    claim: str
    function: Callable[[], None] = field(repr=False)
    truth: Callable[[], None] = field(repr=False)
    when_wrong: Literal["qualified", "refuted"] = "qualified"


CHECKS: list[Check] = []
STATEMENTS: list[Statement] = []


def first_line(function: Callable) -> str:
    """The docstring's first paragraph on one line (a long property may wrap), else the function's name."""
    doc = (function.__doc__ or function.__name__.replace("_", " ")).strip()
    return " ".join(doc.split("\n\n")[0].split())


def check(claim: str, documented: CheckFunction | None = None) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``function(lab)`` as a check of ``claim``; ``documented(lab)`` is what the documents' code does."""

    def register(function: CheckFunction) -> CheckFunction:
        CHECKS.append(Check(claim, function, documented))
        return function

    return register


def for_role(prop: Callable[..., Any], subject, *, role: str, prefix: str) -> Callable[..., Any]:
    """``prop(subject, *args)`` as a function named ``{prefix}_{prop's name}``, its docstring's ``{role}`` filled
    in: a check, ``check(lab)``, or a judged check's answer or judge.

    One property, many roles. The function only forwards to ``prop``, so the property's body runs when it does.
    Mutation testing (mutmut, ``make mutation``) picks a function's mutant when the function is called, in a process
    that imported nnlab before: a check built here, at import, from a body inside a factory would never run a mutant.
    """

    def function(*args):
        return prop(subject, *args)

    function.__name__ = function.__qualname__ = f"{prefix}_{prop.__name__}"
    function.__module__ = prop.__module__  # the file that declares the property: all_checks orders by it
    function.__doc__ = (prop.__doc__ or "").replace("{role}", role)
    return function


def statement(
    claim: str, truth: Callable[[], None], when_wrong: Literal["qualified", "refuted"] = "qualified"
) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register ``function()``, the documents' claim about torch as they word it, with its corrected ``truth()``."""
    if when_wrong not in ("qualified", "refuted"):
        raise ValueError(f"when_wrong must be 'qualified' or 'refuted', got {when_wrong!r}.")

    def register(function: Callable[[], None]) -> Callable[[], None]:
        STATEMENTS.append(Statement(claim, function, truth, when_wrong))
        return function

    return register
