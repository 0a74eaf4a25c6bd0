"""Incremental sweeps (issue 14): byte for byte the full sweep, whatever changed and whenever.

The property: over random cohorts, random edits between nights and random sequences of as-of
dates (forwards, with jumps, and sometimes backwards), ``findings.jsonl`` and ``summary.json``
of an incremental sweep equal a full sweep's, and the history sink sees the same records.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.batch.incremental import STATE_FILE
from engine.batch.sweep import sweep
from engine.evaluate.compile import build_ruleset
from engine.evaluate.evaluator import RuleSet
from engine.reports.findings_json import sweep_json
from engine.rules.profiles import load_profile
from engine.synthetic import generate_cohort

START = date(2024, 6, 28)
SCOPE = "test-scope"


@pytest.fixture(scope="module")
def practice() -> RuleSet:
    return build_ruleset(load_profile("practice"))


def _shift(value: str, days: int) -> str:
    return (date.fromisoformat(value[:10]) + timedelta(days=days)).isoformat() + value[10:]


def _edit(records: list[dict[str, Any]], kind: int, which: int, days: int) -> None:
    """One change to an extract between nights."""
    if not records:
        return
    i = which % len(records)
    rec = records[i]
    events = rec.get("events") or []
    if kind == 0 and events:  # a date moved (maybe past the as-of date: comes into view later)
        ev = events[which % len(events)]
        ev["date"] = _shift(ev["date"], days)
    elif kind == 1 and events:  # an event deleted
        del events[which % len(events)]
    elif kind == 2:  # a new case, copied from another
        records.append({**orjson.loads(orjson.dumps(rec)), "case_id": f"{rec['case_id']}-c{days}"})
    elif kind == 3:  # a case left the extract
        del records[i]
    elif kind == 4:  # the extract's order changed (so each record's line number)
        records.insert(0, records.pop())
    elif kind == 5:  # an episode closed
        for ep in rec.get("episodes") or []:
            if ep.get("end") is None:
                ep["end"] = _shift(ep["start"], abs(days) + 1)
                break
    elif kind == 6:  # a record that fails validation
        rec["child"]["date_of_birth"] = "31/01/2020"
    elif kind == 7:  # a duplicate case id
        records.append(orjson.loads(orjson.dumps(rec)))


def _write(path: Path, records: list[dict[str, Any]], garbage: bool) -> None:
    lines = [orjson.dumps(r) for r in records]
    if garbage:
        lines.insert(len(lines) // 2, b"{not json")
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def _run(practice: RuleSet, data: Path, out: Path, as_of: date,
         incremental: bool) -> tuple[bytes, bytes, list[bytes]]:
    seen: list[bytes] = []
    sweep(data, out, practice, as_of, serialise=sweep_json,
          sink=lambda item: seen.append(item.line),
          incremental=SCOPE if incremental else None)
    return ((out / "findings.jsonl").read_bytes(), (out / "summary.json").read_bytes(), seen)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 6),
       nights=st.lists(st.tuples(
           st.sampled_from([1, 1, 1, 2, 3, 7, 30, 90, -1]),
           st.lists(st.tuples(st.integers(0, 7), st.integers(0, 50), st.integers(-40, 40)),
                    max_size=3),
           st.booleans()), min_size=1, max_size=4))
def test_incremental_sweeps_equal_full_sweeps(practice: RuleSet, tmp_path_factory: Any,
                                              seed: int, n: int,
                                              nights: list[tuple[int, list[Any], bool]]) -> None:
    tmp = tmp_path_factory.mktemp("inc")
    records = list(generate_cohort(n, seed, START))
    data = tmp / "cases.jsonl"
    as_of = START
    _write(data, records, False)
    _run(practice, data, tmp / "inc", as_of, incremental=True)
    for step, edits, garbage in nights:
        as_of += timedelta(days=step)
        for kind, which, days in edits:
            _edit(records, kind, which, days)
        _write(data, records, garbage)
        inc = _run(practice, data, tmp / "inc", as_of, incremental=True)
        full = _run(practice, data, tmp / f"full-{as_of}", as_of, incremental=False)
        assert inc[0] == full[0]
        assert inc[1] == full[1]
        assert inc[2] == full[2]  # the history sink sees every record, carried over or not


def test_unchanged_records_are_carried_over_and_changed_ones_evaluated(
        practice: RuleSet, tmp_path: Path) -> None:
    records = list(generate_cohort(30, 3, START))
    data = tmp_path / "cases.jsonl"
    _write(data, records, False)
    out = tmp_path / "out"
    first = sweep(data, out, practice, START, serialise=sweep_json, incremental=SCOPE)
    assert first["incremental"] == {"carried": 0, "evaluated": 30}
    records[0]["events"].pop()
    _write(data, records, False)
    second = sweep(data, out, practice, START + timedelta(days=1), serialise=sweep_json,
                   incremental=SCOPE)
    assert second["incremental"]["evaluated"] >= 1
    assert second["incremental"]["carried"] >= 20  # most cases change nothing overnight
    assert (out / STATE_FILE).exists()
    # another scope (another profile or rule set) starts afresh
    other = sweep(data, out, practice, START + timedelta(days=1), serialise=sweep_json,
                  incremental="another-scope")
    assert other["incremental"] == {"carried": 0, "evaluated": 30}


def test_next_change_is_never_later_than_a_change(practice: RuleSet) -> None:
    """Evaluating on each day up to a case's next change gives the same statuses."""
    from engine.records.intake import RawRecord, validate

    for record in generate_cohort(15, 11, START):
        rec = validate(RawRecord("t", orjson.dumps(record))).record
        assert rec is not None
        base = practice.evaluate(rec, START)
        stop = base.next_change or START + timedelta(days=60)
        day = START + timedelta(days=1)
        while day < min(stop, START + timedelta(days=60)):
            later = practice.evaluate(rec, day)
            assert [(f.rule, f.anchor_id, f.status, f.actionable) for f in later.findings] == \
                [(f.rule, f.anchor_id, f.status, f.actionable) for f in base.findings], day
            day += timedelta(days=1)


def _history(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
                for table in ("finding_keys", "finding_changes", "case_changes", "run_counts")}
    finally:
        conn.close()


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 6),
       nights=st.lists(st.tuples(
           st.sampled_from([1, 1, 1, 2, 7, 30, -1]),
           st.lists(st.tuples(st.integers(0, 7), st.integers(0, 50), st.integers(-40, 40)),
                    max_size=3)), min_size=1, max_size=4))
def test_incremental_nights_record_the_same_history(practice: RuleSet, tmp_path_factory: Any,
                                                    seed: int, n: int,
                                                    nights: list[tuple[int, list[Any]]]
                                                    ) -> None:
    """The QA lead's nightly command (``sweep --db H --incremental``): a carried-over case is
    recorded from the digest it was evaluated with, its line unread, and the history database
    is row for row the one full sweeps make."""
    from engine.app.runs import sweep as app_sweep

    tmp = tmp_path_factory.mktemp("hist")
    records = list(generate_cohort(n, seed, START))
    data = tmp / "cases.jsonl"
    as_of = START
    for step, edits in [(0, []), *nights]:
        as_of += timedelta(days=step)
        for kind, which, days in edits:
            _edit(records, kind, which, days)
        _write(data, records, False)
        app_sweep(data, tmp / "inc", practice, as_of, 1, "practice", db=tmp / "inc.sqlite",
                  incremental=True)
        app_sweep(data, tmp / "full", practice, as_of, 1, "practice", db=tmp / "full.sqlite")
    assert _history(tmp / "inc.sqlite") == _history(tmp / "full.sqlite")
