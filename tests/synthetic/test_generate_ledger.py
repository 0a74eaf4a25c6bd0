"""The generator's ledger of planted breaches is exactly what the engine finds (issue #3, item 5).

``generate_cohort_with_ledger`` knows, for every act it makes late or leaves out, which rule
obligations that breaks and what the engine will see as the anchor.  Evaluated with the practice
profile (every rule of both packs) at the as-of date, each case's breaches (``late``,
``overdue``, ``not_met``) must be the planted ones: no more, no fewer.  A difference is a bug in
the generator or in the engine, and the assertion shows the evidence to decide which.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from cli import main
from engine.calendar import age_on
from engine.evaluate.compile import build_ruleset
from engine.evaluate.evaluator import RuleSet
from engine.evaluate.findings import Finding
from engine.evaluate.status import BREACHES, COUNTED
from engine.records.intake import RawRecord, validate
from engine.rules.profiles import load_profile
from engine.rules.rulebook import RuleLibrary
from engine.synthetic import (
    RULES,
    PlantedBreach,
    generate_cohort,
    generate_cohort_with_ledger,
)

Key = tuple[str, str, str, str, int | None, str | None]

# (seed, as-of, breach rate): as-of dates just after bank holidays and one-off closures, and
# rates from light to heavy, so deadlines straddle as-of dates and episode ends in every way
RUNS = (
    (1, date(2025, 6, 30), 0.15),
    (2, date(2024, 12, 27), 0.15),
    (3, date(2023, 5, 9), 0.4),
    (4, date(2022, 9, 20), 0.15),
    (5, date(2020, 4, 14), 0.8),
)
N = 300
# the rulings on matching made frequent: ICPCs and return home interviews often missed or late
# (so the same-day acts that must not count are planted often), as of just after the clocks
# changed and Easter
RULINGS_RUN = (6, date(2024, 4, 2), 0.15, {"ENG-ICPC-15WD": 0.5, "ENG-MISSING-RHI-72H": 0.5,
                                          "PRC-MISSING-STRATEGY": 0.6, "PRC-PF-DBS": 0.5})
RULINGS_N = 1000
# cases per rule for the per-rule rate tests: enough for several obligations of each rule
RATE_CASES = 60
RARE = {"PRC-REAUDIT-INADEQUATE": 500, "PRC-PATHWAY-PLAN-QUALITY": 200,
        "PRC-HOME-WITH-PARENTS-AGREEMENT": 200, "PRC-PF-DBS": 200, "ENG-PF-VISIT": 200,
        "ENG-CL-PATHWAY-REVIEW": 120, "ENG-CP-CORE-GROUP-10WD": 120, "ENG-ICPC-15WD": 120,
        "PRC-CP-CHILD-SAFETY-PLAN": 120, "PRC-CP-AGENCY-CHECKS": 120}


@pytest.fixture(scope="module")
def practice(library: RuleLibrary) -> RuleSet:
    return build_ruleset(load_profile("practice"), library)


def evaluate(ruleset: RuleSet, record: dict[str, Any], as_of: date) -> list[Finding]:
    intake = validate(RawRecord(record["case_id"], orjson.dumps(record)))
    assert intake.record is not None, [e.as_dict() for e in intake.errors]
    result = ruleset.evaluate(intake.record, as_of)
    assert result.errors == [], (record["case_id"], result.errors)
    return result.findings


def key(case_id: str, f: Finding) -> Key:
    return (case_id, f.rule, f.anchor_id, f.status, f.occurrence, f.member)


def differences(ruleset: RuleSet, as_of: date,
                cohort: list[tuple[dict[str, Any], list[PlantedBreach]]]) -> list[str]:
    """One line per disagreeing case, with the findings that show what the engine saw."""
    out: list[str] = []
    for record, ledger in cohort:
        findings = evaluate(ruleset, record, as_of)
        found = {key(record["case_id"], f): f for f in findings if f.status in BREACHES}
        planted = set(ledger)
        if planted == set(found):
            continue
        lines = [f"{record['case_id']}:"]
        for k in sorted(planted - set(found), key=str):
            same = [f for f in findings if f.rule == k[1] and f.anchor_id == k[2]
                    and f.occurrence == k[4] and f.member == k[5]]
            seen = "; ".join(f"{f.status} (due {f.due}, done {f.done_id} {f.done_date})"
                             for f in same) or "no finding"
            lines.append(f"  planted, not found: {k[1:]} -> engine: {seen}")
        for k in sorted(set(found) - planted, key=str):
            f = found[k]
            lines.append(f"  found, not planted: {k[1:]} due {f.due}, done {f.done_id} "
                         f"{f.done_date}: {f.message}")
        out.append("\n".join(lines))
    return out


@pytest.fixture(scope="module")
def cohorts() -> dict[int, list[tuple[dict[str, Any], list[PlantedBreach]]]]:
    out = {seed: list(generate_cohort_with_ledger(N, seed, as_of, rate))
           for seed, as_of, rate in RUNS}
    seed, as_of, rate, rates = RULINGS_RUN
    out[seed] = list(generate_cohort_with_ledger(RULINGS_N, seed, as_of, rate, rates))
    return out


def test_the_ledger_covers_every_rule_of_the_practice_profile(practice: RuleSet) -> None:
    assert set(RULES) == {meta.id for _, meta in practice.rules}
    assert len(RULES) == len(set(RULES))


@pytest.mark.parametrize(("seed", "as_of", "rate"), [*RUNS, RULINGS_RUN[:3]])
def test_planted_breaches_are_the_breaches_found(
        practice: RuleSet, cohorts: dict[int, list[tuple[dict[str, Any], list[PlantedBreach]]]],
        seed: int, as_of: date, rate: float) -> None:
    diff = differences(practice, as_of, cohorts[seed])
    assert not diff, (f"seed {seed}, as of {as_of}, rate {rate}: {len(diff)} of {N} cases "
                      "differ; the first:\n" + "\n".join(diff[:5]))


def test_the_comparison_is_not_vacuous(
        cohorts: dict[int, list[tuple[dict[str, Any], list[PlantedBreach]]]]) -> None:
    """Every rule gets planted breaches, of every status it can have."""
    by_rule: dict[str, Counter[str]] = {}
    for cohort in cohorts.values():
        for _, ledger in cohort:
            for b in ledger:
                by_rule.setdefault(b.rule, Counter())[b.status] += 1
    assert set(by_rule) == set(RULES)
    checks = {"PRC-RHI-SAFETY-PLAN", "PRC-PATHWAY-PLAN-QUALITY", "PRC-ETHNICITY-RECORDED"}
    for rule, counts in by_rule.items():
        if rule in checks:
            assert set(counts) == {"not_met"}, rule
        else:
            assert set(counts) == {"late", "overdue"}, (rule, counts)
    # schedule breaches name their occurrence; only PRC-PF-DBS names a household member
    assert any(b.occurrence and b.occurrence > 2 for c in cohorts.values() for _, led in c
               for b in led)
    assert {b.rule for c in cohorts.values() for _, led in c for b in led if b.member} == {
        "PRC-PF-DBS"}


def _anchor_of(target: dict[str, Any], item: dict[str, Any]) -> bool:
    """Whether ``item`` is an anchor of the rule ``target`` is a target of (Ruling 2)."""
    kind = target["type"]
    if kind in ("icpc", "agency_check"):
        return item["type"] == "strategy_discussion" and item.get("s47") is True
    if kind == "return_home_interview":
        return (item["type"] == "missing_episode" and item.get("episode_type") == "missing"
                and "end" in item)
    if kind in ("core_group", "safety_plan"):
        return item["type"] == "cp_plan"
    raise AssertionError(kind)


def _clock(text: str) -> tuple[str, str | None]:
    """A date-time as written (the generator gives no offsets): its day and time, if any."""
    return text[:10], (text[11:] or None)


def rulings_planted(practice: RuleSet, as_of: date,
                    cohort: list[tuple[dict[str, Any], list[PlantedBreach]]]) -> Counter[str]:
    """How often the cohort shows each ruling, read from the records and the engine's findings
    (not from the generator's own account)."""
    seen: Counter[str] = Counter()
    for record, ledger in cohort:
        intake = validate(RawRecord(record["case_id"], orjson.dumps(record)))
        assert intake.record is not None
        items = {x["id"]: x for x in record["events"] + record["episodes"]}
        findings = practice.evaluate(intake.record, as_of).findings
        done = {f.done_id for f in findings if f.done_id}
        # Ruling 2: refs that bind nothing, and the warning for each dangling one
        dangling = 0
        for ev in record["events"]:
            ref = ev.get("ref")
            if ref is None or ev["type"] not in ("icpc", "return_home_interview", "core_group"):
                continue
            if ref not in items:
                dangling += 1
                seen[f"dangling ref ({ev['type']})"] += 1
            elif not _anchor_of(ev, items[ref]):
                seen[f"foreign ref ({ev['type']} to {items[ref]['type']})"] += 1
                seen["foreign ref, counted"] += ev["id"] in done
        assert len([w for w in intake.warnings if "names no event" in w.message]) == dangling
        # Ruling 1: a target the day of a timed anchor, earlier (never counts) or later (counts)
        for kind, anchor_type in (("icpc", "strategy_discussion"),
                                  ("return_home_interview", "missing_episode")):
            anchors = [_clock(a["date"]) for a in record["events"] if a["type"] == anchor_type
                       and _anchor_of({"type": kind}, a)]
            for ev in record["events"]:
                if ev["type"] != kind:
                    continue
                day, at = _clock(ev["date"])
                later = at is not None and any(d == day and t is not None and t > at
                                               for d, t in anchors)
                if later and ev["id"] not in done:
                    seen[f"same day, earlier: not counted ({kind})"] += 1
        for f in findings:
            if f.rule not in ("ENG-ICPC-15WD", "ENG-MISSING-RHI-72H") or f.done_id is None:
                continue
            anchor, target = items[f.anchor_id], items[f.done_id]
            if target.get("ref") == f.anchor_id:
                continue  # bound by ref: the date does not matter
            a_day, a_at = _clock(anchor["date"])
            t_day, t_at = _clock(target["date"])
            if a_day == t_day and a_at is not None:
                seen[f"same day, {'later' if t_at else 'date only'}: counted ({f.rule})"] += 1
        # Ruling 6 and PRC-PF-DBS: clusters after an unmet one; members turning 16
        unmet = sorted(b.anchor_id for b in ledger if b.rule == "PRC-MISSING-STRATEGY"
                       and b.status == "overdue")
        strategy = [f for f in findings if f.rule == "PRC-MISSING-STRATEGY"]
        if unmet and len(strategy) > 1:
            first = min(f.anchor_date for f in strategy if f.anchor_id in unmet)
            seen["missing cluster after an unmet one"] += any(
                f.anchor_date > first for f in strategy)
        for f in findings:
            if f.rule == "PRC-PF-DBS" and f.member is not None:
                members = {m["id"]: m["date_of_birth"] for m in items[f.anchor_id]["household"]}
                born = members[f.member]
                if born is not None and age_on(date.fromisoformat(born), f.anchor_date) < 16:
                    seen[f"member turning 16: {f.status}"] += 1
    return seen


def test_the_rulings_are_planted(
        practice: RuleSet,
        cohorts: dict[int, list[tuple[dict[str, Any], list[PlantedBreach]]]]) -> None:
    """The cohort of RULINGS_RUN shows every case of the rulings on matching often, so the
    exact comparison above covers them (semantics.md, "Rulings on matching")."""
    seed, as_of, _, _ = RULINGS_RUN
    seen = rulings_planted(practice, as_of, cohorts[seed])

    def total(prefix: str) -> int:
        return sum(n for k, n in seen.items() if k.startswith(prefix))

    at_least = {
        "same day, earlier: not counted (icpc)": 5,
        "same day, earlier: not counted (return_home_interview)": 5,
        "same day, later: counted (ENG-ICPC-15WD)": 5,
        "same day, later: counted (ENG-MISSING-RHI-72H)": 5,
        "same day, date only: counted (ENG-ICPC-15WD)": 3,
        "foreign ref (icpc": 5,
        "foreign ref (icpc to strategy_discussion)": 3,
        "foreign ref (return_home_interview to missing_episode)": 3,
        "foreign ref (return_home_interview": 5,
        "foreign ref (core_group": 5,
        "foreign ref, counted": 10,
        "dangling ref (icpc": 5,
        "dangling ref (return_home_interview": 5,
        "dangling ref (core_group": 5,
        "missing cluster after an unmet one": 3,
        "member turning 16": 5,
    }
    for prefix, n in at_least.items():
        assert total(prefix) >= n, (prefix, dict(seen))


def test_ledger_and_records_match_generate_cohort() -> None:
    as_of = date(2025, 6, 30)
    pairs = list(generate_cohort_with_ledger(40, 8, as_of, 0.3, {"PRC-CP-VISIT": 0.6}))
    assert [r for r, _ in pairs] == list(generate_cohort(40, 8, as_of, 0.3,
                                                         {"PRC-CP-VISIT": 0.6}))
    for record, ledger in pairs:
        assert all(b.case_id == record["case_id"] for b in ledger)
        assert all(b.status in BREACHES for b in ledger)


@pytest.mark.parametrize("rule", RULES)
def test_a_rule_at_rate_one_breaches_every_obligation_and_at_zero_none(
        practice: RuleSet, rule: str) -> None:
    """At 1.0 (every other rule at 0) every obligation of the rule that can be decided is a
    breach and no other rule has any; at 0.0 (every other rule at 1) the rule has none."""
    as_of = date(2025, 6, 30)
    for own, others in ((1.0, 0.0), (0.0, 1.0)):
        cohort = list(generate_cohort_with_ledger(RARE.get(rule, RATE_CASES), 5, as_of, others,
                                                  {rule: own}))
        diff = differences(practice, as_of, cohort)
        assert not diff, f"{rule} at {own}, others at {others}:\n" + "\n".join(diff[:5])
        counts: Counter[str] = Counter()
        for record, ledger in cohort:
            for f in evaluate(practice, record, as_of):
                if f.rule == rule:
                    counts[f.status] += 1
                elif own == 1.0:
                    assert f.status not in BREACHES, (record["case_id"], f)
            if own == 0.0:
                assert all(b.rule != rule for b in ledger)
        if own == 1.0:
            assert sum(counts[s] for s in COUNTED) >= 3, f"{rule}: too few obligations {counts}"
            assert counts["met"] == 0, (rule, counts)
        else:
            assert not set(counts) & BREACHES, (rule, counts)
            assert counts["met"] > 0, (rule, counts)


def test_rates_are_checked() -> None:
    as_of = date(2025, 6, 30)
    with pytest.raises(ValueError, match="unknown rule"):
        next(generate_cohort(1, 1, as_of, 0.1, {"PRC-NO-SUCH-RULE": 0.5}))
    with pytest.raises(ValueError, match="between 0 and 1"):
        next(generate_cohort(1, 1, as_of, 0.1, {"PRC-CP-VISIT": 1.5}))
    with pytest.raises(ValueError, match="between 0 and 1"):
        next(generate_cohort(1, 1, as_of, -0.1))


def test_cli_generate_breach_rates() -> None:
    runner = CliRunner()
    args = ["generate", "--cases", "12", "--seed", "4", "--as-of", "2025-06-30",
            "--breach-rate", "0", "--rule-breach-rate", "PRC-CP-VISIT=1",
            "--rule-breach-rate", "ENG-ICPC-15WD=0.5"]
    result = runner.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    expected = generate_cohort(12, 4, date(2025, 6, 30), 0.0,
                               {"PRC-CP-VISIT": 1.0, "ENG-ICPC-15WD": 0.5})
    assert [orjson.loads(line) for line in result.stdout.splitlines()] == list(expected)

    for bad, words in (("PRC-CP-VISTI=0.3", "did you mean 'PRC-CP-VISIT'"),
                       ("PRC-CP-VISIT", "RULE=RATE"), ("PRC-CP-VISIT=2", "RULE=RATE")):
        result = runner.invoke(main, [*args[:7], "--rule-breach-rate", bad])
        assert result.exit_code == 2 and words in result.output, result.output
