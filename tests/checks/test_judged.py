"""Judged checks (nnlab.checks.judged): the same questions everywhere, and the same verdict from the answers alone."""

import json
import subprocess
import sys

import pytest
import torch

from nnlab.checks import all_checks, judged, plain, run_check
from nnlab.checks.blocks import batches_drawn
from nnlab.checks.judged import (
    NotAnswers,
    Probe,
    answered,
    decide,
    drawn,
    handed_over,
    in_one_process,
    judgement,
    once,
    questions,
    take_questions,
    unsurveyed_probes,
)
from nnlab.checks.registry import Check
from nnlab.checks.strategies import batches
from nnlab.labs import REFERENCE
from tests.checks.helpers import variant
from tests.checks.wrong_labs import WRONG_LABS

JUDGED = [check for check in all_checks() if check.probe is not None]
PRINT_QUESTIONS = (
    "import json, sys\n"
    "for module in sys.argv[1:]:\n"
    "    __import__(module)\n"
    "from nnlab.checks import all_checks\n"
    "from nnlab.checks.judged import answered, questions\n"
    "from nnlab.labs import REFERENCE\n"
    "judged = [c for c in all_checks() if c.probe is not None]\n"
    "drawn = {c.id: questions(c.probe) for c in judged if c.probe.survey is None}\n"
    "# a surveyed probe's questions are drawn from the survey: the reference's answers to them, then\n"
    "drawn.update({c.id: answered(c, REFERENCE) for c in judged if c.probe.survey is not None})\n"
    "print(json.dumps(drawn))\n"
)


def test_every_process_draws_the_same_questions_whatever_it_imported(tmp_path):
    # hypothesis draws constants from the source of imported modules: a submission's module is full of them
    (tmp_path / "submission.py").write_text("SIZES = (3, 7, 11)\nSCALE = 6.5\nNAME = 'width'\n")

    def drawn(*imported: str) -> dict:
        command = [sys.executable, "-c", PRINT_QUESTIONS, *imported]
        ran = subprocess.run(command, capture_output=True, text=True, check=True, cwd=tmp_path)
        return json.loads(ran.stdout)

    assert drawn() == drawn("submission", "nnlab.grading.summary")


@pytest.mark.parametrize("check", JUDGED, ids=lambda check: check.id)
def test_the_verdict_from_the_references_answers_is_pass(check):
    assert judgement(check, json.loads(json.dumps(answered(check, REFERENCE)))).result == "pass"


TARGETED = [(wrong.name, wrong.lab, check) for wrong in WRONG_LABS for check in JUDGED if check.id in wrong.fails]


@pytest.mark.parametrize(("name", "lab", "check"), TARGETED, ids=[f"{n}-{c.id}" for n, _, c in TARGETED])
def test_a_wrong_labs_answers_are_judged_as_run_check_judges_the_lab(name, lab, check):
    from_answers = judgement(check, json.loads(json.dumps(answered(check, lab))))
    assert from_answers.result != "pass"
    assert from_answers == run_check(check, lab)


def identity(lab, question):
    return question


def must_be_positive(question, answer):
    """The answer is positive."""
    assert answer > 0, f"{answer} is not positive"


def must_be_an_int(question, answer):
    """The answer is an int."""
    assert type(answer) is int, f"{answer!r}"


def asked(*values):
    return lambda: list(values)


POSITIVE = Probe(asked(1, 2, -3), identity, must_be_positive)
DOCUMENTED = Probe(asked(1, 2, -3), identity, must_be_an_int)
CHECK = Check("C1", in_one_process(POSITIVE), in_one_process(DOCUMENTED), POSITIVE, DOCUMENTED)


def test_an_answer_without_the_property_fails_naming_its_question():
    with pytest.raises(AssertionError, match=r"(?s)^-3 is not positive.*\(question 3 of 3\)$"):
        decide(POSITIVE, [1, 2, -3])


@pytest.mark.parametrize(
    "answers",
    [[1, 2], [1, 2, 3, 4], "1, 2, 3", [1, 2, {"tensor": {"dtype": "float32", "shape": [1], "bytes": ""}}]],
    ids=["too few", "too many", "not a list", "garbled tensor"],
)
def test_what_cannot_be_the_answers_is_refused_not_judged(answers):
    with pytest.raises(NotAnswers):
        decide(POSITIVE, answers)


@pytest.mark.parametrize(
    ("event", "result"),
    [
        ({"answers": [1, 2, 3], "documented": [1, 2, 3]}, "pass"),
        ({"answers": [1, 2, -3], "documented": [1, 2, -3]}, "qualified"),
        ({"answers": [1, 2, -3], "documented": [1, 2, 3.5]}, "fail"),
        ({"answers": [1, 2, -3], "documented": None}, "fail"),
        ({"answers": [1], "raised": "ValueError: no", "documented": [1, 2, -3]}, "qualified"),
        ({"answers": [], "raised": "ValueError: no", "documented": None}, "fail"),
    ],
    ids=["pass", "what the documents do", "not what they do", "no documented answers", "raised", "raised alone"],
)
def test_qualified_comes_from_the_documented_probes_answers(event, result):
    assert judgement(CHECK, event).result == result


def test_the_reason_of_a_lab_that_raised_is_its_failure():
    event = {"answers": [1, 2], "raised": "ValueError: no", "documented": None}
    assert judgement(CHECK, event).detail.endswith(": ValueError: no")


def raises_on_three(lab, question):
    if question == 3:
        raise ValueError("three")
    return question


@pytest.mark.parametrize(
    ("asks", "failure"),
    [
        ((1, -2, 3), ("-2 is not positive", "(question 2 of 3)")),
        ((1, 2, 3), ("ValueError at test_judged.py:", ": three")),
    ],
    ids=["an answer without the property first", "then the raise"],
)
def test_the_answers_before_a_raise_are_judged_before_it_here_and_in_the_supervisor(asks, failure):
    # the first question is the simplest hypothesis draws: its failure says more than a crash on a later one
    probe = Probe(asked(*asks), raises_on_three, must_be_positive)
    check = Check("C1", in_one_process(probe), None, probe, None)
    in_one = run_check(check, REFERENCE)
    assert in_one.result == "fail" and all(part in in_one.detail for part in failure), in_one.detail
    assert judgement(check, json.loads(json.dumps(answered(check, REFERENCE)))) == in_one


def test_a_raise_after_as_many_answers_as_questions_is_refused():
    with pytest.raises(NotAnswers):
        decide(POSITIVE, [1, 2, 3], complete=False)


def test_a_probe_of_the_role_itself_asks_one_empty_question():
    assert questions(Probe(once, identity, must_be_positive)) == [None]


class Agreeable(torch.Tensor):
    """A tensor that could say, through ``__torch_function__``, that every comparison is equal."""


class CenteredAgreeably(REFERENCE.layers.CenteredLayer):
    def forward(self, X):
        return super().forward(X).as_subclass(Agreeable)


def test_an_answer_that_is_a_tensor_subclass_fails_the_check_where_it_is_answered():
    check = next(check for check in JUDGED if check.claim == "C1")
    event = answered(check, variant("layers", CenteredLayer=CenteredAgreeably))
    assert "subclass of torch.Tensor" in event["raised"]
    assert judgement(check, event).result == "fail"


def test_a_process_handed_the_questions_asks_them_instead_of_drawing_its_own(monkeypatch):
    monkeypatch.setattr(judged, "_asked", {})  # a fresh worker's: nothing drawn yet
    probes = unsurveyed_probes()
    # one question for each probe, telling it apart (a documented probe may serve several checks)
    number = {probe: float(i) for i, probe in enumerate(dict.fromkeys(probe for _, probe in probes))}
    handed = {name: [plain.encode(torch.full((1, 2), number[probe]))] for name, probe in probes}
    take_questions({"questions": handed, "draws": {}})
    assert [questions(probe) for _, probe in probes] == list(handed.values())


def test_a_process_handed_kept_draws_uses_them_and_hands_them_on(monkeypatch):
    monkeypatch.setattr(judged, "_kept", {})
    batch = torch.arange(6.0).reshape(2, 3)
    take_questions({"questions": {}, "draws": {"batches 3 -10 10": [plain.encode(batch)]}})
    (used,) = batches_drawn(3)
    assert torch.equal(used, batch)
    assert handed_over({})["draws"] == {"batches 3 -10 10": [plain.encode(batch)]}


def test_kept_draws_are_the_draws_of_their_strategy():
    assert all(
        torch.equal(a, b) for a, b in zip(batches_drawn(4, -1, 1), drawn(batches(4, low=-1, high=1)), strict=True)
    )


def test_every_unsurveyed_probe_has_a_name_of_its_own_in_every_process():
    names = [name for name, _ in unsurveyed_probes()]
    assert len(names) == len(set(names)) > 0
    assert {name.removesuffix(" documented") for name in names} <= {check.id for check in JUDGED}
