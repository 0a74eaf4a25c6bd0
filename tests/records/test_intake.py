"""Bad input gets a clear error naming the record, the JSON pointer and what was expected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from engine.records.intake import RawRecord, read_records, validate
from tests.conftest import make_record


def _errors(record: Any) -> list[dict[str, str]]:
    data = record if isinstance(record, bytes) else orjson.dumps(record)
    intake = validate(RawRecord("cases.jsonl:7", data))
    assert intake.record is None
    return [e.as_dict() for e in intake.errors]


@pytest.mark.parametrize("bad", ["2024-02-30", "31/01/2024", "", "2024-1-5", "2023-02-29"])
def test_bad_event_date_names_pointer_and_value(bad: str) -> None:
    errs = _errors(make_record(events=[
        {"id": "e1", "type": "visit", "date": "2024-01-05"},
        {"id": "e2", "type": "visit", "date": bad},
    ]))
    assert len(errs) == 1
    err = errs[0]
    assert err["pointer"] == "/events/1/date"
    if bad:  # date-shaped values are shown so that they can be found and fixed
        assert err["value"] == bad
    else:
        assert "value" not in err and "(got an empty string)" in err["message"]
    assert "date YYYY-MM-DD" in err["expected"]
    assert err["source"] == "cases.jsonl:7"


def test_bad_date_of_birth() -> None:
    errs = _errors(make_record(child={"id": "c1", "date_of_birth": "31/01/2016"}))
    assert errs[0]["pointer"] == "/child/date_of_birth"
    assert errs[0]["expected"] == "a date YYYY-MM-DD (years 1900-2099)"


def test_episode_date_must_be_a_date_not_a_datetime() -> None:
    errs = _errors(make_record(episodes=[
        {"id": "p1", "type": "cp_plan", "start": "2024-01-05T10:00"}]))
    assert errs[0]["pointer"] == "/episodes/0/start"


def test_unknown_format_version() -> None:
    rec = make_record()
    rec["format"] = "casecheck/case-record@2"
    errs = _errors(rec)
    assert errs[0]["pointer"] == "/format"
    assert "unknown format" in errs[0]["message"]
    assert errs[0]["expected"] == "casecheck/case-record@1"


def test_wrong_type_and_enum() -> None:
    errs = _errors(make_record(events=[
        {"id": "e1", "type": "strategy_discussion", "date": "2024-01-05", "s47": "yes"},
        {"id": "e2", "type": "assessment", "date": "2024-01-05", "outcome": "maybe"},
    ]))
    by_pointer = {e["pointer"]: e for e in errs}
    assert by_pointer["/events/0/s47"]["expected"] == "true or false"
    assert "cin_plan" in by_pointer["/events/1/outcome"]["expected"]
    # a code outside the vocabulary is described, never echoed: it may be free text
    assert "value" not in by_pointer["/events/1/outcome"]
    assert "(got a 5-character string)" in by_pointer["/events/1/outcome"]["message"]


def test_missing_required_fields() -> None:
    errs = _errors({"format": "casecheck/case-record@1", "child": {}})
    pointers = {e["pointer"] for e in errs}
    assert {"/case_id", "/child/id"} <= pointers


def test_malformed_json_keeps_the_source() -> None:
    errs = _errors(b'{"format": "casecheck/case-record@1", "case_id": ')
    assert errs[0]["pointer"] == ""
    assert "not valid JSON" in errs[0]["message"]
    assert errs[0]["source"] == "cases.jsonl:7"


def test_case_id_is_recovered_from_an_invalid_record() -> None:
    data = orjson.dumps(make_record(events=[{"id": "e1", "type": "visit", "date": "x"}]))
    intake = validate(RawRecord("f.json", data))
    assert intake.case_id == "T-1"
    assert intake.record is None


def test_duplicate_ids_and_backwards_episode() -> None:
    errs = _errors(make_record(
        episodes=[{"id": "x", "type": "cin_plan", "start": "2024-02-01", "end": "2024-01-01"}],
        events=[{"id": "x", "type": "visit", "date": "2024-01-05"}],
    ))
    messages = {e["pointer"]: e["message"] for e in errs}
    assert "duplicate id 'x'" in messages["/events/0/id"]
    assert "ends before it starts" in messages["/episodes/0/end"]


def test_free_text_is_never_echoed_in_errors() -> None:
    secret = "Jane Example lives at 1 Sample Street"
    errs = _errors(make_record(
        child={"id": "c1", "sex": [secret]},
        allocation={"team": {"note": secret}},
        events=[{"id": "e1", "type": "visit", "date": secret}],
    ))
    assert errs
    assert secret not in orjson.dumps(errs).decode()
    assert "Jane" not in orjson.dumps(errs).decode()


def test_unknown_event_type_is_kept_and_warned_once() -> None:
    rec = make_record(events=[
        {"id": "e1", "type": "family_group_conference", "date": "2024-01-05"},
        {"id": "e2", "type": "family_group_conference", "date": "2024-02-05"},
    ])
    intake = validate(RawRecord("f.json", orjson.dumps(rec)))
    assert intake.record is not None
    assert len(intake.record["events"]) == 2
    assert [w.pointer for w in intake.warnings] == ["/events/0/type"]


def test_unknown_fields_are_kept() -> None:
    rec = make_record(events=[{"id": "e1", "type": "visit", "date": "2024-01-05", "mood": "ok"}])
    intake = validate(RawRecord("f.json", orjson.dumps(rec)))
    assert intake.record is not None
    assert intake.record["events"][0]["mood"] == "ok"


def test_datetimes_with_and_without_offset() -> None:
    rec = make_record(events=[
        {"id": "m1", "type": "missing_episode", "date": "2024-03-01T22:00",
         "end": "2024-03-02T01:30:00+00:00", "episode_type": "missing"}])
    intake = validate(RawRecord("f.json", orjson.dumps(rec)))
    assert intake.record is not None


def test_read_records_from_folder_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_bytes(orjson.dumps(make_record(case_id="B")))
    (tmp_path / "a.json").write_bytes(orjson.dumps(make_record(case_id="A")))
    (tmp_path / "notes.txt").write_text("ignored")
    sources = [r.source for r in read_records(tmp_path)]
    assert [Path(s).name for s in sources] == ["a.json", "b.json"]
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_bytes(b"{}\n\n{}\n")
    assert [r.source.rsplit(":", 1)[1] for r in read_records(jsonl)] == ["1", "3"]


def test_the_quick_validator_agrees_with_the_reference_one() -> None:
    """parse_record tries a quicker adapter first; it must accept exactly the records with
    known event types that the reference accepts, and give the same data."""
    from datetime import date

    from pydantic import ValidationError

    from engine.records.models import _FAST, RECORD
    from engine.synthetic import generate_cohort

    cohort = list(generate_cohort(150, 11, date(2025, 6, 30)))
    cohort.append(make_record(allocation=None, episodes=[], events=[
        {"id": "v1", "type": "visit", "date": "2024-01-05T10:30+01:00", "mood": "x"}]))
    for record in cohort:
        data = orjson.dumps(record)
        assert _FAST.validate_json(data) == RECORD.validate_json(data)
    unknown = orjson.dumps(make_record(events=[{"id": "e", "type": "fgc", "date": "2024-01-05"}]))
    with pytest.raises(ValidationError):
        _FAST.validate_json(unknown)
    assert RECORD.validate_json(unknown)["events"][0]["type"] == "fgc"


def test_errors_come_from_the_reference_validator() -> None:
    data = orjson.dumps(make_record(events=[
        {"id": "e1", "type": "family_group_conference", "date": "2024-01-05"},
        {"id": "e2", "type": "visit", "date": "2024-02-30"}]))
    errs = _errors(data)
    assert [e["pointer"] for e in errs] == ["/events/1/date"]
