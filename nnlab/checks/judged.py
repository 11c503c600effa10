"""Judged checks: the lab's code answers questions, and the verdict is reached where that code never runs.

A judged check is three plain functions (a ``Probe``):

- ``ask()`` draws the questions: the inputs, and the weights of any module the check hands the lab, as plain
  data (``nnlab.checks.plain``);
- ``answer(lab, question)`` runs the lab's code on one question and returns what it did, as plain data:
  outputs, gradients, parameter values;
- ``judge(question, answer)`` raises when that answer lacks the property, computing what the property needs
  from the question alone.

A property of one instance of a role, at the role's own sizes, adds two: ``subject(lab)`` builds the instance
once, and ``answer`` is asked of it; ``survey(subject)`` is what it shows of itself first (its parameters, its
outputs on fixed inputs: ``nnlab.checks.recorded``), as plain data, and ``ask(survey)`` draws the questions
from that, computing there what the answers must be.

In one process (the ledger, the suite, ``run_check``) the check is the three in a row, each question and answer
sent through the conversion the grader's channel makes. Under ``nnlab check`` the worker, in the submission's
process, runs only ``answer``; the supervisor asks and judges. Nothing the submission does inside the worker
(patching torch or the checks, tracing, forging the result channel, tensors that lie about comparisons) reaches
a verdict: to pass, its answers must have the property, on questions it did not choose.
"""

import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.internal.conjecture import providers

from nnlab.checks import plain
from nnlab.checks.lab import RoleMissing
from nnlab.checks.registry import CHECKS, Check
from nnlab.checks.run import Result, clear_notes, describe, failed, passed, seeded

ASKED = 40  # questions hypothesis draws for one probe (after the probe's fixed ones)


@dataclass(frozen=True)
class Probe:
    """What one judged property asks, how the lab's code answers, and how an answer is judged."""

    ask: Callable[..., list]
    answer: Callable[[Any, Any], Any]
    judge: Callable[[Any, Any], None]
    subject: Callable[[Any], Any] | None = None
    survey: Callable[[Any], Any] | None = None


def once() -> list:
    """One empty question: for a property of the role itself, such as what parameters it holds."""
    return [None]


def drawn(strategy, count: int = ASKED) -> list:
    """``count`` values of a hypothesis strategy, the same ones in every process: the questions of a property."""
    found = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value):
        found.append(value)

    with without_local_constants():
        collect()
    return found


@contextmanager
def without_local_constants():
    """Hypothesis draws now and then a constant it found in the source of the modules imported so far (6.131 on):
    the grader's supervisor, its worker (the submission imported) and the suite import different modules, and
    must draw the same questions. Only its own constants are drawn here."""
    get_local_constants = getattr(providers, "_get_local_constants", None)
    if get_local_constants is None:  # a hypothesis that draws no local constants
        yield
        return
    providers.CONSTANTS_CACHE.cache.clear()  # it holds the constants it allowed, local ones included
    providers._get_local_constants = providers.Constants
    try:
        yield
    finally:
        providers._get_local_constants = get_local_constants
        providers.CONSTANTS_CACHE.cache.clear()


_asked: dict[Probe, list] = {}
# the grader's supervisor asks from one thread per submission, hypothesis from one (re-entered: a surveyed probe's
# questions are made of kept draws)
_asking = threading.RLock()
_kept: dict[str, list] = {}  # draws kept by name (``kept_draws``), as plain data


def kept_draws(name: str, strategy) -> list:
    """``drawn(strategy)``, drawn once per process under ``name``, or taken from the process that drew it first
    (``take_questions``): surveyed probes ask at the widths the roles turn out to have, the same for most
    submissions, and the grader's supervisor hands each new worker the draws it has kept so far."""
    with _asking:
        if name not in _kept:
            _kept[name] = [plain.encode(value) for value in drawn(strategy)]
        found = _kept[name]
    return [plain.decode(value) for value in found]


def questions(probe: Probe, survey=None) -> list:
    """The probe's questions as plain data: drawn once per process, or for a surveyed probe from its survey."""
    with _asking:
        if probe.survey is not None:
            return [plain.encode(question) for question in probe.ask(survey)]
        if probe not in _asked:
            _asked[probe] = [plain.encode(question) for question in probe.ask()]
        return _asked[probe]


def unsurveyed_probes() -> list[tuple[str, Probe]]:
    """Every registered probe whose questions need no survey, by a name every process gives it: the check's ID,
    and ``"<ID> documented"`` for its documented probe."""
    from nnlab.checks import all_checks  # (every check registered: nnlab.checks imports this module)

    named = [(f"{c.id}{s}", p) for c in all_checks() for s, p in (("", c.probe), (" documented", c.documented_probe))]
    return [(name, probe) for name, probe in named if probe is not None and probe.survey is None]


def every_question() -> dict[str, list]:
    """The questions of every probe that needs no survey, by ``unsurveyed_probes``' names: the grader's supervisor
    draws them once for a batch and hands them to each worker, which then draws none (drawing them is most of a
    worker's own work)."""
    return {name: questions(probe) for name, probe in unsurveyed_probes()}


def handed_over(asked: dict[str, list]) -> dict:
    """What the grader's supervisor hands a new worker: ``asked`` (``every_question()``'s) and the draws it has
    kept so far (``kept_draws``)."""
    with _asking:
        return {"questions": asked, "draws": dict(_kept)}


def take_questions(handed: dict) -> None:
    """Ask the questions ``handed`` holds (``handed_over``'s, from another process) and use its draws, instead of
    drawing the same ones here."""
    questions_, draws = handed["questions"], handed["draws"]
    with _asking:
        _asked.update((probe, questions_[name]) for name, probe in unsurveyed_probes() if name in questions_)
        _kept.update(draws)


def answers(probe: Probe, lab, into: list) -> None:
    """Append to ``into`` the lab's answers to the probe's questions, in order, as plain data: what the worker
    sends; a surveyed probe's survey comes first. What the lab's code raises goes through, with the answers it
    gave before in ``into``."""
    subject = lab if probe.subject is None else probe.subject(lab)
    survey = None
    if probe.survey is not None:
        into.append(plain.encode(probe.survey(subject)))
        survey = plain.decode(into[0])
    for question in questions(probe, survey):
        into.append(plain.encode(probe.answer(subject, plain.decode(question))))


class NotAnswers(ValueError):
    """What came back is not plain data, or not one answer per question: written by no worker of nnlab's."""


def decide(probe: Probe, answered: list, complete: bool = True) -> None:
    """Raise unless every answer has the property, at the first that lacks it; ``complete=False`` for the answers
    given before the lab's code raised, fewer than the questions. ``NotAnswers`` for what cannot be the probe's
    answers. A surveyed probe's questions are drawn here from the survey that came first: where they cannot be
    (the survey shows a role without what the property needs), that is the failure."""
    if type(answered) is not list:
        raise NotAnswers(f"answers in a {type(answered).__name__}, not a list")
    try:
        received = [plain.decode(answer) for answer in answered]
    except ValueError as garbled:
        raise NotAnswers(str(garbled)) from None
    survey = None
    if probe.survey is not None:
        if not received:
            if complete:
                raise NotAnswers("no survey before the answers")
            return  # the lab's code raised before it showed anything: what it raised is the result
        survey, received = received[0], received[1:]
    asked = [plain.decode(question) for question in questions(probe, survey)]
    if not (len(received) == len(asked) if complete else len(received) < len(asked)):
        raise NotAnswers(f"{len(asked)} questions, and not as many answers{'' if complete else ' before raising'}")
    for number, (question, answer) in enumerate(zip(asked, received), 1):
        try:
            probe.judge(question, answer)
        except AssertionError as failure:
            raise AssertionError(f"{failure} (question {number} of {len(asked)})") from None


def judged(
    claim: str,
    *,
    ask: Callable[..., list],
    answer: Callable[[Any, Any], Any],
    subject: Callable[[Any], Any] | None = None,
    survey: Callable[[Any], Any] | None = None,
    documented: Probe | None = None,
):
    """Register ``judge(question, answer)`` as a judged check of ``claim``; ``documented`` is the probe whose
    judge says the lab does what the documents' code does."""

    def register(judge: Callable[[Any, Any], None]):
        probe = Probe(ask, answer, judge, subject, survey)
        CHECKS.append(Check(claim, in_one_process(probe), in_one_process(documented), probe, documented))
        return judge

    return register


def in_one_process(probe: Probe | None):
    """The probe as a check function, ``check(lab)``: asked, answered and judged here, in that order."""
    if probe is None:
        return None

    def function(lab) -> None:
        found: list = []
        try:
            answers(probe, lab, found)
        except BaseException:
            decide(probe, found, complete=False)  # an answer that lacks the property comes first, as it did
            raise
        decide(probe, found)

    function.__name__ = function.__qualname__ = probe.judge.__name__
    function.__module__, function.__doc__ = probe.judge.__module__, probe.judge.__doc__
    return function


def answered(check: Check, lab) -> dict:
    """What the worker sends for a judged check: ``{"answers": [...], "documented": [...] or None}``, with
    ``"raised": "<why>"`` beside the answers given before, when the lab's code raised (``RoleMissing`` goes
    through: the check is ``missing``). Seeded as ``run_check`` seeds the check, so the answers are the ones it
    judges in one process."""
    found: list = []
    error = seeded(check.id, lambda: answers(check.probe, lab, found))
    documented: list | None = None
    if check.documented_probe is not None:
        documented = []
        try:
            if seeded(check.id, lambda: answers(check.documented_probe, lab, documented)) is not None:
                documented = None  # the documents' behaviour, too, is only what answers every question
        except RoleMissing:  # a role only the documents' behaviour needs: the failure stays a failure
            documented = None
    if error is not None:
        return {"answers": found, "raised": describe(error), "documented": documented}
    return {"answers": found, "documented": documented}


def judgement(check: Check, event: dict) -> Result:
    """The result of a judged check, from what the worker sent for it (``answered``), reached here: the first
    answer without the property, else what the lab's code raised after the answers before it."""
    raised = event.get("raised")
    clear_notes()
    error = _judged(check.probe, event.get("answers"), complete=raised is None)
    if error is None and raised is not None:
        error = str(raised)
    if error is None:
        return passed(check)
    documented = event.get("documented")
    holds = check.documented_probe is not None and documented is not None
    return failed(check, error, documented_holds=holds and _judged(check.documented_probe, documented) is None)


def _judged(probe: Probe, answered, complete: bool = True) -> Exception | None:
    """What ``decide`` raised, or ``None``; ``NotAnswers`` goes through, for the caller to refuse."""
    try:
        decide(probe, answered, complete)
    except NotAnswers:
        raise
    except Exception as error:  # noqa: BLE001  (any failure of the judge on an answer is the answer's failure)
        return error
    return None
