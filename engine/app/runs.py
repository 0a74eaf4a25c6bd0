"""Many cases: a sweep, optionally recorded in the history database (``sweep --db``), and the
history commands' look-ups (``history``, ``diff``, ``dashboard``, ``export``)."""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from engine.batch.history import HistoryError, RunMeta, connect, record_run, ruleset_identity
from engine.batch.sweep import OutputError, TerminalProgress, input_size
from engine.batch.sweep import sweep as run_sweep
from engine.calendar import CalendarRangeError
from engine.records.intake import InputError
from engine.reports.findings_json import sweep_json
from engine.rules.profiles import ProfileError, load_profile

from .casework import check_as_of, engine_version
from .errors import CommandError


def sweep(input_path: Path, out_dir: Path, ruleset: Any, as_of: date, workers: int,
          profile: str, db: Path | None = None,
          engine_name: str = "core",
          incremental: bool = False) -> tuple[dict[str, Any], str | None]:
    """Sweep ``input_path`` into ``out_dir``; with ``db``, inside one history transaction;
    with ``incremental``, carrying over what cannot have changed (engine.batch.incremental).

    Returns the summary and, when recorded, a line saying which run it became.
    """
    check_as_of(ruleset, as_of)
    progress = TerminalProgress(input_size(input_path))
    scope = _scope(profile, ruleset, engine_name) if incremental else None
    try:
        with long_lived():
            if db is None:
                return run_sweep(input_path, out_dir, ruleset, as_of, workers,
                                 progress=progress, serialise=sweep_json,
                                 incremental=scope), None
            return _recorded(db, profile, input_path, out_dir, ruleset, as_of, workers,
                             engine_name, progress, scope)
    except (InputError, CalendarRangeError, OutputError) as exc:
        raise CommandError(str(exc)) from None


@contextmanager
def long_lived() -> Iterator[None]:
    """Tune the cyclic collector for a sweep, whose objects die young by reference counting.

    What exists before the sweep (modules, rule set, calendar) outlives it: frozen, full
    collections no longer walk it again every few hundred cases (0.7 s of a 20,000-case
    sweep), and forked workers do not copy the pages those scans touch.  And a young
    generation of 5,000 rather than 700 objects: a case's record alone holds more than 700,
    so the young collection ran every few events (4,800 times in 20,000 cases, 0.3 s; 136
    times, 7 ms).  Both restored when the sweep ends."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], 5000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _scope(profile: str, ruleset: Any, engine_name: str) -> str:
    """What an incremental sweep's carried-over lines are valid for."""
    from engine.batch.incremental import scope_of

    try:
        prof = load_profile(profile)
    except ProfileError as exc:
        raise CommandError(str(exc)) from None
    digest, _ = ruleset_identity(ruleset, prof.params, prof.events, engine_name)
    return scope_of(profile, digest, sweep_json)


def exit_code(summary: dict[str, Any]) -> int:
    """0 every record evaluated, 1 some rejected, 3 an internal error (README, "Exit codes")."""
    records = summary["records"]
    if records.get("internal_errors"):
        return 3
    return 1 if records["rejected"] else 0


def _recorded(db: Path, profile: str, input_path: Path, out_dir: Path, ruleset: Any,
              as_of: date, workers: int, engine_name: str,
              progress: Callable[[int, int], None],
              scope: str | None = None) -> tuple[dict[str, Any], str]:
    try:
        prof = load_profile(profile)
    except ProfileError as exc:
        raise CommandError(str(exc)) from None
    digest, described = ruleset_identity(ruleset, prof.params, prof.events, engine_name)
    # for the views only, not part of the hash: they do not change any finding
    described["targets"] = dict(sorted(prof.targets.items()))
    described["reason_codes"] = list(prof.reason_codes)
    meta = RunMeta(as_of, ruleset.profile, digest, described, str(input_path.resolve()),
                   engine_version())
    try:
        with record_run(db, meta) as rec:
            summary = run_sweep(input_path, out_dir, ruleset, as_of, workers,
                                progress=progress, sink=rec.add, serialise=sweep_json,
                                incremental=scope)
            run_id = rec.finish(summary)
    except HistoryError as exc:
        raise CommandError(str(exc)) from None
    except sqlite3.Error as exc:
        raise CommandError(f"{db}: {exc}") from None
    again = " (replacing the earlier recording of the same run)" if rec.replaced else ""
    return summary, f"recorded run {run_id} in {db}{again}"


def open_history(db: Path) -> sqlite3.Connection:
    try:
        return connect(db)
    except HistoryError as exc:
        raise CommandError(str(exc)) from None


def diff(db: Path, run_id: int | None, against_id: int | None) -> dict[str, Any]:
    """The breaches new, resolved and still open between two runs."""
    from engine.batch.history import diff_runs, get_run, previous_run

    conn = open_history(db)
    try:
        run = get_run(conn, run_id)
        against = get_run(conn, against_id) if against_id is not None else previous_run(conn, run)
    except HistoryError as exc:
        raise CommandError(str(exc)) from None
    if against is None:
        raise CommandError(f"run {run['id']} is the first run of profile {run['profile']!r}: "
                           "nothing to compare it with (give --against)")
    if against["id"] == run["id"]:
        raise CommandError("--run and --against name the same run")
    return diff_runs(conn, run, against)


def reporting_periods(run_as_of: str, kind: str, count: int, start: date | None,
                      end: date | None) -> list[Any]:
    from engine.batch.measures import custom_periods, periods_ending

    if (start is None) != (end is None):
        raise CommandError("give both --from and --to, or neither")
    if start is not None and end is not None:
        if end < start:
            raise CommandError("--to is before --from")
        return custom_periods(start, end)
    return periods_ending(kind, date.fromisoformat(run_as_of), count)


def dashboard(db: Path, out: Path, fmt: str, run_id: int | None, runs: int,
              period: str = "month", periods: int = 6, start: date | None = None,
              end: date | None = None) -> str:
    """Write the dashboard (HTML, or its tables as CSV files); return what was written."""
    from engine.batch.history import get_run
    from engine.reports.dashboard import dashboard_data, render_html, write_csv

    conn = open_history(db)
    try:
        chosen = reporting_periods(get_run(conn, run_id)["as_of"], period, periods, start, end)
        data = dashboard_data(conn, run_id, runs, chosen)
    except HistoryError as exc:
        raise CommandError(str(exc)) from None
    try:
        if fmt == "csv":
            paths = write_csv(data, out)
            return f"wrote {len(paths)} CSV files to {out}: " + ", ".join(p.name for p in paths)
        out.write_text(render_html(data), encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{out}: cannot write ({exc.strerror})") from None
    return f"wrote dashboard of run {data['run']['id']} to {out}"


def export(db: Path, out: Path, run_id: int | None, period: str = "month", periods: int = 6,
           start: date | None = None, end: date | None = None) -> str:
    """``export --xlsx``: the dashboard's views as a workbook, a sheet per view."""
    from engine.batch.history import get_run
    from engine.reports.dashboard import dashboard_data
    from engine.reports.workbook import write_workbook

    if out.suffix.lower() != ".xlsx":
        raise CommandError(f"{out}: the workbook's name must end in .xlsx")
    conn = open_history(db)
    try:
        chosen = reporting_periods(get_run(conn, run_id)["as_of"], period, periods, start, end)
        data = dashboard_data(conn, run_id, 1, chosen)
    except HistoryError as exc:
        raise CommandError(str(exc)) from None
    finally:
        conn.close()
    try:
        write_workbook(data, out)
    except OSError as exc:
        raise CommandError(f"{out}: cannot write ({exc.strerror})") from None
    return f"wrote workbook of run {data['run']['id']} to {out}"


def prune(db: Path, keep: str) -> str:
    """``history prune --keep 400d``."""
    import re

    from engine.batch.history import prune as prune_runs

    match = re.fullmatch(r"(\d{1,5})d", keep.strip())
    if match is None:
        raise CommandError(f"--keep {keep!r}: give a number of days such as 400d")
    conn = open_history(db)
    try:
        done = prune_runs(conn, int(match.group(1)))
    except sqlite3.Error as exc:
        raise CommandError(f"{db}: {exc}") from None
    finally:
        conn.close()
    return (f"removed {done['runs_removed']} run(s) older than {keep}; "
            f"{done['runs_kept']} kept; database compacted")


def add_reason(db: Path, fid: str, code: str, note: str, by: str) -> str:
    """``reason add``: the code must be one of the latest run's profile's reason codes.  The
    note is staff's free text: it is stored, never echoed in messages or errors."""
    from engine.batch.history import add_reason as add
    from engine.batch.history import get_run, run_ruleset
    from engine.rules.profiles import DEFAULT_REASON_CODES

    conn = open_history(db)
    try:
        codes = run_ruleset(conn, get_run(conn)["id"]).get("reason_codes",
                                                            list(DEFAULT_REASON_CODES))
        if code not in codes:
            raise CommandError(f"unknown reason code {code!r}; the profile allows: "
                               f"{', '.join(codes)}")
        if not by.strip():
            raise CommandError("--by must name who records the reason")
        rid = add(conn, fid, code, note, by)
    except HistoryError as exc:
        raise CommandError(str(exc)) from None
    finally:
        conn.close()
    return f"recorded reason {rid} ({code}) for {fid}"


def remove_reason(db: Path, fid: str, note: str, by: str) -> str:
    from engine.batch.history import remove_reason as remove

    conn = open_history(db)
    try:
        rid = remove(conn, fid, note, by)
    except HistoryError as exc:
        raise CommandError(str(exc)) from None
    finally:
        conn.close()
    return f"recorded removal {rid} of the reason for {fid} (the earlier entries are kept)"
