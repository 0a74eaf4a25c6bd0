"""The worked example of docs/measures.md, reproduced."""

from __future__ import annotations

from datetime import date

from engine.batch.measures import (
    age_band,
    custom_periods,
    direction,
    outcome,
    period_of,
    periods_ending,
    rag,
    rate,
)


def test_worked_example() -> None:
    june = {"met": 14, "late": 3, "overdue": 2, "closed_unmet": 1, "not_yet_due": 4,
            "insufficient_data": 1}
    assert rate(june) == 14 / 20 == 0.7
    may = {"met": 12, "late": 6, "overdue": 1, "closed_unmet": 1}
    assert rate(may) == 0.6
    assert direction(rate(june), rate(may)) == "up"
    assert rag(rate(june), 0.75) == "amber"
    assert rag(rate(june), 0.70) == "green"
    assert rag(rate(june), 0.80) == "red"
    as_of = date(2024, 6, 30)
    assert age_band(as_of, "2024-06-25") == "1-7 days"
    assert age_band(as_of, "2024-05-01") == "31-90 days"
    assert age_band(as_of, None) == "no deadline"
    assert rate({"not_yet_due": 3}) is None


def test_outcomes_of_a_finding() -> None:
    assert outcome({"status": "overdue", "actionable": True}) == "overdue"
    assert outcome({"status": "overdue", "actionable": False}) == "closed_unmet"
    assert outcome({"status": "not_met", "actionable": False}) == "closed_unmet"
    assert outcome({"status": "due_soon", "actionable": True}) == "not_yet_due"
    assert outcome({"status": "late", "actionable": False}) == "late"


def test_periods() -> None:
    assert period_of("quarter", date(2024, 5, 9)).label == "2024-Q2"
    assert [p.label for p in periods_ending("month", date(2024, 1, 15), 3)] == [
        "2023-11", "2023-12", "2024-01"]
    before, now = custom_periods(date(2024, 6, 1), date(2024, 6, 30))
    assert now.label == "2024-06-01..2024-06-30"
    assert (before.start, before.end) == (date(2024, 5, 2), date(2024, 5, 31))
    assert direction(0.7, 0.7) == "same" and direction(None, 0.5) is None
