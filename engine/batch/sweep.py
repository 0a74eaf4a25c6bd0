"""Sweep many records: stream them in, evaluate (optionally in worker processes), stream the
findings out, and count everything so that every input is accounted for.

Memory stays flat: records are read a batch at a time and at most a few batches per worker are
in flight.  Workers are forked after the rule set is compiled, so rules compile once.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from engine.batch.history import history_of_line
from engine.batch.incremental import STATE_FILE, IncrementalState, make_template, record_hash
from engine.batch.locks import Busy, held
from engine.calendar import CalendarRangeError
from engine.evaluate.evaluator import RuleSet
from engine.evaluate.findings import CaseResult
from engine.evaluate.status import compliance_rate
from engine.records.intake import Listing, RawRecord, read_records, validate
from engine.records.problems import Problem, internal_problem

BATCH = 200

# How a case result becomes its line in findings.jsonl: handed in by the caller, so that the
# sweep knows no output format (engine.reports.findings_json.case_json in every command).
Serialiser = Callable[[CaseResult], bytes]


@dataclass(slots=True)
class Evaluated:
    case_id: str | None
    line: bytes
    # (rule, status, how many findings of the case have it); a list, as the cache keeps it
    statuses: list[tuple[str, str, int]]
    evaluated: bool
    has_errors: bool
    warnings: int
    team: str | None
    # (rule, source format, reason) the record's source cannot assess; short-break periods
    not_assessable: list[tuple[str, str, str]] = field(default_factory=list)
    short_breaks: int = 0
    internal: bool = False  # an internal error (a fault of casecheck's) in this record
    # incremental sweeps only: the hash of the raw bytes, when the findings may next change by
    # time alone, and the line as a template (None: not to be carried over)
    sha: bytes | None = None
    next_change: date | None = None
    template: dict[str, Any] | None = None
    # with workers: where the line waits in a worker's spool file (file, offset, length);
    # ``line`` is then empty
    spooled: tuple[str, int, int] | None = None
    # incremental sweeps only: what the history store records of the case (digest of its
    # findings, team, worker, manager), worked out once, when it was evaluated
    history: tuple[str, str | None, str | None, str | None] | None = None

    def meta(self) -> list[Any]:
        """What a carried-over record needs besides its line (``from_meta``)."""
        return [self.case_id, self.statuses,
                self.evaluated, self.has_errors, self.warnings, self.team,
                [list(x) for x in self.not_assessable], self.short_breaks, self.internal,
                self.history]

    @classmethod
    def from_meta(cls, line: bytes, meta: list[Any]) -> Evaluated:
        return cls(meta[0], line, meta[1], meta[2], meta[3], meta[4],
                   meta[5], [tuple(x) for x in meta[6]],  # type: ignore[misc]
                   meta[7], meta[8],
                   history=None if meta[9] is None else tuple(meta[9]))  # type: ignore[arg-type]


class OutputError(Exception):
    """The output folder cannot be used (locked by another sweep, not a folder, unwritable,
    full): nothing of this sweep is left in it."""


def evaluate_raw(raw: RawRecord, ruleset: RuleSet, as_of: date,
                 serialise: Serialiser | None = None) -> tuple[CaseResult, Evaluated]:
    """Validate and evaluate one raw record; a bad record becomes a result with errors."""
    try:
        intake = validate(raw, ruleset.known_event_types)
        if intake.record is None:
            result = CaseResult(intake.case_id, as_of, ruleset.profile, errors=intake.errors,
                                source=raw.source)
        else:
            result = ruleset.evaluate(intake.record, as_of)
            result.warnings = intake.warnings + result.warnings
            result.source = raw.source
    except CalendarRangeError:
        raise  # the as-of itself: a command error, not the record's
    except Exception as exc:  # last resort: one record never stops a sweep
        result = CaseResult(_case_id_or_none(raw), as_of, ruleset.profile,
                            errors=[internal_problem(exc, raw.source)], source=raw.source)
    line = serialise(result) if serialise is not None else b""
    statuses: dict[tuple[str, str], int] = {}
    for f in result.findings:
        key = (f.rule, f.status)
        statuses[key] = statuses.get(key, 0) + 1
    summary = Evaluated(result.case_id, line, [(r, s, n) for (r, s), n in statuses.items()],
                        result.evaluated,
                        bool(result.errors), len(result.warnings), result.team,
                        not_assessable=[(n.rule, n.source, n.reason)
                                        for n in result.not_assessable],
                        short_breaks=result.short_breaks,
                        internal=any(p.internal for p in result.errors))
    return result, summary



def _case_id_or_none(raw: RawRecord) -> str | None:
    try:
        data = orjson.loads(raw.data)
    except orjson.JSONDecodeError:
        return None
    case_id = data.get("case_id") if isinstance(data, dict) else None
    return case_id if isinstance(case_id, str) else None


_WORKER: dict[str, Any] = {}


def _run_batch(batch: list[RawRecord]) -> list[Evaluated]:
    ruleset: RuleSet = _WORKER["ruleset"]
    as_of: date = _WORKER["as_of"]
    serialise: Serialiser = _WORKER["serialise"]
    if not _WORKER.get("incremental"):
        out = [evaluate_raw(raw, ruleset, as_of, serialise)[1] for raw in batch]
    else:
        out = []
        for raw in batch:
            result, item = evaluate_raw(raw, ruleset, as_of, serialise)
            out.append(item)
            if raw.problem is not None or any(p.internal for p in result.errors):
                continue  # evaluated again next time
            item.sha = record_hash(raw.data)
            item.next_change = result.next_change
            item.template = make_template(result, serialise, item.line, ruleset.calendar)
            if item.template is not None and result.evaluated:
                item.history = history_of_line(item.line)
    spool: _Spool | None = _WORKER.get("spool")
    if spool is not None:
        spool.hold(out)
    return out


class _Spool:
    """Where a worker leaves its finished lines: a file per batch.  A worker writes each line
    there and sends back only where it is, so the parent never unpickles the findings: it
    copies the bytes into ``findings.jsonl`` in the kernel (``os.copy_file_range``) and deletes
    the file.  The lines are four times the input's size, and carrying them through the parent
    capped two workers at 1.2x one; a file per batch keeps the disk used to the batches in
    flight."""

    def __init__(self, folder: str) -> None:
        self.prefix = os.path.join(folder, f"w{os.getpid()}-")
        self.batches = 0

    def hold(self, items: list[Evaluated]) -> None:
        self.batches += 1
        path = f"{self.prefix}{self.batches}"
        at = 0
        with open(path, "wb") as fh:
            for item in items:
                size = len(item.line)
                fh.write(item.line)
                fh.write(b"\n")
                item.spooled = (path, at, size)
                item.line = b""
                at += size + 1


def _start_worker(folder: str | None) -> None:
    _WORKER["spool"] = _Spool(folder) if folder is not None else None


def _batches(records: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for raw in records:
        batch.append(raw)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _evaluate_stream(records: Iterable[RawRecord | Evaluated], ruleset: RuleSet, as_of: date,
                     workers: int, serialise: Serialiser,
                     incremental: bool = False,
                     spool: Path | None = None) -> Iterator[Evaluated]:
    """Each record's ``Evaluated``, in input order.  Carried-over records (``Evaluated``
    already) pass straight through; with ``workers`` > 1 and a ``spool`` folder, the workers'
    lines stay in their spool files (``Evaluated.spooled``) until ``_Output`` copies them."""
    _WORKER["ruleset"], _WORKER["as_of"], _WORKER["serialise"] = ruleset, as_of, serialise
    _WORKER["incremental"], _WORKER["spool"] = incremental, None
    if workers <= 1:
        for batch in _batches(records, BATCH):
            raws = [r for r in batch if not isinstance(r, Evaluated)]
            done = iter(_run_batch(raws) if raws else [])
            yield from (r if isinstance(r, Evaluated) else next(done) for r in batch)
        return
    ctx = multiprocessing.get_context("fork")
    folder = str(spool) if spool is not None else None
    with ctx.Pool(workers, initializer=_start_worker, initargs=(folder,)) as pool:
        window: deque[tuple[list[Any], Any]] = deque()

        def settle(batch: list[Any], pending: Any) -> Iterator[Evaluated]:
            done = iter(pending.get() if pending is not None else [])
            return (r if isinstance(r, Evaluated) else next(done) for r in batch)

        for batch in _batches(records, BATCH):
            raws = [r for r in batch if not isinstance(r, Evaluated)]
            window.append((batch, pool.apply_async(_run_batch, (raws,)) if raws else None))
            if len(window) >= 3 * workers:
                yield from settle(*window.popleft())
        while window:
            yield from settle(*window.popleft())


class _Output:
    """``findings.jsonl`` being written: lines in hand are gathered and written together
    (``os.writev``, no copy into a buffer); spooled lines are copied from the workers' files a
    run at a time (a batch's lines sit together in one file)."""

    GATHER = 1 << 20  # bytes gathered before they are written
    IOV = 512  # buffers per writev (the system's limit is at least 1024)

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending: list[bytes] = []
        self.size = 0
        self.run: tuple[str, int, int] | None = None  # (spool file, from, to)
        self.source: tuple[str, int] | None = None  # the spool file open, and its descriptor

    def write(self, line: bytes) -> None:
        if self.run is not None:
            self._copy()
        self.pending.append(line)
        self.pending.append(b"\n")
        self.size += len(line) + 1
        if self.size >= self.GATHER or len(self.pending) >= self.IOV:
            self._drain()

    def copy(self, spooled: tuple[str, int, int]) -> None:
        path, at, size = spooled
        run = self.run
        if run is not None and run[0] == path and run[2] == at:
            self.run = (path, run[1], at + size + 1)
            return
        self._copy()
        self.run = (path, at, at + size + 1)

    def read(self, spooled: tuple[str, int, int]) -> bytes:
        """A spooled line itself (for the history sink, or to replace a repeated case)."""
        self._copy()  # what came before it, first: its file may be deleted when this opens
        path, at, size = spooled
        return os.pread(self._source(path), size, at)

    def close(self) -> None:
        try:
            self._copy()
            self._drain()
        finally:
            self._done()

    def _source(self, path: str) -> int:
        """The open spool file; a batch's lines all come before the next batch's, so the file
        before it is finished with, and deleted."""
        if self.source is not None and self.source[0] == path:
            return self.source[1]
        self._done()
        self.source = (path, os.open(path, os.O_RDONLY))
        return self.source[1]

    def _done(self) -> None:
        if self.source is not None:
            path, fd = self.source
            self.source = None
            os.close(fd)
            Path(path).unlink(missing_ok=True)

    def _drain(self) -> None:
        pending = self.pending
        while pending:
            n = os.writev(self.fd, pending)
            done = 0
            while done < len(pending) and n >= len(pending[done]):
                n -= len(pending[done])
                done += 1
            del pending[:done]
            if n:  # a short write, part-way through a buffer
                pending[0] = pending[0][n:]
        self.size = 0

    def _copy(self) -> None:
        if self.run is None:
            return
        path, start, end = self.run
        self.run = None
        self._drain()
        src = self._source(path)
        while start < end:
            try:
                n = os.copy_file_range(src, self.fd, end - start, start)
            except OSError:  # not between these files here: copy through memory
                n = os.write(self.fd, os.pread(src, min(end - start, 1 << 20), start))
            if n <= 0:
                raise OSError(f"spool file ended early ({end - start} bytes short)")
            start += n


@dataclass
class SweepSummary:
    as_of: date
    profile: str
    input: str
    read: int = 0
    evaluated: int = 0
    rejected: int = 0
    with_errors: int = 0
    internal_errors: int = 0
    warnings: int = 0
    files_read: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    by_rule: dict[str, Counter[str]] = field(default_factory=dict)
    by_team: dict[str, Counter[str]] = field(default_factory=dict)
    not_assessable: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    short_break_cases: int = 0
    short_break_periods: int = 0

    def add(self, item: Evaluated) -> None:
        self.read += 1
        self.not_assessable.update(item.not_assessable)
        if item.short_breaks:
            self.short_break_cases += 1
            self.short_break_periods += item.short_breaks
        if item.evaluated:
            self.evaluated += 1
        else:
            self.rejected += 1
        if item.has_errors:
            self.with_errors += 1
        if item.internal:
            self.internal_errors += 1
        self.warnings += item.warnings
        team = self.by_team.get(item.team or "(unallocated)")
        if team is None:
            team = self.by_team[item.team or "(unallocated)"] = Counter()
        by_rule = self.by_rule
        for rule, status, n in item.statuses:
            counts = by_rule.get(rule)
            if counts is None:
                counts = by_rule[rule] = Counter()
            counts[status] += n
            team[status] += n

    def as_dict(self, rule_ids: list[str]) -> dict[str, Any]:
        def block(counts: Counter[str]) -> dict[str, Any]:
            rate = compliance_rate(counts)
            return {**dict(sorted(counts.items())),
                    "compliance_rate": None if rate is None else round(rate, 4)}

        totals: Counter[str] = Counter()
        for counts in self.by_rule.values():
            totals.update(counts)
        return {
            "as_of": self.as_of.isoformat(),
            "profile": self.profile,
            "input": self.input,
            "records": {"read": self.read, "evaluated": self.evaluated,
                        "rejected": self.rejected, "with_errors": self.with_errors,
                        "internal_errors": self.internal_errors,
                        "warnings": self.warnings},
            "files": {"read": self.files_read, "skipped": self.skipped},
            "statuses": block(totals),
            "rules": {rid: block(self.by_rule.get(rid, Counter())) for rid in rule_ids},
            "teams": {team: block(c) for team, c in sorted(self.by_team.items())},
            "not_assessable": self._not_assessable(),
            "short_breaks": {"cases": self.short_break_cases,
                             "periods": self.short_break_periods},
        }

    def _not_assessable(self) -> dict[str, Any]:
        """Rule -> the source and reason it could not be assessed, and for how many cases; a
        sweep mixing sources (or SSD extracts with different tables) lists the rest in
        ``also``."""
        out: dict[str, Any] = {}
        for (rule, source, reason), n in sorted(self.not_assessable.items(),
                                                key=lambda kv: (kv[0][0], -kv[1], kv[0])):
            entry = {"source": source, "reason": reason, "cases": n}
            if rule in out:
                out[rule].setdefault("also", []).append(entry)
            else:
                out[rule] = entry
        return out


def sweep(input_path: Path, out_dir: Path, ruleset: RuleSet, as_of: date, workers: int = 1,
          progress: Callable[[int, int], None] | None = None,
          sink: Callable[[Evaluated], None] | None = None, *,
          serialise: Serialiser,
          records: Iterable[RawRecord] | None = None,
          incremental: str | None = None) -> dict[str, Any]:
    """Write ``findings.jsonl`` and ``summary.json`` to ``out_dir``; return the summary.

    ``sink``, if given, receives every item as it is written (e.g. ``history.RunRecorder.add``).
    The folder is locked for the sweep, so a second sweep into it fails at once; both files are
    written aside and put in place only when the sweep has finished, so a failed or killed
    sweep leaves the previous results as they were (``OutputError`` says why it failed).
    ``records``, if given, are swept instead of reading ``input_path`` (an adapter's output,
    streamed straight in; ``input_path`` then only names the input in the summary).
    ``incremental``, if given, is the scope (``incremental.scope_of``) of an incremental sweep:
    records seen unchanged in the folder's last sweep of that scope, whose findings cannot have
    changed by tonight, are carried over instead of evaluated (``engine.batch.incremental``).
    """
    with _locked(out_dir):
        findings_path = out_dir / "findings.jsonl"
        summary_path = out_dir / "summary.json"
        partial = [findings_path.with_name("findings.jsonl.partial"),
                   summary_path.with_name("summary.json.partial")]
        state = None
        try:
            if incremental is not None:
                state = IncrementalState(out_dir / STATE_FILE, incremental, as_of,
                                         ruleset.calendar)
            data = _write(input_path, partial, ruleset, as_of, workers, progress, sink,
                          serialise, records, state)
            partial[0].replace(findings_path)
            partial[1].replace(summary_path)
            if state is not None:
                data["incremental"] = {"carried": state.carried, "evaluated": state.evaluated}
                state.commit()
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(f"{out_dir}: cannot write the results "
                              f"({getattr(exc, 'strerror', None) or exc})") from None
        finally:
            if state is not None:
                state.close()
            for path in partial:
                path.unlink(missing_ok=True)
    return data


def _carrying(records: Iterable[RawRecord], state: IncrementalState
              ) -> Iterator[RawRecord | Evaluated]:
    """The records, each unchanged one whose findings cannot have changed replaced by its
    carried-over result (hashing the bytes; nothing parsed)."""
    for batch in _batches(records, BATCH):
        shas = [record_hash(raw.data) if raw.problem is None else b"" for raw in batch]
        carried = state.carry(shas, [raw.source for raw in batch])
        for raw, kept in zip(batch, carried, strict=True):
            if kept is None:
                yield raw
            else:
                yield Evaluated.from_meta(kept.line, kept.meta)


def _write(input_path: Path, partial: list[Path], ruleset: RuleSet, as_of: date, workers: int,
           progress: Callable[[int, int], None] | None,
           sink: Callable[[Evaluated], None] | None, serialise: Serialiser,
           records: Iterable[RawRecord] | None,
           state: IncrementalState | None = None) -> dict[str, Any]:
    summary = SweepSummary(as_of, ruleset.profile, str(input_path))
    listing = Listing()
    seen: set[str] = set()
    lines = 0
    spool = (partial[0].with_name(f".casecheck-spool-{os.getpid()}") if workers > 1 else None)
    try:
        if spool is not None:
            spool.mkdir(exist_ok=True)
        with partial[0].open("wb") as fh:
            out = _Output(fh.fileno())
            try:
                counted = _CountingReader(iter(records) if records is not None
                                          else read_records(input_path, listing))
                stream: Iterable[RawRecord | Evaluated] = (counted if state is None
                                                           else _carrying(counted, state))
                for item in _evaluate_stream(stream, ruleset, as_of, workers, serialise,
                                             state is not None, spool):
                    repeated = item.case_id is not None and item.case_id in seen
                    if item.spooled is not None and (repeated or sink is not None):
                        item.line, item.spooled = out.read(item.spooled), None
                    if state is not None and item.template is not None and item.sha is not None:
                        state.store(item.sha, item.next_change, item.template, item.meta())
                    if repeated:
                        item = _duplicate(item, as_of, ruleset.profile, serialise)
                    elif item.case_id is not None:
                        seen.add(item.case_id)
                    if item.spooled is not None:
                        out.copy(item.spooled)
                    else:
                        out.write(item.line)
                    lines += 1
                    summary.add(item)
                    if sink is not None:
                        sink(item)
                    if progress is not None and summary.read % BATCH == 0:
                        progress(summary.read, counted.bytes)
            finally:
                out.close()
            os.fsync(fh.fileno())
    finally:
        if spool is not None:
            shutil.rmtree(spool, ignore_errors=True)
    summary.files_read, summary.skipped = listing.files_read, listing.skipped
    data = summary.as_dict([m.id for _, m in ruleset.rules])
    data["findings_lines"] = lines  # findings.jsonl and this summary belong together
    # each rule's title and source once: met findings in findings.jsonl do not repeat them
    data["rule_texts"] = {m.id: {"title": m.title, "source": m.source} for _, m in ruleset.rules}
    with partial[1].open("wb") as out:
        out.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
        out.flush()
        os.fsync(out.fileno())
    if progress is not None:
        progress(summary.read, counted.bytes)
    return data


@contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """An exclusive lock on the output folder for the length of one sweep."""
    with ExitStack() as stack:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            stack.enter_context(held(out_dir / ".casecheck.lock"))
        except Busy:
            raise OutputError(f"{out_dir}: another sweep is writing to this folder") from None
        except FileExistsError:
            raise OutputError(f"{out_dir}: exists and is not a folder") from None
        except OSError as exc:
            raise OutputError(f"{out_dir}: cannot use as the output folder "
                              f"({exc.strerror or type(exc).__name__})") from None
        yield


def _duplicate(item: Evaluated, as_of: date, profile: str,
               serialise: Serialiser) -> Evaluated:
    source = orjson.loads(item.line).get("source")
    result = CaseResult(item.case_id, as_of, profile, source=source, errors=[Problem(
        f"duplicate case_id {item.case_id!r}: already seen earlier in this sweep",
        pointer="/case_id", source=source, expected="a case_id unique within one sweep")])
    return Evaluated(item.case_id, serialise(result), [], False, True, 0, None)


class _CountingReader:
    """Passes records through, counting the input bytes read so far (for progress)."""

    def __init__(self, records: Iterator[RawRecord]) -> None:
        self.records = records
        self.bytes = 0

    def __iter__(self) -> Iterator[RawRecord]:
        for raw in self.records:
            self.bytes += len(raw.data)
            yield raw


def input_size(path: Path) -> int:
    """Bytes of input a sweep will read: the file, or the record files in a folder."""
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.iterdir()
                       if p.suffix.lower() in (".json", ".jsonl", ".ndjson")
                       and p.is_file() and not p.is_symlink())
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0  # only the progress bar needs it


class TerminalProgress:
    """A progress bar on stderr, only when stderr is a terminal (never in logs or pipes)."""

    WIDTH = 30

    def __init__(self, total_bytes: int, stream: Any = None) -> None:
        self.total = total_bytes
        self.stream = stream or sys.stderr
        self.active = self.stream.isatty()

    def __call__(self, records: int, done_bytes: int) -> None:
        if not self.active:
            return
        share = min(done_bytes / self.total, 1.0) if self.total else 1.0
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {share:4.0%}  {records:,} records")
        self.stream.flush()
