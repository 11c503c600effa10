"""A batch at a glance: ``summary.json``, ``summary.md`` and ``summary.png`` (claims × submissions).

``summary.json`` is a published format, with a JSON Schema in ``nnlab/grading/schemas/summary.schema.json``:
``format`` says its version, raised when a published field changes.
"""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

from nnlab.grading.submission_report import REPORTED, counts, one_paragraph  # noqa: E402

SUMMARY_FORMAT = 1
COLOURS = ("#3a9d5d", "#f2a541", "#d1495b", "#e6e6e6", "#5c4d7d")  # one per REPORTED result, in its order


def build_summary(reports: list[dict]) -> dict:
    claim_ids = [c["id"] for c in reports[0]["claims"]] if reports else []
    titles = {c["id"]: c["title"] for r in reports for c in r["claims"]}
    table = {r["submission"]: {c["id"]: c["result"] for c in r["claims"]} for r in reports}
    claims = [
        {
            "id": claim,
            "title": titles[claim],
            "counts": {result: sum(row[claim] == result for row in table.values()) for result in REPORTED},
        }
        for claim in claim_ids
    ]
    submissions = [
        {"submission": r["submission"], "status": r["status"], "error": r["error"], "counts": counts(r)}
        for r in reports
    ]
    return {"format": SUMMARY_FORMAT, "submissions": submissions, "claims": claims, "results": table}


def failures(claim: dict) -> int:
    """Submissions whose code fails the claim (``error``, a submission that was not checked, is not counted)."""
    return claim["counts"]["fail"] + claim["counts"]["qualified"]


def summary_markdown(summary: dict) -> str:
    lines = [
        "# nnlab check: summary",
        "",
        f"{len(summary['submissions'])} submissions, {len(summary['claims'])} claims. "
        "A claim's result is the worst of its checks'; `missing` means the submission does not define the role.",
        "",
        "| submission | status | pass | qualified | fail | missing | error | why not checked |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in summary["submissions"]:
        tally = " | ".join(str(s["counts"][result]) for result in REPORTED)
        lines.append(f"| {s['submission']} | {s['status']} | {tally} | {one_paragraph(s['error'] or '')} |")
    lines += [
        "",
        "## Claims, the most failed first",
        "",
        "| claim | fail | qualified | error (not checked) | pass | missing | claim as the documents make it |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in sorted(summary["claims"], key=failures, reverse=True):
        n = c["counts"]
        lines.append(
            f"| {c['id']} | {n['fail']} | {n['qualified']} | {n['error']} | {n['pass']} | {n['missing']} "
            f"| {one_paragraph(c['title'])} |"
        )
    return "\n".join(lines) + "\n"


def plot_summary(summary: dict, path: Path) -> None:
    """Claims (rows, the most failed on top) × submissions (columns), one colour per result."""
    claims = sorted(summary["claims"], key=failures, reverse=True)
    names = [s["submission"] for s in summary["submissions"]]
    grid = [[REPORTED.index(summary["results"][name][c["id"]]) for name in names] for c in claims]
    figure, axes = plt.subplots(figsize=(3 + 0.35 * len(names), 2 + 0.22 * len(claims)), layout="constrained")
    axes.imshow(grid, cmap=ListedColormap(COLOURS), vmin=-0.5, vmax=len(REPORTED) - 0.5, aspect="auto")
    axes.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    axes.set_yticks(range(len(claims)), [f"{c['id']} ({failures(c)} failing)" for c in claims], fontsize=7)
    axes.set_title("Claims × submissions\n(the claims most submissions fail on top)", fontsize=10)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for colour in COLOURS]
    figure.legend(handles, REPORTED, loc="outside lower center", ncols=len(REPORTED), fontsize=8)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def write_class_summary(reports: list[dict], out: Path) -> dict:
    """A class's submissions at a glance in ``out``: summary.json, summary.md and summary.png."""
    summary = build_summary(reports)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "summary.md").write_text(summary_markdown(summary))
    plot_summary(summary, out / "summary.png")
    return summary
