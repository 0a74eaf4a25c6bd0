"""casecheck as a library for a Spark job (issue 14): evaluate JSON lines in ``mapPartitions``.

    from engine.distributed.spark import sweep_lines
    lines = spark.sparkContext.textFile("cases.jsonl").zipWithIndex()
    findings = lines.mapPartitions(sweep_lines("practice", date(2025, 6, 30), "cases.jsonl"))

Each executor builds the profile's rule set once (on its first partition) and evaluates every
record exactly as ``casecheck sweep`` does, returning each case's ``findings.jsonl`` line.  The
source of a record is ``NAME:LINE`` (LINE counted from 1) as in the CLI, so lines are equal to
the CLI's.  What a single sweep checks across records, a ``case_id`` repeated in the input, is
left to the job (group by ``case_id``).  pyspark itself is imported only by the example job and
the tests: this module needs nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import lru_cache
from typing import Any

from engine.batch.sweep import evaluate_raw
from engine.evaluate.compile import build_ruleset
from engine.evaluate.evaluator import RuleSet
from engine.records.intake import RawRecord
from engine.reports.findings_json import sweep_json
from engine.rules.profiles import load_profile


@lru_cache(maxsize=4)
def ruleset_for(profile: str, warn: int | None = None) -> RuleSet:
    """The compiled rule set, once per executor process."""
    return build_ruleset(load_profile(profile), warn=warn)


def evaluate_line(line: str | bytes, source: str, ruleset: RuleSet, as_of: date) -> bytes:
    """One JSON record -> its findings.jsonl line (bytes, without the newline)."""
    data = line.encode() if isinstance(line, str) else line
    return evaluate_raw(RawRecord(source, data), ruleset, as_of, sweep_json)[1].line


def sweep_lines(profile: str, as_of: date, name: str, warn: int | None = None
                ) -> Callable[[Iterable[Any]], Iterator[str]]:
    """A ``mapPartitions`` function over ``(line, index)`` pairs (``zipWithIndex``) or plain
    lines (then the source is ``NAME``); yields each case's findings line as text."""

    def run(rows: Iterable[Any]) -> Iterator[str]:
        ruleset = ruleset_for(profile, warn)
        for row in rows:
            if isinstance(row, tuple):
                line, index = row
                source = f"{name}:{index + 1}"
            else:
                line, source = row, name
            if not line.strip():
                continue  # blank lines are not records (as in the CLI)
            yield evaluate_line(line, source, ruleset, as_of).decode()

    return run


def row_to_record(row: dict[str, Any]) -> bytes:
    """A record held as a table row (e.g. a ``case_id``/``record`` pair, the record as JSON
    text, or a nested struct as Spark's ``Row.asDict(recursive=True)``) -> its JSON bytes."""
    import orjson

    value = row.get("record", row)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    return orjson.dumps(value)
