"""Gradescope's autograder ``results.json`` for one submission: one test per claim the course counts.

Gradescope runs ``run_autograder`` (see ``gradescope/``) in a container per
submission and reads ``/autograder/results/results.json`` (its fields are
Gradescope's "Autograder Specifications"). Each claim the course counts is a
test, scored and shown as the course says (``nnlab.grading.course``; without a
course file, a point a claim, visible); a claim it does not count is left out.
A test's output is the claim's detail, which names the failed property and
hypothesis's smallest counterexample; it is ``passed`` when it earned all its
points. nnlab's own output (the run's log) is the grader's: hidden from students.
"""

import json
from pathlib import Path

from nnlab.grading.course import Course, claim_scores, total
from nnlab.grading.submission_report import shown_result


def gradescope_results(report: dict, course: Course) -> dict:
    claims = {claim["id"]: claim for claim in report["claims"]}
    scores = claim_scores(report, course)
    tests = []
    for number, (claim_id, counted) in enumerate(course.claims.items(), start=1):
        claim = claims[claim_id]
        tests.append(
            {
                "name": f"{claim_id}: {claim['title']}",
                "number": str(number),
                "score": scores[claim_id],
                "max_score": counted.points,
                "status": "passed" if scores[claim_id] == counted.points else "failed",
                "output": f"{shown_result(claim)}. {claim['detail']}".strip(),
                "output_format": "text",
                "visibility": counted.visibility,
            }
        )
    status = "" if report["status"] == "checked" else f"Not checked ({report['status']}): {report['error']}\n"
    return {
        "score": total(scores),
        "max_score": course.possible(),
        "execution_time": round(report["seconds"]),
        "output": f"{status}nnlab {report['nnlab']}, torch {report['torch']}.",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def write_gradescope(report: dict, course: Course, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(gradescope_results(report, course), indent=2) + "\n")
