"""The durable-rules engine against the core, on every follow-up rule it can express (issue #5).

Hypothesis builds case records around the boundaries of each rule (the deadline day, the day
after, targets before the anchor or its allow_before date, repeated anchors, anchors the rule's
``where`` excludes, targets naming an anchor by ``ref``) and both engines must give the same
findings.  The durable engine runs in its child process, as on the command line.
"""

from __future__ import annotations

import multiprocessing
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("durable")

from cli import main
from engine.authoring.ruletests import build_record
from engine.calendar import Duration, calendar_for
from engine.crosscheck.durable import (
    FAULT_ENV,
    DurableEngine,
    DurableRuleSet,
    not_expressible,
)
from engine.evaluate.compile import build_ruleset, compile_rule, rule_meta
from engine.evaluate.evaluator import RuleSet
from engine.evaluate.findings import CaseResult
from engine.records.intake import RawRecord, validate
from engine.reports.findings_json import case_dict, finding_dict
from engine.rules.profiles import load_profile
from engine.rules.rulebook import load_library, resolve_params
from engine.rules.schema import PARAM_RE, Selector
from tests.conftest import make_record

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "fixtures" / "cp-neglect.json"
CI = os.environ.get("CI") == "true"

LIBRARY = load_library()
SUPPORTED = sorted(rid for rid, r in LIBRARY.rules.items() if not not_expressible(r.rule))
CAL = calendar_for()
BASE = date(2024, 1, 8)  # a Monday; generated dates stay within 2023-2025

# valid values for the fields that rules filter on (the first passes the usual filter)
FIELD_VALUES: dict[tuple[str, str], list[Any]] = {
    ("strategy_discussion", "s47"): [True, False, None],
    ("strategy_discussion", "reason"): ["missing", "significant_harm", None],
    ("health_assessment", "kind"): ["initial", "review", None],
    ("missing_episode", "episode_type"): ["missing", "absent", None],
    ("assessment", "outcome"): ["cin_plan", "nfa", "s47", None],
    ("audit", "grade"): ["inadequate", "good", "requires_improvement", None],
    ("safety_plan", "child_version"): [True, False, None],
    ("placement", "with_parents"): [True, False, None],
    ("visit", "seen"): [True, False],
}


def _iso(d: date) -> str:
    return d.isoformat()


def _types(sel: Selector) -> list[str]:
    return [sel.event] if sel.event else list(sel.episode_types)


def _limit(rid: str) -> Duration:
    loaded = LIBRARY.rules[rid]
    text = loaded.rule.timescale
    assert text is not None
    m = PARAM_RE.match(text)
    return Duration.parse(resolve_params(loaded, None)[m.group(1)] if m else text)


@st.composite
def boundary_records(draw: st.DrawFn) -> tuple[str, dict[str, Any], date]:
    """A record for one supported rule, dated around that rule's deadline, and an as-of date."""
    rid = draw(st.sampled_from(SUPPORTED))
    rule = LIBRARY.rules[rid].rule
    anchor_sel, target_sel = rule.anchor, rule.target
    assert anchor_sel is not None and target_sel is not None
    limit = _limit(rid)
    allow = target_sel.allow_before
    before = Duration.parse(resolve_params(LIBRARY.rules[rid], None)[allow[1:]]) if allow else None
    clock = anchor_sel.clock or []
    events: list[dict[str, Any]] = []
    episodes: list[dict[str, Any]] = []
    ids = iter(range(10_000))

    def fields_for(kind: str, where: dict[str, Any] | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in where or {}:
            choices = FIELD_VALUES.get((kind, name))
            if choices is None:
                continue  # a date field such as completed or end: set with the clock below
            value = draw(st.sampled_from(choices))
            if value is not None:
                out[name] = value
        return out

    # referrals (and contacts, which must not move it) an assessment's clock may start from
    # (clock: [ref.referral.date, date])
    referrals = []
    if any(c.startswith("ref.") for c in clock):
        for _ in range(draw(st.integers(0, 2))):
            rid_ = f"r{next(ids)}"
            referrals.append(rid_)
            events.append({"id": rid_, "type": draw(st.sampled_from(["referral", "contact"])),
                           "date": _iso(BASE - timedelta(days=draw(st.integers(0, 20))))})

    def timed(d: date) -> str:
        # sometimes with a time, so that same-day order is decided by times (Ruling 1)
        if draw(st.integers(0, 3)):
            return _iso(d)
        return f"{_iso(d)}T{draw(st.sampled_from([9, 13, 17])):02d}:00:00"

    # anchors: repeated, sometimes on the same day, some excluded by 'where'
    anchors: list[tuple[str, date, datetime | None]] = []
    day = BASE
    for _ in range(draw(st.integers(1, 3))):
        day = day + timedelta(days=draw(st.sampled_from([0, 0, 1, 3, 10, 30])))
        kind = draw(st.sampled_from(_types(anchor_sel)))
        aid = f"a{next(ids)}"
        item: dict[str, Any] = {"id": aid, "type": kind, **fields_for(kind, anchor_sel.where)}
        start = day
        start_at: datetime | None = None
        if anchor_sel.event:
            item["date"] = timed(day) if "end" not in clock else _iso(day)
            if referrals and draw(st.booleans()):
                item["ref"] = draw(st.sampled_from([*referrals, "nowhere"]))
            wants_end = "end" in clock or "end" in (anchor_sel.where or {})
            if wants_end and draw(st.integers(0, 4)):
                start_at = datetime(day.year, day.month, day.day,
                                    draw(st.integers(0, 23)), draw(st.sampled_from([0, 30])))
                item["end"] = start_at.isoformat() if draw(st.integers(0, 3)) else _iso(day)
                if len(item["end"]) == 10:
                    start_at = None
            wants_completed = "completed" in clock or "completed" in (anchor_sel.where or {})
            if wants_completed and draw(st.integers(0, 3)):
                item["completed"] = _iso(day + timedelta(days=draw(st.integers(0, 40))))
                start = date.fromisoformat(item["completed"])
            events.append(item)
        else:
            item["start"] = _iso(day)
            item["end"] = draw(st.one_of(st.none(), st.just(_iso(day + timedelta(days=20)))))
            episodes.append(item)
        anchors.append((aid, start, start_at))

    first_start = anchors[0][1]
    due = CAL.add(first_start, limit)
    if limit.unit == "hours" and anchors[0][2] is not None:
        due = (anchors[0][2] + timedelta(hours=limit.value)).date()

    def near(extra: list[date]) -> date:
        anchor_day = draw(st.sampled_from(anchors))[1]
        choices = [due - timedelta(days=1), due, due + timedelta(days=1),
                   anchor_day - timedelta(days=1), anchor_day, anchor_day + timedelta(days=1),
                   *extra]
        return draw(st.one_of(st.sampled_from(choices),
                              st.builds(lambda n: BASE + timedelta(days=n),
                                        st.integers(-15, 120))))

    early: list[date] = []
    if before is not None:
        earliest = CAL.subtract(first_start, before)
        early = [earliest - timedelta(days=1), earliest]

    if target_sel.field:
        # the target is a field on the anchor: around its deadline
        name = target_sel.field
        for item in events:
            if item["id"].startswith("a") and draw(st.integers(0, 3)):
                item[name] = _iso(near([]))
    else:
        anchor_ids = [a[0] for a in anchors]
        decoys = [e["id"] for e in [*events, *episodes] if e["id"] in anchor_ids]
        for _ in range(draw(st.integers(0, 4))):
            kinds = _types(target_sel)
            if target_sel.episode:
                kinds = [*kinds, "placement"]
            kind = draw(st.sampled_from(kinds))
            tid = f"t{next(ids)}"
            when = near(early)
            item = {"id": tid, "type": kind, **fields_for(kind, target_sel.where)}
            if kind in ("cin_plan", "cp_plan", "looked_after", "placement"):
                item["start"] = _iso(when)
                episodes.append(item)
                continue
            if limit.unit == "hours" and anchors[0][2] is not None and draw(st.booleans()):
                hours = draw(st.sampled_from([limit.value - 1, limit.value, limit.value + 1]))
                stamp = anchors[0][2] + timedelta(hours=hours, minutes=draw(st.sampled_from(
                    [0, 1, -1])))
                item["date"] = stamp.isoformat()
            else:
                item["date"] = timed(when)
            ref = draw(st.sampled_from([None, None, "elsewhere", *decoys]))
            if ref is not None:
                item["ref"] = ref
            events.append(item)
    as_of = draw(st.sampled_from([due - timedelta(days=1), due, due + timedelta(days=1),
                                  due + timedelta(days=3), due + timedelta(days=60)]))
    record = make_record(case_id=f"D-{rid}", episodes=episodes, events=events)
    return rid, record, as_of


@pytest.fixture(scope="module")
def engines() -> Any:
    prof = load_profile("practice")
    core = build_ruleset(prof, LIBRARY)
    with DurableRuleSet(core, "practice") as durable:
        yield core, durable


def _compare(core: RuleSet, durable: DurableRuleSet, record: dict[str, Any],
             as_of: date, rid: str = "") -> tuple[CaseResult, CaseResult]:
    intake = validate(RawRecord("test", orjson.dumps(record)))
    assert intake.record is not None, [e.as_dict() for e in intake.errors]
    a = core.evaluate(intake.record, as_of)
    b = durable.evaluate(intake.record, as_of)
    want = [finding_dict(f) for f in a.findings if f.rule in SUPPORTED]
    got = [finding_dict(f) for f in b.findings]
    assert got == want, f"{rid} as of {as_of}: {orjson.dumps(record).decode()}"
    core_errors = [e.as_dict() for e in a.errors if e.rule in SUPPORTED]
    durable_errors = [e.as_dict() for e in b.errors if e.rule in SUPPORTED or e.rule is None]
    assert durable_errors == core_errors
    return a, b


def test_durable_supports_most_follow_up_rules() -> None:
    follow_ups = sorted(rid for rid, r in LIBRARY.rules.items() if r.rule.kind == "follow-up")
    assert set(SUPPORTED) <= set(follow_ups)
    assert len(SUPPORTED) >= 10, SUPPORTED


@settings(max_examples=40 if CI else 300, deadline=None, derandomize=CI,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=boundary_records())
def test_same_findings_around_the_boundaries(engines: Any, case: Any) -> None:
    core, durable = engines
    rid, record, as_of = case
    _compare(core, durable, record, as_of, rid)


def test_same_findings_on_a_generated_cohort(engines: Any) -> None:
    from engine.synthetic import generate_cohort

    core, durable = engines
    as_of = date(2024, 6, 28)
    findings = 0
    for record in generate_cohort(60, seed=3, as_of=as_of):
        a, _ = _compare(core, durable, record, as_of)
        findings += sum(f.rule in SUPPORTED for f in a.findings)
    assert findings > 100


def test_unsupported_rules_are_listed_not_skipped(engines: Any) -> None:
    core, durable = engines
    record = orjson.loads(EXAMPLE.read_bytes())
    _, b = _compare(core, durable, record, date(2024, 3, 28))
    listed = {e.rule for e in b.errors if "not expressible in the durable engine" in e.message}
    assert listed == {m.id for _, m in core.rules} - set(SUPPORTED)
    assert "ENG-ICPC-15WD" in listed  # superseded, cancelled_by
    assert "PRC-PF-DBS" in listed  # for_each household


@pytest.mark.parametrize("profile", ["england", "practice"])
def test_cli_check_durable_matches_core(profile: str) -> None:
    runner = CliRunner()
    args = ["check", str(EXAMPLE), "--format", "json", "--as-of", "2024-03-28",
            "--profile", profile]
    core = runner.invoke(main, args, catch_exceptions=False)
    durable = runner.invoke(main, [*args, "--engine", "durable"], catch_exceptions=False)
    assert core.exit_code == 0 and durable.exit_code == 0, durable.output
    a, b = orjson.loads(core.output), orjson.loads(durable.output)
    supported = {f["rule"] for f in a["findings"]} - {e["rule"] for e in b["errors"]}
    assert supported, "the fixture has findings from supported rules"
    assert [f for f in a["findings"] if f["rule"] in SUPPORTED] == b["findings"]
    rules = {f["rule"] for f in a["findings"]} | {e["rule"] for e in b["errors"]}
    for rid in rules - set(SUPPORTED):
        assert any(e["rule"] == rid and "not expressible" in e["message"]
                   for e in b["errors"]), rid


def test_cli_sweep_durable(tmp_path: Path) -> None:
    from engine.synthetic import generate_cohort

    data = tmp_path / "cases.jsonl"
    as_of = date(2024, 6, 28)
    data.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in generate_cohort(20, 5, as_of)))
    runner = CliRunner()
    base = ["sweep", str(data), "--as-of", as_of.isoformat(), "--profile", "practice"]
    core = runner.invoke(main, [*base, "--out", str(tmp_path / "core")], catch_exceptions=False)
    durable = runner.invoke(main, [*base, "--out", str(tmp_path / "durable"), "--engine",
                                   "durable", "--workers", "2"], catch_exceptions=False)
    assert core.exit_code == 0 and durable.exit_code == 0, durable.output
    lines = {}
    for name in ("core", "durable"):
        lines[name] = [orjson.loads(x) for x in (tmp_path / name / "findings.jsonl").read_bytes()
                       .splitlines()]
    assert len(lines["durable"]) == 20
    for a, b in zip(lines["core"], lines["durable"], strict=True):
        assert [f for f in a["findings"] if f["rule"] in SUPPORTED] == b["findings"]
    summary = orjson.loads((tmp_path / "durable" / "summary.json").read_bytes())
    assert summary["records"]["evaluated"] == 20


def test_a_crash_in_the_c_core_is_an_error_for_that_case_only(monkeypatch: Any) -> None:
    monkeypatch.setenv(FAULT_ENV, "CRASH-ME")
    core = build_ruleset(load_profile("england"), LIBRARY)
    record = orjson.loads(EXAMPLE.read_bytes())
    intake = validate(RawRecord("test", orjson.dumps(record)))
    crash = validate(RawRecord("test", orjson.dumps({**record, "case_id": "CRASH-ME"})))
    assert intake.record is not None and crash.record is not None
    with DurableRuleSet(core, "england") as durable:
        before = durable.evaluate(intake.record, date(2024, 3, 28))
        first_pid = durable.child_pid
        crashed = durable.evaluate(crash.record, date(2024, 3, 28))
        after = durable.evaluate(intake.record, date(2024, 3, 28))
        assert durable.child_pid != first_pid
    assert crashed.findings == []
    assert crashed.errors and "crashed (SIGSEGV)" in crashed.errors[0].message
    assert case_dict(after) == case_dict(before)
    assert before.findings


def _rule_cases() -> list[str]:
    """Each supported rule's own test cases, through the durable engine (in a child)."""
    failures = []
    for rid in SUPPORTED:
        loaded = LIBRARY.rules[rid]
        for test in loaded.rule.tests:
            params = {rid: test.params or {}}
            closures = frozenset(date.fromisoformat(d) for d in test.closure_days or [])
            ruleset = RuleSet([(compile_rule(loaded, LIBRARY, params), rule_meta(loaded))],
                              calendar_for(closures), warn=5 if test.warn is None else test.warn,
                              profile="test")
            engine = DurableEngine(ruleset, LIBRARY, params)
            record = validate(RawRecord("t", orjson.dumps(build_record(rid, test)))).record
            assert record is not None
            as_of = date.fromisoformat(test.as_of)
            a = case_dict(ruleset.evaluate(record, as_of))
            b = case_dict(engine.evaluate(record, as_of))
            if a != b:
                failures.append(f"{rid} {test.name}: core {a['findings']} durable "
                                f"{b['findings']} {b['errors']}")
    return failures


def test_durable_passes_each_rules_own_test_cases() -> None:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        failures = pool.apply(_rule_cases)
    assert failures == []
