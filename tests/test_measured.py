"""The measured sections of README.md and docs/*.md say what the saved outputs say (scripts/measured.py)."""

import importlib.util
import os
import re
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "scripts" / "measured.py"


@pytest.fixture(scope="module")
def measured():
    spec = importlib.util.spec_from_file_location("measured_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_measured_sections_are_what_the_saved_outputs_give(measured):
    marked = []
    for path in measured.FILES:
        text = path.read_text()
        marked += [match["name"] for match in measured.MARKED.finditer(text)]
        assert measured.render(text) == text, f"stale figures in {path.name}: run python scripts/measured.py"
    assert sorted(marked) == sorted(measured.SECTIONS), "each measured section marked once, in one file"


def marked_sections(measured) -> dict[str, tuple]:
    """``{section name: (the file's text, the section's body)}`` over every file with measured sections."""
    return {
        match["name"]: (text, match["body"])
        for text in (path.read_text() for path in measured.FILES)
        for match in measured.MARKED.finditer(text)
    }


@pytest.mark.parametrize(
    "section",
    ["lab", "ledger", "coverage", "mutation", "mutation-survivors", "tensor-dot-cpu", "trainer-speed", "versions"],
)
def test_a_changed_figure_is_caught_in_every_measured_section(measured, section):
    text, body = marked_sections(measured)[section]
    digit = re.search(r"\d", body)
    changed = body[: digit.start()] + str((int(digit[0]) + 1) % 10) + body[digit.end() :]
    tampered = text.replace(body, changed, 1)
    assert measured.render(tampered) != tampered


def test_every_measured_section_has_its_saved_output(measured):
    placeholders = [name for name, (_, body) in marked_sections(measured).items() if "Not saved yet" in body]
    assert not placeholders, f"{placeholders} show no figures: run the command each names, then make docs"


@pytest.fixture
def five_and_a_half_hours_east():
    """Local time 05:30 ahead of UTC (a POSIX TZ string, no tz database needed), and back afterwards."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "IST-5:30"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


# make test ended at 20:30 local time, 15:00 UTC; coverage.py writes local time without its offset
COVERAGE = {"meta": {"timestamp": "2026-11-23T20:30:00.000001"}}
WHOLE_RUN = {"run": "2026-11-23T14:50:00+00:00", "commit": "abc1234", "claims": [{"id": "L1", "verdict": "holds"}]}


@pytest.mark.parametrize(
    "ledger, reason",
    [
        (WHOLE_RUN, None),
        (WHOLE_RUN | {"commit": None}, None),  # ledgers from before the commit stamp
        (WHOLE_RUN | {"claims": [{"id": "L1", "verdict": "untested"}]}, "untested or failed claims \\(L1\\)"),
        (WHOLE_RUN | {"commit": "abc1234 with changes"}, "uncommitted changes"),
        # 16:00 UTC is after the coverage's 15:00 UTC, though before its 20:30 read without the offset
        (WHOLE_RUN | {"run": "2026-11-23T16:00:00+00:00"}, "a later pytest run"),
    ],
)
def test_docs_keep_only_what_one_whole_make_test_of_committed_code_left(
    measured, ledger, reason, five_and_a_half_hours_east
):
    said = measured.not_one_whole_test_run(ledger, COVERAGE)
    if reason is None:
        assert said is None
    else:
        assert re.search(reason, said), said


def test_an_unknown_section_name_is_refused_naming_the_known_ones(measured):
    with pytest.raises(SystemExit, match="unknown measured section 'nope' is marked; known: lab, "):
        measured.render("<!-- measured: nope -->\nold\n<!-- /measured -->\n")
