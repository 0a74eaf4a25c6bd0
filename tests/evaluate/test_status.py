"""Statuses from an obligation, its dates and the as-of date (semantics.md, "Statuses")."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engine.calendar import Duration, calendar_for
from engine.evaluate.obligation import Obligation
from engine.evaluate.status import compliance_rate, days_late, status_of, warn_until
from engine.records.caseview import Item

CAL = calendar_for()
ANCHOR = Item("a1", "referral", date(2024, 1, 8), None, None, {}, "/events/0")


def ob(due: date, done: date | None = None, unit: str = "working_days") -> Obligation:
    o = Obligation("R", ANCHOR, due, unit=unit, limit=Duration(15, unit))
    if done is not None:
        o.done_id, o.done_day = "t1", done
    return o


def test_warn_until_counts_working_days_to_the_deadline() -> None:
    # Fri 2024-04-26: 5 working days are 29 Apr - 3 May; Mon 6 May is a bank holiday
    assert warn_until(CAL, date(2024, 4, 26), 5) == date(2024, 5, 6)
    # Mon 2024-01-08 with a 5-day window: up to Mon 15 Jan (Tue 16th is the 6th working day)
    assert warn_until(CAL, date(2024, 1, 8), 5) == date(2024, 1, 15)
    assert warn_until(CAL, date(2024, 1, 8), 0) == date(2024, 1, 8)


@pytest.mark.parametrize(
    ("due", "done", "as_of", "expected"),
    [
        (date(2024, 1, 29), date(2024, 1, 29), date(2024, 3, 1), "met"),
        (date(2024, 1, 29), date(2024, 1, 30), date(2024, 3, 1), "late"),
        (date(2024, 1, 29), None, date(2024, 1, 30), "overdue"),
        (date(2024, 1, 29), None, date(2024, 1, 29), "due_soon"),
        (date(2024, 1, 29), None, date(2024, 1, 22), "due_soon"),  # exactly 5 working days
        (date(2024, 1, 29), None, date(2024, 1, 19), "pending"),  # 6 working days
        (date(2024, 1, 28), None, date(2024, 1, 19), "due_soon"),  # Sunday deadline
    ],
)
def test_status_boundaries(due: date, done: date | None, as_of: date, expected: str) -> None:
    assert status_of(ob(due, done), as_of, warn_until(CAL, as_of, 5)) == expected


def test_hours_compare_instants_when_both_have_times() -> None:
    o = ob(date(2024, 3, 4), date(2024, 3, 4), unit="hours")
    o.due_at = datetime(2024, 3, 4, 22, 0, tzinfo=UTC)
    o.done_at = datetime(2024, 3, 4, 21, 59, tzinfo=UTC)
    assert status_of(o, date(2024, 3, 10), date(2024, 3, 10)) == "met"
    o.done_at = datetime(2024, 3, 4, 22, 30, tzinfo=UTC)
    assert status_of(o, date(2024, 3, 10), date(2024, 3, 10)) == "late"
    o.done_at = None  # a date-only interview on the due date is in time
    assert status_of(o, date(2024, 3, 10), date(2024, 3, 10)) == "met"


def test_days_late_in_the_rules_unit() -> None:
    late = ob(date(2024, 1, 29), date(2024, 2, 1))
    assert days_late(late, "late", date(2024, 3, 1), CAL) == 3
    late_days = ob(date(2024, 1, 29), date(2024, 2, 1), unit="months")
    assert days_late(late_days, "late", date(2024, 3, 1), CAL) == 3
    over = ob(date(2024, 1, 26))  # Friday
    assert days_late(over, "overdue", date(2024, 1, 27), CAL) == 0
    assert days_late(over, "overdue", date(2024, 1, 29), CAL) == 1
    assert days_late(ob(date(2024, 1, 29)), "pending", date(2024, 1, 1), CAL) is None


def test_fixed_status_wins() -> None:
    o = Obligation("R", ANCHOR, None, fixed_status="insufficient_data")
    assert status_of(o, date(2024, 1, 1), date(2024, 1, 1)) == "insufficient_data"


def test_compliance_rate() -> None:
    assert compliance_rate({"met": 3, "late": 1, "pending": 5, "insufficient_data": 2}) == 0.75
    assert compliance_rate({"pending": 2}) is None
    assert compliance_rate({"met": 1, "not_met": 1, "overdue": 2}) == 0.25


def test_as_of_at_the_end_of_the_calendar_keeps_the_rules_that_can_still_decide(
        evaluate) -> None:  # type: ignore[no-untyped-def]
    from engine.evaluate.compile import build_ruleset
    from engine.rules.profiles import load_profile
    from tests.conftest import make_record

    practice = build_ruleset(load_profile("practice"))
    record = make_record(
        child={"id": "c1", "ethnicity": "WBRI"},
        episodes=[{"id": "cin1", "type": "cin_plan", "start": "2030-06-03", "end": None}],
        events=[{"id": "r1", "type": "referral", "date": "2030-06-03",
                 "decision_date": "2030-06-04"},
                {"id": "s1", "type": "supervision", "date": "2030-12-19"}],
    )
    # 6 working days after 2030-12-20 are past the calendar's last year
    result = evaluate(record, "2030-12-20", practice)
    by_rule = {f.rule: f.status for f in result.findings}
    assert by_rule["PRC-ETHNICITY-RECORDED"] == "met"
    assert by_rule["ENG-REFERRAL-DECISION-1WD"] == "met"
    assert by_rule["PRC-CIN-VISIT"] == "overdue"  # due 2030-07-01, needs no warning window
    # the next supervision (due 2031-01-19) is open and not yet overdue: only the warning
    # window could say whether it is due soon, so that rule reports an error instead
    assert "PRC-SUPERVISION" not in by_rule
    assert [e.rule for e in result.errors] == ["PRC-SUPERVISION"]
    assert "warning window" in result.errors[0].message
