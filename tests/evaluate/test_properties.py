"""Properties that must hold for any case record (Hypothesis):

(a) evaluating at as-of A equals evaluating the record with everything after A removed;
(b) the order of events in the file changes nothing;
(c) events of a type no rule names change nothing;
(d) every finding's status agrees with its due and done dates;
(e) Ruling 2: removing a ``ref`` that binds nothing (to an item of another kind, to an item of
    the kind that is not an anchor, or to an id not in the record) changes no finding;
(f) Ruling 1: giving a date-only target a time on its own day never makes a met finding with a
    date-only anchor overdue.

The records have date-only and timed events (with and without UTC offsets, on the days the
clocks change, and often several the same day) and refs of every sort: to anchors, to items of
another kind, to items of the kind that are not anchors, and to ids not in the record.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
import yaml
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
UK = ZoneInfo("Europe/London")
# the days the clocks change within the span (2023-03-26, 2023-10-29, 2024-03-31)
CLOCK_CHANGES = [(d - BASE).days for d in (date(2023, 3, 26), date(2023, 10, 29),
                                           date(2024, 3, 31))]


def _iso(offset: int) -> str:
    return (BASE + timedelta(days=offset)).isoformat()


def when(draw: st.DrawFn, d: int) -> str:
    """Day ``d``: a date only, or a date-time (UK local, or with the UTC offset in force)."""
    form = draw(st.integers(0, 2))
    if form == 0:
        return _iso(d)
    quarter = draw(st.integers(0, 95))
    text = f"{_iso(d)}T{quarter // 4:02d}:{quarter % 4 * 15:02d}"
    if form == 1:
        return text
    offset = datetime.fromisoformat(text).replace(tzinfo=UK).utcoffset()
    return text + ("+01:00" if offset else "+00:00")


# Ruling 2: what a ref may bind to, read from the rule files (not from the engine): for each
# event type, the anchors of the follow-up rules it is a target of, and the items a clock reads
# through ``ref.TYPE.date``, as (event or episode, type, where)
RULES_DIR = Path(__file__).resolve().parents[2] / "rules"


def _may_bind_to() -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    out: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path in sorted(RULES_DIR.glob("*/*.yaml")):
        rule = yaml.safe_load(path.read_text())
        anchor, target = rule.get("anchor") or {}, rule.get("target") or {}
        if rule["kind"] == "follow-up" and "event" in target:
            found = out.setdefault(target["event"], [])
            where = anchor.get("where") or {}
            if "event" in anchor:
                found.append(("event", anchor["event"], where))
            for key in ("episode", "period"):
                kinds = anchor.get(key)
                for kind in [kinds] if isinstance(kinds, str) else kinds or []:
                    found.append(("episode", kind, where if key == "episode" else {}))
        for name in anchor.get("clock") or []:
            if name.startswith("ref."):
                kind = name[len("ref."):-len(".date")]
                out.setdefault(anchor["event"], []).append(("any", kind, {}))
    return out


MAY_BIND_TO = _may_bind_to()


def _could_hold(where: dict[str, Any], item: dict[str, Any]) -> bool:
    """False only when ``item`` surely fails ``where`` (whatever the as-of date)."""
    for key, cond in where.items():
        value = item.get(key)
        blank = value is None or (isinstance(value, str) and not value.strip())
        if isinstance(cond, dict):
            if cond.get("present") is True and blank:
                return False
            if "not" in cond and value == cond["not"]:
                return False
        elif value != cond:
            return False
    return True


def may_bind(event: dict[str, Any], named: dict[str, Any] | None, episode: bool) -> bool:
    """Whether ``event``'s ref to ``named`` (None: an id not in the record) might bind."""
    if named is None:
        return False
    for what, kind, where in MAY_BIND_TO.get(event["type"], []):
        if what == "any" and (not kind or named["type"] == kind):
            return True
        if (what == "episode") == episode and named["type"] == kind and _could_hold(where, named):
            return True
    return False


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
    days: list[int] = []
    for i in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(EVENT_TYPES))
        # often the day of an earlier event (same-day pairs) or a day the clocks change
        pick = draw(st.integers(0, 5))
        if pick == 0:
            d = CLOCK_CHANGES[draw(st.integers(0, len(CLOCK_CHANGES) - 1))]
        elif pick == 1 and days:
            d = days[draw(st.integers(0, len(days) - 1))]
        else:
            d = draw(day)
        days.append(d)
        ev: dict[str, Any] = {"id": f"e{i}", "type": kind, "date": when(draw, d)}
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
    eps, evs = draw(episodes()), draw(events())
    # refs of every sort: to anything in the record (anchors, other kinds, non-anchors of the
    # kind) or to an id not in it
    ids = [x["id"] for x in eps + evs] + ["gone-1", "gone-2"]
    for ev in evs:
        pick = draw(st.integers(0, 5))
        kinds = {kind for _, kind, _ in MAY_BIND_TO.get(ev["type"], [])}
        anchors = [x["id"] for x in eps + evs if x["type"] in kinds and x is not ev]
        if pick == 0:
            ev["ref"] = ids[draw(st.integers(0, len(ids) - 1))]
        elif pick == 1 and anchors:  # an item of an anchor's kind: an anchor or not
            ev["ref"] = anchors[draw(st.integers(0, len(anchors) - 1))]
    return make_record(
        child={"id": "c1", "date_of_birth": dob,
               "ethnicity": draw(st.one_of(st.none(), st.just("WBRI")))},
        allocation={"team": "T1"},
        episodes=eps,
        events=evs,
    )


def _findings(record: dict[str, Any], as_of: date, ruleset: RuleSet) -> list[dict[str, Any]]:
    intake = validate(RawRecord("prop", orjson.dumps(record)))
    assert intake.record is not None, [e.as_dict() for e in intake.errors]
    result = ruleset.evaluate(intake.record, as_of)
    assert result.errors == []
    return case_dict(result)["findings"]


def _local_day(text: str) -> date:
    """The UK day of a date or date-time (an offset can move it)."""
    if len(text) == 10:
        return date.fromisoformat(text)
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UK).date() if moment.tzinfo else moment.date()


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


def test_the_binding_table_reads_the_rules() -> None:
    """A guard on the reading above: the anchors the rulings name are there."""
    assert ("event", "strategy_discussion", {"s47": True}) in MAY_BIND_TO["icpc"]
    assert ("episode", "cp_plan", {}) in MAY_BIND_TO["core_group"]
    assert ("any", "referral", {}) in MAY_BIND_TO["assessment"]
    assert ("episode", "private_fostering", {}) in MAY_BIND_TO["genogram_update"]
    assert "visit" not in MAY_BIND_TO  # schedules do not follow refs


PROPERTY_SETTINGS = settings(max_examples=60, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("profile", sorted(RULESETS))
@PROPERTY_SETTINGS
@given(record=records(), as_of_offset=day)
def test_removing_a_ref_that_binds_nothing_changes_nothing(
        profile: str, record: dict[str, Any], as_of_offset: int) -> None:
    """Ruling 2: a ref to an item of another kind, to an item of the kind that is not an
    anchor, or to an id not in the record is ignored, the target matched by date."""
    ruleset = RULESETS[profile]
    as_of = BASE + timedelta(days=as_of_offset)
    episodes = {ep["id"]: ep for ep in record["episodes"]}
    items = {**{ev["id"]: ev for ev in record["events"]}, **episodes}
    stripped = copy.deepcopy(record)
    for ev in stripped["events"]:
        ref = ev.get("ref")
        if ref is not None and not may_bind(ev, items.get(ref), ref in episodes):
            del ev["ref"]
    assert _findings(record, as_of, ruleset) == _findings(stripped, as_of, ruleset)


def _key(f: dict[str, Any]) -> tuple[str, str, int | None, str | None]:
    return f["rule"], f["anchor"]["id"], f.get("occurrence"), f["anchor"].get("member")


def _timed_anchor(record: dict[str, Any], anchor_id: str) -> bool:
    item = next((ev for ev in record["events"] if ev["id"] == anchor_id), None)
    return item is not None and len(item["date"]) > 10


@pytest.mark.parametrize("profile", sorted(RULESETS))
@PROPERTY_SETTINGS
@given(record=records(), as_of_offset=day, data=st.data())
def test_a_time_on_the_same_day_never_makes_a_met_finding_overdue(
        profile: str, record: dict[str, Any], as_of_offset: int, data: st.DataObject) -> None:
    """Ruling 1: with a date-only anchor, "on or after" compares dates, so a target given a
    time on its own day still counts."""
    ruleset = RULESETS[profile]
    as_of = BASE + timedelta(days=as_of_offset)
    dated = [i for i, ev in enumerate(record["events"]) if len(ev["date"]) == 10]
    if not dated:
        return
    i = data.draw(st.sampled_from(dated))
    timed = copy.deepcopy(record)
    hour, minute = data.draw(st.integers(0, 23)), data.draw(st.integers(0, 59))
    timed["events"][i]["date"] += f"T{hour:02d}:{minute:02d}"
    shifted = timed["events"][i]["id"]
    after = {_key(f): f["status"] for f in _findings(timed, as_of, ruleset)}
    for f in _findings(record, as_of, ruleset):
        if (f["status"] != "met" or f["anchor"]["id"] == shifted
                or _timed_anchor(record, f["anchor"]["id"])):
            continue
        assert after.get(_key(f)) != "overdue", (_key(f), record["events"][i])
