"""The 2026-12-01 additions for data from real extracts (docs/format.md; decisions/0006):
date of death, cancelled meetings, health assessment status, transfer-in conferences,
cin_episode, legal status over time and short-break care, and "not assessable from this
source"."""

from __future__ import annotations

from typing import Any

from engine.evaluate.findings import CaseResult
from tests.conftest import make_record


def _of(result: CaseResult, rule: str) -> list[Any]:
    return [f for f in result.findings if f.rule == rule]


LA = {"id": "la1", "type": "looked_after", "start": "2024-01-08"}


def test_a_cancelled_review_satisfies_nothing(evaluate) -> None:  # type: ignore[no-untyped-def]
    # 20 working days after Mon 2024-01-08 is Mon 2024-02-05.  The review on 2024-02-01 was
    # cancelled, so the first review is the one on Wed 2024-02-07: 2 working days late.
    record = make_record(episodes=[LA], events=[
        {"id": "r1", "type": "cla_review", "date": "2024-02-01", "cancelled": True},
        {"id": "r2", "type": "cla_review", "date": "2024-02-07"}])
    first = _of(evaluate(record, "2024-02-20"), "ENG-CLA-REVIEW")[0]
    assert (first.status, first.due.isoformat(), first.done_id, first.days_late) == (
        "late", "2024-02-05", "r2", 2)
    record["events"][0]["cancelled"] = False
    first = _of(evaluate(record, "2024-02-20"), "ENG-CLA-REVIEW")[0]
    assert (first.status, first.done_id) == ("met", "r1")


def test_only_a_completed_health_assessment_counts(evaluate) -> None:  # type: ignore[no-untyped-def]
    # IHA due 20 working days after Mon 2024-01-08: Mon 2024-02-05.
    events = [{"id": "h1", "type": "health_assessment", "date": "2024-01-20", "kind": "initial",
               "status": "planned"}]
    record = make_record(child={"id": "c1", "date_of_birth": "2015-01-01"}, episodes=[LA],
                         events=events)
    iha = _of(evaluate(record, "2024-03-01"), "ENG-CLA-IHA-20WD")[0]
    assert (iha.status, iha.due.isoformat()) == ("overdue", "2024-02-05")
    for status in ("completed", None):
        events[0]["status"] = status
        iha = _of(evaluate(record, "2024-03-01"), "ENG-CLA-IHA-20WD")[0]
        assert (iha.status, iha.done_id) == ("met", "h1")


def test_nothing_falls_due_after_death(evaluate) -> None:  # type: ignore[no-untyped-def]
    # First review due Mon 2024-02-05.  The child died on 2024-03-01: the first review, missed,
    # stays overdue with its lateness stopped at the death (2024-02-05 -> 2024-03-01 is 19
    # working days); the second review (due 3 months after the first's deadline) is dropped.
    child = {"id": "c1", "date_of_birth": "2015-01-01", "date_of_death": "2024-03-01"}
    record = make_record(child=child, episodes=[LA])
    reviews = _of(evaluate(record, "2024-09-30"), "ENG-CLA-REVIEW")
    assert [(f.status, f.due.isoformat(), f.days_late) for f in reviews] == [
        ("overdue", "2024-02-05", 19)]
    # evaluated before the death, the case is as it was
    alive = _of(evaluate(record, "2024-02-20"), "ENG-CLA-REVIEW")
    assert (alive[0].status, alive[0].days_late) == ("overdue", 11)


def test_short_break_care_is_left_out_and_said_so(evaluate) -> None:  # type: ignore[no-untyped-def]
    episode = {**LA, "legal_status": "V3",
               "legal_statuses": [{"code": "V3", "start": "2024-01-08", "end": None}]}
    placement = {"id": "pl1", "type": "placement", "start": "2024-01-08", "parent": "la1"}
    record = make_record(child={"id": "c1", "date_of_birth": "2015-01-01"},
                         episodes=[episode, placement])
    result = evaluate(record, "2024-06-30")
    cla = [f for f in result.findings if f.rule.startswith(("ENG-CLA", "PRC-CLA"))]
    assert cla == []
    assert result.short_breaks == 1
    assert [w.pointer for w in result.warnings] == ["/episodes/0"]
    assert "short-break" in result.warnings[0].message


def test_care_after_short_breaks_starts_when_they_end(evaluate) -> None:  # type: ignore[no-untyped-def]
    # Short breaks (V3) from 2024-01-08, then a care order (C2) from Mon 2024-03-04: care for
    # the rules starts then, so the first review is due 20 working days later: 5-28 March are
    # 18 working days, Good Friday 29 March and Easter Monday 1 April are not working days, so
    # day 19 is Tue 2 April and day 20 Wed 2024-04-03.
    episode = {**LA, "legal_status": "C2", "legal_statuses": [
        {"code": "V3", "start": "2024-01-08", "end": "2024-03-03"},
        {"code": "C2", "start": "2024-03-04", "end": None}]}
    result = evaluate(make_record(episodes=[episode]), "2024-03-20")
    first = _of(result, "ENG-CLA-REVIEW")[0]
    assert (first.anchor_date.isoformat(), first.due.isoformat()) == ("2024-03-04", "2024-04-03")
    assert result.short_breaks == 1


def test_a_record_from_903_is_not_breached_for_visits(evaluate) -> None:  # type: ignore[no-untyped-def]
    placement = {"id": "pl1", "type": "placement", "start": "2024-01-08", "parent": "la1"}
    record = make_record(episodes=[LA, placement], source={
        "format": "ssda903", "supplies": {
            "child": ["id", "date_of_birth"],
            "episodes": {"looked_after": ["legal_status"],
                         "placement": ["placement_type", "long_term", "with_parents",
                                       "parent"]},
            "events": {"cla_review": []}}})
    result = evaluate(record, "2024-06-30")
    assert _of(result, "ENG-CLA-VISIT") == []
    missing = {n.rule: n for n in result.not_assessable}
    assert missing["ENG-CLA-VISIT"].source == "ssda903"
    assert "visit" in missing["ENG-CLA-VISIT"].reason
    assert "ENG-CLA-REVIEW" not in missing
    assert _of(result, "ENG-CLA-REVIEW")  # a rule the return does cover is still evaluated
    # without a declaration, everything is supplied (today's behaviour)
    del record["source"]
    result = evaluate(record, "2024-06-30")
    assert result.not_assessable == [] and _of(result, "ENG-CLA-VISIT")
