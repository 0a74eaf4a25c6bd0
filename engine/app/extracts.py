"""Extracts: the synthetic cohort written in each source's format (``generate --format``), and
an extract swept straight from its adapter (``sweep --from``), the import report beside the
findings."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

import orjson

from engine.batch.sweep import TerminalProgress
from engine.batch.sweep import sweep as run_sweep
from engine.calendar import CalendarRangeError
from engine.records.intake import RawRecord
from engine.reports.findings_json import sweep_json
from engine.sources.casefile import write_jsonl
from engine.sources.report import ImportReport, SourceError
from engine.sources.run import FORMATS, open_source, write_extract

from .errors import CommandError
from .runs import long_lived


def generate(cases: int, seed: int, as_of: date, breach_rate: float,
             rule_rates: dict[str, float], fmt: str, out: Path) -> str:
    """Write the synthetic cohort to ``out`` as ``fmt`` (see ``FORMATS``); return what was
    written."""
    from engine.synthetic import generate_cohort

    if fmt not in FORMATS:
        raise CommandError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    try:
        records = generate_cohort(cases, seed, as_of, breach_rate, rule_rates)
        n = write_extract(fmt, records, out)
    except ValueError as exc:  # SourceError is a ValueError
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"{out}: cannot write ({exc.strerror})") from None
    what = "cases" if fmt == "json" else "children"
    return f"wrote {n} {what} to {out} ({fmt})"


def stream_cohort(cases: int, seed: int, as_of: date, breach_rate: float,
                  rule_rates: dict[str, float], stream: IO[bytes]) -> int:
    """Write the synthetic cohort as JSON lines to ``stream`` (``generate`` without --out)."""
    from engine.synthetic import generate_cohort

    try:
        records = generate_cohort(cases, seed, as_of, breach_rate, rule_rates)
        first = next(records)  # a bad rate or as-of fails here, before anything is written
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    return write_jsonl(itertools.chain([first], records), stream)


def _raw(records: Iterator[dict[str, Any]], label: str) -> Iterator[RawRecord]:
    for n, record in enumerate(records, 1):
        yield RawRecord(f"{label}#{n}", orjson.dumps(record))


def sweep_source(kind: str, source: Path, out_dir: Path, ruleset: Any, as_of: date,
                 workers: int = 1) -> tuple[dict[str, Any], ImportReport]:
    """Sweep an extract as its adapter reads it, without an intermediate JSONL file; writes
    ``findings.jsonl``, ``summary.json`` and ``import-report.json`` to ``out_dir``."""
    report = ImportReport(kind)
    try:
        records = open_source(kind, source, report)
        out_dir.mkdir(parents=True, exist_ok=True)
        with long_lived():
            summary = run_sweep(source, out_dir, ruleset, as_of, workers,
                                progress=TerminalProgress(0), serialise=sweep_json,
                                records=_raw(records, source.name))
    except SourceError as exc:
        raise CommandError(str(exc)) from None
    except CalendarRangeError as exc:
        raise CommandError(str(exc)) from None
    (out_dir / "import-report.json").write_bytes(
        orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2))
    return summary, report
