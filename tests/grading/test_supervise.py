"""The supervisor's side of the worker protocol, against a scripted worker: what each way of going wrong costs.

tests/grading/test_pathological.py shows real labs going wrong end to end; here
the worker is tests/grading/scripted_worker.py, so each case takes a fraction
of a second and the supervisor, the reports, the summary and Gradescope's
results run in this process (Ctrl-C and nnlab's own errors are not scripted).
"""

import csv
import functools
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import jsonschema
import pytest
from markdown_it import MarkdownIt

from nnlab.checks import all_checks
from nnlab.checks.judged import answered
from nnlab.cli import main
from nnlab.grading import reaper, supervise
from nnlab.grading.course import every_claim, load_course
from nnlab.grading.gradescope import gradescope_results
from nnlab.grading.submission_report import build_report, report_markdown
from nnlab.grading.supervise import Limits, check_submission
from nnlab.labs import REFERENCE
from tests.grading.conftest import EXAMPLE_COURSE, GRADESCOPE_SCHEMA

SCRIPTED_WORKER = Path(__file__).with_name("scripted_worker.py")
LIMITS = Limits(timeout=30, check_timeout=1)
CHECKS = [(c.id, c.claim) for c in all_checks()]


@functools.cache
def reference_answers() -> dict[str, dict]:
    """What the reference lab answers for each check: a passing check's event (a failing one says why); computed
    when the first script is written, not while pytest collects."""
    return {check.id: answered(check, REFERENCE) for check in all_checks()}


# every check is judged: a scripted failure is answers that raised, whose reason the supervisor puts after the title
FIRST, SECOND, LAST = CHECKS[0][0], CHECKS[1][0], CHECKS[-1][0]
TITLE = {c.id: c.title.rstrip(".") for c in all_checks()}
CLAIM_OF = dict(CHECKS)
# a check whose answers are tensors, to several questions: the first such, found without answering every check
JUDGED, JUDGED_CLAIM, JUDGED_ANSWERS = next(
    (check.id, check.claim, answers)
    for check in all_checks()
    for answers in [answered(check, REFERENCE)["answers"]]
    if len(answers) > 1 and "tensor" in answers[0]
)
ALLOCATOR_REFUSED = "RuntimeError: DefaultCPUAllocator: can't allocate memory: you tried to allocate 4294967296 bytes."
FORGED = f"tampered with the grader: {supervise.FORGED} (..."


@pytest.fixture(autouse=True)
def scripted_worker(monkeypatch):
    monkeypatch.setattr(supervise, "WORKER", [str(SCRIPTED_WORKER)])


@dataclass
class Script:
    """What the scripted worker does: see scripted_worker.py."""

    results: dict[str, list[str]] = field(default_factory=dict)  # check ID -> [result, detail]; the rest pass
    at: dict[str, str] = field(default_factory=dict)  # "loading", "order", a check ID... -> what goes wrong there
    roles: dict[str, list[str]] = field(default_factory=dict)  # check ID -> the roles it looks up
    error: str | None = None  # the submission's error while loading
    restored: list[str] = field(default_factory=list)
    notebooks: object = field(default_factory=list)  # what it says of the submission's notebooks, well-formed or not
    printed: str = ""  # what it prints first, each $NAME replaced by that variable of its environment
    seconds_a_check: float = 0.0
    sent: dict[str, dict] = field(default_factory=dict)  # check ID -> the event sent in place of its result

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**asdict(self), "checks": CHECKS, "answers": reference_answers()}))
        return path


def checked(tmp_path: Path, script: Script, limits: Limits = LIMITS) -> supervise.Checked:
    return check_submission(script.write(tmp_path / "lab.json"), "lab", limits)


def test_a_worker_that_reports_every_check_leaves_each_result_as_it_reported_it(tmp_path):
    script = Script(results={SECOND: ["fail", "the second check's counterexample"]}, restored=["torch.allclose"])
    outcome = checked(tmp_path, script)
    assert (outcome.status, outcome.error, outcome.restored) == ("checked", None, ["torch.allclose"])
    assert [r.check for r in outcome.results.values()] == [check for check, _ in CHECKS]
    assert {check: r.result for check, r in outcome.results.items() if r.result != "pass"} == {SECOND: "fail"}
    assert outcome.results[SECOND].detail == f"{TITLE[SECOND]}: the second check's counterexample"


# (script, limits, status, error): the whole error, or its start where "..." ends it
GOING_WRONG = {
    "load error": (
        Script(error="could not be loaded: NameError: nn"),
        LIMITS,
        "error",
        "could not be loaded: NameError: nn",
    ),
    # as when a child it started holds the output open: the error it reported ends it, not the clock
    "lives on after its load error": (
        Script(error="could not be loaded: ImportError: x", at={"after error": "hang"}),
        Limits(timeout=5, check_timeout=5),
        "error",
        "could not be loaded: ImportError: x",
    ),
    "runs out of memory loading": (
        Script(error=f"could not be loaded: {ALLOCATOR_REFUSED}"),
        LIMITS,
        "memory",
        "ran out of its 4 GiB of memory while loading",
    ),
    "hangs loading": (
        Script(at={"loading": "hang"}),
        LIMITS,
        "timeout",
        "loading did not finish within 1 s: a loop or a download at import?",
    ),
    "exits loading": (
        Script(at={"loading": "exit"}),
        LIMITS,
        "error",
        "the process exited with status 3 while loading",
    ),
    "crashes loading": (
        Script(at={"loading": "crash"}),
        LIMITS,
        "error",
        "the process was killed by SIGSEGV while loading",
    ),
    "exits between checks": (
        Script(at={f"after {FIRST}": "exit"}),
        LIMITS,
        "error",
        "the process exited with status 3 between checks",
    ),
    "forges": (Script(at={"loading": "forge"}), LIMITS, "tampered", FORGED),
    "garbles": (Script(at={FIRST: "garble"}), LIMITS, "tampered", FORGED),
    "sends an endless line": (Script(at={FIRST: "endless"}), LIMITS, "tampered", FORGED),
    "reorders": (Script(at={"order": "swapped"}), LIMITS, "tampered", FORGED),
    "forges later": (Script(at={SECOND: "forge"}), LIMITS, "tampered", FORGED),
    "says done early": (Script(at={f"after {FIRST}": "done"}), LIMITS, "tampered", FORGED),
    "loads twice": (Script(at={f"after {FIRST}": "loaded"}), LIMITS, "tampered", FORGED),
    "reports no result": (
        Script(sent={FIRST: {"event": "result", "check": FIRST, "claim": CLAIM_OF[FIRST], "result": "bogus"}}),
        LIMITS,
        "tampered",
        FORGED,
    ),
    # a judged check's verdict is reached here: the worker may send only its answers, and only for it
    "gives a judged check its verdict": (
        Script(
            sent={JUDGED: {"event": "result", "check": JUDGED, "claim": JUDGED_CLAIM, "result": "pass", "detail": ""}}
        ),
        LIMITS,
        "tampered",
        FORGED,
    ),
    # a check's claim is the registry's: a result moved to another claim (to hide a failure there) is forged
    "gives a result to another claim": (
        Script(sent={FIRST: {"event": "result", "check": FIRST, "claim": "T20", "result": "missing", "detail": ""}}),
        LIMITS,
        "tampered",
        FORGED,
    ),
    "answers a check that is not judged": (
        Script(sent={FIRST: {"event": "answer", "check": FIRST, "answers": []}}),
        LIMITS,
        "tampered",
        FORGED,
    ),
    "sends too few answers": (
        Script(sent={JUDGED: {"event": "answer", "check": JUDGED, "answers": JUDGED_ANSWERS[1:]}}),
        LIMITS,
        "tampered",
        FORGED,
    ),
    # what it says of the submission's notebooks is data of the submission's: a shape other than NotebookRun's is
    # a line the worker did not write
    **{
        f"sends {what}": (Script(notebooks=notebooks), LIMITS, "tampered", FORGED)
        for what, notebooks in {
            "notebook facts that are not a list": {"file": "lab.ipynb", "dropped": [], "failed_cells": []},
            "a notebook's facts with a field of its own": [
                {"file": "lab.ipynb", "dropped": [], "failed_cells": [], "grade": "pass"}
            ],
            "a cell numbered by text": [
                {"file": "lab.ipynb", "dropped": [{"cell": "2", "line": "%time"}], "failed_cells": []}
            ],
            "a cell numbered by a truth value": [
                {"file": "lab.ipynb", "dropped": [{"cell": True, "line": "%time"}], "failed_cells": []}
            ],
            "a cell numbered 0": [{"file": "lab.ipynb", "dropped": [{"cell": 0, "line": "%time"}], "failed_cells": []}],
            "an error that is not text": [
                {"file": "lab.ipynb", "dropped": [], "failed_cells": [{"cell": 1, "error": ["NameError"]}]}
            ],
            "a file that is not text": [{"file": None, "dropped": [], "failed_cells": []}],
        }.items()
    },
    "slow in all": (
        Script(seconds_a_check=0.02),
        Limits(timeout=2, check_timeout=1),
        "timeout",
        "ran past its limit of 2 s...",  # (in a check) if the limit falls inside one
    ),
    "past the whole limit loading": (
        Script(at={"loading": "hang"}),
        Limits(timeout=1, check_timeout=5),
        "timeout",
        "ran past its limit of 1 s (while loading)",
    ),
    "past the whole limit in a check": (  # the first check: no answers before it to read within the limit
        Script(at={CHECKS[0][0]: "hang"}),
        Limits(timeout=1, check_timeout=5),
        "timeout",
        f"ran past its limit of 1 s (in {CHECKS[0][0]})",
    ),
}


@pytest.mark.parametrize(("script", "limits", "status", "error"), GOING_WRONG.values(), ids=GOING_WRONG)
def test_a_worker_that_goes_wrong_ends_its_submission_with_a_reason_and_every_other_check_not_run(
    tmp_path, script, limits, status, error
):
    outcome = checked(tmp_path, script, limits)
    assert outcome.status == status
    assert outcome.error.startswith(error[:-3]) if error.endswith("...") else outcome.error == error, outcome.error
    not_run = [r for r in outcome.results.values() if r.result == "error"]
    assert not_run and all(r.detail == f"not run: {outcome.error}" for r in not_run)
    # what was reported before it went wrong stands, and nothing is reported twice or lost
    assert sorted(outcome.results) == sorted(check for check, _ in CHECKS)
    assert all(r.result == "pass" for r in outcome.results.values() if r not in not_run)


def test_answers_without_the_property_fail_their_check_where_the_supervisor_judges_them(tmp_path):
    wrong = [{"tensor": {**answer["tensor"], "shape": [0]} | {"bytes": ""}} for answer in JUDGED_ANSWERS]
    outcome = checked(tmp_path, Script(sent={JUDGED: {"event": "answer", "check": JUDGED, "answers": wrong}}))
    assert (outcome.status, outcome.results[JUDGED].result) == ("checked", "fail")
    assert outcome.results[JUDGED].detail.endswith(f"(question 1 of {len(wrong)})")
    assert {check: r.result for check, r in outcome.results.items() if check != JUDGED and r.result != "pass"} == {}


@pytest.mark.parametrize("writes", ["one a line", "one"])
def test_memory_run_out_in_a_check_fails_that_check_and_a_fresh_worker_goes_on_with_the_rest(tmp_path, writes):
    # in one write, the lines the worker sent after running out (the next check's start) must not be read
    refused = {check: ["fail", f"{check}: {ALLOCATOR_REFUSED}"] for check in (SECOND, LAST)}
    outcome = checked(tmp_path, Script(results=refused, at={"writes": writes}))
    assert (outcome.status, outcome.error) == ("memory", f"ran out of its 4 GiB of memory in {SECOND}")
    failed = {check: r.detail for check, r in outcome.results.items() if r.result != "pass"}
    assert sorted(failed) == sorted([SECOND, LAST])
    assert all(detail.endswith(": ran out of its 4 GiB of memory") for detail in failed.values())
    assert len(outcome.results) == len(CHECKS)


@pytest.mark.parametrize(
    "detail",
    ["ValueError at lab.py:3: not enough MemoryErrors", "AssertionError: outputs differ (can allocate memory)"],
)
def test_a_failure_that_only_mentions_memory_is_that_checks_failure(tmp_path, detail):
    outcome = checked(tmp_path, Script(results={SECOND: ["fail", detail]}))
    assert (outcome.status, outcome.results[SECOND].detail) == ("checked", f"{TITLE[SECOND]}: {detail}")


def test_a_check_that_hangs_fails_alone_and_the_later_checks_of_its_role_fail_without_running(tmp_path):
    role = "blocks.ParallelBlock"
    script = Script(at={FIRST: "hang"}, roles={FIRST: ["blocks.MLP", role], LAST: [role], SECOND: ["blocks.MLP"]})
    outcome = checked(tmp_path, script)
    assert (outcome.status, outcome.hung_roles) == ("checked", {role: FIRST})
    hung = outcome.results[FIRST]
    assert hung.result == "fail"
    assert hung.detail.endswith(f"did not finish within 1 s (the per-check limit) in {role}: a loop that never ends?")
    # the fresh worker was told which role hung: the scripted one fails the later check that needs it
    not_run = ("fail", f"{TITLE[LAST]}: not run: {role} hung in {FIRST}")
    assert (outcome.results[LAST].result, outcome.results[LAST].detail) == not_run
    assert all(r.result == "pass" for check, r in outcome.results.items() if check not in (FIRST, LAST))


@pytest.mark.parametrize(("what", "why"), [("crash", "was killed by SIGSEGV"), ("exit", "exited with status 3")])
def test_a_check_whose_worker_dies_fails_alone_and_a_fresh_worker_runs_the_rest(tmp_path, what, why):
    outcome = checked(tmp_path, Script(at={SECOND: what}))
    assert (outcome.status, outcome.hung_roles) == ("checked", {})
    assert outcome.results[SECOND].result == "fail"
    assert outcome.results[SECOND].detail.endswith(f": the process {why} during this check")
    assert all(r.result == "pass" for check, r in outcome.results.items() if check != SECOND)


def test_a_daemon_the_worker_leaves_is_killed_and_named_and_no_process_it_started_stays_behind(tmp_path):
    # its first child ends as a zombie of the worker, handed to this process (the subreaper) when the worker is
    # killed, with no mark left to find it by: it is reaped all the same, and nothing the worker started remains
    before = set(reaper.children())
    outcome = checked(tmp_path, Script(at={FIRST: "daemon"}))
    assert [process.split(": ", 1)[1] for process in outcome.outlived] == ["sleep 3600"]
    assert set(reaper.children()) == before


def test_output_past_the_limit_stops_the_submission_and_its_first_mib_is_kept(tmp_path):
    outcome = checked(tmp_path, Script(printed="epoch 1\n", at={FIRST: "print"}), Limits(output_mib=2))
    assert (outcome.status, outcome.error) == ("error", "runaway output: printed more than 2 MiB")
    assert outcome.output.startswith(b"epoch 1\nxxx") and len(outcome.output) == supervise.OUTPUT_KEPT


# what the worker is given beside the grader's own environment
ENVIRONMENT = (
    "TMPDIR",
    "HOME",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "CUDA_VISIBLE_DEVICES",
    "MPLBACKEND",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
)


def test_the_worker_runs_in_a_folder_of_its_own_on_the_cpu_with_the_threads_and_the_backend_it_is_given(tmp_path):
    printed = " ".join(f"{name}=${name}" for name in ENVIRONMENT)
    told = dict(
        pair.split("=")
        for pair in checked(tmp_path, Script(printed=printed), Limits(threads=3)).output.decode().split()
    )
    work = Path(told.pop("TMPDIR"))
    assert work.name.startswith("nnlab-check-lab-") and not work.exists()  # its own, removed once it is checked
    assert told == {
        "HOME": str(work),
        "OMP_NUM_THREADS": "3",
        "MKL_NUM_THREADS": "3",
        "CUDA_VISIBLE_DEVICES": "",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }


def test_the_report_tells_each_claim_its_checks_results_and_what_was_put_back(tmp_path):
    failing, partial = CLAIM_OF[SECOND], CLAIM_OF[LAST]  # a check of the last claim reads missing: it is partial
    results = {SECOND: ["fail", "Y differs"], LAST: ["missing", "no blocks.MLP"]}
    report = build_report(checked(tmp_path, Script(results=results, restored=["torch.allclose"])))
    claims = {c["id"]: c for c in report["claims"]}
    assert {c: (claims[c]["result"], claims[c]["partial"]) for c in (failing, partial)} == {
        failing: ("fail", False),
        partial: ("pass", True),
    }
    assert all(c["result"] == "pass" and not c["partial"] for i, c in claims.items() if i not in (failing, partial))
    assert {"check": SECOND, "result": "fail", "detail": f"{TITLE[SECOND]}: Y differs"} in claims[failing]["checks"]
    markdown = report_markdown(report)
    assert "Put back after loading (the submission had changed them): torch.allclose." in markdown
    assert f"### {SECOND} (fail)\n\n```text\n{TITLE[SECOND]}: Y differs\n```" in markdown
    ran = sum(check != LAST for check, claim in CHECKS if claim == partial)
    assert f"| {partial} | pass (partial: {ran} of {ran + 1} checks ran) |" in markdown
    # Gradescope: a point for each claim that passed whole, none for the failed one or the partial one
    results = gradescope_results(report, every_claim())
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    tests = {t["name"].split(":")[0]: t for t in results["tests"]}
    assert [c for c, t in tests.items() if t["score"] == 0] == [failing, partial]
    assert [c for c, t in tests.items() if t["status"] == "failed"] == [failing, partial]
    assert tests[partial]["output"].startswith(f"pass (partial: {ran} of {ran + 1} checks ran).")
    assert gradescope_results(report, every_claim())["score"] == len(claims) - 2


def test_what_the_worker_says_of_notebooks_is_reported_each_list_and_text_cut_to_its_bound(tmp_path):
    many = [{"cell": number, "error": "NameError: " + "x" * 1000} for number in range(1, 201)]
    dropped = [{"cell": 2, "line": "%matplotlib inline"}]
    sent = [{"file": "lab.ipynb", "dropped": dropped, "failed_cells": many}]
    outcome = checked(tmp_path, Script(notebooks=sent))
    assert outcome.status == "checked"
    (kept,) = outcome.notebooks
    assert (kept["file"], kept["dropped"]) == ("lab.ipynb", dropped)
    assert kept["failed_cells"] == [
        {"cell": entry["cell"], "error": entry["error"][: supervise.NOTEBOOK_TEXT]}
        for entry in many[: supervise.NOTEBOOK_ENTRIES]
    ]
    report = build_report(outcome)
    assert report["notebooks"] == outcome.notebooks
    markdown = report_markdown(report)
    assert "## Notebooks" in markdown and "### `lab.ipynb`\n\n- cell 2: dropped `%matplotlib inline`\n" in markdown
    assert f"- cell 1 failed: `NameError: {'x' * (supervise.NOTEBOOK_TEXT - 11)}`\n" in markdown


def test_a_notebooks_file_name_and_texts_write_no_markdown_or_html_into_the_report(tmp_path):
    hostile = "x\n<!-- hidden -->\n### Fake heading\n| fake | table |\n|---|---|\n```\n`` y`"
    shown = " ".join(hostile.split())  # as the report shows it: on one line, as written
    sent = [
        {
            "file": f"{hostile}.ipynb",
            "dropped": [{"cell": 1, "line": hostile}],
            "failed_cells": [{"cell": 2, "error": hostile}],
        }
    ]
    markdown = report_markdown(build_report(checked(tmp_path, Script(notebooks=sent))))
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    inline = [child for token in tokens if token.type == "inline" for child in token.children]
    assert not [token for token in tokens + inline if token.type in ("html_block", "html_inline")]
    headings = [tokens[i + 1] for i, token in enumerate(tokens) if token.type == "heading_open"]
    assert len(headings) == 3 and headings[1].content == "Notebooks"  # the report's, the section's, the notebook's
    assert [(child.type, child.content) for child in headings[2].children] == [("code_inline", f"{shown}.ipynb")]
    assert [child.content for child in inline if child.type == "code_inline"] == [f"{shown}.ipynb", shown, shown]
    assert sum(token.type == "table_open" for token in tokens) == 1  # the claims' table, and no other


def test_a_lab_of_scripts_has_no_notebooks_in_its_report(tmp_path):
    report = build_report(checked(tmp_path, Script()))
    assert report["notebooks"] == [] and "## Notebooks" not in report_markdown(report)


def test_nnlab_check_on_a_batch_writes_each_report_the_summary_and_exits_1_for_a_failure(tmp_path, capsys):
    good, bad = Script(printed="epoch 1\n"), Script(results={LAST: ["fail", "wrong"]})
    paths = [good.write(tmp_path / "a" / "lab.json"), bad.write(tmp_path / "b" / "lab.json")]
    out = tmp_path / "out"
    # not sandboxed: the scripted worker lies in the repository, which may be under /tmp (as CI's clone is)
    off = ["--sandbox", "off"]
    gradebook = tmp_path / "grades.csv"
    assert main(["check", *map(str, paths), "--out", str(out), "--jobs", "2", "--csv", str(gradebook), *off]) == 1
    gradescope = ["--gradescope", str(tmp_path / "g.json")]
    assert main(["check", str(paths[0]), "--out", str(tmp_path / "alone"), *gradescope, *off]) == 0
    # the same file name twice: the second submission is told apart, in the order given
    summary = json.loads((out / "summary.json").read_text())
    assert [s["submission"] for s in summary["submissions"]] == ["lab", "lab-2"]
    claims = len(summary["claims"])
    assert [(s["counts"]["pass"], s["counts"]["fail"]) for s in summary["submissions"]] == [
        (claims, 0),
        (claims - 1, 1),
    ]
    failing = CLAIM_OF[LAST]
    assert {c["id"]: c["counts"]["fail"] for c in summary["claims"] if c["counts"]["fail"]} == {failing: 1}
    assert (out / "summary.png").stat().st_size > 0
    table = (out / "summary.md").read_text()
    assert "| lab-2 | checked |" in table
    assert table.split("## Claims, the most failed first")[1].split("\n")[4].startswith(f"| {failing} | 1 |")
    written = json.loads((out / "lab-2" / "report.json").read_text())
    assert (written["submission"], written["status"]) == ("lab-2", "checked")
    assert next(c for c in written["claims"] if c["id"] == failing)["result"] == "fail"
    assert (out / "lab-2" / "report.md").read_text() == report_markdown(written)
    assert (out / "lab" / "output.txt").read_text() == "epoch 1\n" and not (out / "lab-2" / "output.txt").exists()
    assert json.loads((tmp_path / "g.json").read_text())["score"] == len(summary["claims"])
    printed = capsys.readouterr().out
    assert "[2/2] lab" in printed
    assert f"Wrote 2 report(s) under {out}/ and {out / 'summary.md'}, summary.json, summary.png" in printed
    # without a course file, the gradebook counts a point for each claim that passed whole
    with gradebook.open(newline="") as f:
        header, *rows = csv.reader(f)
    assert header == ["submission", *[c["id"] for c in summary["claims"]], "total"]
    assert [(row[0], row[header.index(failing)], row[-1]) for row in rows] == [
        ("lab", "1.0", f"{claims:.1f}"),
        ("lab-2", "0.0", f"{claims - 1:.1f}"),
    ]


def test_nnlab_check_with_a_course_file_scores_gradescopes_results_and_the_gradebook_by_it(tmp_path):
    course = load_course(EXAMPLE_COURSE)
    failing = next(check for check, claim in CHECKS if claim in course.claims)
    lab = Script(results={failing: ["fail", "wrong"]}).write(tmp_path / "alice" / "lab.json")
    written = {"--gradescope": tmp_path / "results.json", "--csv": tmp_path / "grades.csv"}
    options = [str(arg) for option in written.items() for arg in option]
    argv = ["check", str(lab), "--out", str(tmp_path / "out"), "--course", str(EXAMPLE_COURSE), *options]
    assert main([*argv, "--sandbox", "off"]) == 1
    results = json.loads(written["--gradescope"].read_text())
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    scores = {test["name"].split(":")[0]: test["score"] for test in results["tests"]}
    assert list(scores) == list(course.claims)
    shares = {claim: sum(check != failing for check, of in CHECKS if of == claim) for claim in course.claims}
    checks = {claim: sum(of == claim for _, of in CHECKS) for claim in course.claims}
    expected = {
        claim: round(counted.points * shares[claim] / checks[claim], 4) for claim, counted in course.claims.items()
    }
    assert scores == expected and results["score"] == pytest.approx(sum(expected.values()))
    with written["--csv"].open(newline="") as f:
        header, row = csv.reader(f)
    assert header == ["submission", *course.claims, "total"]
    assert [float(points) for points in row[1:]] == [*expected.values(), pytest.approx(results["score"])]


def test_a_submission_folder_is_copied_without_its_bytecode_cache_or_hidden_files_and_a_file_into_a_folder(tmp_path):
    folder = tmp_path / "alice"
    for name in ("lab.py", "data/notes.txt", "__pycache__/lab.cpython-311.pyc", ".git/HEAD", ".env"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(name)
    (folder / "gone.py").symlink_to(tmp_path / "nowhere.py")  # dangling: copied as it is
    copy = supervise.copy_submission(folder, tmp_path / "copy")
    assert sorted(str(p.relative_to(copy)) for p in copy.rglob("*")) == ["data", "data/notes.txt", "gone.py", "lab.py"]
    assert (copy / "gone.py").is_symlink()
    single = supervise.copy_submission(folder / "lab.py", tmp_path / "single")
    assert (single, single.read_text()) == (tmp_path / "single" / "lab.py", "lab.py")
