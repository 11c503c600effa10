"""The claims ledger: a pytest plugin that turns test outcomes into a verdict per claim.

A test names the claim it checks and what its passing means:

    @pytest.mark.claim("L4", verdict="refuted", why="autograd still fills .grad ...")

``verdict`` is what the claim is shown to be when the test passes: ``holds``,
``refuted`` or ``qualified`` (true only under a condition the ``why`` states).
A claim's verdict combines its tests: ``failed`` if any failed, else the
strongest verdict among those that passed (refuted > qualified > holds), else
``untested``. Tests add measured numbers with the ``evidence`` fixture.

Every run that includes claim tests writes ``reports/ledger.json`` and ``reports/ledger.md`` (change the
folder with ``--ledger-dir``) and ends its terminal summary with the count per
verdict.
"""

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import tomllib
import torch

CATALOGUE = Path(__file__).with_name("claims.toml")
VERDICTS = ("holds", "qualified", "refuted")  # weakest to strongest
ALL_VERDICTS = (*VERDICTS, "failed", "untested")


def load_catalogue() -> dict[str, dict[str, str]]:
    with CATALOGUE.open("rb") as f:
        return tomllib.load(f)


def claim_markers(item: pytest.Item) -> list[tuple[str, str, str]]:
    """``(claim id, verdict, why)`` for each ``claim`` marker on ``item``."""
    found = []
    for marker in item.iter_markers("claim"):
        if len(marker.args) != 1:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.claim takes one claim ID, got {marker.args}.")
        verdict = marker.kwargs.get("verdict", "holds")
        found.append((marker.args[0], verdict, marker.kwargs.get("why", "")))
    return found


class Ledger:
    def __init__(self, config: pytest.Config):
        self.config = config
        self.catalogue = load_catalogue()
        self.tests: dict[str, dict[str, tuple[str, str, str]]] = defaultdict(
            dict
        )  # id -> nodeid -> (outcome, verdict, why)
        self.evidence: dict[str, list[str]] = defaultdict(list)

    def check(self, item: pytest.Item) -> None:
        for claim, verdict, _ in claim_markers(item):
            if claim not in self.catalogue:
                raise pytest.UsageError(f"{item.nodeid}: claim {claim!r} is not in {CATALOGUE.name}.")
            if verdict not in VERDICTS:
                raise pytest.UsageError(f"{item.nodeid}: verdict {verdict!r} is not one of {VERDICTS}.")

    def record(self, report: pytest.TestReport, item_markers: list[tuple[str, str, str]]) -> None:
        outcome = "failed" if report.failed else report.outcome
        for claim, verdict, why in item_markers:
            previous = self.tests[claim].get(report.nodeid, ("passed",))[0]
            # a test's outcome is its worst phase: a failed teardown fails a passed call
            if previous != "failed" and (report.when == "call" or outcome != "passed"):
                self.tests[claim][report.nodeid] = (outcome, verdict, why)

    def verdict(self, claim: str) -> tuple[str, list[str]]:
        results = self.tests.get(claim, {})
        if any(outcome == "failed" for outcome, _, _ in results.values()):
            failed = [nodeid for nodeid, (outcome, _, _) in results.items() if outcome == "failed"]
            return "failed", [f"failing: {', '.join(failed)}"]
        passed = [(verdict, why) for outcome, verdict, why in results.values() if outcome == "passed"]
        if not passed:
            return "untested", []
        strongest = max(VERDICTS.index(verdict) for verdict, _ in passed)
        whys = dict.fromkeys(why for verdict, why in passed if VERDICTS.index(verdict) == strongest and why)
        return VERDICTS[strongest], list(whys)

    def rows(self) -> list[dict]:
        rows = []
        for claim, entry in self.catalogue.items():
            verdict, whys = self.verdict(claim)
            rows.append(
                {
                    "id": claim,
                    "section": entry["section"],
                    "title": entry["title"],
                    "verdict": verdict,
                    "tests": sorted(self.tests.get(claim, {})),
                    "why": " ".join(whys),
                    "evidence": self.evidence.get(claim, []),
                }
            )
        return rows

    def write(self, folder: Path) -> list[dict]:
        rows = self.rows()
        folder.mkdir(parents=True, exist_ok=True)
        document = {"torch": torch.__version__, "claims": rows}
        (folder / "ledger.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        (folder / "ledger.md").write_text(render_markdown(rows))
        return rows


def render_markdown(rows: list[dict]) -> str:
    counts = Counter(row["verdict"] for row in rows)
    lines = [
        "# nnlab claims ledger",
        "",
        f"torch {torch.__version__}. " + ", ".join(f"{counts[v]} {v}" for v in ALL_VERDICTS if counts[v]) + ".",
    ]
    section = None
    for row in rows:
        if row["section"] != section:
            section = row["section"]
            lines += ["", f"## {section}", "", "| claim | verdict | why and evidence | tests |", "|---|---|---|---|"]
        detail = " ".join([row["why"], *row["evidence"]]).strip().replace("|", "\\|")
        names = Counter(t.split("::")[-1].split("[")[0] for t in row["tests"])
        tests = "<br>".join(f"`{name}`" + (f" ×{n}" if n > 1 else "") for name, n in names.items())
        lines.append(f"| **{row['id']}** {row['title']} | {row['verdict']} | {detail} | {tests} |")
    return "\n".join(lines) + "\n"


_LEDGER = pytest.StashKey[Ledger]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--ledger-dir", default="reports", help="where to write ledger.json and ledger.md")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim(id, verdict='holds', why=''): the catalogue claim this test checks")
    config.stash[_LEDGER] = Ledger(config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        config.stash[_LEDGER].check(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    item.config.stash[_LEDGER].record(report, claim_markers(item))
    return report


@pytest.fixture
def evidence(request: pytest.FixtureRequest):
    """``evidence("M1", "test accuracy 0.884")``: a measured fact shown beside the claim's verdict."""

    def add(claim: str, text: str) -> None:
        ledger = request.config.stash[_LEDGER]
        if claim not in ledger.catalogue:
            raise KeyError(f"claim {claim!r} is not in {CATALOGUE.name}")
        ledger.evidence[claim].append(text)

    return add


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    ledger = config.stash[_LEDGER]
    if hasattr(config, "workerinput") or not ledger.tests:
        return  # a run of no claim test (the benchmarks, say) leaves the last ledger as it was
    folder = Path(config.rootpath, config.getoption("--ledger-dir"))
    rows = ledger.write(folder)
    counts = Counter(row["verdict"] for row in rows)
    terminalreporter.section("claims ledger")
    for row in rows:
        if row["verdict"] in ("failed", "refuted", "qualified"):
            terminalreporter.write_line(f"{row['id']:>4} {row['verdict']:<9} {row['why'][:110]}")
    terminalreporter.write_line(f"ledger written to {folder / 'ledger.md'}")
    terminalreporter.write_line(
        "claims: " + ", ".join(f"{counts[v]} {v}" for v in ALL_VERDICTS) + f" (torch {torch.__version__})"
    )
