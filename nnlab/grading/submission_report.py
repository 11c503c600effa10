"""One submission's report: ``report.json`` for tools, ``report.md`` for the student.

``report.json``'s fields are a published format (other tools read them), with
a JSON Schema in ``nnlab/grading/schemas/report.schema.json``::

    {"format": 1, "submission": "<name>", "status": "checked" | "error" | "timeout" | "memory" | "tampered",
     "error": null | "<one line>",
     "claims": [{"id": "L7", "result": "pass" | "qualified" | "fail" | "missing" | "error", "detail": "...",
                 "partial": false | true}]}

A claim is ``partial`` when some of its checks could not run, for a role the
submission lacks: its result is then that of the checks that could. nnlab adds
fields beside those (a claim's title and its checks, the versions, the time,
what the guard put back, whether it ran in the sandbox, its notebooks) and never changes them without
raising ``format``. ``notebooks`` lists what running each notebook dropped and which cells failed, ``[]`` for
scripts::

    "notebooks": [{"file": "blocks.ipynb", "dropped": [{"cell": 2, "line": "%matplotlib inline"}],
                   "failed_cells": [{"cell": 5, "error": "NameError: ... (blocks.ipynb, cell 5, line 1)"}]}]
"""

import json
import re
from importlib.metadata import version
from itertools import groupby
from pathlib import Path

import torch

from nnlab.checks import all_checks
from nnlab.checks.catalogue import catalogue
from nnlab.checks.run import claim_result
from nnlab.grading.supervise import Checked

# a claim's results in the order reports and summaries show them, and those that count against a submission
REPORTED = ("pass", "qualified", "fail", "missing", "error")
FAILED = ("qualified", "fail", "error")
REPORT_FORMAT = 1  # report.json's format version: raised when a published field changes


def claim_order() -> list[str]:
    """The claims the checks cover, in the catalogue's order."""
    covered = {c.claim for c in all_checks()}
    return [claim for claim in catalogue() if claim in covered]


def build_report(checked: Checked) -> dict:
    order = claim_order()
    results = sorted(checked.results.values(), key=lambda r: order.index(r.claim))
    claims = []
    for claim, of_claim in groupby(results, key=lambda r: r.claim):
        of_claim = list(of_claim)
        result, detail, partial = claim_result(of_claim)
        claims.append(
            {
                "id": claim,
                "result": result,
                "detail": detail,
                "partial": partial,
                "title": catalogue()[claim]["title"],
                "checks": [{"check": r.check, "result": r.result, "detail": r.detail} for r in of_claim],
            }
        )
    return {
        "format": REPORT_FORMAT,
        "submission": checked.name,
        "status": checked.status,
        "error": checked.error,
        "claims": claims,
        "seconds": round(checked.seconds, 1),
        "restored": checked.restored,
        "sandbox": checked.sandbox,
        "outlived": checked.outlived,
        "notebooks": checked.notebooks,
        "nnlab": version("nnlab"),
        "torch": torch.__version__,
    }


def counts(report: dict) -> dict[str, int]:
    found = dict.fromkeys(REPORTED, 0)
    for claim in report["claims"]:
        found[claim["result"]] += 1
    return found


def one_paragraph(text: str) -> str:
    """Text for a Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def shown_result(claim: dict) -> str:
    """A claim's result as a report shows it: a partial one says how many of its checks ran."""
    if not claim["partial"]:
        return claim["result"]
    ran = sum(check["result"] != "missing" for check in claim["checks"])
    return f"{claim['result']} (partial: {ran} of {len(claim['checks'])} checks ran)"


def report_markdown(report: dict) -> str:
    tally = ", ".join(f"{n} {result}" for result, n in counts(report).items() if n)
    lines = [
        f"# nnlab check: {report['submission']}",
        "",
        f"Status: **{report['status']}**"
        + (f" ({report['error']})" if report["error"] else "")
        + f". Claims: {tally}.",
        f"nnlab {report['nnlab']}, torch {report['torch']}, {report['seconds']:.0f} s; {report['sandbox']}.",
    ]
    if report["restored"]:
        lines += ["", f"Put back after loading (the submission had changed them): {', '.join(report['restored'])}."]
    if report["outlived"]:
        lines += ["", f"Still running after its worker, and killed: {'; '.join(report['outlived'])}."]
    lines += notebooks_markdown(report["notebooks"])
    lines += ["", "| claim | result | claim as the documents make it |", "|---|---|---|"]
    lines += [f"| {c['id']} | {shown_result(c)} | {one_paragraph(c['title'])} |" for c in report["claims"]]
    failing = [check for claim in report["claims"] for check in claim["checks"] if check["result"] in FAILED]
    if failing:
        lines += ["", "## What failed", ""]
        for check in failing:
            lines += [f"### {check['check']} ({check['result']})", "", "```text", check["detail"].strip(), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def notebooks_markdown(notebooks: list[dict]) -> list[str]:
    """The report's lines on its notebooks: what was dropped, which cells failed (the rest ran).

    A notebook's file name, lines and errors are the submission's own text: each is shown as a code span, so that
    none can write Markdown or HTML into the report (a heading, a table, a ``<!--`` hiding the rest)."""
    if not notebooks:
        return []
    lines = ["", "## Notebooks", ""]
    lines += ["Code cells run in order; IPython's magics and shell lines are dropped, and a cell that raises stops at"]
    lines += ["its error (the cells after it run). Cells are counted from 1, markdown cells included."]
    for notebook in notebooks:
        lines += ["", f"### {code_span(notebook['file'])}", ""]
        lines += [f"- cell {entry['cell']}: dropped {code_span(entry['line'])}" for entry in notebook["dropped"]]
        failed = notebook["failed_cells"]
        lines += [f"- cell {entry['cell']} failed: {code_span(entry['error'])}" for entry in failed]
        if not notebook["dropped"] and not failed:
            lines.append("Every code cell ran, none dropped.")
    return lines


def code_span(text: str) -> str:
    """``text`` on one line as a Markdown code span, which CommonMark shows as written, never as Markdown or HTML:
    its fence of backticks is longer than any run of backticks inside, and spaced from a text that starts or ends
    with a backtick, so that the backtick stays the text's (CommonMark takes one space off each end)."""
    text = " ".join(text.split())
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    space = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{space}{text}{space}{fence}"


def write_report(report: dict, folder: Path, output: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (folder / "report.md").write_text(report_markdown(report))
    printed = folder / "output.txt"  # what the submission printed (its first MiB), if anything
    if output:
        printed.write_bytes(output)
    else:
        printed.unlink(missing_ok=True)
