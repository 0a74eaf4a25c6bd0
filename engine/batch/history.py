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

import functools
import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from engine.batch.locks import Busy, held
from engine.calendar import WorkingCalendar, calendar_for
from engine.evaluate.evaluator import RuleSet
from engine.evaluate.status import BREACHES, OUTSTANDING, compliance_rate
from engine.rules.rulebook import RULES_DIR

STATUSES = ("met", "late", "overdue", "due_soon", "pending", "not_met", "insufficient_data")
OPEN = frozenset({"overdue", "not_met"})
UNALLOCATED = "(unallocated)"
BATCH_ROWS = 2000

_STATUS_COLS = ", ".join(f"{s} INTEGER NOT NULL DEFAULT 0" for s in STATUSES)
_STATE_COLS = ("status", "anchor_date", "due", "done_id", "done_date", "days_late", "unit",
               "actionable", "episode_end")
POS_SCALE = 10_000_000  # a run's place in its profile's timeline: as-of ordinal, then run id


def run_pos(as_of: str, run_id: int) -> int:
    return date.fromisoformat(as_of).toordinal() * POS_SCALE + run_id



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
MIGRATIONS.append((2, "_changes_only"))  # the function below, by name
# Schema 3: two partial indexes so that a run's open breaches and the findings falling due in a
# period are found without reading every finding (diff, dashboard, export, period measures).
MIGRATIONS.append((3, """
CREATE INDEX IF NOT EXISTS finding_changes_open ON finding_changes (pos)
    WHERE status IN ('overdue', 'not_met');
CREATE INDEX IF NOT EXISTS finding_changes_due ON finding_changes (due) WHERE due IS NOT NULL
"""))
# Schema 4: each case's state also holds a digest of its findings' states, so that a case whose
# findings cannot have changed (carried over by an incremental sweep) is recorded without
# reading its findings back (``case_digest``).  NULL (rows from before): never equal.
MIGRATIONS.append((4, "ALTER TABLE case_changes ADD COLUMN digest TEXT"))
SCHEMA_VERSION = MIGRATIONS[-1][0]

# Schema 2: each finding is stored once (finding_keys) and then only its changes
# (finding_changes, a row per change with the run it happened in); each case's presence and
# allocation likewise (case_changes).  The state of run R is, for every key, its latest row at
# or before R's position in the profile's timeline.
_V2 = """
ALTER TABLE runs ADD COLUMN pos INTEGER;
CREATE TABLE finding_keys (
    id INTEGER PRIMARY KEY,
    profile TEXT NOT NULL,
    finding_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    anchor_id TEXT NOT NULL,
    occurrence INTEGER,
    member TEXT,
    UNIQUE (profile, finding_id)
);
CREATE INDEX finding_keys_case ON finding_keys (profile, case_id);
CREATE TABLE finding_changes (
    key INTEGER NOT NULL REFERENCES finding_keys (id),
    pos INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    status TEXT,
    anchor_date TEXT,
    due TEXT,
    done_id TEXT,
    done_date TEXT,
    days_late INTEGER,
    unit TEXT,
    actionable INTEGER,
    episode_end TEXT,
    PRIMARY KEY (key, pos)
) WITHOUT ROWID;
CREATE INDEX finding_changes_run ON finding_changes (run_id);
CREATE TABLE case_changes (
    profile TEXT NOT NULL,
    case_id TEXT NOT NULL,
    pos INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('evaluated', 'rejected', 'absent')),
    team TEXT,
    worker TEXT,
    manager TEXT,
    PRIMARY KEY (profile, case_id, pos)
) WITHOUT ROWID;
CREATE INDEX case_changes_run ON case_changes (run_id);
CREATE TABLE reasons (
    id INTEGER PRIMARY KEY,
    finding_id TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('add', 'remove')),
    code TEXT,
    note TEXT,
    by TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX reasons_finding ON reasons (finding_id, id)
"""

# every run's findings as they stood in it (for ad-hoc SQL; slow on a large file)
_FINDINGS_VIEW = """
CREATE VIEW findings AS
SELECT r.id AS run_id, k.finding_id, k.case_id, k.rule, k.anchor_id, c.anchor_date,
       k.occurrence, k.member, c.status, c.due, c.done_id, c.done_date, c.days_late, c.unit,
       c.actionable, c.episode_end, cc.team, cc.worker, cc.manager, cc.state AS case_state
FROM runs r JOIN finding_keys k ON k.profile = r.profile
JOIN finding_changes c ON c.key = k.id AND c.pos = (
    SELECT max(c2.pos) FROM finding_changes c2 WHERE c2.key = k.id AND c2.pos <= r.pos)
LEFT JOIN case_changes cc ON cc.profile = r.profile AND cc.case_id = k.case_id AND cc.pos = (
    SELECT max(c3.pos) FROM case_changes c3 WHERE c3.profile = r.profile
    AND c3.case_id = k.case_id AND c3.pos <= r.pos)
WHERE c.status IS NOT NULL
"""


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
    with ExitStack() as stack:
        try:
            stack.enter_context(held(Path(f"{path}.lock")))
        except Busy:
            raise HistoryError(f"{path}: another sweep is recording into this database") from None
        yield


def schema_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                 "applied TEXT NOT NULL)")
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return row[0] or 0


def _script(conn: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


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
                if script == "_changes_only":
                    _changes_only(conn)
                else:
                    _script(conn, script)
                conn.execute("INSERT INTO schema_version VALUES (?, ?)", (version, _now()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION


def _changes_only(conn: sqlite3.Connection) -> None:
    """Schema 1 -> 2: every run's full copy of its findings becomes each finding once plus its
    changes, run by run in each profile's timeline; the old table becomes a view."""
    _script(conn, _V2)
    conn.execute(f"UPDATE runs SET pos = CAST(julianday(as_of) - 1721424.5 AS INTEGER) "
                 f"* {POS_SCALE} + id")
    keys: dict[tuple[str, str], int] = {}
    runs = conn.execute("SELECT id, profile, pos FROM runs ORDER BY profile, pos").fetchall()
    before: dict[str, dict[str, tuple[Any, ...]]] = {}
    cases_before: dict[str, dict[str, str | None]] = {}
    for run in runs:
        profile, pos, run_id = run["profile"], run["pos"], run["id"]
        prev = before.get(profile, {})
        prev_cases = cases_before.get(profile, {})
        now: dict[str, tuple[Any, ...]] = {}
        cases: dict[str, str | None] = {}
        rows = conn.execute("SELECT * FROM findings WHERE run_id = ?", (run_id,)).fetchall()
        for r in rows:
            key = keys.get((profile, r["finding_id"]))
            if key is None:
                key = conn.execute(
                    "INSERT INTO finding_keys (profile, finding_id, case_id, rule, anchor_id, "
                    "occurrence, member) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (profile, r["finding_id"], r["case_id"], r["rule"], r["anchor_id"],
                     r["occurrence"], r["member"])).lastrowid
                assert key is not None
                keys[(profile, r["finding_id"])] = key
            now[r["finding_id"]] = (r["status"], r["anchor_date"], r["due"], r["done_id"],
                                    r["done_date"], r["days_late"], None, None, None)
            cases[r["case_id"]] = r["team"]
        changed = [(keys[(profile, fid)], pos, run_id, *state) for fid, state in now.items()
                   if prev.get(fid) != state]
        changed += [(keys[(profile, fid)], pos, run_id, *([None] * len(_STATE_COLS)))
                    for fid, state in prev.items() if fid not in now and state[0] is not None]
        conn.executemany(f"INSERT INTO finding_changes VALUES ({', '.join('?' * 12)})",
                         changed)
        conn.executemany(
            "INSERT INTO case_changes VALUES (?, ?, ?, ?, 'evaluated', ?, NULL, NULL)",
            [(profile, c, pos, run_id, team) for c, team in cases.items()
             if c not in prev_cases or prev_cases[c] != team])
        before[profile] = now
        cases_before[profile] = cases
    conn.execute("DROP TABLE findings")
    _script(conn, _FINDINGS_VIEW)


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
    if "%" not in text and ":" not in text:  # nearly always: two scans, no copies
        return text
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


State = tuple[Any, ...]  # the _STATE_COLS of one finding; all None: no longer reported
# state, team, worker, manager, digest of the case's findings (``case_digest``)
CaseState = tuple[str, str | None, str | None, str | None, str | None]
_GONE: State = (None,) * len(_STATE_COLS)


def finding_state(f: dict[str, Any]) -> State:
    """What is stored of one finding (from its JSON).  The lateness of an actionable overdue
    finding grows every day, so it is not stored but computed from its due date and the run's
    as-of date (``lateness``); every other lateness is fixed and stored."""
    done = f.get("done") or {}
    actionable = f.get("actionable")
    growing = f["status"] == "overdue" and actionable is not False
    return (f["status"], f["anchor"].get("date"), f.get("due"), done.get("id"), done.get("date"),
            None if growing else f.get("days_late"), f.get("days_late_unit"),
            None if actionable is None else int(actionable), f.get("episode_end"))


Found = list[tuple[str, str, dict[str, Any]]]  # (finding id, case id, finding JSON)


def case_findings(doc: dict[str, Any]) -> Found:
    """The findings of one case's ``findings.jsonl`` line, each with its finding id (a second
    finding with the same id, which no rule should make, gets ``~2``, ``~3``...)."""
    case_id = doc["case_id"]
    found: Found = []
    ids: set[str] = set()
    for f in doc["findings"]:
        anchor = f["anchor"]
        fid = finding_id(case_id, f["rule"], anchor["id"], f.get("occurrence"),
                         anchor.get("member"))
        if fid in ids:
            n = 2
            while f"{fid}~{n}" in ids:
                n += 1
            fid = f"{fid}~{n}"
        ids.add(fid)
        found.append((fid, case_id, f))
    return found


def case_digest(found: Found) -> str:
    """A digest of what the store keeps of a case's findings: equal digests, equal findings.
    An incremental sweep works it out when it evaluates a record and carries it over with the
    line, so a carried-over case is recorded without its line being read again."""
    states = [(fid, finding_state(f)) for fid, _, f in found]
    return hashlib.sha1(orjson.dumps(states), usedforsecurity=False).hexdigest()


def history_of_line(line: bytes) -> tuple[str, str | None, str | None, str | None]:
    """(digest, team, worker, manager) of an evaluated case's line, as ``RunRecorder`` records
    them."""
    doc = orjson.loads(line)
    return case_digest(case_findings(doc)), doc.get("team"), doc.get("worker"), doc.get("manager")


def _latest_findings(conn: sqlite3.Connection, profile: str, pos: int,
                     case_ids: list[str]) -> dict[str, tuple[int, State]]:
    """finding id -> (key, state at ``pos``) for the findings of some cases."""
    out: dict[str, tuple[int, State]] = {}
    for i in range(0, len(case_ids), 500):
        chunk = case_ids[i:i + 500]
        rows = conn.execute(
            f"SELECT k.id, k.finding_id, {', '.join('c.' + c for c in _STATE_COLS)}, "
            f"max(c.pos) FROM finding_keys k JOIN finding_changes c ON c.key = k.id "
            f"WHERE k.profile = ? AND k.case_id IN ({', '.join('?' * len(chunk))}) "
            f"AND c.pos <= ? GROUP BY k.id", (profile, *chunk, pos))
        for r in rows:
            out[r[1]] = (r[0], tuple(r[2:2 + len(_STATE_COLS)]))
    return out


def _latest_cases(conn: sqlite3.Connection, profile: str, pos: int,
                  case_ids: list[str] | None = None) -> dict[str, CaseState]:
    """case id -> (state, team, worker, manager, findings digest) at ``pos``, for some cases
    or all."""
    out: dict[str, CaseState] = {}
    chunks = ([None] if case_ids is None
              else [case_ids[i:i + 500] for i in range(0, len(case_ids), 500)])
    for chunk in chunks:
        where = "" if chunk is None else f"AND case_id IN ({', '.join('?' * len(chunk))})"
        rows = conn.execute(
            f"SELECT case_id, state, team, worker, manager, digest, max(pos) FROM case_changes "
            f"WHERE profile = ? AND pos <= ? {where} GROUP BY case_id",
            (profile, pos, *(chunk or ())))
        for r in rows:
            out[r[0]] = (r[1], r[2], r[3], r[4], r[5])
    return out


@dataclass
class RunRecorder:
    """Receives each evaluated record of a sweep (``add``) and the summary (``finish``).

    Use through ``record_run``: everything between it opening and ``finish`` is one
    transaction, rolled back unless ``finish`` completes.  Only what changed since the run
    before it in the profile's timeline is written.
    """

    conn: sqlite3.Connection
    run_id: int
    replaced: bool
    profile: str = ""
    pos: int = 0
    prev_pos: int | None = None
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    written: int = 0
    finished: bool = False
    seen: set[str] = field(default_factory=set)
    # (case id, its state now, its findings: read, or the line to read them from if needed, or
    # None when it was not evaluated)
    pending: list[tuple[str, CaseState, Found | bytes | None]] = field(default_factory=list)
    case_rows: list[tuple[Any, ...]] = field(default_factory=list)
    findings_seen: int = 0

    def add(self, item: Any) -> None:
        """A sweep sink: ``item`` is a ``sweep.Evaluated``; its findings come from its JSON,
        read only when they may have changed (``_settle``)."""
        if item.case_id is None or item.case_id in self.seen:
            return  # unreadable without an id, or a repeated case: only its first counts
        self.seen.add(item.case_id)
        if not item.evaluated:
            self.pending.append((item.case_id, ("rejected", None, None, None, None), None))
        else:
            known = item.history  # (digest, team, worker, manager), when carried over
            if known is None:
                doc = orjson.loads(item.line)
                found = case_findings(doc)
                known = (case_digest(found), doc.get("team"), doc.get("worker"),
                         doc.get("manager"))
                self.pending.append((item.case_id, ("evaluated", *known[1:], known[0]), found))
                self.findings_seen += len(found)
            else:
                self.pending.append((item.case_id, ("evaluated", *known[1:], known[0]),
                                     item.line))
                self.findings_seen += sum(n for _, _, n in item.statuses)
        if len(self.pending) >= max(1, BATCH_ROWS // 10):
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self._settle()
        if self.rows:
            self.conn.executemany(
                f"INSERT INTO finding_changes VALUES ({', '.join('?' * 12)})", self.rows)
            self.written += len(self.rows)
            self.rows.clear()
        if self.case_rows:
            self.conn.executemany(f"INSERT INTO case_changes VALUES ({', '.join('?' * 9)})",
                                  self.case_rows)
            self.case_rows.clear()

    def _settle(self) -> None:
        """Compare a batch of cases with the run before and queue what changed.  A case whose
        findings digest is the one the run before recorded has the same findings: they are
        not read back or compared."""
        conn, profile = self.conn, self.profile
        case_ids = [c for c, _, _ in self.pending]
        if self.prev_pos is None:
            cases_before: dict[str, CaseState] = {}
        else:
            cases_before = _latest_cases(conn, profile, self.prev_pos, case_ids)
        settled: list[tuple[str, CaseState, Found | None]] = []
        for case_id, state, found in self.pending:
            prev_case = cases_before.get(case_id)
            if isinstance(found, bytes):  # carried over: read only if it may differ
                if prev_case is not None and prev_case[4] == state[4]:
                    found = None
                else:
                    found = case_findings(orjson.loads(found))
            elif found is None and state[0] != "evaluated" and prev_case is not None:
                state = (state[0], *prev_case[1:])  # keep where the case was allocated
            if prev_case != state:
                self.case_rows.append((profile, case_id, self.pos, self.run_id, *state))
            if found is not None:
                settled.append((case_id, state, found))
        if self.prev_pos is None or not settled:
            before: dict[str, tuple[int, State]] = {}
        else:
            before = _latest_findings(conn, profile, self.prev_pos, [c for c, _, _ in settled])
        new_keys = [(profile, fid, case_id, f["rule"], f["anchor"]["id"], f.get("occurrence"),
                     f["anchor"].get("member"))
                    for _, _, found in settled for fid, case_id, f in found or ()
                    if fid not in before]
        keys = {fid: k for fid, (k, _) in before.items()}
        if new_keys:
            conn.executemany("INSERT OR IGNORE INTO finding_keys (profile, finding_id, case_id, "
                             "rule, anchor_id, occurrence, member) VALUES (?, ?, ?, ?, ?, ?, ?)",
                             new_keys)
            names = [k[1] for k in new_keys]
            for i in range(0, len(names), 500):
                chunk = names[i:i + 500]
                for r in conn.execute(
                        f"SELECT finding_id, id FROM finding_keys WHERE profile = ? AND "
                        f"finding_id IN ({', '.join('?' * len(chunk))})", (profile, *chunk)):
                    keys[r[0]] = r[1]
        by_case: dict[str, list[str]] = {}
        for fid in before:
            by_case.setdefault(fid.split(":", 1)[0], []).append(fid)
        for case_id, _, found in settled:
            now_ids = set()
            for fid, _, f in found or ():
                now_ids.add(fid)
                st = finding_state(f)
                old = before.get(fid)
                if old is None or old[1] != st:
                    self.rows.append((keys[fid], self.pos, self.run_id, *st))
            for fid in by_case.get(_part(case_id), ()):
                if fid not in now_ids and before[fid][1][0] is not None:
                    self.rows.append((keys[fid], self.pos, self.run_id, *_GONE))
        self.pending.clear()

    def finish(self, summary: dict[str, Any]) -> int:
        """Write the counts from a sweep summary (``SweepSummary.as_dict``) and commit."""
        self.flush()
        if self.prev_pos is not None:  # cases of the run before that this input did not hold
            for case_id, state in _latest_cases(self.conn, self.profile, self.prev_pos).items():
                if case_id not in self.seen and state[0] != "absent":
                    self.case_rows.append((self.profile, case_id, self.pos, self.run_id,
                                           "absent", *state[1:]))
            self.flush()
        rec, st = summary["records"], summary["statuses"]
        self.conn.execute(
            f"UPDATE runs SET finished = ?, records_read = ?, records_evaluated = ?, "
            f"records_rejected = ?, records_with_errors = ?, warnings = ?, findings = ?, "
            f"{', '.join(f'{s} = ?' for s in STATUSES)} WHERE id = ?",
            (_now(), rec["read"], rec["evaluated"], rec["rejected"], rec["with_errors"],
             rec["warnings"], self.findings_seen, *(st.get(s, 0) for s in STATUSES),
             self.run_id))
        counts = [(self.run_id, dim, key, *(block.get(s, 0) for s in STATUSES))
                  for dim, section in (("rule", "rules"), ("team", "teams"))
                  for key, block in summary[section].items()]
        self.conn.executemany(
            f"INSERT INTO run_counts VALUES ({', '.join('?' * (3 + len(STATUSES)))})", counts)
        if self.rebase is not None:
            self.rebase()
        self.conn.execute("COMMIT")
        self.finished = True
        return self.run_id

    rebase: Any = None


def _snapshot(conn: sqlite3.Connection, profile: str,
              pos: int) -> tuple[dict[int, State], dict[str, CaseState]]:
    """Every key's and every case's state at ``pos`` (used only when a run is recorded before
    a later one, to rewrite the later one's changes against it)."""
    rows = conn.execute(
        f"SELECT c.key, {', '.join('c.' + c for c in _STATE_COLS)}, max(c.pos) "
        f"FROM finding_changes c JOIN finding_keys k ON k.id = c.key "
        f"WHERE k.profile = ? AND c.pos <= ? GROUP BY c.key", (profile, pos))
    findings = {r[0]: tuple(r[1:1 + len(_STATE_COLS)]) for r in rows}
    return findings, _latest_cases(conn, profile, pos)


def _rebase(conn: sqlite3.Connection, profile: str, succ: sqlite3.Row,
            kept: tuple[dict[int, State], dict[str, CaseState]], pos: int) -> None:
    """Rewrite run ``succ``'s changes against the run now before it (at ``pos``)."""
    conn.execute("DELETE FROM finding_changes WHERE run_id = ?", (succ["id"],))
    conn.execute("DELETE FROM case_changes WHERE run_id = ?", (succ["id"],))
    findings, cases = _snapshot(conn, profile, pos)
    want, want_cases = kept
    rows = [(k, succ["pos"], succ["id"], *st) for k, st in want.items()
            if findings.get(k, _GONE) != st]
    rows += [(k, succ["pos"], succ["id"], *_GONE) for k, st in findings.items()
             if k not in want and st != _GONE]
    conn.executemany(f"INSERT INTO finding_changes VALUES ({', '.join('?' * 12)})", rows)
    case_rows = [(profile, c, succ["pos"], succ["id"], *st)
                 for c, st in want_cases.items() if cases.get(c) != st]
    # a case only the run now before it holds: its findings were just marked gone at ``succ``
    # above, so its digest no longer describes them (NULL: never equal, read them next time)
    case_rows += [(profile, c, succ["pos"], succ["id"], *st[:4], None)
                  for c, st in cases.items() if c not in want_cases and st[4] is not None]
    conn.executemany(f"INSERT INTO case_changes VALUES ({', '.join('?' * 9)})", case_rows)


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
                assert run_id is not None
                conn.execute("UPDATE runs SET pos = ? WHERE id = ?",
                             (run_pos(key[0], run_id), run_id))
            else:
                run_id = row["id"]
            pos = run_pos(key[0], run_id)
            succ = conn.execute(f"SELECT id, pos FROM runs WHERE profile = ? AND pos > ? AND "
                                f"{_DONE} ORDER BY pos LIMIT 1", (meta.profile, pos)).fetchone()
            kept = _snapshot(conn, meta.profile, succ["pos"]) if succ is not None else None
            if row is not None:
                conn.execute("DELETE FROM finding_changes WHERE run_id = ?", (run_id,))
                conn.execute("DELETE FROM case_changes WHERE run_id = ?", (run_id,))
                conn.execute("DELETE FROM run_counts WHERE run_id = ?", (run_id,))
                conn.execute(
                    "UPDATE runs SET started = ?, finished = NULL, engine_version = ?, "
                    "ruleset = ?, times_recorded = times_recorded + 1 WHERE id = ?",
                    (_now(), meta.engine_version, ruleset, run_id))
            prev = conn.execute(f"SELECT max(pos) FROM runs WHERE profile = ? AND pos < ? AND "
                                f"{_DONE}", (meta.profile, pos)).fetchone()[0]
            _MEMO.clear()
            recorder = RunRecorder(conn, run_id, replaced=row is not None,
                                   profile=meta.profile, pos=pos, prev_pos=prev)
            if succ is not None and kept is not None:
                recorder.rebase = lambda: _rebase(conn, meta.profile, succ, kept, pos)
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
        "pos": row["pos"],
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


def run_calendar(conn: sqlite3.Connection, run: dict[str, Any]) -> WorkingCalendar:
    """The working-day calendar the run was evaluated with (its profile's closure days)."""
    closures = run_ruleset(conn, run["id"]).get("closure_days", [])
    return _calendar(frozenset(date.fromisoformat(d) for d in closures))


@functools.lru_cache(maxsize=8)
def _calendar(closures: frozenset[date]) -> WorkingCalendar:
    return calendar_for(closures)  # building one takes a tenth of a second: once per process


_KEY_COLS = ("finding_id", "case_id", "rule", "anchor_id", "occurrence", "member")


def _finding_row(r: sqlite3.Row | tuple[Any, ...], case: CaseState | None, as_of: date,
                 cal: WorkingCalendar) -> dict[str, Any]:
    item = dict(zip(_KEY_COLS + _STATE_COLS, r, strict=False))
    if item["status"] == "overdue" and item["days_late"] is None and item["due"]:
        item["days_late"] = cal.lateness(date.fromisoformat(item["due"]), as_of,
                                         item["unit"] or "days")
    item["actionable"] = (item["status"] in OUTSTANDING if item["actionable"] is None
                          else bool(item["actionable"]))
    state, team, worker, manager = (case or ("evaluated", None, None, None))[:4]
    item.update(case_state=state, team=team or UNALLOCATED, worker=worker or UNALLOCATED,
                manager=manager)
    return item


_MEMO: dict[tuple[Any, ...], Any] = {}


def _remember(conn: sqlite3.Connection, run: dict[str, Any], what: tuple[Any, ...],
              compute: Any) -> Any:
    """What was read of a run, remembered by file, run, times recorded and finish time (a
    recorded run's state changes only when it is recorded again, or when a run is recorded
    before it, or by prune: ``record_run`` and ``prune`` clear the memo)."""
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    key = (path, run["id"], run["times_recorded"], run["finished"], *what)
    if key not in _MEMO:
        if len(_MEMO) >= 16:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = compute()
    return _MEMO[key]


def run_findings(conn: sqlite3.Connection, run: dict[str, Any],
                 statuses: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """Every finding of ``run`` as it stood then, with its case's team, worker and state.

    Findings of a case the run could not evaluate (rejected, or missing from its input) are
    those it had when last evaluated, with ``case_state`` saying why.  This reads every
    finding of the profile; ``open_findings`` and ``due_findings`` read only what they need."""
    found = _remember(conn, run, ("all",), lambda: _run_findings(conn, run))
    return found if statuses is None else [f for f in found if f["status"] in statuses]


def _run_findings(conn: sqlite3.Connection, run: dict[str, Any]) -> list[dict[str, Any]]:
    cols = ", ".join([*("k." + c for c in _KEY_COLS), *("c." + c for c in _STATE_COLS)])
    rows = conn.execute(
        f"SELECT {cols}, max(c.pos) FROM finding_changes c JOIN finding_keys k ON k.id = c.key "
        f"WHERE k.profile = ? AND c.pos <= ? GROUP BY c.key", (run["profile"], run["pos"]))
    cases = cases_at(conn, run)
    as_of, cal = date.fromisoformat(run["as_of"]), run_calendar(conn, run)
    return [_finding_row(r, cases.get(r[1]), as_of, cal) for r in rows
            if r[len(_KEY_COLS)] is not None]


def cases_at(conn: sqlite3.Connection, run: dict[str, Any]) -> dict[str, CaseState]:
    """case id -> (state, team, worker, manager, findings digest) as ``run`` left it
    (remembered per run)."""
    return _remember(conn, run, ("cases",),
                     lambda: _latest_cases(conn, run["profile"], run["pos"]))


_SELECT_STATE = ", ".join(["c.key", *("k." + c for c in _KEY_COLS),
                           *("c." + c for c in _STATE_COLS)])


def _latest_where(conn: sqlite3.Connection, run: dict[str, Any], index: str, cond: str,
                  args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """(key, key columns, state) of the findings whose state in ``run`` meets ``cond``: the
    change rows meeting it are found through ``index``, and each is kept only if it is its
    finding's latest change at or before the run.  Costs what it finds, not the whole file."""
    rows = conn.execute(
        f"SELECT {_SELECT_STATE} FROM finding_changes c INDEXED BY {index} "
        f"JOIN finding_keys k ON k.id = c.key WHERE {cond} AND c.pos <= ? AND k.profile = ? "
        "AND NOT EXISTS (SELECT 1 FROM finding_changes c2 WHERE c2.key = c.key AND "
        "c2.pos > c.pos AND c2.pos <= ?)", (*args, run["pos"], run["profile"], run["pos"]))
    return [tuple(r) for r in rows]


def _open_rows(conn: sqlite3.Connection, run: dict[str, Any]) -> list[tuple[Any, ...]]:
    return _remember(conn, run, ("open",), lambda: _latest_where(
        conn, run, "finding_changes_open", "c.status IN ('overdue', 'not_met')", ()))


def _as_findings(conn: sqlite3.Connection, run: dict[str, Any],
                 rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    cases = cases_at(conn, run)
    as_of, cal = date.fromisoformat(run["as_of"]), run_calendar(conn, run)
    return [_finding_row(r[1:], cases.get(r[2]), as_of, cal) for r in rows]


def open_findings(conn: sqlite3.Connection, run: dict[str, Any]) -> list[dict[str, Any]]:
    """The overdue and not-met findings of ``run`` (as ``run_findings`` gives them), found
    through the index of open change rows."""
    return _remember(conn, run, ("open findings",),
                     lambda: _as_findings(conn, run, _open_rows(conn, run)))


def due_findings(conn: sqlite3.Connection, run: dict[str, Any], start: str,
                 end: str) -> list[dict[str, Any]]:
    """The findings of ``run`` due from ``start`` to ``end`` (ISO dates, both included)."""
    return _remember(conn, run, ("due", start, end), lambda: _as_findings(
        conn, run, _latest_where(conn, run, "finding_changes_due", "c.due BETWEEN ? AND ?",
                                 (start, end))))


def overdue_by_rule(conn: sqlite3.Connection, run_id: int) -> list[dict[str, Any]]:
    """For each rule and lateness unit, the actionable overdue findings of evaluated cases:
    how many, and the mean and longest lateness in that unit (never mixing units)."""
    run = get_run(conn, run_id)
    groups: dict[tuple[str, str], list[int]] = {}
    for f in open_findings(conn, run):
        if (f["status"] == "overdue" and f["actionable"] and f["case_state"] == "evaluated"
                and f["days_late"] is not None):
            groups.setdefault((f["rule"], f["unit"] or "days"), []).append(f["days_late"])
    return [{"rule": rule, "unit": unit, "overdue": len(v), "mean_days_late": sum(v) / len(v),
             "longest_days_late": max(v)} for (rule, unit), v in sorted(groups.items())]


# ---------------------------------------------------------------------------------------------
# diffing two runs


CATEGORIES = ("new", "resolved", "not_evaluated", "still_open")
NEW_KINDS = ("need_action", "done_late", "historic")


def needs_action(status: str | None, actionable: Any = None) -> bool:
    """An open breach that can still be acted on (legacy rows without the flag: yes)."""
    return status in OPEN and actionable is not False and actionable != 0


def classify(before: str | None, now: str | None, before_actionable: Any = None,
             now_actionable: Any = None) -> str | None:
    """The diff category of one finding id given its status in P and R (None: absent), for a
    case evaluated in R (docs/history.md)."""
    act_p, act_r = needs_action(before, before_actionable), needs_action(now, now_actionable)
    if act_p:
        return "still_open" if act_r else "resolved"
    if (now in BREACHES and before not in BREACHES) or act_r:
        return "new"
    return None


def new_kind(status: str | None, actionable: Any = None) -> str:
    if needs_action(status, actionable):
        return "need_action"
    return "done_late" if status == "late" else "historic"


def resolution(status: str | None, actionable: Any = None) -> str:
    if status in ("late", "met"):
        return "done"
    if status in OPEN:
        return "episode_closed"
    return "no_longer_reported" if status is None else "other"


def _states(conn: sqlite3.Connection, profile: str, pos: int,
            keys: list[int]) -> dict[int, tuple[Any, ...]]:
    cols = ", ".join([*("k." + c for c in _KEY_COLS), *("c." + c for c in _STATE_COLS)])
    out: dict[int, tuple[Any, ...]] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        for r in conn.execute(
                f"SELECT k.id, {cols}, max(c.pos) FROM finding_changes c JOIN finding_keys k "
                f"ON k.id = c.key WHERE c.key IN ({', '.join('?' * len(chunk))}) AND c.pos <= ? "
                f"GROUP BY c.key", (*chunk, pos)):
            out[r[0]] = tuple(r[1:1 + len(_KEY_COLS) + len(_STATE_COLS)])
    return out


def _key_rows(conn: sqlite3.Connection, keys: list[int]) -> dict[int, tuple[Any, ...]]:
    out: dict[int, tuple[Any, ...]] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        for r in conn.execute(f"SELECT id, {', '.join(_KEY_COLS)} FROM finding_keys WHERE id IN "
                              f"({', '.join('?' * len(chunk))})", chunk):
            out[r[0]] = (*r[1:], *_GONE)
    return out


def diff_runs(conn: sqlite3.Connection, run: dict[str, Any],
              against: dict[str, Any]) -> dict[str, Any]:
    """New, resolved, not evaluated and still-open breaches of ``run`` against ``against``
    (docs/history.md).  Reads only the changes between the two runs and the open findings of
    ``run``, so it costs little more than the night's changes."""
    profile = run["profile"]
    lo, hi = sorted((against["pos"], run["pos"]))
    between = [r[0] for r in conn.execute(
        "SELECT id FROM runs WHERE profile = ? AND pos > ? AND pos <= ?", (profile, lo, hi))]
    changed: set[int] = set()
    for i in range(0, len(between), 500):
        chunk = between[i:i + 500]
        changed |= {r[0] for r in conn.execute(
            f"SELECT DISTINCT key FROM finding_changes WHERE run_id IN "
            f"({', '.join('?' * len(chunk))})", chunk)}
    if profile != against["profile"]:
        changed = set()  # different timelines: compare everything below
    cases_r, cases_p = cases_at(conn, run), cases_at(conn, against)
    as_of_r, as_of_p = date.fromisoformat(run["as_of"]), date.fromisoformat(against["as_of"])
    cal = run_calendar(conn, run)
    lists: dict[str, list[dict[str, Any]]] = {c: [] for c in CATEGORIES}

    def emit(category: str, key_state_p: tuple[Any, ...] | None,
             key_state_r: tuple[Any, ...] | None) -> None:
        base = key_state_r if key_state_r is not None else key_state_p
        assert base is not None
        case_id = base[1]
        now = _finding_row(key_state_r or (*base[:len(_KEY_COLS)], *_GONE),
                           cases_r.get(case_id), as_of_r, cal)
        before = (_finding_row(key_state_p, cases_p.get(case_id), as_of_p, cal)
                  if key_state_p is not None else None)
        item = {k: now[k] for k in ("finding_id", "case_id", "rule", "anchor_id", "occurrence",
                                    "member", "team", "worker", "case_state")}
        src = now if now["status"] is not None else (before or now)
        item.update(anchor_date=src["anchor_date"], due=src["due"], unit=src["unit"],
                    days_late=src["days_late"], episode_end=now["episode_end"],
                    status_before=before["status"] if before else None,
                    status_now=now["status"], actionable=now["actionable"])
        if category == "new":
            item["kind"] = new_kind(now["status"], now["actionable"])
        elif category == "resolved":
            item["kind"] = resolution(now["status"], now["actionable"])
        elif category == "not_evaluated":
            item["kind"] = now["case_state"]
        else:
            item["kind"] = "need_action"
        lists[category].append(item)

    # open, actionable breaches of R that did not change: still open, or not evaluated in R
    open_r = {r[0]: r[1:] for r in _open_rows(conn, run)}
    n_key = len(_KEY_COLS)
    if profile == against["profile"]:
        for key, st in open_r.items():
            if key in changed or not needs_action(st[n_key], st[n_key + 7]):
                continue
            case_id = st[1]
            state_r = (cases_r.get(case_id) or ("evaluated",))[0]
            state_p = (cases_p.get(case_id) or ("evaluated",))[0]
            if state_r == "evaluated":
                emit("still_open", st, st)
            elif state_p == "evaluated":
                emit("not_evaluated", st, st)
        keys = sorted(changed)
    else:
        keys = sorted(set(open_r) | {r[0] for r in conn.execute(
            "SELECT id FROM finding_keys WHERE profile = ?", (against["profile"],))})
    states_p = _states(conn, against["profile"], against["pos"], keys)
    states_r = _states(conn, profile, run["pos"], keys)
    if profile != against["profile"]:
        # match across profiles by finding id
        by_id_p = {st[0]: st for st in states_p.values()}
        states_r_by_id = {st[0]: st for st in states_r.values()}
        pairs = [(by_id_p.get(fid), st) for fid, st in states_r_by_id.items()]
        pairs += [(st, None) for fid, st in by_id_p.items() if fid not in states_r_by_id]
    else:
        fill = _key_rows(conn, [k for k in keys if k not in states_p or k not in states_r])
        pairs = [(states_p.get(k, fill.get(k)), states_r.get(k, fill.get(k))) for k in keys]
    for p, r in pairs:
        base = r if r is not None else p
        assert base is not None
        case_id = base[1]
        sp, ap = (p[n_key], p[n_key + 7]) if p is not None else (None, None)
        sr, ar = (r[n_key], r[n_key + 7]) if r is not None else (None, None)
        state_r = (cases_r.get(case_id) or ("absent",))[0]
        state_p = (cases_p.get(case_id) or ("absent",))[0]
        if state_r != "evaluated":
            if needs_action(sp, ap) and state_p == "evaluated":
                emit("not_evaluated", p, r)
            continue
        category = classify(sp, sr, ap, ar)
        if category is not None:
            emit(category, p, r)
    reasons = current_reasons(conn)
    for items in lists.values():
        items.sort(key=lambda i: (i["rule"], i["case_id"], i["due"] or "", i["finding_id"]))
        for i in items:
            i["reason_code"] = reasons.get(i["finding_id"], {}).get("code")

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
            for kind in NEW_KINDS:
                row[f"new_{kind}"] = sum(1 for i in lists["new"]
                                         if i[key] == name and i["kind"] == kind)
            row["rate_before"] = compliance_rate(before.get(name, {}))
            row["rate_now"] = compliance_rate(now.get(name, {}))
            out.append(row)
        return out

    return {
        "run": run,
        "against": against,
        "ruleset_changed": run["ruleset_hash"] != against["ruleset_hash"],
        "counts": {c: len(lists[c]) for c in CATEGORIES},
        "new_by_kind": {k: sum(1 for i in lists["new"] if i["kind"] == k) for k in NEW_KINDS},
        "by_rule": summarise("rule", run_counts(conn, against["id"], "rule"),
                             run_counts(conn, run["id"], "rule")),
        "by_team": summarise("team", run_counts(conn, against["id"], "team"),
                             run_counts(conn, run["id"], "team")),
        **lists,
    }


# ---------------------------------------------------------------------------------------------
# retention


def prune(conn: sqlite3.Connection, keep_days: int) -> dict[str, Any]:
    """Forget the runs of each profile whose as-of date is more than ``keep_days`` before that
    profile's latest as-of date; the earliest run kept becomes the base everything later is a
    change from.  Recorded reasons are kept.  Then VACUUM gives the space back."""
    removed = 0
    _MEMO.clear()
    conn.execute("BEGIN IMMEDIATE")
    try:
        for (profile,) in conn.execute("SELECT DISTINCT profile FROM runs").fetchall():
            latest = conn.execute("SELECT max(as_of) FROM runs WHERE profile = ? AND "
                                  f"{_DONE}", (profile,)).fetchone()[0]
            if latest is None:
                continue
            cutoff = (date.fromisoformat(latest) - timedelta(days=keep_days)).isoformat()
            first = conn.execute(f"SELECT id, pos FROM runs WHERE profile = ? AND {_DONE} AND "
                                 "as_of >= ? ORDER BY pos LIMIT 1", (profile, cutoff)).fetchone()
            old = [r[0] for r in conn.execute("SELECT id FROM runs WHERE profile = ? AND pos < ?",
                                              (profile, first["pos"]))]
            if not old:
                continue
            base, base_run = first["pos"], first["id"]
            keys = "SELECT id FROM finding_keys WHERE profile = ?"
            conn.execute(
                f"DELETE FROM finding_changes WHERE pos < ? AND key IN ({keys}) AND EXISTS ("
                "SELECT 1 FROM finding_changes c2 WHERE c2.key = finding_changes.key AND "
                "c2.pos > finding_changes.pos AND c2.pos <= ?)", (base, profile, base))
            conn.execute(f"DELETE FROM finding_changes WHERE pos < ? AND status IS NULL AND "
                         f"key IN ({keys})", (base, profile))
            conn.execute(f"UPDATE finding_changes SET pos = ?, run_id = ? WHERE pos < ? AND "
                         f"key IN ({keys})", (base, base_run, base, profile))
            conn.execute(
                "DELETE FROM case_changes WHERE profile = ? AND pos < ? AND EXISTS (SELECT 1 "
                "FROM case_changes c2 WHERE c2.profile = case_changes.profile AND c2.case_id = "
                "case_changes.case_id AND c2.pos > case_changes.pos AND c2.pos <= ?)",
                (profile, base, base))
            conn.execute("DELETE FROM case_changes WHERE profile = ? AND pos < ? AND "
                         "state = 'absent'", (profile, base))
            conn.execute("UPDATE case_changes SET pos = ?, run_id = ? WHERE profile = ? AND "
                         "pos < ?", (base, base_run, profile, base))
            conn.execute("DELETE FROM finding_keys WHERE profile = ? AND NOT EXISTS (SELECT 1 "
                         "FROM finding_changes c WHERE c.key = finding_keys.id)", (profile,))
            for i in range(0, len(old), 500):
                chunk = old[i:i + 500]
                marks = ", ".join("?" * len(chunk))
                conn.execute(f"DELETE FROM run_counts WHERE run_id IN ({marks})", chunk)
                conn.execute(f"DELETE FROM runs WHERE id IN ({marks})", chunk)
            removed += len(old)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("VACUUM")
    return {"runs_removed": removed, "runs_kept": conn.execute(
        "SELECT count(*) FROM runs").fetchone()[0]}


# ---------------------------------------------------------------------------------------------
# recorded reasons


def add_reason(conn: sqlite3.Connection, fid: str, code: str, note: str, by: str) -> int:
    """Record why a finding is late or missed; the finding id keeps it attached across runs."""

    def known() -> None:
        if conn.execute("SELECT 1 FROM finding_keys WHERE finding_id = ? LIMIT 1",
                        (fid,)).fetchone() is None:
            raise HistoryError(f"no finding {fid} in any recorded run")

    return _record_reason(conn, known, (fid, "add", code, note, by))


def remove_reason(conn: sqlite3.Connection, fid: str, note: str, by: str) -> int:
    """Record that a finding's reason no longer stands; the earlier entries are kept."""

    def has_one() -> None:
        if fid not in current_reasons(conn, [fid]):
            raise HistoryError(f"finding {fid} has no recorded reason to remove")

    return _record_reason(conn, has_one, (fid, "remove", None, note, by))


def _record_reason(conn: sqlite3.Connection, check: Callable[[], None],
                   entry: tuple[str, str, str | None, str, str]) -> int:
    """One entry in the reasons log, in its own transaction, after ``check`` passes."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        check()
        rid = conn.execute("INSERT INTO reasons (finding_id, action, code, note, by, at) "
                           "VALUES (?, ?, ?, ?, ?, ?)", (*entry, _now())).lastrowid
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    assert rid is not None
    return rid


def current_reasons(conn: sqlite3.Connection,
                    ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """finding id -> its standing reason (code, note, by, at): the latest entry, if an add."""
    sql = "SELECT finding_id, action, code, note, by, at, max(id) FROM reasons"
    args: list[str] = []
    if ids is not None:
        sql += f" WHERE finding_id IN ({', '.join('?' * len(ids))})"
        args = ids
    rows = conn.execute(sql + " GROUP BY finding_id", args)
    return {r["finding_id"]: {"code": r["code"], "note": r["note"], "by": r["by"], "at": r["at"]}
            for r in rows if r["action"] == "add"}


def reason_log(conn: sqlite3.Connection, fid: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        "SELECT id, finding_id, action, code, note, by, at FROM reasons WHERE finding_id = ? "
        "ORDER BY id", (fid,))]
