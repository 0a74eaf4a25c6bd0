"""Properties that must hold for any case record (Hypothesis):

(a) evaluating at as-of A equals evaluating the record with everything after A removed;
(b) the order of events in the file changes nothing;
(c) events of a type no rule names change nothing;
(d) every finding's status agrees with its due and done dates.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.evaluate.compile import build_ruleset
from engine.evaluate.evaluator import RuleSet
from engine.records.intake import RawRecord, validate
from engine.reports.findings_json import case_dict
from engine.rules.profiles import load_profile
from engine.rules.rulebook import load_library
from tests.conftest import make_record

BASE = date(2023, 1, 2)
SPAN = 600

_LIBRARY = load_library()
RULESETS = {name: build_ruleset(load_profile(name), _LIBRARY) for name in ("england", "practice")}

day = st.integers(min_value=0, max_value=SPAN)


def _iso(offset: int) -> str:
    return (BASE + timedelta(days=offset)).isoformat()


@st.composite
def episodes(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    kinds = ["cin_plan", "cp_plan", "looked_after", "placement", "care_leaver",
             "private_fostering"]
    for i in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(kinds))
        start = draw(day)
        end = draw(st.one_of(st.none(), st.integers(start, start + 400)))
        ep: dict[str, Any] = {"id": f"ep{i}", "type": kind, "start": _iso(start),
                              "end": None if end is None else _iso(end)}
        if kind == "placement":
            ep["long_term"] = draw(st.booleans())
            ep["with_parents"] = draw(st.booleans())
        if kind == "private_fostering":
            ep["household"] = [
                {"id": f"hm{i}-{j}",
                 "date_of_birth": draw(st.one_of(st.none(), st.sampled_from(
                     ["1980-05-01", "2007-06-15", "2010-02-28"])))}
                for j in range(draw(st.integers(0, 2)))
            ]
        out.append(ep)
    return out


EVENT_TYPES = ["referral", "assessment", "strategy_discussion", "s47_enquiry", "icpc",
               "core_group", "rcpc", "care_plan", "cla_review", "visit", "permanence_plan",
               "health_assessment", "missing_episode", "return_home_interview", "pf_visit",
               "pathway_plan_review", "ppm", "supervision", "chronology_update",
               "case_summary_update", "genogram_update", "agency_check", "safety_plan",
               "life_story_work", "camhs_offer", "written_agreement", "dbs_check",
               "pathway_plan", "audit", "cin_review"]


@st.composite
def events(draw: st.DrawFn) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(EVENT_TYPES))
        d = draw(day)
        ev: dict[str, Any] = {"id": f"e{i}", "type": kind, "date": _iso(d)}
        if kind == "referral" and draw(st.booleans()):
            ev["decision_date"] = _iso(d + draw(st.integers(0, 4)))
        elif kind == "assessment":
            if draw(st.booleans()):
                ev["completed"] = _iso(d + draw(st.integers(0, 90)))
            ev["outcome"] = draw(st.sampled_from(["nfa", "cin_plan", "s47"]))
            if out and draw(st.booleans()):
                ev["ref"] = out[-1]["id"]
        elif kind == "strategy_discussion":
            ev["s47"] = draw(st.booleans())
            ev["reason"] = draw(st.sampled_from(["significant_harm", "missing"]))
        elif kind == "s47_enquiry":
            ev["outcome"] = draw(st.sampled_from(["icpc", "no_icpc"]))
        elif kind == "visit":
            ev["seen"] = draw(st.booleans())
            ev["seen_alone"] = draw(st.booleans())
        elif kind == "health_assessment":
            ev["kind"] = draw(st.sampled_from(["initial", "review"]))
        elif kind == "missing_episode":
            hour = draw(st.integers(0, 23))
            start = datetime(BASE.year, BASE.month, BASE.day, hour) + timedelta(days=d)
            ev["date"] = start.isoformat(timespec="minutes")
            ev["episode_type"] = draw(st.sampled_from(["missing", "absent"]))
            if draw(st.booleans()):
                ev["end"] = (start + timedelta(hours=draw(st.integers(1, 200)))).isoformat(
                    timespec="minutes")
        elif kind == "return_home_interview":
            ev["outcome"] = draw(st.sampled_from(["completed", "declined"]))
            ev["safety_plan"] = draw(st.booleans())
            if draw(st.booleans()):
                ev["date"] = f"{_iso(d)}T{draw(st.integers(0, 23)):02d}:00"
            missing = [e["id"] for e in out if e["type"] == "missing_episode"]
            if missing and draw(st.booleans()):
                ev["ref"] = draw(st.sampled_from(missing))
        elif kind == "dbs_check":
            ev["subject"] = draw(st.sampled_from(["hm0-0", "hm1-1", "hm2-0"]))
        elif kind == "pathway_plan":
            ev["shared_with_young_person"] = draw(st.booleans())
            ev["contingency"] = draw(st.booleans())
        elif kind == "audit":
            ev["grade"] = draw(st.sampled_from(["good", "inadequate"]))
        elif kind == "safety_plan":
            ev["child_version"] = draw(st.booleans())
        out.append(ev)
    return out


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    dob = draw(st.one_of(st.none(), st.sampled_from(
        ["2019-03-10", "2020-02-29", "2012-07-01", "2006-11-30"])))
    return make_record(
        child={"id": "c1", "date_of_birth": dob,
               "ethnicity": draw(st.one_of(st.none(), st.just("WBRI")))},
        allocation={"team": "T1"},
        episodes=draw(episodes()),
        events=draw(events()),
    )


def _findings(record: dict[str, Any], as_of: date, ruleset: RuleSet) -> list[dict[str, Any]]:
    intake = validate(RawRecord("prop", orjson.dumps(record)))
    assert intake.record is not None, [e.as_dict() for e in intake.errors]
    result = ruleset.evaluate(intake.record, as_of)
    assert result.errors == []
    return case_dict(result)["findings"]


def _local_day(text: str) -> date:
    return date.fromisoformat(text[:10])


def truncate(record: dict[str, Any], as_of: date) -> dict[str, Any]:
    """The record as it would have been extracted on ``as_of``: later things removed."""
    rec = copy.deepcopy(record)
    rec["events"] = [e for e in rec["events"] if _local_day(e["date"]) <= as_of]
    for e in rec["events"]:
        for key in ("decision_date", "completed", "end"):
            if e.get(key) and _local_day(e[key]) > as_of:
                del e[key]
    rec["episodes"] = [ep for ep in rec["episodes"] if _local_day(ep["start"]) <= as_of]
    for ep in rec["episodes"]:
        if ep["end"] and _local_day(ep["end"]) > as_of:
            ep["end"] = None
    return rec


SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("profile", sorted(RULESETS))
@SETTINGS
@given(record=records(), as_of_offset=day)
def test_as_of_equals_truncated_record(profile: str, record: dict[str, Any],
                                       as_of_offset: int) -> None:
    ruleset = RULESETS[profile]
    as_of = BASE + timedelta(days=as_of_offset)
    assert _findings(record, as_of, ruleset) == _findings(truncate(record, as_of), as_of, ruleset)


@pytest.mark.parametrize("profile", sorted(RULESETS))
@SETTINGS
@given(record=records(), as_of_offset=day, data=st.data())
def test_event_order_changes_nothing(profile: str, record: dict[str, Any], as_of_offset: int,
                                     data: st.DataObject) -> None:
    ruleset = RULESETS[profile]
    as_of = BASE + timedelta(days=as_of_offset)
    shuffled = copy.deepcopy(record)
    shuffled["events"] = data.draw(st.permutations(record["events"]))
    shuffled["episodes"] = data.draw(st.permutations(record["episodes"]))
    assert _findings(record, as_of, ruleset) == _findings(shuffled, as_of, ruleset)


@pytest.mark.parametrize("profile", sorted(RULESETS))
@SETTINGS
@given(record=records(), as_of_offset=day,
       extra=st.lists(st.tuples(st.sampled_from(["contact", "dental_check", "sdq",
                                                 "family_group_conference"]), day),
                      max_size=10))
def test_unnamed_event_types_change_nothing(profile: str, record: dict[str, Any],
                                            as_of_offset: int,
                                            extra: list[tuple[str, int]]) -> None:
    ruleset = RULESETS[profile]
    assert not {t for t, _ in extra} & ruleset.event_types
    as_of = BASE + timedelta(days=as_of_offset)
    more = copy.deepcopy(record)
    more["events"] += [{"id": f"x{i}", "type": t, "date": _iso(d), "ref": "e0"}
                       for i, (t, d) in enumerate(extra)]
    assert _findings(record, as_of, ruleset) == _findings(more, as_of, ruleset)


@pytest.mark.parametrize("profile", sorted(RULESETS))
@SETTINGS
@given(record=records(), as_of_offset=day)
def test_status_agrees_with_dates(profile: str, record: dict[str, Any],
                                  as_of_offset: int) -> None:
    ruleset = RULESETS[profile]
    as_of = BASE + timedelta(days=as_of_offset)
    warn_until = ruleset.calendar.add_working_days(as_of, ruleset.warn + 1) - timedelta(days=1)
    for f in _findings(record, as_of, ruleset):
        status = f["status"]
        due = date.fromisoformat(f["due"]) if f["due"] else None
        done = date.fromisoformat(f["done"]["date"]) if f["done"] else None
        if done is not None:
            assert done <= as_of
        if status == "met":
            # a check that holds has no deadline; anything else was done by its deadline
            if due is None:
                assert ruleset.meta[f["rule"]].kind == "check"
            else:
                assert done is not None and done <= due
        elif status == "late":
            assert done is not None and due is not None and done >= due
            assert f["days_late"] >= 0
        elif status == "overdue":
            assert done is None and due is not None and due < as_of
            assert f["days_late"] >= 0
        elif status == "due_soon":
            assert done is None and due is not None and as_of <= due <= warn_until
        elif status == "pending":
            assert done is None and due is not None and due > warn_until
        elif status == "not_met":
            assert done is None and ruleset.meta[f["rule"]].kind == "check"
        elif status == "insufficient_data":
            assert done is None
        else:
            raise AssertionError(f"unknown status {status}")
