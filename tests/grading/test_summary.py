"""The class summary, from reports made up here: its table reads as Markdown, its claims come most failed first (a
qualified result counts as failed), and its figure shows each cell in its result's colour."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from markdown_it import MarkdownIt
from matplotlib.colors import to_rgba

from nnlab.grading import summary
from nnlab.grading.submission_report import REPORTED
from nnlab.grading.summary import COLOURS, build_summary, summary_markdown

# claim -> its result in each of three submissions: A fails once, B is qualified twice (two failures), C is never
# defined; no claim passes, so the colours cannot follow from the results present
RESULTS = {"A": ("fail", "error", "missing"), "B": ("qualified", "qualified", "missing"), "C": ("missing",) * 3}


def reports() -> list[dict]:
    return [
        {
            "submission": f"student{i}",
            "status": "checked",
            "error": None,
            "claims": [{"id": c, "title": f"Claim {c} | holds", "result": got[i]} for c, got in RESULTS.items()],
        }
        for i in range(3)
    ]


def tables(markdown: str) -> list[list[list[str]]]:
    """Each table of ``markdown`` as rows of cell texts, its header first, as a Markdown reader parses them."""
    found, inside = [], False
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        if token.type in ("table_open", "table_close"):
            inside = token.type == "table_open"
            found += [[]] if inside else []
        elif inside and token.type == "tr_open":
            found[-1].append([])
        elif inside and token.type == "inline":
            found[-1][-1].append(token.content)
    return found


def test_the_summary_tables_read_as_markdown_tables_with_the_claims_most_failed_first():
    submissions, claims = tables(summary_markdown(build_summary(reports())))
    assert submissions[0] == ["submission", "status", *REPORTED, "why not checked"]
    assert [row[:2] for row in submissions[1:]] == [[f"student{i}", "checked"] for i in range(3)]
    assert submissions[1][2:7] == ["0", "1", "1", "1", "0"]  # pass, qualified, fail, missing, error
    assert claims[0][:3] == ["claim", "fail", "qualified"]
    # B's two qualified results fail more submissions than A's one failure; a pipe in a title stays in its cell
    assert [row[:3] for row in claims[1:]] == [["B", "0", "2"], ["A", "1", "0"], ["C", "0", "0"]]
    assert claims[1][-1] == "Claim B | holds"


@pytest.fixture
def figure(monkeypatch, tmp_path):
    """The figure plot_summary draws, kept open."""
    kept = []
    monkeypatch.setattr(summary.plt, "close", kept.append)
    summary.plot_summary(build_summary(reports()), tmp_path / "summary.png")
    yield kept[0]
    plt.close(kept[0])


def test_the_summary_figure_shows_each_cell_in_its_results_colour_with_the_most_failed_claim_on_top(figure):
    axes = figure.axes[0]
    assert [label.get_text() for label in axes.get_yticklabels()] == ["B (2 failing)", "A (1 failing)", "C (0 failing)"]
    assert [label.get_text() for label in axes.get_xticklabels()] == ["student0", "student1", "student2"]
    (image,) = axes.get_images()
    shown = image.to_rgba(image.get_array())
    expected = [[to_rgba(COLOURS[REPORTED.index(r)]) for r in RESULTS[claim]] for claim in "BAC"]
    np.testing.assert_allclose(shown, expected, atol=1 / 255)
