"""Fuzzing the intake boundary (issue 9): valid records, mutated the ways real extracts go
wrong, must never raise, never lose a record, and never echo what a child's record says.

``make test`` runs a short profile; ``make fuzz`` runs the long one (``CASECHECK_FUZZ`` sets the
number of examples).  Mutations: drop a key, retype a value (null, booleans, numbers, 2^64 and
beyond, empty and blank strings, legacy null dates, malformed and extreme dates and date-times,
line separators, long text), add undeclared fields, change an event's type, duplicate ids,
dangling refs, and at the byte level: duplicate keys, huge integers, truncation.
"""

from __future__ import annotations

import copy
import os
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.batch.sweep import evaluate_raw, sweep
from engine.evaluate.evaluator import RuleSet
from engine.records.intake import RawRecord
from engine.records.models import EVENT_TYPES
from engine.reports.findings_json import case_json
from engine.synthetic import generate_cohort

ROOT = Path(__file__).resolve().parents[2]
NAME = "Zephyrine"  # planted in every free position; must never come back out
EXAMPLES = int(os.environ.get("CASECHECK_FUZZ", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 1000,
                suppress_health_check=list(HealthCheck))
AS_OF = date(2024, 6, 30)

BASE: list[dict[str, Any]] = (
    [orjson.loads(p.read_bytes()) for p in sorted((ROOT / "fixtures").glob("*.json"))]
    + list(generate_cohort(12, 7, AS_OF)))

# Keys whose values are identifiers or groupings: echoed by design (errors carry ids), so
# no name is planted there.
ECHOED = {"id", "case_id", "ref", "parent", "team", "worker", "manager", "subject"}
HUGE = "__HUGE_INT__"
VALUES = [None, True, False, 0, -1, 1.5, 10**6, HUGE, "", "   ", NAME, NAME * 40,
          f"{NAME} Smith", "0", "00000000", "20240201", "2024-02-30", "31/01/2024",
          "0001-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00", "2024-01-11 10:00:00",
          "2024-W01-1", "1899-12-31", "2024-01-11T25:00", "A\u2028B", [], [NAME], {},
          {"x": NAME}, "2024-03-31T01:30:00+01:00", "2016-02-29"]
EXTRA_KEYS = ["end", "decision_date", "completed", "date", "start", "seen", "outcome",
              "kind", "household", "s47", NAME]


def _slots(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    items = (node.items() if isinstance(node, dict)
             else enumerate(node) if isinstance(node, list) else ())
    for key, value in items:
        out.append((*path, key))
        out.extend(_slots(value, (*path, key)))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    record = copy.deepcopy(draw(st.sampled_from(BASE)))
    for _ in range(draw(st.integers(1, 4))):
        slots = _slots(record)
        kind = draw(st.sampled_from(["drop", "retype", "retype", "extra", "type", "dup_id",
                                     "ref"]))
        if kind in ("drop", "retype") and slots:
            path = draw(st.sampled_from(slots))
            parent = _get(record, path[:-1])
            if kind == "drop":
                del parent[path[-1]]
            else:
                value = draw(st.sampled_from(VALUES))
                if path[-1] in ECHOED and isinstance(value, str) and NAME in value:
                    value = "x1"
                parent[path[-1]] = copy.deepcopy(value)
        elif kind == "extra":
            holders = [p for p in [(), *slots] if isinstance(_get(record, p), dict)]
            holder = _get(record, draw(st.sampled_from(holders)))
            holder[draw(st.sampled_from(EXTRA_KEYS))] = copy.deepcopy(
                draw(st.sampled_from(VALUES)))
        elif isinstance(record.get("events"), list) and record["events"]:
            events = [e for e in record["events"] if isinstance(e, dict)]
            if not events:
                continue
            ev = draw(st.sampled_from(events))
            if kind == "type":
                ev["type"] = draw(st.sampled_from([*sorted(EVENT_TYPES), NAME, ""]))
            elif kind == "dup_id":
                ev["id"] = draw(st.sampled_from(events)).get("id", "x")
            else:
                ev["ref"] = draw(st.sampled_from(["nope", ev.get("id", "x"), "p1", None]))
    try:
        data = orjson.dumps(record)
    except TypeError:
        data = b'{"format": 1}'
    data = data.replace(f'"{HUGE}"'.encode(), b"100000000000000000000")
    byte_level = draw(st.sampled_from(["none", "none", "none", "dup_key", "truncate"]))
    if byte_level == "dup_key":
        data = data.replace(b"{", b'{"case_id":"D",', 1)
    elif byte_level == "truncate":
        data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
    return data


def _check_line(line: bytes, source: str) -> dict[str, Any]:
    assert b"\n" not in line and "\u2028".encode() not in line
    assert NAME.encode() not in line, "a planted name came back out"
    doc = orjson.loads(line)
    assert doc.get("source") == source
    return doc


@FUZZ
@given(mutated())
def test_a_mutated_record_gives_one_result_and_never_raises(practice: RuleSet,
                                                            data: bytes) -> None:
    raw = RawRecord("fuzz.jsonl:1", data)
    result, item = evaluate_raw(raw, practice, AS_OF, case_json)
    doc = _check_line(item.line, "fuzz.jsonl:1")
    assert not any(e.internal for e in result.errors), [e.message for e in result.errors]
    # absence is never compliance: a rejected record has errors and no findings
    if not result.evaluated:
        assert doc["errors"] and not doc["findings"]


@settings(max_examples=max(20, EXAMPLES // 20), deadline=None, derandomize=EXAMPLES <= 1000,
          suppress_health_check=list(HealthCheck))
@given(st.lists(mutated(), min_size=1, max_size=12))
def test_a_sweep_of_mutated_records_loses_none(practice: RuleSet, tmp_path_factory: Any,
                                               batch: list[bytes]) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    src = folder / "in.jsonl"
    kept = [b for b in batch if b.strip() and b"\n" not in b]
    src.write_bytes(b"".join(b + b"\n" for b in kept))
    out = folder / "out"
    summary = sweep(src, out, practice, AS_OF, serialise=case_json)
    lines = (out / "findings.jsonl").read_bytes().splitlines()
    assert len(lines) == len(kept) == summary["records"]["read"] == summary["findings_lines"]
    records = summary["records"]
    assert records["evaluated"] + records["rejected"] == records["read"]
    assert records["internal_errors"] == 0
    for n, line in enumerate(lines, 1):
        _check_line(line, f"{src}:{n}")


@pytest.fixture(scope="module")
def practice() -> RuleSet:
    from engine.evaluate.compile import build_ruleset
    from engine.rules.profiles import load_profile

    return build_ruleset(load_profile("practice"))
