"""History size and speed: a cohort swept nightly into one history DB, against schema 1.

    .venv/bin/python bench/history_size.py [--cases 5000] [--nights 8] [--repeats 3]
                                           [--out bench/history_results.json] [--no-schema1]

One cohort is generated as at the last night and swept at each night's as-of date, so each
night sees the acts dated that day appear and obligations fall due, as a real extract would.
Each sweep is recorded twice from the same findings: into the current store (each finding once,
then only its changes) and into a schema-1 store (a full copy of every finding per run, as
casecheck wrote before the change-only history; rows written as that code wrote them).

Per night it prints and saves the database growth, the share of cases whose findings changed,
and the time `diff` and the dashboard's data take on each store: the current code on the
current store, and the schema-1 code (the tree at ``BASELINE``, from git) on the schema-1 store,
in a separate process.  Each time is the best of ``--repeats``, read afresh each time (nothing
remembered from the repeat before).  After the last night it times the commands end to end
(`casecheck diff --format json`, `casecheck dashboard`), old and new, as separate processes.
Then the extrapolation to 100,000 cases at 2% of records changing a night.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import engine.batch.history as history  # noqa: E402
import engine.batch.sweep as sweep_mod  # noqa: E402
from engine.evaluate.compile import build_ruleset  # noqa: E402
from engine.reports.dashboard import dashboard_data  # noqa: E402
from engine.reports.findings_json import case_json  # noqa: E402
from engine.rules.profiles import load_profile  # noqa: E402
from engine.rules.rulebook import load_library  # noqa: E402
from engine.synthetic import generate_cohort  # noqa: E402

BASELINE = "c374baa"  # the last commit with the schema-1 store (before the nightly work)


def size(db: Path) -> int:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db.stat().st_size


class Schema1:
    """Records a sweep as schema 1 did: every finding of every evaluated case, every run."""

    def __init__(self, path: Path, meta: history.RunMeta) -> None:
        new = not path.exists()
        self.conn = sqlite3.connect(path, isolation_level=None)
        if new:
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                              "applied TEXT NOT NULL)")
            for statement in history.MIGRATIONS[0][1].split(";"):
                if statement.strip():
                    self.conn.execute(statement)
            self.conn.execute("INSERT INTO schema_version VALUES (1, '2025-01-01T00:00:00Z')")
        self.conn.execute("BEGIN IMMEDIATE")
        self.run_id = self.conn.execute(
            "INSERT INTO runs (as_of, profile, ruleset_hash, input, started, ruleset) VALUES "
            "(?, ?, ?, ?, ?, ?)", (meta.as_of.isoformat(), meta.profile, meta.ruleset_hash,
                                   meta.input, _now(), orjson.dumps(meta.ruleset).decode())
        ).lastrowid
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0

    def add(self, item: Any) -> None:
        if not item.evaluated or item.case_id is None:
            return
        doc = orjson.loads(item.line)
        team = doc.get("team")
        for fid, case_id, f in history.case_findings(doc):
            anchor = f["anchor"]
            done = f.get("done") or {}
            self.rows.append((self.run_id, fid, case_id, f["rule"], anchor["id"],
                              anchor.get("date"), f.get("occurrence"), anchor.get("member"),
                              f["status"], f.get("due"), done.get("id"), done.get("date"),
                              f.get("days_late"), team))
        if len(self.rows) >= history.BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        self.conn.executemany(f"INSERT INTO findings VALUES ({', '.join('?' * 14)})", self.rows)
        self.written += len(self.rows)
        self.rows.clear()

    def finish(self, summary: dict[str, Any]) -> None:
        self.flush()
        rec, st = summary["records"], summary["statuses"]
        statuses = history.STATUSES
        self.conn.execute(
            f"UPDATE runs SET finished = ?, records_read = ?, records_evaluated = ?, "
            f"records_rejected = ?, records_with_errors = ?, warnings = ?, findings = ?, "
            f"{', '.join(f'{s} = ?' for s in statuses)} WHERE id = ?",
            (_now(), rec["read"], rec["evaluated"], rec["rejected"], rec["with_errors"],
             rec["warnings"], self.written, *(st.get(s, 0) for s in statuses), self.run_id))
        self.conn.executemany(
            f"INSERT INTO run_counts VALUES ({', '.join('?' * (3 + len(statuses)))})",
            [(self.run_id, dim, key, *(block.get(s, 0) for s in statuses))
             for dim, section in (("rule", "rules"), ("team", "teams"))
             for key, block in summary[section].items()])
        self.conn.execute("COMMIT")
        self.conn.close()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def baseline_tree(dest: Path) -> Path | None:
    """The casecheck tree at BASELINE (engine/ and cli.py), from git; None without git."""
    try:
        data = subprocess.run(["git", "archive", BASELINE, "engine", "cli.py"], cwd=ROOT,
                              check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest


_OLD_TIMER = """
import json, sqlite3, sys, time
sys.path.insert(0, {tree!r})
import engine.batch.history as h
from engine.reports.dashboard import dashboard_data
best = {{"diff": None, "dashboard": None}}
for _ in range({repeats}):
    conn = h.connect(__import__("pathlib").Path({db!r}))
    t = time.perf_counter()
    run = h.get_run(conn)
    before = h.previous_run(conn, run)
    if before is not None:
        h.diff_runs(conn, run, before)
    d = time.perf_counter() - t
    conn.close()
    conn = h.connect(__import__("pathlib").Path({db!r}))
    t = time.perf_counter()
    dashboard_data(conn)
    b = time.perf_counter() - t
    conn.close()
    best["diff"] = d if best["diff"] is None else min(best["diff"], d)
    best["dashboard"] = b if best["dashboard"] is None else min(best["dashboard"], b)
print(json.dumps(best))
"""


def time_old(tree: Path, db: Path, repeats: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _OLD_TIMER.format(tree=str(tree), db=str(db),
                                                                   repeats=repeats)],
                         cwd=tree, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def time_new(db: Path, repeats: int) -> dict[str, float]:
    best: dict[str, float] = {}
    for _ in range(repeats):
        history._MEMO.clear()  # read afresh, as a new process would
        conn = history.connect(db)
        t = time.perf_counter()
        run = history.get_run(conn)
        before = history.previous_run(conn, run)
        if before is not None:
            history.diff_runs(conn, run, before)
        d = time.perf_counter() - t
        conn.close()
        history._MEMO.clear()
        conn = history.connect(db)
        t = time.perf_counter()
        dashboard_data(conn)
        b = time.perf_counter() - t
        conn.close()
        best = {"diff": min(best.get("diff", d), d), "dashboard": min(best.get("dashboard", b), b)}
    return best


def time_commands(tree: Path, db: Path, tmp: Path, repeats: int) -> dict[str, float]:
    """Wall time of a whole `casecheck diff` and `casecheck dashboard` process, best of
    ``repeats``; ``tree`` is the casecheck tree whose cli.py runs."""
    best: dict[str, float] = {}
    env = {**os.environ, "PYTHONPATH": str(tree)}
    for name, args in (("diff", ["diff", "--db", str(db), "--format", "json"]),
                       ("dashboard", ["dashboard", "--db", str(db), "--out",
                                      str(tmp / "d.html")])):
        for _ in range(repeats):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import cli; cli.main()", *args], cwd=tree,
                           env=env, check=True, capture_output=True)
            best[name] = min(best.get(name, 1e9), time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=5000)
    ap.add_argument("--nights", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "history_results.json")
    ap.add_argument("--no-schema1", dest="schema1", action="store_false",
                    help="Skip the schema-1 store and the baseline timings.")
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
    db, db1 = tmp / "h.sqlite", tmp / "h1.sqlite"
    tree = baseline_tree(tmp / "baseline") if args.schema1 else None
    load_before = os.getloadavg()
    nights: list[dict[str, Any]] = []
    prev = prev1 = 0
    for n in range(args.nights):
        night = last - timedelta(days=args.nights - 1 - n)
        meta = history.RunMeta(night, "practice", digest, described, str(src))
        old = Schema1(db1, meta) if tree is not None else None
        with history.record_run(db, meta) as rec:

            def both(item: Any, rec: Any = rec, old: Schema1 | None = old) -> None:
                rec.add(item)
                if old is not None:
                    old.add(item)

            summary = sweep_mod.sweep(src, tmp / "out", ruleset, night, sink=both,
                                      serialise=case_json)
            rec.finish(summary)
        if old is not None:
            old.finish(summary)
        now = size(db)
        now1 = size(db1) if tree is not None else 0
        conn = history.connect(db)
        run = history.get_run(conn)
        cases = conn.execute("SELECT count(DISTINCT k.case_id) FROM finding_changes c JOIN "
                             "finding_keys k ON k.id = c.key WHERE c.run_id = ?",
                             (run["id"],)).fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM finding_changes WHERE run_id = ?",
                            (run["id"],)).fetchone()[0]
        conn.close()
        new_t = time_new(db, args.repeats)
        old_t = time_old(tree, db1, args.repeats) if tree is not None else None
        entry = {"night": n + 1, "as_of": night.isoformat(), "bytes_added": now - prev,
                 "bytes_added_schema1": now1 - prev1 if tree is not None else None,
                 "change_rows": rows, "cases_changed": cases,
                 "current": {k: round(v, 3) for k, v in new_t.items()},
                 "schema1": {k: round(v, 3) for k, v in old_t.items()} if old_t else None}
        nights.append(entry)
        line = (f"night {n + 1:2d} {night}: +{now - prev:>10,} bytes, {rows:>7,} change rows, "
                f"{cases:>5,} cases changed ({100 * cases / args.cases:.1f}%); "
                f"diff {new_t['diff']:.2f}s, dashboard data {new_t['dashboard']:.2f}s")
        if old_t:
            line += (f" | schema 1: +{now1 - prev1:>10,} bytes, diff {old_t['diff']:.2f}s, "
                     f"dashboard data {old_t['dashboard']:.2f}s")
        print(line, flush=True)
        prev, prev1 = now, now1
    commands = None
    if tree is not None:
        commands = {"current": time_commands(ROOT, db, tmp, args.repeats),
                    "schema1": time_commands(tree, db1, tmp, args.repeats)}
        for k in ("diff", "dashboard"):
            print(f"casecheck {k} (whole process, best of {args.repeats}): "
                  f"current {commands['current'][k]:.2f}s, schema 1 {commands['schema1'][k]:.2f}s")
    growth = [e["bytes_added"] for e in nights[1:]]
    changed = [e["cases_changed"] for e in nights[1:]]
    steady = None
    if growth:
        per_night = sum(growth) / len(growth)
        per_case = per_night / max(1, sum(changed) / len(changed))
        target = per_case * 0.02 * 100_000
        steady = {"bytes_per_night": round(per_night), "bytes_per_changed_case": round(per_case),
                  "extrapolated_mb_per_night_100k_cases_2pct": round(target / 1e6, 2),
                  "target_mb": 2.0, "file_mb": round(prev / 1e6, 1),
                  "file_mb_schema1": round(prev1 / 1e6, 1) if tree is not None else None}
        print(f"steady state: {per_night:,.0f} bytes/night for {args.cases:,} cases; "
              f"{per_case:,.0f} bytes per changed case")
        print(f"extrapolated: 100,000 cases with 2% changing a night -> "
              f"{target / 1e6:.2f} MB/night (target 2 MB); file now {prev / 1e6:.1f} MB"
              + (f" (schema 1: {prev1 / 1e6:.1f} MB)" if tree is not None else ""))
    results = {"cases": args.cases, "nights": args.nights, "repeats": args.repeats,
               "baseline": BASELINE if tree is not None else None,
               "machine": {"cpus": os.cpu_count(),
                           "load_average": {"before": load_before, "after": os.getloadavg()}},
               "per_night": nights, "commands": commands, "steady_state": steady}
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results in {args.out}")


if __name__ == "__main__":
    main()
