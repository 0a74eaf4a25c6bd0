"""Issue 9: records that used to stop a sweep, be misread or leak, each pinned by a test.

Every case here failed before the intake became a boundary (see
docs/decisions/0005-hostile-input.md): a traceback, a wrong date, a silent pass or an echo.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import orjson
import pytest

from engine.evaluate.evaluator import RuleSet
from engine.evaluate.findings import CaseResult
from engine.records.intake import RawRecord, shape, validate
from tests.conftest import make_record

NAME = "Zephyrine"  # a planted name: it must never come back out


def _intake(data: bytes | dict[str, Any]) -> Any:
    raw = data if isinstance(data, bytes) else orjson.dumps(data)
    return validate(RawRecord("in.jsonl:3", raw))


def _errors(data: bytes | dict[str, Any]) -> list[dict[str, str]]:
    intake = _intake(data)
    assert intake.record is None, "expected the record to be rejected"
    return [e.as_dict() for e in intake.errors]


def _visit_record(**event: Any) -> dict[str, Any]:
    return make_record(
        episodes=[{"id": "p1", "type": "cp_plan", "start": "2024-01-08"}],
        events=[{"id": "v1", "type": "visit", "date": "2024-01-15", **event}])


# -- dates accept exactly the documented forms ---------------------------------------------


@pytest.mark.parametrize("bad", ["0", "00000000", "20240201", "2024-01-11 10:00:00",
                                 "2024-W01-1", "1899-12-31", "2100-01-01", "0001-01-01",
                                 "9999-12-31"])
def test_date_of_birth_takes_only_yyyy_mm_dd_in_range(bad: str) -> None:
    errs = _errors(make_record(child={"id": "c1", "date_of_birth": bad}))
    assert [e["pointer"] for e in errs] == ["/child/date_of_birth"]
    assert "YYYY-MM-DD" in errs[0]["expected"] and "1900-2099" in errs[0]["expected"]


@pytest.mark.parametrize("bad", ["0001-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00",
                                 "2024-01-11 10:00:00", "2024-01-11T10", "1700000000", "0"])
def test_event_date_times_are_range_checked_and_exact(bad: str) -> None:
    errs = _errors(_visit_record(date=bad))
    assert [e["pointer"] for e in errs] == ["/events/0/date"]


@pytest.mark.parametrize("good", ["2024-01-11", "2024-01-11T10:00", "2024-01-11T10:00:05",
                                  "2024-01-11T10:00:05.123Z", "2024-03-31T01:30:00+01:00"])
def test_documented_forms_still_pass(good: str) -> None:
    assert _intake(_visit_record(date=good)).record is not None


def test_a_number_is_not_a_date() -> None:
    errs = _errors(make_record(child={"id": "c1", "date_of_birth": 20240201}))
    assert errs[0]["pointer"] == "/child/date_of_birth"
    assert "(got an integer)" in errs[0]["message"]


# -- no record stops the sweep ---------------------------------------------------------------


def test_undeclared_end_on_a_visit_is_kept_but_never_a_date(evaluate: Callable[..., CaseResult],
                                                            england: RuleSet) -> None:
    record = _visit_record(end="2024-09-01")  # after the as-of: would be "trimmed" as a date
    intake = _intake(record)
    assert intake.record is not None
    assert intake.record["events"][0]["end"] == "2024-09-01"  # kept as it came
    result = england.evaluate(intake.record, date(2024, 6, 30))
    assert result.evaluated and not result.errors


def test_undeclared_decision_date_on_a_contact(england: RuleSet) -> None:
    record = make_record(events=[
        {"id": "c", "type": "contact", "date": "2024-01-02", "decision_date": "2024-01-05"},
        {"id": "r", "type": "referral", "date": "2024-01-03", "ref": "c"}])
    intake = _intake(record)
    assert intake.record is not None
    result = england.evaluate(intake.record, date(2024, 6, 30))
    assert not result.errors
    assert {f.rule for f in result.findings} >= {"ENG-REFERRAL-DECISION-1WD"}


def test_an_integer_of_2_to_the_64_or_more_is_described_not_serialised() -> None:
    data = orjson.dumps(_visit_record()).replace(b'"v1"', b'"v1","seen":100000000000000000000')
    errs = _errors(data)
    assert errs[0]["pointer"] == "/events/0/seen"
    assert "(got an integer)" in errs[0]["message"]
    orjson.dumps(errs)  # the error itself serialises


def test_a_huge_integer_in_an_undeclared_field_is_harmless(england: RuleSet) -> None:
    data = orjson.dumps(_visit_record()).replace(b'"v1"', b'"v1","n":100000000000000000000')
    intake = _intake(data)
    assert intake.record is not None
    assert england.evaluate(intake.record, date(2024, 6, 30)).evaluated


def test_an_unexpected_failure_in_a_rule_is_an_internal_error_for_that_rule(
        england: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    intake = _intake(_visit_record())
    assert intake.record is not None
    ran = {f.rule for f in england.evaluate(intake.record, date(2024, 6, 30)).findings}
    # a rule the record gives something to do (rules with nothing to start a clock are skipped)
    compiled, meta = next((r, m) for r, m in england.rules if m.id in ran)

    def boom(*_: Any) -> list[Any]:
        raise ZeroDivisionError(NAME)

    monkeypatch.setattr(compiled, "evaluate", boom)
    intake = _intake(_visit_record())
    result = england.evaluate(intake.record, date(2024, 6, 30))
    internal = [e for e in result.errors if e.internal]
    assert len(internal) == 1 and internal[0].rule == meta.id
    assert "ZeroDivisionError" in internal[0].message and NAME not in internal[0].message
    assert internal[0].as_dict()["kind"] == "internal"
    assert result.evaluated  # the other rules' findings stand


# -- no silent misreading --------------------------------------------------------------------


def test_a_decision_dated_before_its_referral_satisfies_nothing(england: RuleSet) -> None:
    record = make_record(events=[{"id": "r", "type": "referral", "date": "2024-01-11",
                                  "decision_date": "2020-01-01"}])
    intake = _intake(record)
    assert intake.record is not None
    assert [w.pointer for w in intake.warnings] == ["/events/0/decision_date"]
    result = england.evaluate(intake.record, date(2024, 6, 30))
    (finding,) = [f for f in result.findings if f.rule == "ENG-REFERRAL-DECISION-1WD"]
    assert finding.status == "overdue" and finding.done_id is None


def test_an_assessment_completed_before_it_started_is_not_met(england: RuleSet) -> None:
    record = make_record(events=[{"id": "a", "type": "assessment", "date": "2024-01-08",
                                  "completed": "2024-01-07"}])
    intake = _intake(record)
    assert [w.pointer for w in intake.warnings] == ["/events/0/completed"]
    result = england.evaluate(intake.record, date(2024, 6, 30))
    (finding,) = [f for f in result.findings if f.rule == "ENG-ASSESSMENT-45WD"]
    assert finding.status == "overdue"


def test_duplicate_keys_are_an_error_with_a_pointer() -> None:
    data = (b'{"format":"casecheck/case-record@1","case_id":"T-1","child":{"id":"c1"},'
            b'"events":[{"id":"v1","type":"visit","date":"2024-01-15","seen":true,'
            b'"seen":false}]}')
    errs = _errors(data)
    assert errs[0]["pointer"] == "/events/0"
    assert "twice" in errs[0]["message"]


def test_quote_colon_inside_a_string_is_not_a_duplicate_key() -> None:
    record = _visit_record(note='he said "a": "b"')
    assert _intake(record).record is not None


def test_duplicate_top_level_key() -> None:
    data = b'{"format":"casecheck/case-record@1","case_id":"A","case_id":"B","child":{"id":"c"}}'
    assert _errors(data)[0]["pointer"] == ""


# -- nothing about a child leaves through an error ---------------------------------------------


@pytest.mark.parametrize("field", ["date_of_birth", "sex_flag", "disability"])
def test_a_name_in_a_typed_field_is_described_by_shape(field: str) -> None:
    child: dict[str, Any] = {"id": "c1"}
    if field == "date_of_birth":
        child["date_of_birth"] = NAME
    elif field == "disability":
        child["disability"] = NAME
    else:
        child["sex"] = 5  # wrong type, not a name: still described, not shown
    errs = _errors(make_record(child=child))
    text = orjson.dumps(errs).decode()
    assert NAME not in text
    assert "value" not in errs[0]


def test_a_name_in_an_enum_is_not_echoed() -> None:
    errs = _errors(make_record(events=[{"id": "a", "type": "assessment", "date": "2024-01-08",
                                        "outcome": NAME}]))
    assert NAME not in orjson.dumps(errs).decode()
    assert "(got a 9-character string)" in errs[0]["message"]


def test_unknown_event_types_are_reported_by_count_and_hash() -> None:
    long_name = NAME + " " + "x" * 200
    record = make_record(events=[{"id": "u1", "type": long_name, "date": "2024-01-08"},
                                 {"id": "u2", "type": long_name, "date": "2024-01-09"}])
    intake = _intake(record)
    assert intake.record is not None
    (warning,) = intake.warnings
    assert NAME not in warning.message
    assert warning.message.startswith("2 events of an unknown type (type#")


@pytest.mark.parametrize(("value", "described"), [
    (None, "null"), (True, "a boolean"), (7, "an integer"), (1.5, "a number"),
    ("", "an empty string"), ("  ", "a string of 2 blank characters"),
    ("00000000", "an 8-character string of digits"), (NAME, "a 9-character string"),
    ([1, 2], "a list of 2 items"), ({"a": 1}, "an object")])
def test_shape_words(value: Any, described: str) -> None:
    assert shape(value) == described
