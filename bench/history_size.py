"""History size and speed: a cohort swept nightly into one history DB (schema 2).

    .venv/bin/python bench/history_size.py [--cases 5000] [--nights 10]

One cohort is generated as at the last night and swept at each night's as-of date, so each
night sees the acts dated that day appear and obligations fall due, as a real extract would.
Prints, per night, the database growth, the share of cases whose findings changed, and the
time `diff` and the dashboard data take; then the extrapolation to 100,000 cases at 2% of
records changing a night (bytes per changed case, scaled, plus the fixed cost of a run).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine.batch.history as history
import engine.batch.sweep as sweep_mod
from engine.evaluate.compile import build_ruleset
from engine.reports.dashboard import dashboard_data
from engine.reports.findings_json import case_json
from engine.rules.profiles import load_profile
from engine.rules.rulebook import load_library
from engine.synthetic import generate_cohort


def size(db: Path) -> int:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db.stat().st_size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=5000)
    ap.add_argument("--nights", type=int, default=10)
    args = ap.parse_args()
    last = date(2025, 6, 30)
    tmp = Path(tempfile.mkdtemp())
    src = tmp / "cohort.jsonl"
    with src.open("wb") as fh:
        for rec in generate_cohort(args.cases, 1, last):
            fh.write(orjson.dumps(rec) + b"\n")
    profile = load_profile("practice")
    ruleset = build_ruleset(profile, load_library())
    digest, described = history.ruleset_identity(ruleset, profile.params, profile.events)
    db = tmp / "h.sqlite"
    growth, changed_share = [], []
    prev = 0
    for n in range(args.nights):
        night = last - timedelta(days=args.nights - 1 - n)
        meta = history.RunMeta(night, "practice", digest, described, str(src))
        with history.record_run(db, meta) as rec:
            summary = sweep_mod.sweep(src, tmp / "out", ruleset, night, sink=rec.add,
                                      serialise=case_json)
            rec.finish(summary)
        now = size(db)
        conn = history.connect(db)
        run = history.get_run(conn)
        cases = conn.execute("SELECT count(DISTINCT k.case_id) FROM finding_changes c JOIN "
                             "finding_keys k ON k.id = c.key WHERE c.run_id = ?",
                             (run["id"],)).fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM finding_changes WHERE run_id = ?",
                            (run["id"],)).fetchone()[0]
        t = time.perf_counter()
        before = history.previous_run(conn, run)
        if before is not None:
            history.diff_runs(conn, run, before)
        t_diff = time.perf_counter() - t
        t = time.perf_counter()
        dashboard_data(conn)
        t_dash = time.perf_counter() - t
        conn.close()
        print(f"night {n + 1:2d} {night}: +{now - prev:>10,} bytes, {rows:>7,} change rows, "
              f"{cases:>5,} cases changed ({100 * cases / args.cases:.1f}%), diff {t_diff:.2f}s, "
              f"dashboard data {t_dash:.2f}s")
        if n > 0:
            growth.append(now - prev)
            changed_share.append(cases)
        prev = now
    if growth:
        per_night = sum(growth) / len(growth)
        per_case = per_night / max(1, sum(changed_share) / len(changed_share))
        target = per_case * 0.02 * 100_000
        print(f"steady state: {per_night:,.0f} bytes/night for {args.cases:,} cases; "
              f"{per_case:,.0f} bytes per changed case")
        print(f"extrapolated: 100,000 cases with 2% changing a night -> "
              f"{target / 1e6:.2f} MB/night (target 2 MB); file now {prev / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
