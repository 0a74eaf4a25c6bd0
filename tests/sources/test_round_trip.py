"""Round trip: the synthetic cohort written as each source's extract and imported again gives
the same findings as the cohort itself, for every rule the source fully covers; every other
rule is "not assessable from this source" on every imported record and has no findings.

A finding is compared by what it says (rule, status, anchor date, due date, date done, lateness,
occurrence), not by ids: the CIN census and the 903 return carry no ids, so the reader makes
its own.  The few rules a source covers but cannot reproduce are listed in ``EXCLUDED`` with
the reason; docs/decisions/0006-real-data-in.md explains each.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.evaluate.compile import build_ruleset
from engine.evaluate.evaluator import RuleSet
from engine.records.intake import RawRecord, validate
from engine.records.supplies import supplied_names
from engine.rules.profiles import load_profile
from engine.sources.report import ImportReport
from engine.sources.run import open_source, write_extract
from engine.synthetic import generate_cohort

AS_OF = date(2024, 6, 30)
TARGETS = {"ssd": "ssd", "ssda903": "903", "cin": "census.xml"}

# (source, rule) -> why the round trip cannot reproduce the cohort's findings, although the
# source declares everything the rule reads.
EXCLUDED: dict[tuple[str, str], str] = {
    ("ssd", "ENG-ICPC-15WD"): "the SSD has no strategy discussions: the reader infers one at "
                              "each section 47 start, so the clock starts on another day",
    ("cin", "ENG-ICPC-15WD"): "the census has no strategy discussions: the reader infers one "
                              "at each S47 start, so the clock starts on another day",
}


@pytest.fixture(scope="module")
def practice() -> RuleSet:
    return build_ruleset(load_profile("practice"))


def _evaluate(records: list[dict[str, Any]], ruleset: RuleSet) -> dict[str, Any]:
    """child id -> (findings by rule as comparable tuples, rules not assessable)."""
    out: dict[str, Any] = {}
    for record in records:
        intake = validate(RawRecord("round-trip", orjson.dumps(record)))
        assert intake.record is not None, [str(e) for e in intake.errors]
        result = ruleset.evaluate(intake.record, AS_OF)
        findings: dict[str, Counter[tuple[Any, ...]]] = {}
        for f in result.findings:
            # a historic breach's lateness freezes at the end of its period of involvement,
            # which an extract's own CIN episodes (referral to closure) may make longer than
            # the generated record's plans: status, dates and actionability must still agree
            late = f.days_late if f.actionable else None
            findings.setdefault(f.rule, Counter())[(
                f.status, f.anchor_date, f.due, f.done_date, late, f.actionable, f.occurrence,
                f.member)] += 1
        out[record["child"]["id"]] = (findings, {n.rule for n in result.not_assessable})
    return out


@pytest.mark.parametrize("kind", ["ssd", "ssda903", "cin"])
@settings(max_examples=3, deadline=None, derandomize=True)
@given(seed=st.integers(min_value=0, max_value=100_000))
def test_round_trip(kind: str, seed: int, practice: RuleSet) -> None:
    cohort = list(generate_cohort(40, seed, AS_OF))
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / TARGETS[kind]
        write_extract(kind, iter(cohort), target)
        report = ImportReport(kind)
        imported = list(open_source(kind, target, report))
    assert report.balanced() and report.rows_rejected == 0, report.to_dict()["rejections"][:3]

    names = supplied_names(imported[0]["source"]["supplies"])
    want = _evaluate(cohort, practice)
    got = _evaluate(imported, practice)
    compared: list[str] = []
    findings_compared = 0
    for rule_meta in practice.meta.values():
        rule = rule_meta.id
        level, _ = practice.coverage.assess(rule, names)
        if level != "full":
            for child, (findings, skipped) in got.items():
                assert rule in skipped and rule not in findings, (kind, rule, child)
            continue
        anchors, _ = practice.coverage.needs[rule]
        if any(a not in names for group in anchors for a in group.split("|")):
            # covered through some of the episode types that start it: a cohort case opened
            # only by another type is, by design, outside the extract (PRC-ETHNICITY-RECORDED)
            continue
        if (kind, rule) in EXCLUDED:
            continue
        compared.append(rule)
        for child, (findings, _) in want.items():
            mine = got.get(child, ({}, set()))[0].get(rule, Counter())
            assert mine == findings.get(rule, Counter()), (kind, seed, rule, child)
            findings_compared += sum(mine.values())
    assert len(compared) >= {"ssd": 10, "ssda903": 1, "cin": 2}[kind]
    assert findings_compared >= len(compared)
