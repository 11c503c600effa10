"""The gradebook, ``--csv FILE``: a row per submission, the points each counted claim earned, and the total."""

import csv
from pathlib import Path

from nnlab.grading.course import Course, claim_scores, total


def gradebook_rows(reports: list[dict], course: Course) -> list[list]:
    """The header (``submission``, the counted claims' IDs, ``total``), then one row per report, in order."""
    rows: list[list] = [["submission", *course.claims, "total"]]
    for report in reports:
        scores = claim_scores(report, course)
        rows.append([report["submission"], *scores.values(), total(scores)])
    return rows


def write_gradebook(reports: list[dict], course: Course, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(gradebook_rows(reports, course))
