"""Incremental sweeps (``casecheck sweep --incremental``): the nightly cost follows the change.

A case's findings at as-of date A are a function of its record's bytes and of A.  Evaluation
says, for each case, the first date after A on which they could change by the passing of time
alone (``CaseResult.next_change``: a deadline passing, a warning window opening, a dated item or
a birthday coming into view).  Until then only two things in its ``findings.jsonl`` line move
with the as-of date: the ``as_of`` itself, and the lateness (and message) of an overdue finding
whose episode is still open, which grows by a day each day (``Finding.growth``).  So each line
is kept as a *template*: the line cut at those places, plus what fills them in.

Each night a record's raw bytes are hashed (sha1, as they were read: nothing is parsed).  A
record whose hash was seen in the last run of the same scope (profile, rule-set hash and engine
code), evaluated at an as-of date on or before tonight's and whose next change is after it, is
carried over: its template is filled in for tonight (and for where the record sits in tonight's
input, which can move).  Everything else is read, validated and evaluated as in a full sweep.
The output is byte for byte the full sweep's (``tests/batch/test_incremental.py``).

The state is a cache, kept in a SQLite file beside the results (``OUT/.casecheck-incremental
.sqlite``), not in the history database: it holds a line per record (the history keeps only
changes, and is pruned), it is only ever valid for the output folder whose lock the sweep
holds, and deleting it costs one full sweep.  It is written in one transaction committed only
after ``findings.jsonl`` is in place; a record not in tonight's input is dropped from it (the
history store says such a case was not evaluated; nothing is resolved).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from engine.calendar import WorkingCalendar
from engine.evaluate.evaluator import regrow
from engine.evaluate.findings import CaseResult

STATE_FILE = ".casecheck-incremental.sqlite"
ENGINE_DIR = Path(__file__).resolve().parent.parent

_SCHEMA = """
DROP TABLE IF EXISTS incremental_records;  -- the first layout: rewritten in full each night
CREATE TABLE IF NOT EXISTS incremental_lines (
    scope TEXT NOT NULL,        -- profile, rule-set hash, engine code (``scope``)
    sha BLOB NOT NULL,          -- sha1 of the record's raw bytes
    as_of TEXT NOT NULL,        -- the as-of date it was evaluated at
    next_change TEXT,           -- first date its findings may change by time alone; NULL never
    parts BLOB NOT NULL,        -- its findings.jsonl line cut at the slots, joined by NUL
    slots BLOB NOT NULL,        -- what fills the cuts, and how lateness grows (JSON)
    meta BLOB NOT NULL,         -- what the summary needs of it (JSON)
    UNIQUE (scope, sha)
);
CREATE TABLE IF NOT EXISTS incremental_runs (
    scope TEXT PRIMARY KEY,
    as_of TEXT NOT NULL,
    run INTEGER NOT NULL,
    carried INTEGER NOT NULL,
    evaluated INTEGER NOT NULL
);
"""


def engine_digest(root: Path = ENGINE_DIR) -> str:
    """A hash of the engine's code: a changed engine starts the cache afresh."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def scope_of(profile: str, ruleset_hash: str, serialiser: Callable[..., Any]) -> str:
    """What a cached line is valid for: the profile, its rule-set hash (rule files, parameters,
    warning window, closure days, vocabulary, engine name), the engine's code and the
    serialiser that wrote the line."""
    text = "\0".join([profile, ruleset_hash, engine_digest(),
                      f"{serialiser.__module__}.{serialiser.__qualname__}"])
    return hashlib.sha256(text.encode()).hexdigest()


def record_hash(data: bytes) -> bytes:
    return hashlib.sha1(data, usedforsecurity=False).digest()


# ---------------------------------------------------------------------------------------------
# templates


_NONCE = secrets.token_hex(8)
_BASE = 100_000_000_000 + secrets.randbelow(800_000_000_000)  # 12 digits
_SOURCE = f"\x00{_NONCE}:src\x00"
_SLOTS = re.compile(rb'"\\u0000' + _NONCE.encode() + rb':(src|m\d+)\\u0000"|-'
                    + str(_BASE).encode() + rb"(\d{3})")


def make_template(result: CaseResult, serialise: Callable[[CaseResult], bytes],
                  line: bytes, cal: WorkingCalendar) -> dict[str, Any] | None:
    """``line`` (``serialise(result)``) as a template, or None when it cannot be one (the
    template, filled in for the same as-of date and source, must give ``line`` back)."""
    source = result.source
    grows = []
    for f in result.findings:
        g = f.growth()
        if g is not None:
            grows.append((f, g))
    if len(grows) > 999 or b"\0" in line:
        return None
    saved_problems = (result.errors, result.warnings)
    saved = [(f, f.days_late, f.text) for f, _ in grows]
    try:
        if source is not None:
            for problems in saved_problems:
                if any(p.source is not None and p.source != source for p in problems):
                    return None
            result.errors = [p if p.source is None else dc_replace(p, source=_SOURCE)
                             for p in result.errors]
            result.warnings = [p if p.source is None else dc_replace(p, source=_SOURCE)
                               for p in result.warnings]
            result.source = _SOURCE
        for k, (f, _) in enumerate(grows):
            f.days_late = -(_BASE * 1000 + k)
            f.text = f"\x00{_NONCE}:m{k}\x00"
        marked = serialise(result)
    finally:
        result.source = source
        result.errors, result.warnings = saved_problems
        for f, late, text in saved:
            f.days_late, f.text = late, text
    parts: list[bytes] = []
    slots: list[Any] = []
    at = marked.find(b'"as_of":"' + result.as_of.isoformat().encode() + b'"')
    if at < 0:
        return None
    at += len(b'"as_of":"')
    pos = 0
    cuts: list[tuple[int, int, Any]] = [(at, at + 10, ["as_of"])]
    for m in _SLOTS.finditer(marked):
        if m.group(1) == b"src":
            slot: Any = ["src"]
        elif m.group(1) is not None:
            slot = ["msg", int(m.group(1)[1:])]
        else:
            slot = ["days", int(m.group(2))]
        cuts.append((m.start(), m.end(), slot))
    cuts.sort()
    for start, end, slot in cuts:
        parts.append(marked[pos:start])
        slots.append(slot)
        pos = end
    parts.append(marked[pos:])
    template = {"parts": parts, "slots": slots, "growth": [g for _, g in grows]}
    if fill(template, result.as_of, source, cal) != line:
        return None
    return template


def _json_text(value: str) -> bytes:
    text = orjson.dumps(value)
    return text.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")


def fill(template: dict[str, Any], as_of: date, source: str | None,
         cal: WorkingCalendar | None) -> bytes:
    """The line of a template at ``as_of`` for a record read from ``source``.  ``cal`` is
    needed only when the as-of date differs from the one the template was made at."""
    growth = template["growth"]
    stated: list[tuple[bytes, bytes]] = []
    for g in growth:
        if cal is None:
            raise ValueError("a template with growing lateness needs the calendar")
        late, message = regrow(g, as_of, cal)
        stated.append((str(late).encode(), _json_text(message)))
    out: list[bytes] = []
    parts = template["parts"]
    src = b"null" if source is None else _json_text(source)
    day = as_of.isoformat().encode()
    for i, slot in enumerate(template["slots"]):
        out.append(parts[i])
        kind = slot[0]
        if kind == "as_of":
            out.append(day)
        elif kind == "src":
            out.append(src)
        elif kind == "days":
            out.append(stated[slot[1]][0])
        else:
            out.append(stated[slot[1]][1])
    out.append(parts[-1])
    return b"".join(out)


def pack(template: dict[str, Any]) -> tuple[bytes, bytes]:
    """A template as stored: its parts joined by NUL (which no JSON line holds unescaped: a
    split is all it takes to read them back), and the rest as JSON."""
    return (b"\0".join(template["parts"]),
            orjson.dumps({"slots": template["slots"], "growth": template["growth"]}))


def unpack(parts: bytes, rest: bytes) -> dict[str, Any]:
    template: dict[str, Any] = orjson.loads(rest)
    template["parts"] = parts.split(b"\0")
    return template


# ---------------------------------------------------------------------------------------------
# the state


@dataclass
class Carried:
    """What a sweep needs to write a carried-over record."""

    sha: bytes
    line: bytes
    meta: list[Any]


@dataclass
class IncrementalState:
    """The cache of one output folder for one scope, open for one sweep.

    A carried-over row is only read, never written: what this run kept is held in memory, and
    the rows it did not keep are deleted when it commits (rewriting every row each night, to
    mark it seen, cost more than the rest of the night together)."""

    path: Path
    scope: str
    as_of: date
    calendar: WorkingCalendar
    conn: sqlite3.Connection = field(init=False)
    index: dict[bytes, tuple[str, str | None]] = field(default_factory=dict)
    run: int = 0
    carried: int = 0
    evaluated: int = 0
    _known: set[bytes] = field(default_factory=set)
    _kept: set[bytes] = field(default_factory=set)
    _rows: list[tuple[Any, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.executescript(_SCHEMA)
        self.conn.execute("BEGIN IMMEDIATE")
        row = self.conn.execute("SELECT run FROM incremental_runs WHERE scope = ?",
                                (self.scope,)).fetchone()
        self.run = (row[0] if row else 0) + 1
        tonight = self.as_of.isoformat()
        for sha, as_of, nxt in self.conn.execute(
                "SELECT sha, as_of, next_change FROM incremental_lines WHERE scope = ?",
                (self.scope,)):
            self._known.add(sha)
            if as_of <= tonight and (nxt is None or tonight < nxt):
                self.index[sha] = (as_of, nxt)

    def carry(self, shas: list[bytes], sources: list[str | None]) -> list[Carried | None]:
        """For each hash, the carried-over line at tonight's as-of date, or None."""
        wanted = [s for s in shas if s in self.index]
        found: dict[bytes, tuple[bytes, bytes, bytes]] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            for sha, parts, slots, meta in self.conn.execute(
                    f"SELECT sha, parts, slots, meta FROM incremental_lines WHERE scope = ? AND "
                    f"sha IN ({', '.join('?' * len(chunk))})", (self.scope, *chunk)):
                found[sha] = (parts, slots, meta)
        out: list[Carried | None] = []
        for sha, source in zip(shas, sources, strict=True):
            row = found.get(sha)
            if row is None:
                out.append(None)
                continue
            template = unpack(row[0], row[1])
            cal = self.calendar if template["growth"] else None
            line = fill(template, self.as_of, source, cal)
            self._kept.add(sha)
            self.carried += 1
            out.append(Carried(sha, line, orjson.loads(row[2])))
        return out

    def store(self, sha: bytes, next_change: date | None, template: dict[str, Any],
              meta: list[Any]) -> None:
        self.evaluated += 1
        self._kept.add(sha)
        self._rows.append((self.scope, sha, self.as_of.isoformat(),
                           None if next_change is None else next_change.isoformat(),
                           *pack(template), orjson.dumps(meta)))
        if len(self._rows) >= 500:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self.conn.executemany(
                "INSERT INTO incremental_lines (scope, sha, as_of, next_change, parts, slots, "
                "meta) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, sha) DO UPDATE "
                "SET as_of = excluded.as_of, next_change = excluded.next_change, "
                "parts = excluded.parts, slots = excluded.slots, meta = excluded.meta",
                self._rows)
            self._rows.clear()

    def commit(self) -> None:
        """Keep what this run saw (only), once its results are in place."""
        self._flush()
        self.conn.executemany("DELETE FROM incremental_lines WHERE scope = ? AND sha = ?",
                              ((self.scope, sha) for sha in self._known - self._kept))
        self.conn.execute("INSERT OR REPLACE INTO incremental_runs VALUES (?, ?, ?, ?, ?)",
                          (self.scope, self.as_of.isoformat(), self.run, self.carried,
                           self.evaluated))
        self.conn.execute("COMMIT")

    def close(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.close()


def never_later(as_of: date) -> date:
    """The next change of a record that must be evaluated again tomorrow."""
    return as_of + timedelta(days=1)


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
