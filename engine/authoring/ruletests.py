"""Run the test cases written beside each rule, and check they cover what the rule can produce.

A test case is a minimal record, an as-of date and the exact list of findings the rule must give
(status and due date at least; anchor, done, days_late and occurrence when stated).  The same
runner serves ``casecheck rules test`` and pytest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from engine.calendar import calendar_for
from engine.evaluate.compile import compile_rule, rule_meta
from engine.evaluate.evaluator import RuleSet
from engine.evaluate.findings import Finding
from engine.records.intake import RawRecord, validate
from engine.records.models import FORMAT
from engine.rules.rulebook import LoadedRule, RuleError, RuleLibrary
from engine.rules.schema import ExpectedFinding, RuleTest


@dataclass
class CaseOutcome:
    rule: str
    name: str
    where: str
    passed: bool
    detail: str = ""


def build_record(rule_id: str, test: RuleTest) -> dict[str, Any]:
    record: dict[str, Any] = {"format": FORMAT, "case_id": f"{rule_id}/{test.name}",
                              "child": {"id": "child-1"}}
    record.update(test.record)
    if isinstance(record.get("child"), dict):
        record["child"] = {"id": "child-1", **record["child"]}
    return record


def _describe(f: Finding) -> str:
    parts = [f"status={f.status}", f"due={f.due.isoformat() if f.due else None}",
             f"anchor={f.anchor_id}", f"done={f.done_id}"]
    if f.days_late is not None:
        parts.append(f"days_late={f.days_late}")
    if f.occurrence is not None:
        parts.append(f"occurrence={f.occurrence}")
    return " ".join(parts)


def _mismatch(exp: ExpectedFinding, got: Finding) -> str | None:
    checks: list[tuple[str, Any, Any]] = [
        ("status", exp.status, got.status),
        ("due", exp.due, got.due.isoformat() if got.due else None),
    ]
    fields_set = exp.model_fields_set
    if "anchor" in fields_set:
        checks.append(("anchor", exp.anchor, got.anchor_id))
    if "done" in fields_set:
        checks.append(("done", exp.done, got.done_id))
    if "days_late" in fields_set:
        checks.append(("days_late", exp.days_late, got.days_late))
    if "occurrence" in fields_set:
        checks.append(("occurrence", exp.occurrence, got.occurrence))
    for name, want, have in checks:
        if want != have:
            return f"{name}: expected {want!r}, got {have!r}"
    return None


def run_case(loaded: LoadedRule, library: RuleLibrary, index: int) -> CaseOutcome:
    test = loaded.rule.tests[index]
    where = loaded.where("tests", index)
    rid = loaded.id

    def fail(detail: str) -> CaseOutcome:
        return CaseOutcome(rid, test.name, where, False, detail)

    try:
        as_of = date.fromisoformat(test.as_of)
        closures = frozenset(date.fromisoformat(d) for d in test.closure_days or [])
    except ValueError as exc:
        return fail(f"bad date in test: {exc}")
    try:
        compiled = compile_rule(loaded, library, {rid: test.params or {}})
    except RuleError as exc:
        return fail(str(exc))
    raw = RawRecord(where, orjson.dumps(build_record(rid, test)))
    intake = validate(raw)
    if intake.record is None:
        return fail("record is invalid: " + "; ".join(
            f"{p.pointer}: {p.message}" for p in intake.errors))
    ruleset = RuleSet([(compiled, rule_meta(loaded))], calendar_for(closures),
                      warn=5 if test.warn is None else test.warn, profile="test")
    result = ruleset.evaluate(intake.record, as_of)
    if result.errors:
        return fail("evaluation error: " + "; ".join(e.message for e in result.errors))
    got = [f for f in result.findings if f.rule == rid]
    if len(got) != len(test.expect):
        listing = "; ".join(_describe(f) for f in got) or "none"
        return fail(f"expected {len(test.expect)} finding(s), got {len(got)}: {listing}")
    for i, (exp, have) in enumerate(zip(test.expect, got, strict=True)):
        problem = _mismatch(exp, have)
        if problem:
            return fail(f"finding {i + 1}: {problem} (got {_describe(have)})")
    return CaseOutcome(rid, test.name, where, True)


def run_rule_tests(library: RuleLibrary, rule_ids: list[str] | None = None) -> list[CaseOutcome]:
    outcomes: list[CaseOutcome] = []
    for rid in sorted(rule_ids or library.rules):
        loaded = library.rules[rid]
        for i in range(len(loaded.rule.tests)):
            outcomes.append(run_case(loaded, library, i))
    return outcomes


def coverage_problems(library: RuleLibrary) -> list[str]:
    """Each rule needs at least one test case for every status it can produce."""
    problems: list[str] = []
    for rid in sorted(library.rules):
        loaded = library.rules[rid]
        try:
            compiled = compile_rule(loaded, library)
        except RuleError as exc:
            problems.append(f"{loaded.where('id')}: {exc}")
            continue
        covered = {e.status for t in loaded.rule.tests for e in t.expect}
        missing = sorted(compiled.can_produce - covered)
        if missing:
            problems.append(f"{loaded.where('tests' if loaded.rule.tests else 'id')}: {rid} has "
                            f"no test case expecting {', '.join(missing)}")
        names = [t.name for t in loaded.rule.tests]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            problems.append(f"{loaded.where('tests')}: {rid}: duplicate test names {dupes}")
    return problems
