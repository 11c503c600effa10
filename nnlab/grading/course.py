"""A course file: which claims count, for how many points, and what a student sees of them.

``nnlab check --course course.toml`` reads it (``examples/course.toml`` uses every key)::

    partial_credit = true      # a claim earns the share of its checks' credit (false, the default: all or nothing)
    qualified = 0.5            # the credit a qualified check earns, from 0 to 1 (default 0)
    [claims.L7]                # only the claims listed count
    points = 2                 # a positive number (default 1)
    visibility = "after_due_date"   # Gradescope's: hidden, after_due_date, after_published, visible (default)

Scoring. Each check of a claim earns a credit: 1 for ``pass``, ``qualified``
for ``qualified``, 0 for anything else (``fail``, ``error``, and ``missing``,
a role the submission does not define). A counted claim earns its points times

- with ``partial_credit``: the mean of its checks' credits;
- without: the smallest of its checks' credits, so a claim earns all its points
  only when every check passed, ``qualified`` of them when every check passed
  or was qualified and at least one was qualified, and nothing when a check
  failed or could not run (a partial claim).

Every claim of a submission that was not checked (status ``error``, ``timeout``
or ``tampered``) earns 0: its results are not those of its code. A submission
whose memory ran out in a check (status ``memory``) was checked, and that check
failed. Without a course file every claim the checks cover counts one point,
visible, all or nothing, and a qualified check earns nothing.
"""

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from nnlab.grading.submission_report import claim_order

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover  (Python 3.10)
    import tomli as tomllib

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")  # Gradescope's, in its words
UNSCORED = ("error", "timeout", "tampered")  # a submission with this status earns nothing


class CourseError(ValueError):
    """A course file nnlab cannot use; the message names the key and the fix."""


@dataclass(frozen=True)
class Counted:
    """A claim the course counts."""

    points: float = 1.0
    visibility: str = "visible"


@dataclass(frozen=True)
class Course:
    claims: dict[str, Counted]  # claim ID -> how it counts, in the catalogue's order
    partial_credit: bool = False
    qualified: float = 0.0

    def possible(self) -> float:
        return sum(counted.points for counted in self.claims.values())


def every_claim() -> Course:
    """The course without a course file: every claim the checks cover, a point each, visible."""
    return Course({claim: Counted() for claim in claim_order()})


def load_course(path: Path) -> Course:
    """The course in a TOML file; ``CourseError`` names what is wrong in it and how to put it right."""
    try:
        with path.open("rb") as f:
            table = tomllib.load(f)
    except OSError as error:
        raise CourseError(f"cannot read {path}: {error.strerror}") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CourseError(f"{path} is not TOML ({error}): write it as examples/course.toml does") from error
    refuse_unknown_keys(table, ("partial_credit", "qualified", "claims"), "the top level")
    partial_credit = table.get("partial_credit", False)
    if not isinstance(partial_credit, bool):
        raise CourseError(f"partial_credit = {partial_credit!r}: write true or false")
    qualified = table.get("qualified", 0.0)
    if not is_number(qualified) or not 0 <= qualified <= 1:
        raise CourseError(f"qualified = {qualified!r}: write a number from 0 to 1 (the share a qualified check earns)")
    listed = table.get("claims", {})
    if not isinstance(listed, dict) or not listed:
        raise CourseError("no [claims.<ID>] table: list each claim that counts, e.g. [claims.L7] with points = 2")
    order = claim_order()
    unknown = [claim for claim in listed if claim not in order]
    if unknown:
        raise CourseError(f"[claims.{unknown[0]}]: no claim {unknown[0]!r} is checked; use one of {', '.join(order)}")
    claims = {claim: counted_claim(claim, listed[claim]) for claim in order if claim in listed}
    return Course(claims, partial_credit, float(qualified))


def counted_claim(claim: str, settings) -> Counted:
    where = f"[claims.{claim}]"
    if not isinstance(settings, dict):
        raise CourseError(f"claims.{claim} = {settings!r}: write a table, [claims.{claim}] with points = ...")
    refuse_unknown_keys(settings, ("points", "visibility"), where)
    points = settings.get("points", 1.0)
    if not is_number(points) or not 0 < points < math.inf:  # nan and inf are TOML's, not JSON's
        raise CourseError(f"{where} points = {points!r}: write a positive number")
    visibility = settings.get("visibility", "visible")
    if visibility not in VISIBILITIES:
        raise CourseError(f"{where} visibility = {visibility!r}: write one of {', '.join(VISIBILITIES)}")
    return Counted(float(points), visibility)


def refuse_unknown_keys(table: dict, known: tuple[str, ...], where: str) -> None:
    unknown = [key for key in table if key not in known]
    if unknown:
        raise CourseError(f"unknown key {unknown[0]!r} in {where}: the keys there are {', '.join(known)}")


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_credit(result: str, course: Course) -> float:
    return {"pass": 1.0, "qualified": course.qualified}.get(result, 0.0)


def claim_scores(report: dict, course: Course) -> dict[str, float]:
    """The points each claim the course counts earns in a report, in the course's order (see the module's doc)."""
    claims = {claim["id"]: claim for claim in report["claims"]}
    scores = dict.fromkeys(course.claims, 0.0)
    if report["status"] in UNSCORED:
        return scores
    for claim_id, counted in course.claims.items():
        credits = [check_credit(check["result"], course) for check in claims[claim_id]["checks"]]
        share = sum(credits) / len(credits) if course.partial_credit else min(credits)
        scores[claim_id] = round(counted.points * share, 4)
    return scores


def total(scores: dict[str, float]) -> float:
    return round(sum(scores.values()), 4)
