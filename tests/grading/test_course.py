"""The course file (nnlab.grading.course): its keys, its errors, and the points a report earns under it, in
Gradescope's results and in the gradebook. Reports are built in this process, from scripted check results."""

import csv
import sys

import jsonschema
import pytest

from nnlab.checks import all_checks
from nnlab.cli import main
from nnlab.grading.course import Counted, Course, claim_scores, every_claim, load_course
from nnlab.grading.gradebook import write_gradebook
from nnlab.grading.gradescope import gradescope_results
from nnlab.grading.submission_report import claim_order
from tests.grading.conftest import EXAMPLE_COURSE, EXAMPLES, GRADESCOPE_SCHEMA, report_of

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover  (Python 3.10)
    import tomli as tomllib

CHECKS_OF = {claim: [c.id for c in all_checks() if c.claim == claim] for claim in claim_order()}
# a claim with four checks or more, where the mean of its checks' credits differs from their minimum
MANY = next(claim for claim, checks in CHECKS_OF.items() if len(checks) >= 4)
N = len(CHECKS_OF[MANY])


def test_the_example_course_file_uses_every_key_and_loads_as_written():
    written = tomllib.loads(EXAMPLE_COURSE.read_text())
    assert set(written) == {"partial_credit", "qualified", "claims"}
    assert set().union(*written["claims"].values()) == {"points", "visibility"}
    course = load_course(EXAMPLE_COURSE)
    assert (course.partial_credit, course.qualified) == (True, 0.5)
    assert course.claims == {
        "L1": Counted(1.0),
        "L3": Counted(2.0),
        "L7": Counted(2.0, "after_due_date"),
        "C1": Counted(2.0, "visible"),
        "F2": Counted(1.5, "after_published"),
        "T4": Counted(1.0, "hidden"),
    }


def test_a_course_counts_its_claims_in_the_catalogues_order_with_defaults_for_what_it_leaves_out(tmp_path):
    path = tmp_path / "course.toml"
    path.write_text("[claims.T4]\n[claims.L1]\npoints = 3\n[claims.C1]\n")
    course = load_course(path)
    assert course == Course({"L1": Counted(3.0), "C1": Counted(), "T4": Counted()}, partial_credit=False, qualified=0)
    assert course.possible() == 5.0


BAD_COURSES = {
    "not TOML": ("points = [", "course.toml is not TOML (Invalid value"),
    "an unknown claim": ("[claims.Z9]", "[claims.Z9]: no claim 'Z9' is checked; use one of L1, L2, L3, L5,"),
    "a claim no check covers": ("[claims.L4]", "[claims.L4]: no claim 'L4' is checked; use one of L1, L2, L3, L5,"),
    "no points": ("[claims.L7]\npoints = 0", "[claims.L7] points = 0: write a positive number"),
    "negative points": ("[claims.L7]\npoints = -1.5", "[claims.L7] points = -1.5: write a positive number"),
    "points in words": ('[claims.L7]\npoints = "two"', "[claims.L7] points = 'two': write a positive number"),
    "points as a boolean": ("[claims.L7]\npoints = true", "[claims.L7] points = True: write a positive number"),
    # TOML has them, JSON has not: Gradescope could not read the results.json they would give
    "points not a number": ("[claims.L7]\npoints = nan", "[claims.L7] points = nan: write a positive number"),
    "infinite points": ("[claims.L7]\npoints = inf", "[claims.L7] points = inf: write a positive number"),
    "an unknown visibility": (
        '[claims.L7]\nvisibility = "students"',
        "[claims.L7] visibility = 'students': write one of hidden, after_due_date, after_published, visible",
    ),
    "an unknown key at the top": (
        "bonus = 1\n[claims.L7]",
        "unknown key 'bonus' in the top level: the keys there are partial_credit, qualified, claims",
    ),
    "an unknown key of a claim": (
        "[claims.L7]\npoint = 2",
        "unknown key 'point' in [claims.L7]: the keys there are points, visibility",
    ),
    "a claim that is not a table": ("claims.L7 = 2", "claims.L7 = 2: write a table, [claims.L7] with points = ..."),
    "a qualified share past 1": ("qualified = 2\n[claims.L7]", "qualified = 2: write a number from 0 to 1"),
    "partial credit in words": ('partial_credit = "yes"\n[claims.L7]', "partial_credit = 'yes': write true or false"),
    "no claims": ("partial_credit = true", "no [claims.<ID>] table: list each claim that counts"),
}


@pytest.mark.parametrize(("text", "message"), BAD_COURSES.values(), ids=BAD_COURSES)
def test_a_course_file_nnlab_cannot_use_is_a_usage_error_naming_the_key_and_the_fix(tmp_path, capsys, text, message):
    path = tmp_path / "course.toml"
    path.write_text(text)
    with pytest.raises(SystemExit) as exit_:
        main(["check", str(EXAMPLES / "per_row_centering"), "--course", str(path), "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "error: argument --course: " in error and message in error
    assert not (tmp_path / "out").exists()  # refused before checking anything


def test_a_course_file_that_is_not_there_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["check", str(EXAMPLES / "per_row_centering"), "--course", str(tmp_path / "course.toml")])
    assert (
        exit_.value.code == 2
        and f"argument --course: cannot read {tmp_path / 'course.toml'}" in capsys.readouterr().err
    )


# the results of MANY's first checks (the rest pass), whether the course gives partial credit, and the share of
# MANY's points the claim earns with a qualified check's credit 0.5
SHARES = {
    "every check passes, all or nothing": ([], False, 1.0),
    "every check passes, partial credit": ([], True, 1.0),
    "one fails, all or nothing": (["fail"], False, 0.0),
    "one fails, partial credit": (["fail"], True, (N - 1) / N),
    "one error, partial credit": (["error"], True, (N - 1) / N),
    "one qualified, all or nothing": (["qualified"], False, 0.5),
    "one qualified, partial credit": (["qualified"], True, (N - 0.5) / N),
    "qualified and failed, all or nothing": (["qualified", "fail"], False, 0.0),
    "a role missing (a partial claim), all or nothing": (["missing"], False, 0.0),
    "a role missing (a partial claim), partial credit": (["missing"], True, (N - 1) / N),
    "every role missing, partial credit": (["missing"] * N, True, 0.0),
    "failed, qualified and missing, partial credit": (["fail", "qualified", "missing"], True, (N - 2.5) / N),
}


@pytest.mark.parametrize(("results", "partial_credit", "share"), SHARES.values(), ids=SHARES)
def test_a_claim_earns_its_points_times_the_mean_or_the_least_of_its_checks_credits(results, partial_credit, share):
    report = report_of(dict(zip(CHECKS_OF[MANY], results)))
    course = Course({MANY: Counted(3.0), "L7": Counted(1.0)}, partial_credit, qualified=0.5)
    assert claim_scores(report, course) == {MANY: pytest.approx(3.0 * share, abs=1e-4), "L7": 1.0}


def test_a_qualified_check_earns_nothing_where_the_course_gives_it_no_share():
    report = report_of({CHECKS_OF[MANY][0]: "qualified"})
    assert claim_scores(report, Course({MANY: Counted(2.0)}, partial_credit=False)) == {MANY: 0.0}


@pytest.mark.parametrize("status", ["error", "timeout", "tampered"])
def test_a_submission_that_was_not_checked_scores_nothing_whatever_its_results(status):
    scores = claim_scores(report_of(status=status), every_claim())
    assert list(scores) == claim_order() and set(scores.values()) == {0.0}


def test_a_submission_whose_memory_ran_out_in_a_check_was_checked_and_loses_that_check_alone():
    report = report_of({CHECKS_OF[MANY][0]: "fail"}, status="memory")
    scores = claim_scores(report, every_claim())
    assert [claim for claim, score in scores.items() if score != 1.0] == [MANY]


def test_without_a_course_file_every_claim_is_a_visible_point_earned_whole_or_not_at_all():
    course = every_claim()
    assert list(course.claims) == claim_order()
    assert set(course.claims.values()) == {Counted(1.0, "visible")}
    assert (course.partial_credit, course.qualified) == (False, 0.0)


def test_gradescope_shows_only_the_counted_claims_with_the_courses_points_and_visibility():
    course = load_course(EXAMPLE_COURSE)
    failing = CHECKS_OF["L3"][0]  # one of L3's five checks fails: 4/5 of its 2 points with partial credit
    results = gradescope_results(report_of({failing: "fail"}), course)
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    tests = {test["name"].split(":")[0]: test for test in results["tests"]}
    assert list(tests) == list(course.claims)
    assert [test["number"] for test in results["tests"]] == ["1", "2", "3", "4", "5", "6"]
    assert {claim: test["visibility"] for claim, test in tests.items()} == {
        claim: counted.visibility for claim, counted in course.claims.items()
    }
    assert {claim: test["max_score"] for claim, test in tests.items()} == {
        claim: counted.points for claim, counted in course.claims.items()
    }
    assert (tests["L3"]["score"], tests["L3"]["status"]) == (pytest.approx(1.6), "failed")
    assert tests["L3"]["output"].startswith("fail.")
    assert all(
        test["status"] == "passed" and test["score"] == test["max_score"] for c, test in tests.items() if c != "L3"
    )
    assert (results["score"], results["max_score"]) == (pytest.approx(9.1), 9.5)
    assert (results["visibility"], results["stdout_visibility"]) == ("visible", "hidden")


def test_gradescope_scores_a_submission_that_was_not_checked_zero_and_says_why():
    results = gradescope_results(report_of(status="timeout"), every_claim())
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    assert {test["score"] for test in results["tests"]} == {0.0} and results["max_score"] == len(claim_order())
    assert results["output"].startswith("Not checked (timeout): timeout, as scripted")


def test_the_gradebook_has_a_row_per_submission_a_column_per_counted_claim_and_the_total(tmp_path):
    course = Course({"L7": Counted(2.0), "C1": Counted(0.5)})
    reports = [
        report_of(name="alice"),
        report_of({CHECKS_OF["C1"][0]: "fail"}, name="bob"),
        report_of(status="tampered", name="carol"),
    ]
    write_gradebook(reports, course, tmp_path / "grades" / "lab1.csv")
    with (tmp_path / "grades" / "lab1.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["submission", "L7", "C1", "total"],
        ["alice", "2.0", "0.5", "2.5"],
        ["bob", "2.0", "0.0", "2.0"],
        ["carol", "0.0", "0.0", "0.0"],
    ]
