"""Actionable vs historic findings (issue 12, decision 0004): an open finding can be acted on
only while its governing episode (or period of involvement) is open at the as-of date; once it
has closed, the finding is historic and its lateness is frozen at the end date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from engine.evaluate.compile import build_ruleset
from engine.evaluate.evaluator import RuleSet, involvement
from engine.evaluate.findings import CaseResult
from engine.reports.findings_json import finding_dict
from engine.rules.profiles import load_profile
from engine.rules.rulebook import RuleLibrary
from tests.conftest import make_record


@pytest.fixture(scope="module")
def practice(library: RuleLibrary) -> RuleSet:
    return build_ruleset(load_profile("practice"), library)


def _one(result: CaseResult, rule: str):  # type: ignore[no-untyped-def]
    found = [f for f in result.findings if f.rule == rule]
    assert len(found) == 1, found
    return found[0]


def test_plan_still_open_is_actionable_and_keeps_counting(
        evaluate: Callable[..., CaseResult], practice: RuleSet) -> None:
    # child safety plan due Mon 2024-01-22 (10 working days after Mon 2024-01-08)
    rec = make_record(episodes=[{"id": "cp1", "type": "cp_plan", "start": "2024-01-08",
                                 "category": "neglect"}])
    f = _one(evaluate(rec, "2024-03-28", practice), "PRC-CP-CHILD-SAFETY-PLAN")
    assert (f.status, f.actionable, f.episode_end, f.days_late, f.unit) == (
        "overdue", True, None, 48, "working_days")


def test_plan_ended_after_the_deadline_is_historic_and_frozen(
        evaluate: Callable[..., CaseResult], practice: RuleSet) -> None:
    rec = make_record(episodes=[{"id": "cp1", "type": "cp_plan", "start": "2024-01-08",
                                 "end": "2024-02-01", "category": "neglect"}])
    f = _one(evaluate(rec, "2024-03-28", practice), "PRC-CP-CHILD-SAFETY-PLAN")
    # Jan 23-26 and Jan 29 - Feb 1: 8 working days when the plan ended, never more
    assert (f.status, f.actionable, f.episode_end, f.days_late) == (
        "overdue", False, date(2024, 2, 1), 8)
    assert "no longer actionable" in f.message
    later = _one(evaluate(rec, "2024-09-30", practice), "PRC-CP-CHILD-SAFETY-PLAN")
    assert later.days_late == 8
    out = finding_dict(f)
    assert (out["actionable"], out["episode_end"], out["days_late_unit"]) == (
        False, "2024-02-01", "working_days")


def test_an_end_after_the_as_of_date_is_not_yet_an_end(
        evaluate: Callable[..., CaseResult], practice: RuleSet) -> None:
    rec = make_record(episodes=[{"id": "cp1", "type": "cp_plan", "start": "2024-01-08",
                                 "end": "2024-05-01", "category": "neglect"}])
    f = _one(evaluate(rec, "2024-03-28", practice), "PRC-CP-CHILD-SAFETY-PLAN")
    assert (f.actionable, f.episode_end, f.days_late) == (True, None, 48)


def test_event_anchor_follows_its_period_of_involvement(
        evaluate: Callable[..., CaseResult]) -> None:
    # strategy discussion Mon 2024-01-08, ICPC due Mon 2024-01-29, never held
    events = [{"id": "sd1", "type": "strategy_discussion", "date": "2024-01-08", "s47": True}]
    open_case = make_record(events=events, episodes=[
        {"id": "cin1", "type": "cin_plan", "start": "2024-01-02"}])
    f = _one(evaluate(open_case, "2024-02-05"), "ENG-ICPC-15WD")
    assert (f.status, f.actionable, f.days_late) == ("overdue", True, 5)
    closed = make_record(events=events, episodes=[
        {"id": "cin1", "type": "cin_plan", "start": "2024-01-02", "end": "2024-01-31"}])
    f = _one(evaluate(closed, "2024-02-05"), "ENG-ICPC-15WD")
    assert (f.status, f.actionable, f.episode_end, f.days_late) == (
        "overdue", False, date(2024, 1, 31), 2)
    no_episode = make_record(events=events)
    f = _one(evaluate(no_episode, "2024-02-05"), "ENG-ICPC-15WD")
    assert (f.actionable, f.episode_end) == (True, None)  # nothing says it closed


def test_closed_statuses_are_never_actionable(evaluate: Callable[..., CaseResult]) -> None:
    events = [{"id": "sd1", "type": "strategy_discussion", "date": "2024-01-08", "s47": True},
              {"id": "ic1", "type": "icpc", "date": "2024-01-30"}]
    f = _one(evaluate(make_record(events=events), "2024-02-05"), "ENG-ICPC-15WD")
    assert (f.status, f.actionable, f.days_late) == ("late", False, 1)


def test_periods_of_involvement_join_touching_episodes() -> None:
    rec = {"episodes": [
        {"start": date(2024, 1, 1), "end": date(2024, 1, 31)},
        {"start": date(2024, 2, 1), "end": date(2024, 3, 1)},
        {"start": date(2024, 5, 1), "end": None},
        {"start": date(2024, 7, 1), "end": None}]}
    assert involvement(rec, date(2024, 6, 1)) == [
        (date(2024, 1, 1), date(2024, 3, 1)), (date(2024, 5, 1), None)]
