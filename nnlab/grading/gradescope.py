"""Gradescope's autograder ``results.json`` for one submission: one test per claim.

Gradescope runs ``run_autograder`` (see ``gradescope/``) in a container per
submission and reads ``/autograder/results/results.json``. Each claim is a test
worth one point: ``pass`` scores it, unless partial (a role of the claim is
missing); ``qualified`` (the documents' mistake), ``fail``, ``missing`` and
``error`` do not. The test's output is the claim's
detail, which names the failed property and hypothesis's smallest counterexample.
"""

import json
from pathlib import Path

from nnlab.grading.submission_report import shown_result


def scored(claim: dict) -> bool:
    return claim["result"] == "pass" and not claim["partial"]


def gradescope_results(report: dict) -> dict:
    tests = [
        {
            "name": f"{claim['id']}: {claim['title']}",
            "score": 1.0 if scored(claim) else 0.0,
            "max_score": 1.0,
            "status": "passed" if scored(claim) else "failed",
            "output": f"{shown_result(claim)}. {claim['detail']}".strip(),
        }
        for claim in report["claims"]
    ]
    status = "" if report["status"] == "checked" else f"Not checked ({report['status']}): {report['error']}\n"
    return {
        "score": sum(test["score"] for test in tests),
        "execution_time": round(report["seconds"]),
        "output": f"{status}nnlab {report['nnlab']}, torch {report['torch']}.",
        "tests": tests,
    }


def write_gradescope(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(gradescope_results(report), indent=2) + "\n")
