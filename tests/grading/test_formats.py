"""report.json and summary.json are published formats: a format version, and a JSON Schema shipped in the package
(tests/grading/conftest.py holds every report and summary the grading tests write to it)."""

import sys
from fnmatch import fnmatch
from pathlib import Path

import jsonschema
import pytest

from nnlab.grading.summary import build_summary
from tests.grading.conftest import PUBLISHED, SCHEMAS, report_of

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover  (Python 3.10)
    import tomli as tomllib

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"
REPORT, SUMMARY = PUBLISHED["report.json"], PUBLISHED["summary.json"]


def test_a_report_and_a_summary_carry_format_1_and_hold_to_their_schemas():
    report = report_of({"L7:parallel_block_concatenates_for_any_widths": "fail"})
    summary = build_summary([report])
    assert (report["format"], summary["format"]) == (1, 1)
    jsonschema.validate(report, REPORT)
    jsonschema.validate(summary, SUMMARY)


# (where in the report, the field taken out): the published fields
PUBLISHED_FIELDS = [
    *[((), field) for field in ("format", "submission", "status", "error", "claims")],
    *[(("claims", 0), field) for field in ("id", "result", "detail", "partial")],
]


@pytest.mark.parametrize(("where", "field"), PUBLISHED_FIELDS, ids=lambda x: ".".join(map(str, x)) or "top")
def test_a_report_without_a_published_field_fails_its_schema(where, field):
    report = report_of()
    holder = report
    for key in where:
        holder = holder[key]
    del holder[field]
    with pytest.raises(jsonschema.ValidationError, match=f"'{field}' is a required property"):
        jsonschema.validate(report, REPORT)


@pytest.mark.parametrize(
    ("change", "wrong"),
    [
        (lambda r: r.update(format=2), "format"),
        (lambda r: r.update(status="finished"), "status"),
        (lambda r: r["claims"][0].update(result="passed"), "result"),
        (lambda r: r["claims"][0].update(partial="no"), "partial"),
        (
            lambda r: r.update(notebooks=[{"file": "a.ipynb", "dropped": [], "failed_cells": [{"cell": 0}]}]),
            "failed_cells",
        ),
    ],
    ids=["format 2", "an unknown status", "an unknown result", "partial in words", "a failed cell without its error"],
)
def test_a_report_with_a_published_field_out_of_its_values_fails_its_schema(change, wrong):
    report = report_of()
    change(report)
    with pytest.raises(jsonschema.ValidationError) as refused:
        jsonschema.validate(report, REPORT)
    assert wrong in refused.value.path


def test_fields_added_beside_the_published_ones_hold_to_the_schemas():
    # nnlab documents that it adds fields beside the published ones
    report = report_of() | {"course": {"points": 3}}
    report["claims"][0]["points"] = 1.0
    jsonschema.validate(report, REPORT)
    jsonschema.validate(build_summary([report]) | {"course": "course.toml"}, SUMMARY)


def drop_format(summary: dict) -> None:
    del summary["format"]


def drop_a_count(summary: dict) -> None:
    del summary["claims"][0]["counts"]["missing"]


@pytest.mark.parametrize("change", [drop_format, drop_a_count])
def test_a_summary_without_its_format_or_a_count_fails_its_schema(change):
    summary = build_summary([report_of()])
    change(summary)
    with pytest.raises(jsonschema.ValidationError, match="is a required property"):
        jsonschema.validate(summary, SUMMARY)


def test_the_wheel_ships_every_schema():
    """pyproject.toml's package data for nnlab.grading names each schema file (CI builds the wheel from it)."""
    patterns = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"]["nnlab.grading"]
    schemas = sorted(f"schemas/{path.name}" for path in SCHEMAS.iterdir() if path.name.endswith(".json"))
    assert schemas == ["schemas/report.schema.json", "schemas/summary.schema.json"]
    assert all(any(fnmatch(schema, pattern) for pattern in patterns) for schema in schemas)
