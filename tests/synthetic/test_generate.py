"""The synthetic cohort generator: valid, deterministic, realistic enough to exercise every rule.

The generator is the benchmark's and the demo's only source of data at scale, so a record that
fails validation, a seed that does not reproduce, or a cohort that never produces a breach would
make every figure measured on it meaningless.
"""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from cli import main
from engine.calendar import add_months, calendar_for
from engine.evaluate.evaluator import RuleSet
from engine.evaluate.status import BREACHES
from engine.records.intake import RawRecord, validate
from engine.synthetic import TEAMS, _months, _wd, generate_cohort

AS_OF = date(2025, 6, 30)
SEEDS = (1, 2, 3)
N = 300
COHORTS = {"cin", "cp", "cla", "care_leaver", "private_fostering", "missing"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
CODE = re.compile(r"^[A-Za-z0-9_:-]+$")  # ids, codes, dates: no spaces, so no free text

Record = dict[str, Any]


@pytest.fixture(scope="module")
def cohorts() -> dict[int, list[Record]]:
    return {seed: list(generate_cohort(N, seed, AS_OF)) for seed in SEEDS}


def cohorts_of(record: Record) -> set[str]:
    """Which cohorts a generated record belongs to, read from the record itself."""
    kinds = {ep["type"] for ep in record["episodes"]}
    pairs = (("cin", "cin_plan"), ("cp", "cp_plan"), ("cla", "looked_after"),
             ("care_leaver", "care_leaver"), ("private_fostering", "private_fostering"))
    found = {name for name, kind in pairs if kind in kinds}
    if sum(ev["type"] == "missing_episode" for ev in record["events"]) >= 2:
        found.add("missing")
    return found


def record_dates(record: Record) -> list[str]:
    """Every date or date-time on the case's timeline (not dates of birth)."""
    out: list[str] = []
    for ep in record["episodes"]:
        out += [v for v in (ep["start"], ep["end"]) if v is not None]
    for ev in record["events"]:
        out += [ev[k] for k in ("date", "completed", "decision_date", "end") if ev.get(k)]
    return out


def test_every_record_validates_cleanly(cohorts: dict[int, list[Record]]) -> None:
    for seed, records in cohorts.items():
        for rec in records:
            intake = validate(RawRecord(f"seed {seed}", orjson.dumps(rec)))
            assert intake.errors == [], (rec["case_id"], [e.as_dict() for e in intake.errors])
            # the only warnings: refs planted to name an id not in the record (Ruling 2)
            ids = {x["id"] for x in rec["events"] + rec["episodes"]}
            dangling = [f"/events/{i}/ref" for i, ev in enumerate(rec["events"])
                        if ev.get("ref") is not None and ev["ref"] not in ids]
            assert [w.pointer for w in intake.warnings] == dangling
            assert all(rec["events"][int(p.split("/")[2])]["ref"].endswith("-0")
                       for p in dangling)
            assert intake.record is not None


def test_same_seed_same_cohort_other_seed_differs(cohorts: dict[int, list[Record]]) -> None:
    again = list(generate_cohort(N, 1, AS_OF))
    assert orjson.dumps(again) == orjson.dumps(cohorts[1])
    assert orjson.dumps(cohorts[2]) != orjson.dumps(cohorts[1])
    # the first cases do not depend on how many are asked for
    assert list(generate_cohort(10, 1, AS_OF)) == cohorts[1][:10]


def test_global_random_state_is_untouched() -> None:
    random.seed(42)
    expected = random.random()
    random.seed(42)
    list(generate_cohort(20, 9, AS_OF))
    assert random.random() == expected


def test_event_counts_vary_within_bounds(cohorts: dict[int, list[Record]]) -> None:
    counts = [len(rec["events"]) for records in cohorts.values() for rec in records]
    assert min(counts) >= 20
    assert max(counts) <= 200
    assert 55 <= statistics.mean(counts) <= 90
    assert statistics.pstdev(counts) > 15


def test_every_cohort_appears(cohorts: dict[int, list[Record]]) -> None:
    for seed, records in cohorts.items():
        seen: Counter[str] = Counter()
        for rec in records:
            seen.update(cohorts_of(rec))
        assert set(seen) == COHORTS, (seed, seen)


def test_case_ids_children_and_allocation(cohorts: dict[int, list[Record]]) -> None:
    records = cohorts[1]
    assert [r["case_id"] for r in records] == [f"GEN-{i:06d}" for i in range(1, N + 1)]
    teams = {t for names in TEAMS.values() for t in names}
    dobs = Counter(r["child"]["date_of_birth"] is None for r in records)
    assert dobs[True] and dobs[False] > dobs[True]  # occasionally unknown
    for rec in records:
        child = rec["child"]
        assert set(child) == {"id", "date_of_birth", "sex", "ethnicity", "disability", "uasc"}
        assert rec["allocation"]["team"] in teams
        assert CODE.match(rec["allocation"]["worker"]) and CODE.match(rec["allocation"]["manager"])


def test_no_free_text(cohorts: dict[int, list[Record]]) -> None:
    def strings(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return []

    for rec in cohorts[2]:
        for text in strings([rec["child"], rec["episodes"], rec["events"]]):
            assert CODE.match(text), (rec["case_id"], text)


def test_timeline_before_as_of_within_three_years(cohorts: dict[int, list[Record]]) -> None:
    earliest = (AS_OF - timedelta(days=3 * 365 + 1)).isoformat()
    for rec in cohorts[3]:
        for text in record_dates(rec):
            assert DATE.match(text) or DATE_TIME.match(text), text
            assert earliest <= text[:10] < AS_OF.isoformat(), (rec["case_id"], text)
        days = [ev["date"][:10] for ev in rec["events"]]
        assert days == sorted(days)
        assert rec["events"][0]["type"] == "contact"


@pytest.mark.parametrize("as_of", [date(2001, 9, 1), date(2030, 12, 31), date(2032, 3, 1)])
def test_dates_stay_between_2001_and_2030(as_of: date) -> None:
    for rec in generate_cohort(60, 5, as_of):
        for text in record_dates(rec):
            assert "2001-01-01" <= text[:10] <= "2030-12-31", (as_of, text)
            assert text[:10] < as_of.isoformat()


def test_as_of_too_early_is_refused() -> None:
    with pytest.raises(ValueError):
        list(generate_cohort(1, 1, date(2001, 2, 1)))


def test_links_between_acts_hold(cohorts: dict[int, list[Record]]) -> None:
    """Refs point at the right kind of thing: what the rules follow to start a clock."""
    kinds = Counter[str]()
    for rec in cohorts[1]:
        events = {ev["id"]: ev for ev in rec["events"]}
        episodes = {ep["id"]: ep for ep in rec["episodes"]}
        for ev in rec["events"]:
            kinds[ev["type"]] += 1
            if ev["type"] == "assessment":
                assert events[ev["ref"]]["type"] == "referral"
                assert ("completed" in ev) == ("outcome" in ev)
            elif ev["type"] == "return_home_interview":
                assert DATE_TIME.match(ev["date"])
                named = events.get(ev.get("ref", ""))
                if named is not None and named.get("episode_type") == "missing":
                    assert "end" in named and ev["date"] >= named["end"]
                else:  # Ruling 2: a ref that binds nothing (an absence, a discussion, no id)
                    kinds["loose interview"] += 1
            elif ev["type"] == "missing_episode":
                assert DATE_TIME.match(ev["date"])
                assert ev["episode_type"] in ("missing", "absent")
            elif ev["type"] == "dbs_check":
                members = {m["id"] for ep in rec["episodes"] for m in ep.get("household") or []}
                assert ev["subject"] in members
        for ep in rec["episodes"]:
            if ep["type"] == "placement":
                assert episodes[ep["parent"]]["type"] == "looked_after"
            if ep["type"] == "private_fostering":
                assert all(set(m) == {"id", "date_of_birth"} for m in ep["household"])
    for needed in ("contact", "referral", "assessment", "strategy_discussion", "s47_enquiry",
                   "icpc", "core_group", "rcpc", "visit", "care_plan", "cla_review",
                   "health_assessment", "permanence_plan", "ppm", "pathway_plan",
                   "pathway_plan_review", "pf_visit", "dbs_check", "missing_episode",
                   "return_home_interview", "supervision", "chronology_update",
                   "case_summary_update"):
        assert kinds[needed], needed


def _statuses(records: list[Record], ruleset: RuleSet) -> dict[str, Counter[str]]:
    by_rule: dict[str, Counter[str]] = {}
    for rec in records:
        intake = validate(RawRecord(rec["case_id"], orjson.dumps(rec)))
        assert intake.record is not None
        result = ruleset.evaluate(intake.record, AS_OF)
        assert result.errors == []
        for f in result.findings:
            by_rule.setdefault(f.rule, Counter())[f.status] += 1
    return by_rule


def test_findings_include_met_and_breaches(cohorts: dict[int, list[Record]],
                                           england: RuleSet) -> None:
    by_rule = _statuses(cohorts[1], england)
    total: Counter[str] = Counter()
    for counts in by_rule.values():
        total.update(counts)
    assert total["met"] and total["late"] and total["overdue"]
    counted = sum(total[s] for s in ("met", "late", "overdue", "not_met"))
    assert 0.08 <= sum(total[s] for s in BREACHES) / counted <= 0.25  # breach_rate 0.15
    assert set(by_rule) == {rule.rule_id for rule, _ in england.rules}  # every rule exercised


def test_no_breach_rate_gives_no_breaches(england: RuleSet) -> None:
    """On-time acts are generated well inside their limits, so with no breaches asked for the
    engine must find none: a disagreement is a bug in one of the two."""
    records = list(generate_cohort(N, 4, AS_OF, breach_rate=0.0))
    for rule, counts in _statuses(records, england).items():
        assert not (set(counts) & BREACHES), (rule, counts)


def test_timing_bounds_are_conservative() -> None:
    """An on-time act is within every possible deadline, a late one beyond every one."""
    cal = calendar_for()
    starts = [date(2001, 1, 1) + timedelta(days=k) for k in range(29 * 365)]  # to 2029
    for n in (1, 5, 7, 10, 15, 20, 45):
        safe, late = _wd(n)
        gaps = [(cal.add_working_days(d, n) - d).days for d in starts]
        assert safe <= min(gaps) and late > max(gaps), n
    for m in (1, 3, 6, 12):
        safe, late = _months(m)
        gaps = [(add_months(d, m) - d).days for d in starts]
        assert safe <= min(gaps) and late > max(gaps), m


def test_cli_generate_prints_valid_jsonl() -> None:
    result = CliRunner().invoke(main, ["generate", "--cases", "5", "--seed", "3",
                                       "--as-of", "2025-06-30"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    for line in lines:
        intake = validate(RawRecord("cli", line.encode()))
        assert intake.errors == [] and intake.record is not None
    assert [orjson.loads(line) for line in lines] == list(generate_cohort(5, 3, AS_OF))
