"""The claims ledger: a pytest plugin that turns check results into a verdict per claim.

Two things reach the ledger from a run:

- **results**: a claim check run on an implementation (``tests/test_claims.py``)
  gives ``pass``, ``qualified``, ``fail`` or ``missing`` for ``nnlab`` (the
  reference), the document the claim is from (``report`` for L, P, C, F and M
  claims, ``chapter`` for T claims), and ``torch`` for the documents'
  statements about torch itself; a test adds one with the ``record_result``
  fixture.
- **tests**: every test marked ``@pytest.mark.claim("L7")`` is listed beside
  the claim; one that fails makes the verdict ``failed``.

A claim's verdict follows from the results: ``failed`` when a marked test
failed, the reference does not pass, or a statement's correction does not
hold; otherwise the worst of the document's and torch's results, read as
``holds`` (pass), ``qualified`` or ``refuted`` (fail). A claim with no result
is ``holds`` when its marked tests passed (they show nnlab doing what it
claims), else ``untested``.

Results and evidence travel in each test report's ``user_properties``, so the
workers of ``pytest -n`` hand them to the controller, which writes the ledger.
A partial run (``-m slow``, ``-k``, one file) keeps the earlier results of what
it did not run, each marked with the run it came from.

Every run that includes claim tests writes ``reports/ledger.json`` and
``reports/ledger.md`` (``--ledger-dir`` to change the folder).
"""

import json
import subprocess
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import pytest
import torch

from nnlab.checks import all_checks, all_statements
from nnlab.checks.catalogue import CATALOGUE, catalogue
from nnlab.checks.run import Result, claim_result
from nnlab.labs import DOCUMENT_OF_CLAIM

VERDICT_OF_RESULT = {"pass": "holds", "qualified": "qualified", "fail": "refuted"}
ALL_VERDICTS = ("holds", "qualified", "refuted", "failed", "untested")
IMPLEMENTATIONS = ("report", "chapter", "torch", "nnlab")

# user_properties keys
CLAIMS, RESULT, EVIDENCE = "nnlab-claims", "nnlab-result", "nnlab-evidence"


def claim_markers(item: pytest.Item) -> list[str]:
    found = []
    for marker in item.iter_markers("claim"):
        if len(marker.args) != 1 or marker.kwargs:
            raise pytest.UsageError(
                f"{item.nodeid}: @pytest.mark.claim takes one claim ID and nothing else, got {marker.args} "
                f"{marker.kwargs}. A verdict comes from check results, not from a marker."
            )
        found.append(marker.args[0])
    return found


class Ledger:
    def __init__(self, run: str | None = None):
        self.catalogue = catalogue()
        self.run = run or datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.tests: dict[str, dict[str, str]] = defaultdict(dict)  # claim -> nodeid -> outcome
        # claim -> implementation -> check -> {"result", "detail", "run"}
        self.results: dict[str, dict[str, dict[str, dict]]] = defaultdict(lambda: defaultdict(dict))
        self.evidence: dict[str, list[str]] = defaultdict(list)
        self.kept: dict[str, str] = {}  # claim -> the earlier run its results come from, for claims this run left alone

    def check_known(self, claim: str, where: str) -> None:
        if claim not in self.catalogue:
            raise pytest.UsageError(f"{where}: claim {claim!r} is not in {CATALOGUE.name}.")

    def record_outcome(self, report: pytest.TestReport, claims: list[str]) -> None:
        outcome = "failed" if report.failed else report.outcome
        for claim in claims:
            previous = self.tests[claim].get(report.nodeid, "passed")
            # a test's outcome is its worst phase: a failed teardown fails a passed call
            if previous != "failed" and (report.when == "call" or outcome != "passed"):
                self.tests[claim][report.nodeid] = outcome

    def add_result(self, implementation: str, result: dict) -> None:
        self.results[result["claim"]][implementation][result["check"]] = {
            "result": result["result"],
            "detail": result["detail"],
            "run": self.run,
            **({"measured": True} if result.get("measured") else {}),
        }

    def keep_earlier(self, previous: dict, current_checks: set[str]) -> None:
        """Take from an earlier ledger what this run did not produce again and what still exists.

        A check's earlier result is kept only while a check of that name is registered (``current_checks``),
        so a renamed or removed check stops deciding a verdict; a measured result (the slow tests') is kept
        until a run measures it again. A claim this run did not touch at all keeps its tests' outcomes too,
        and its row says which run they came from.
        """
        if previous.get("torch") != torch.__version__:
            return  # another torch: its results are not this one's
        earlier_run = previous.get("run", "an earlier run")
        for row in previous.get("claims", []):
            claim = row["id"]
            if claim not in self.catalogue:
                continue
            touched = bool(self.tests.get(claim) or self.results.get(claim))
            for implementation, checks in row.get("checks", {}).items():
                for name, entry in checks.items():
                    if name in current_checks or entry.get("measured"):
                        self.results[claim][implementation].setdefault(name, entry)
            if not touched and (row.get("test_outcomes") or self.results.get(claim)):
                self.tests[claim].update(row.get("test_outcomes", {}))
                self.kept[claim] = row.get("kept_from", earlier_run)

    def implementation_results(self, claim: str) -> dict[str, dict[str, str]]:
        summary = {}
        for implementation in IMPLEMENTATIONS:
            checks = self.results.get(claim, {}).get(implementation)
            if checks:
                result, detail, partial = claim_result(
                    Result(name, claim, e["result"], e["detail"]) for name, e in checks.items()
                )
                runs = sorted({e["run"] for e in checks.values()})
                summary[implementation] = {
                    "result": result,
                    "detail": detail,
                    "partial": partial,
                    "run": runs[-1] if len(runs) == 1 else runs,
                }
        return summary

    def verdict(self, claim: str) -> tuple[str, str]:
        outcomes = self.tests.get(claim, {})
        failing = [nodeid for nodeid, outcome in outcomes.items() if outcome == "failed"]
        if failing:
            return "failed", f"failing: {', '.join(failing)}"
        results = self.implementation_results(claim)
        reference = results.get("nnlab", {"result": "pass"})
        if reference["result"] != "pass" or reference.get("partial"):
            # nnlab's reference has every role: one of its checks that could not run is a fault of nnlab's
            shown = "partial" if reference["result"] == "pass" else reference["result"]
            return "failed", f"nnlab's reference is {shown}: {reference['detail']}"
        if results.get("torch", {}).get("result") == "error":
            return "failed", f"a statement's correction does not hold: {results['torch']['detail']}"
        document = DOCUMENT_OF_CLAIM[claim[0]]
        of_document = results.get(document, {})
        # a document's checks that pass where some could not run show nothing: only a failure found is a verdict
        if of_document.get("result") == "missing" or (of_document.get("partial") and of_document["result"] == "pass"):
            return "untested", f"the {document}'s reproduction lacks a role: {of_document['detail']}"
        judged = [results[i] for i in (document, "torch") if results.get(i, {}).get("result") in VERDICT_OF_RESULT]
        if judged:
            worst = max(judged, key=lambda r: list(VERDICT_OF_RESULT).index(r["result"]))
            return VERDICT_OF_RESULT[worst["result"]], worst["detail"]
        if any(outcome == "passed" for outcome in outcomes.values()):
            return "holds", "no check of the documents' code; nnlab's tests pass"
        return "untested", ""

    def rows(self) -> list[dict]:
        rows = []
        for claim, entry in self.catalogue.items():
            verdict, why = self.verdict(claim)
            outcomes = self.tests.get(claim, {})
            rows.append(
                {
                    "id": claim,
                    "section": entry["section"],
                    "title": entry["title"],
                    "verdict": verdict,
                    "tests": sorted(outcomes),
                    "test_outcomes": dict(sorted(outcomes.items())),
                    "why": why,
                    "evidence": self.evidence.get(claim, []),
                    "results": self.implementation_results(claim),
                    "checks": {i: dict(c) for i, c in self.results.get(claim, {}).items()},
                    **({"kept_from": self.kept[claim]} if claim in self.kept else {}),
                }
            )
        return rows

    def write(self, folder: Path) -> list[dict]:
        folder.mkdir(parents=True, exist_ok=True)
        json_path = folder / "ledger.json"
        if json_path.is_file():
            registered = {c.id for c in [*all_checks(), *all_statements()]}
            self.keep_earlier(json.loads(json_path.read_text()), registered)
        rows = self.rows()
        document = {"torch": torch.__version__, "run": self.run, "commit": tested_commit(), "claims": rows}
        (folder / "ledger.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        (folder / "ledger.md").write_text(render_markdown(rows, self.run))
        return rows


def tested_commit() -> str | None:
    """The commit the suite ran, marked where nnlab/ or tests/ had changes; None outside a git checkout."""
    root = Path(__file__).parents[1]

    def git(*args: str) -> str:
        found = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return found.stdout.strip() if found.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    return (commit + (" with changes" if git("status", "--porcelain", "nnlab", "tests") else "")) or None


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(rows: list[dict], run: str) -> str:
    counts = Counter(row["verdict"] for row in rows)
    lines = [
        "# nnlab claims ledger",
        "",
        f"torch {torch.__version__}, run {run}. "
        + ", ".join(f"{counts[v]} {v}" for v in ALL_VERDICTS if counts[v])
        + ". A verdict follows from the results of the same checks run on the document's code (`report` or "
        "`chapter`), on torch for the documents' statements about torch, and on nnlab's reference.",
    ]
    section = None
    for row in rows:
        if row["section"] != section:
            section = row["section"]
            lines += [
                "",
                f"## {section}",
                "",
                "| claim | verdict | document | torch | nnlab | why and evidence |",
                "|---|---|---|---|---|---|",
            ]
        results = row.get("results", {})
        document = results.get(DOCUMENT_OF_CLAIM[row["id"][0]], {}).get("result", "")
        detail = " ".join([row["why"], *row["evidence"]]).strip()
        if row.get("kept_from"):
            detail = f"(from the run of {row['kept_from']}) {detail}"
        torch_result = results.get("torch", {}).get("result", "")
        nnlab_result = results.get("nnlab", {}).get("result", "")
        lines.append(
            f"| **{row['id']}** {cell(row['title'])} | {row['verdict']} | {document} | {torch_result} | "
            f"{nnlab_result} | {cell(detail)} |"
        )
    return "\n".join(lines) + "\n"


_LEDGER = pytest.StashKey[Ledger]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--ledger-dir", default="reports", help="where to write ledger.json and ledger.md")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim(id): the catalogue claim this test checks")
    config.stash[_LEDGER] = Ledger()
    if not hasattr(config, "workerinput"):  # a worker of pytest -n hands its reports to the controller
        config.pluginmanager.register(LedgerWriter(config), "nnlab-ledger-writer")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ledger = config.stash[_LEDGER]
    for item in items:
        for claim in claim_markers(item):
            ledger.check_known(claim, item.nodeid)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    report.user_properties.append((CLAIMS, claim_markers(item)))
    return report


class LedgerWriter:
    """The controller's side: records every report, then writes the ledger at the end of the run."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.ledger = config.stash[_LEDGER]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for key, value in report.user_properties:
            if key == CLAIMS:
                self.ledger.record_outcome(report, value)
            elif report.when == "call" and key == RESULT:
                self.ledger.add_result(value["implementation"], value)
            elif report.when == "call" and key == EVIDENCE:
                self.ledger.evidence[value["claim"]].append(value["text"])

    def pytest_terminal_summary(self, terminalreporter) -> None:
        ledger = self.ledger
        if not (ledger.tests or ledger.results):
            return  # a run of no claim test (the benchmarks, say) leaves the last ledger as it was
        folder = Path(self.config.rootpath, self.config.getoption("--ledger-dir"))
        rows = ledger.write(folder)
        counts = Counter(row["verdict"] for row in rows)
        terminalreporter.section("claims ledger")
        for row in rows:
            if row["verdict"] in ("failed", "refuted", "qualified"):
                terminalreporter.write_line(f"{row['id']:>4} {row['verdict']:<9} {row['why'][:110]}")
        kept = sum(1 for row in rows if row.get("kept_from"))
        where = f"ledger written to {folder / 'ledger.md'}"
        terminalreporter.write_line(where + (f" ({kept} claims kept from earlier runs)" if kept else ""))
        terminalreporter.write_line(
            "claims: " + ", ".join(f"{counts[v]} {v}" for v in ALL_VERDICTS) + f" (torch {torch.__version__})"
        )


@pytest.fixture
def evidence(request: pytest.FixtureRequest):
    """``evidence("M1", "test accuracy 0.884")``: a measured fact shown beside the claim's verdict."""
    ledger = request.config.stash[_LEDGER]

    def add(claim: str, text: str) -> None:
        ledger.check_known(claim, request.node.nodeid)
        request.node.user_properties.append((EVIDENCE, {"claim": claim, "text": text}))

    return add


@pytest.fixture
def record_result(request: pytest.FixtureRequest):
    """``record_result("report", result)``: a check's ``Result`` on an implementation, for the claim's verdict.

    ``measured=True`` for a result measured by a test rather than given by a registered check (the slow tests').
    """
    ledger = request.config.stash[_LEDGER]

    def add(implementation: str, result: Result, measured: bool = False) -> None:
        ledger.check_known(result.claim, request.node.nodeid)
        if implementation not in IMPLEMENTATIONS:
            raise ValueError(f"implementation {implementation!r} is not one of {IMPLEMENTATIONS}")
        entry = {"implementation": implementation, "measured": measured, **result.to_dict()}
        request.node.user_properties.append((RESULT, entry))

    return add
