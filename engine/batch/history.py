"""Sweep history: every recorded sweep (a *run*) and its findings in one SQLite file.

``casecheck sweep ... --db FILE`` records a run; ``history``, ``diff`` and ``dashboard`` read
them.  Storage is the standard library's ``sqlite3``; the schema is created and migrated here
(table ``schema_version``, one row per applied migration).

A run
    One sweep of one input at one as-of date under one profile.  It keeps: as-of, profile, the
    rule-set hash (see ``ruleset_identity``), the input path, started/finished times (UTC),
    record counts (read, evaluated, rejected, with errors, warnings), finding counts by status
    in total, by rule and by team, and every finding.

Idempotency
    A run is identified by (as-of, profile, rule-set hash, input path).  Recording a sweep with
    the same four values *replaces* that run: same run id, its findings and counts rewritten,
    ``times_recorded`` incremented.  The input's contents are not part of the key, so re-running
    a night's sweep over a corrected extract at the same path replaces that night's run.

Atomicity
    A run is written in a single transaction opened before the first finding and committed
    after the last: a sweep that fails or is killed leaves the database as it was (including
    an earlier recording of the same run, when it was a re-run).  Findings are written in
    batches as they stream in, so memory does not grow with the number of records.

Finding id
    ``case_id:rule:anchor_id``, then ``:#occurrence`` for scheduled obligations and
    ``:@member`` for per-household-member ones; ``%`` and ``:`` inside a part are written
    ``%25`` and ``%3A``.  It depends only on the case and the obligation, never on the run, so
    the same obligation has the same id in every run.  (Were two findings of one case ever to
    share an id, the later ones get ``~2``, ``~3``... in evaluation order.)

Diff (run R against an earlier run P)
    *open breach* = ``overdue`` or ``not_met`` (needs action); *breach* = open breach or
    ``late`` (semantics.md).  Each finding id falls in at most one category:

    - **new**: a breach in R that was not a breach in P (absent from P, or met, due soon,
      pending or insufficient data there), or an open breach in R that was only ``late`` in P
      (reopened: the act that satisfied it is no longer on the record).
    - **resolved**: an open breach in P that is not an open breach in R: now ``late`` (done,
      late), ``met``, any other status, or gone from R (e.g. the case closed or left the
      extract, or the obligation was cancelled).
    - **still open**: an open breach in both P and R.

    A breach that was ``late`` in both runs is a closed, unchanged breach and is not listed.
    By default R is the latest run (latest as-of, then most recently recorded) and P the run
    before it, in that order, with the same profile.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from engine.evaluate.evaluator import RuleSet
from engine.evaluate.status import BREACHES, compliance_rate
from engine.rules.rulebook import RULES_DIR

STATUSES = ("met", "late", "overdue", "due_soon", "pending", "not_met", "insufficient_data")
OPEN = frozenset({"overdue", "not_met"})
UNALLOCATED = "(unallocated)"
BATCH_ROWS = 2000

_STATUS_COLS = ", ".join(f"{s} INTEGER NOT NULL DEFAULT 0" for s in STATUSES)

# Each migration takes the schema from version n-1 to n; never edit one that has shipped.
MIGRATIONS: list[tuple[int, str]] = [
    (1, f"""
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    as_of TEXT NOT NULL,
    profile TEXT NOT NULL,
    ruleset_hash TEXT NOT NULL,
    input TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    times_recorded INTEGER NOT NULL DEFAULT 1,
    engine_version TEXT,
    ruleset TEXT NOT NULL,
    records_read INTEGER NOT NULL DEFAULT 0,
    records_evaluated INTEGER NOT NULL DEFAULT 0,
    records_rejected INTEGER NOT NULL DEFAULT 0,
    records_with_errors INTEGER NOT NULL DEFAULT 0,
    warnings INTEGER NOT NULL DEFAULT 0,
    findings INTEGER NOT NULL DEFAULT 0,
    {_STATUS_COLS},
    UNIQUE (as_of, profile, ruleset_hash, input)
);
CREATE INDEX runs_order ON runs (profile, as_of, id);
CREATE TABLE findings (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    finding_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    anchor_id TEXT NOT NULL,
    anchor_date TEXT,
    occurrence INTEGER,
    member TEXT,
    status TEXT NOT NULL,
    due TEXT,
    done_id TEXT,
    done_date TEXT,
    days_late INTEGER,
    team TEXT,
    PRIMARY KEY (run_id, finding_id)
) WITHOUT ROWID;
CREATE TABLE run_counts (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    dimension TEXT NOT NULL CHECK (dimension IN ('rule', 'team')),
    key TEXT NOT NULL,
    {_STATUS_COLS},
    PRIMARY KEY (run_id, dimension, key)
) WITHOUT ROWID;
"""),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


class HistoryError(Exception):
    """A database that cannot be used, or a run that does not exist; the message says which."""


# ---------------------------------------------------------------------------------------------
# opening and migrating


def connect(path: Path, create: bool = False) -> sqlite3.Connection:
    """Open (and, with ``create``, make) a history database, migrated to the current schema."""
    if not create and not path.exists():
        raise HistoryError(f"{path}: no such database (record a run with 'sweep --db {path}')")
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.row_factory = sqlite3.Row
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            conn.close()
            raise HistoryError(f"{path}: the database is damaged (SQLite quick_check failed); "
                               "nothing was read or written. Restore it from a backup")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise HistoryError(f"{path}: not a casecheck history database, or damaged "
                           f"({type(exc).__name__}); nothing was written") from None
    return conn


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """One recording sweep at a time per database: a second fails at once, not after a wait."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise HistoryError(f"{path}: another sweep is recording into this database") from None
        yield
    finally:
        os.close(fd)


def schema_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                 "applied TEXT NOT NULL)")
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return row[0] or 0


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration newer than the database, each in its own transaction."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise HistoryError(f"database schema version {current} is newer than this casecheck "
                           f"understands ({SCHEMA_VERSION}); upgrade casecheck")
    for version, script in MIGRATIONS:
        if version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) < version:  # another process may have got there first
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("INSERT INTO schema_version VALUES (?, ?)", (version, _now()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# identity of a rule set and of a finding


def ruleset_identity(ruleset: RuleSet, params: dict[str, dict[str, Any]] | None = None,
                     vocabulary: dict[str, list[str]] | None = None, engine: str = "core",
                     rules_dir: Path = RULES_DIR) -> tuple[str, dict[str, Any]]:
    """A sha256 over what decides the findings, and the description it was computed from.

    Covered: each applied rule's file bytes (sorted by rule id), the profile's merged parameter
    overrides for those rules (the file holds the defaults, so together they fix the resolved
    values), the warning window in force, the profile's closure days and its event vocabulary,
    and the evaluation engine (``core``, or ``durable`` for the cross-check engine).
    """
    rules: dict[str, str] = {}
    digest = hashlib.sha256()
    for rid in sorted(ruleset.meta):
        data = (rules_dir / ruleset.meta[rid].pack / f"{rid}.yaml").read_bytes()
        rules[rid] = hashlib.sha256(data).hexdigest()
        digest.update(rid.encode() + b"\0" + data + b"\0")
    described = {
        "rules": rules,
        "params": {rid: dict(sorted(v.items())) for rid, v in sorted((params or {}).items())
                   if rid in ruleset.meta},
        "warn": ruleset.warn,
        "closure_days": sorted(d.isoformat() for d in ruleset.calendar.closures),
        "vocabulary": {k: sorted(v) for k, v in sorted((vocabulary or {}).items())},
        "engine": engine,
    }
    rest = {k: v for k, v in described.items() if k != "rules"}
    described["titles"] = {rid: ruleset.meta[rid].title for rid in rules}  # for display only
    digest.update(orjson.dumps(rest, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest(), described


def _part(text: str) -> str:
    return text.replace("%", "%25").replace(":", "%3A")


def finding_id(case_id: str, rule: str, anchor_id: str, occurrence: int | None = None,
               member: str | None = None) -> str:
    out = f"{_part(case_id)}:{_part(rule)}:{_part(anchor_id)}"
    if occurrence is not None:
        out += f":#{occurrence}"
    if member is not None:
        out += f":@{_part(member)}"
    return out


# ---------------------------------------------------------------------------------------------
# writing a run


@dataclass
class RunMeta:
    as_of: date
    profile: str
    ruleset_hash: str
    ruleset: dict[str, Any]
    input: str
    engine_version: str | None = None


@dataclass
class RunRecorder:
    """Receives each evaluated record of a sweep (``add``) and the summary (``finish``).

    Use through ``record_run``: everything between it opening and ``finish`` is one
    transaction, rolled back unless ``finish`` completes.
    """

    conn: sqlite3.Connection
    run_id: int
    replaced: bool
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    written: int = 0
    finished: bool = False

    def add(self, item: Any) -> None:
        """A sweep sink: ``item`` is a ``sweep.Evaluated``; its findings come from its JSON."""
        if not item.statuses or item.case_id is None:
            return
        doc = orjson.loads(item.line)
        case_id, team = doc["case_id"], doc.get("team")
        seen: set[str] = set()
        for f in doc["findings"]:
            anchor = f["anchor"]
            fid = finding_id(case_id, f["rule"], anchor["id"], f.get("occurrence"),
                             anchor.get("member"))
            if fid in seen:
                n = 2
                while f"{fid}~{n}" in seen:
                    n += 1
                fid = f"{fid}~{n}"
            seen.add(fid)
            done = f.get("done") or {}
            self.rows.append((self.run_id, fid, case_id, f["rule"], anchor["id"],
                              anchor.get("date"), f.get("occurrence"), anchor.get("member"),
                              f["status"], f.get("due"), done.get("id"), done.get("date"),
                              f.get("days_late"), team))
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.conn.executemany(f"INSERT INTO findings VALUES ({', '.join('?' * 14)})",
                                  self.rows)
            self.written += len(self.rows)
            self.rows.clear()

    def finish(self, summary: dict[str, Any]) -> int:
        """Write the counts from a sweep summary (``SweepSummary.as_dict``) and commit."""
        self.flush()
        rec, st = summary["records"], summary["statuses"]
        self.conn.execute(
            f"UPDATE runs SET finished = ?, records_read = ?, records_evaluated = ?, "
            f"records_rejected = ?, records_with_errors = ?, warnings = ?, findings = ?, "
            f"{', '.join(f'{s} = ?' for s in STATUSES)} WHERE id = ?",
            (_now(), rec["read"], rec["evaluated"], rec["rejected"], rec["with_errors"],
             rec["warnings"], self.written, *(st.get(s, 0) for s in STATUSES), self.run_id))
        counts = [(self.run_id, dim, key, *(block.get(s, 0) for s in STATUSES))
                  for dim, section in (("rule", "rules"), ("team", "teams"))
                  for key, block in summary[section].items()]
        self.conn.executemany(
            f"INSERT INTO run_counts VALUES ({', '.join('?' * (3 + len(STATUSES)))})", counts)
        self.conn.execute("COMMIT")
        self.finished = True
        return self.run_id


@contextmanager
def record_run(path: Path, meta: RunMeta) -> Iterator[RunRecorder]:
    """Open the database and a transaction for one run; roll it back unless it finishes.

    A run with the same (as-of, profile, rule-set hash, input) is replaced in place.
    """
    with _exclusive(path):
        yield from _record_run(path, meta)


def _record_run(path: Path, meta: RunMeta) -> Iterator[RunRecorder]:
    conn = connect(path, create=True)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            key = (meta.as_of.isoformat(), meta.profile, meta.ruleset_hash, meta.input)
            row = conn.execute("SELECT id FROM runs WHERE as_of = ? AND profile = ? AND "
                               "ruleset_hash = ? AND input = ?", key).fetchone()
            ruleset = orjson.dumps(meta.ruleset, option=orjson.OPT_SORT_KEYS).decode()
            if row is None:
                run_id = conn.execute(
                    "INSERT INTO runs (as_of, profile, ruleset_hash, input, started, "
                    "engine_version, ruleset) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (*key, _now(), meta.engine_version, ruleset)).lastrowid
            else:
                run_id = row["id"]
                conn.execute("DELETE FROM findings WHERE run_id = ?", (run_id,))
                conn.execute("DELETE FROM run_counts WHERE run_id = ?", (run_id,))
                conn.execute(
                    "UPDATE runs SET started = ?, finished = NULL, engine_version = ?, "
                    "ruleset = ?, times_recorded = times_recorded + 1 WHERE id = ?",
                    (_now(), meta.engine_version, ruleset, run_id))
            assert run_id is not None
            recorder = RunRecorder(conn, run_id, replaced=row is not None)
            yield recorder
            if not recorder.finished:
                raise HistoryError("run not finished; nothing recorded")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------
# reading runs


def _counts(row: sqlite3.Row | dict[str, Any]) -> dict[str, int]:
    return {s: row[s] for s in STATUSES}


def run_dict(row: sqlite3.Row) -> dict[str, Any]:
    counts = _counts(row)
    rate = compliance_rate(counts)
    return {
        "id": row["id"], "as_of": row["as_of"], "profile": row["profile"],
        "ruleset_hash": row["ruleset_hash"], "input": row["input"],
        "started": row["started"], "finished": row["finished"],
        "times_recorded": row["times_recorded"], "engine_version": row["engine_version"],
        "records": {"read": row["records_read"], "evaluated": row["records_evaluated"],
                    "rejected": row["records_rejected"],
                    "with_errors": row["records_with_errors"], "warnings": row["warnings"]},
        "findings": row["findings"],
        "statuses": counts,
        "breaches": sum(counts[s] for s in BREACHES),
        "compliance_rate": rate,
    }


_DONE = "finished IS NOT NULL"  # always true outside a run's own transaction


def list_runs(conn: sqlite3.Connection, profile: str | None = None) -> list[dict[str, Any]]:
    """Every recorded run, oldest first: by as-of date, then by id."""
    sql = f"SELECT * FROM runs WHERE {_DONE}"
    args: tuple[Any, ...] = ()
    if profile is not None:
        sql += " AND profile = ?"
        args = (profile,)
    return [run_dict(r) for r in conn.execute(sql + " ORDER BY as_of, id", args)]


def get_run(conn: sqlite3.Connection, run_id: int | None = None) -> dict[str, Any]:
    """One run by id; without an id, the latest (latest as-of, then highest id)."""
    if run_id is None:
        row = conn.execute(f"SELECT * FROM runs WHERE {_DONE} ORDER BY as_of DESC, id DESC "
                           "LIMIT 1").fetchone()
        if row is None:
            raise HistoryError("no runs recorded yet")
    else:
        row = conn.execute(f"SELECT * FROM runs WHERE id = ? AND {_DONE}", (run_id,)).fetchone()
        if row is None:
            raise HistoryError(f"no run {run_id}")
    return run_dict(row)


def previous_run(conn: sqlite3.Connection, run: dict[str, Any]) -> dict[str, Any] | None:
    """The run just before ``run`` (by as-of, then id) with the same profile."""
    row = conn.execute(
        f"SELECT * FROM runs WHERE {_DONE} AND profile = ? AND (as_of < ? OR (as_of = ? AND "
        "id < ?)) ORDER BY as_of DESC, id DESC LIMIT 1",
        (run["profile"], run["as_of"], run["as_of"], run["id"])).fetchone()
    return None if row is None else run_dict(row)


def recent_runs(conn: sqlite3.Connection, run: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` runs of ``run``'s profile ending with ``run``, oldest first."""
    rows = conn.execute(
        f"SELECT * FROM runs WHERE {_DONE} AND profile = ? AND (as_of < ? OR (as_of = ? AND "
        "id <= ?)) ORDER BY as_of DESC, id DESC LIMIT ?",
        (run["profile"], run["as_of"], run["as_of"], run["id"], limit)).fetchall()
    return [run_dict(r) for r in reversed(rows)]


def run_counts(conn: sqlite3.Connection, run_id: int, dimension: str) -> dict[str, dict[str, int]]:
    """Status counts of one run by rule or by team (every rule of the rule set is present)."""
    rows = conn.execute("SELECT * FROM run_counts WHERE run_id = ? AND dimension = ? "
                        "ORDER BY key", (run_id, dimension))
    return {r["key"]: _counts(r) for r in rows}


def run_ruleset(conn: sqlite3.Connection, run_id: int) -> dict[str, Any]:
    row = conn.execute("SELECT ruleset FROM runs WHERE id = ?", (run_id,)).fetchone()
    return orjson.loads(row[0]) if row else {}


def overdue_by_rule(conn: sqlite3.Connection, run_id: int) -> dict[str, dict[str, Any]]:
    """For each rule with overdue findings: how many, and the mean and longest lateness."""
    rows = conn.execute("SELECT rule, count(*) AS n, avg(days_late) AS mean, "
                        "max(days_late) AS longest FROM findings WHERE run_id = ? AND "
                        "status = 'overdue' GROUP BY rule ORDER BY rule", (run_id,))
    return {r["rule"]: {"overdue": r["n"], "mean_days_late": r["mean"],
                        "longest_days_late": r["longest"]} for r in rows}


# ---------------------------------------------------------------------------------------------
# diffing two runs


CATEGORIES = ("new", "resolved", "still_open")
_FIELDS = ("finding_id", "case_id", "rule", "anchor_id", "anchor_date", "occurrence", "member",
           "due", "days_late", "team", "status")


def _select(alias: str) -> str:
    return ", ".join(f"{alias}.{name}" for name in _FIELDS)


def _item(row: sqlite3.Row, before: str | None, now: str | None) -> dict[str, Any]:
    return {"finding_id": row["finding_id"], "case_id": row["case_id"], "rule": row["rule"],
            "anchor_id": row["anchor_id"], "anchor_date": row["anchor_date"],
            "occurrence": row["occurrence"], "member": row["member"], "due": row["due"],
            "team": row["team"] or UNALLOCATED, "status_before": before, "status_now": now,
            "days_late": row["days_late"]}


def classify(before: str | None, now: str | None) -> str | None:
    """The diff category of one finding id given its status in P and R (None: absent)."""
    if before in OPEN:
        return "still_open" if now in OPEN else "resolved"
    if now in BREACHES and (before not in BREACHES or now in OPEN):
        return "new"
    return None


def diff_runs(conn: sqlite3.Connection, run: dict[str, Any],
              against: dict[str, Any]) -> dict[str, Any]:
    """New, resolved and still-open breaches of ``run`` against ``against`` (module docstring)."""
    lists: dict[str, list[dict[str, Any]]] = {c: [] for c in CATEGORIES}
    cur = conn.execute(
        f"SELECT {_select('c')}, p.status AS before "
        "FROM findings c LEFT JOIN findings p ON p.run_id = ? AND p.finding_id = c.finding_id "
        "WHERE c.run_id = ? AND c.status IN ('late', 'overdue', 'not_met')",
        (against["id"], run["id"]))
    for row in cur:
        category = classify(row["before"], row["status"])
        if category is not None:
            lists[category].append(_item(row, row["before"], row["status"]))
    # open breaches of P whose status in R is not a breach (or that are gone) are resolved;
    # those that are a breach in R were classified above.
    cur = conn.execute(
        f"SELECT {_select('p')}, c.status AS now "
        "FROM findings p LEFT JOIN findings c ON c.run_id = ? AND c.finding_id = p.finding_id "
        "WHERE p.run_id = ? AND p.status IN ('overdue', 'not_met') AND (c.status IS NULL OR "
        "c.status NOT IN ('late', 'overdue', 'not_met'))", (run["id"], against["id"]))
    for row in cur:
        lists["resolved"].append(_item(row, row["status"], row["now"]))
    for items in lists.values():
        items.sort(key=lambda i: (i["rule"], i["case_id"], i["due"] or "", i["finding_id"]))

    def summarise(key: str, before: dict[str, dict[str, int]],
                  now: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
        names = set(before) | set(now)
        for items in lists.values():
            names |= {i[key] for i in items}
        out = []
        for name in sorted(names):
            row: dict[str, Any] = {key: name}
            for c in CATEGORIES:
                row[c] = sum(1 for i in lists[c] if i[key] == name)
            row["rate_before"] = compliance_rate(before.get(name, {}))
            row["rate_now"] = compliance_rate(now.get(name, {}))
            out.append(row)
        return out

    return {
        "run": run,
        "against": against,
        "ruleset_changed": run["ruleset_hash"] != against["ruleset_hash"],
        "counts": {c: len(lists[c]) for c in CATEGORIES},
        "by_rule": summarise("rule", run_counts(conn, against["id"], "rule"),
                             run_counts(conn, run["id"], "rule")),
        "by_team": summarise("team", run_counts(conn, against["id"], "team"),
                             run_counts(conn, run["id"], "team")),
        **lists,
    }
