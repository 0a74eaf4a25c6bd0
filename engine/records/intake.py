"""Read case records and validate them, turning every failure into a ``Problem`` with a JSON
pointer, what was expected and, only for short non-text values such as dates, the value.

Nothing here logs or returns record contents: errors carry ids and pointers.  Reading streams:
a ``.jsonl`` file is read a line at a time and a folder a file at a time.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from engine.records.caseview import instant, local_day
from engine.records.models import EVENT_DATE_FIELDS, EVENT_TYPES, FORMAT, validate_json
from engine.records.problems import Problem


@dataclass(slots=True)
class RawRecord:
    """Bytes of one record and where they came from (``file`` or ``file:line``); or, for a file
    that could not be read, the problem instead of bytes."""

    source: str
    data: bytes
    problem: Problem | None = None


@dataclass(slots=True)
class Intake:
    source: str
    case_id: str | None
    record: dict[str, Any] | None
    errors: list[Problem]
    warnings: list[Problem]


class InputError(ValueError):
    """The input path itself cannot be read (not a record-level problem)."""


@dataclass(slots=True)
class Listing:
    """What a folder held: the files read and every entry skipped, with the reason, so that
    ``files_read + len(skipped)`` is the number of entries in the folder."""

    files_read: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)

    def skip(self, entry: str, reason: str) -> None:
        self.skipped.append({"entry": entry, "reason": reason})


ONE_RECORD_SUFFIXES = frozenset({".json"})
LINE_SUFFIXES = frozenset({".jsonl", ".ndjson"})


def read_records(path: Path, listing: Listing | None = None) -> Iterator[RawRecord]:
    """A folder (its ``.json`` files, one case each, and ``.jsonl``/``.ndjson`` files, one case
    a line, any letter case, sorted by name), or one such file.

    Nothing in a folder is passed over silently: sub-folders, links, special files and other
    names are recorded in ``listing`` with the reason; a file that cannot be read becomes one
    record carrying the problem, and the rest are read.
    """
    listing = listing if listing is not None else Listing()
    if path.is_dir() and not path.is_symlink():
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError as exc:
            raise InputError(f"{path}: cannot list the folder ({exc.strerror})") from None
        for entry in entries:
            reason = _skip_reason(entry)
            if reason is not None:
                listing.skip(entry.name, reason)
                continue
            listing.files_read += 1
            yield from _read_file(Path(entry.path))
        return
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or folder") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise InputError(f"{path}: not a regular file or folder")
    listing.files_read += 1
    yield from _read_file(path)


def _skip_reason(entry: os.DirEntry[str]) -> str | None:
    try:
        if entry.is_symlink():
            return ("a broken link" if not os.path.exists(entry.path)
                    else "a link (links are not followed)")
        if entry.is_dir(follow_symlinks=False):
            return "a sub-folder (sub-folders are not searched)"
        if not entry.is_file(follow_symlinks=False):
            return "not a regular file (a pipe, socket or device)"
    except OSError as exc:
        return f"cannot be inspected ({exc.strerror})"
    suffix = Path(entry.name).suffix.lower()
    if suffix not in ONE_RECORD_SUFFIXES and suffix not in LINE_SUFFIXES:
        return "not a .json, .jsonl or .ndjson file"
    return None


def _read_file(path: Path) -> Iterator[RawRecord]:
    if path.suffix.lower() in LINE_SUFFIXES:
        yield from _read_lines(path)
        return
    try:
        yield RawRecord(str(path), path.read_bytes())
    except OSError as exc:
        yield _unreadable(str(path), exc)


def _unreadable(source: str, exc: OSError) -> RawRecord:
    return RawRecord(source, b"", Problem(
        f"cannot read the file ({exc.strerror or type(exc).__name__})", source=source,
        expected="a readable file"))


def _read_lines(path: Path) -> Iterator[RawRecord]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield _unreadable(str(path), exc)
        return
    with fh:
        n = 0
        try:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    yield RawRecord(f"{path}:{n}", line)
        except OSError as exc:
            yield _unreadable(f"{path}:{n + 1}", exc)


_DATE = "a date YYYY-MM-DD (years 1900-2099)"
_DATE_OR_TIME = ("a date YYYY-MM-DD or a date-time YYYY-MM-DDTHH:MM[:SS][offset] "
                 "(years 1900-2099)")
_EXPECTED = {
    "date_form": _DATE,
    "date_or_datetime_form": _DATE_OR_TIME,
    "date_parsing": _DATE,
    "date_type": _DATE,
    "datetime_parsing": _DATE_OR_TIME,
    "datetime_type": _DATE_OR_TIME,
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "missing": "a value (required field is missing)",
    "literal_error": "one of the allowed values",
}


def shape(value: Any) -> str:
    """What a bad value looks like, never what it says: errors leave the team, and a value
    in the wrong field may be a name (docs/decisions/0005-hostile-input.md)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        if not value:
            return "an empty string"
        if not value.strip():
            return f"a string of {len(value)} blank character{'s' if len(value) > 1 else ''}"
        digits = " of digits" if value.isdigit() else ""
        article = "an" if str(len(value))[0] == "8" or len(value) in (11, 18) else "a"
        return f"{article} {len(value)}-character string{digits}"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return "an object"
    return "a value of another kind"


_DATE_LIKE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[T ]\d{1,2}:\d{2}[\d:.]*"
                        r"(?:Z|[+-]\d{2}:?\d{2})?)?")


def _safe_echo(value: Any) -> str | None:
    """A value that may be shown as it is: only one with the form of a date or date-time
    (digits and separators, e.g. ``2024-02-30`` or ``31/01/2024``), which is what a person
    needs to find and fix, and which cannot be a name.  Everything else is described by shape.
    """
    if isinstance(value, str) and len(value) <= 32 and _DATE_LIKE.fullmatch(value):
        return value
    return None


def _pointer(loc: tuple[Any, ...]) -> str:
    """JSON pointer for a pydantic location; strips union and event-type tags."""
    parts = list(loc)
    if len(parts) >= 3 and parts[0] == "events" and isinstance(parts[1], int):
        del parts[2]  # the discriminator tag
    parts = [p for p in parts if not (isinstance(p, str) and p.startswith("function-"))]
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "/" + "/".join(escaped) if escaped else ""


def validation_problems(exc: ValidationError, source: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        kind = err["type"]
        pointer = _pointer(err["loc"])
        if pointer in seen:
            continue
        seen.add(pointer)
        expected = _EXPECTED.get(kind, err["msg"])
        if kind == "literal_error":
            expected = err["msg"].replace("Input should be ", "one of ")
        value = err.get("input")
        shown = _safe_echo(value)
        if pointer == "/format" and kind == "literal_error":
            message = f"unknown format; expected {FORMAT!r}"
            expected = FORMAT
        elif kind == "json_invalid":
            message = f"not valid JSON ({err['msg']})"
            expected = "a JSON object"
        elif kind == "missing":
            message = f"required field {pointer or '/'} is missing"
        else:
            got = "" if shown is not None else f" (got {shape(value)})"
            message = f"invalid value at {pointer or '/'}: expected {expected}{got}"
        problems.append(Problem(message, pointer=pointer, source=source, expected=expected,
                                value=shown))
    return problems


def _case_id_of(data: bytes) -> str | None:
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if isinstance(obj, dict) and isinstance(obj.get("case_id"), str):
        return obj["case_id"]
    return None


def integrity_problems(record: dict[str, Any], source: str) -> list[Problem]:
    """What the schema cannot say: unique ids, episodes that end before they start."""
    problems: list[Problem] = []
    first: dict[str, str] = {}
    for kind in ("episodes", "events"):
        for i, item in enumerate(record[kind]):
            pointer = f"/{kind}/{i}/id"
            item_id = item["id"]
            if item_id in first:
                problems.append(Problem(
                    f"duplicate id {item_id!r} (first at {first[item_id]})", pointer=pointer,
                    source=source, expected="an id unique within the case"))
            else:
                first[item_id] = pointer
    for i, ep in enumerate(record["episodes"]):
        end = ep.get("end")
        if end is not None and end < ep["start"]:
            problems.append(Problem("episode ends before it starts", pointer=f"/episodes/{i}/end",
                                    source=source, expected="an end on or after the start",
                                    value=end.isoformat()))
    return problems


def type_tag(kind: str) -> str:
    """A short stable hash standing for an unknown event type's text, which is free text from
    the extract and may say anything."""
    return "type#" + hashlib.sha256(kind.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def unknown_type_warnings(record: dict[str, Any], source: str,
                          known: frozenset[str] = EVENT_TYPES) -> list[Problem]:
    """Each unknown event type once, by count and hash: the events are kept, no rule uses
    them."""
    counts: dict[str, list[int]] = {}
    for i, ev in enumerate(record["events"]):
        kind = ev["type"]
        if kind not in known:
            counts.setdefault(kind, []).append(i)
    out: list[Problem] = []
    for kind, places in counts.items():
        n = len(places)
        out.append(Problem(
            f"{n} event{'s' if n > 1 else ''} of an unknown type ({type_tag(kind)}, "
            f"{len(kind)} characters) kept; no rule uses {'them' if n > 1 else 'it'}",
            pointer=f"/events/{places[0]}/type", source=source))
    return out


# Types whose own later-date fields (beyond ``completed``, which every event may have) are
# compared with the event's date.
_LATER_FIELDS: dict[str, tuple[str, ...]] = {
    kind: tuple(sorted(fields & {"decision_date", "end"}))
    for kind, fields in EVENT_DATE_FIELDS.items() if fields & {"decision_date", "end"}
}


def order_warnings(record: dict[str, Any], source: str) -> list[Problem]:
    """Dates an event says happened before the event itself: kept, but they satisfy nothing
    (a target dated before its anchor never counts), and the record is told so."""
    out: list[Problem] = []
    for i, ev in enumerate(record["events"]):
        later = _LATER_FIELDS.get(ev["type"], ())
        completed = ev.get("completed")
        if completed is None and not later:
            continue
        for name in ("completed", *later) if completed is not None else later:
            value = ev.get(name)
            if isinstance(value, date) and _before(value, ev["date"]):
                out.append(Problem(f"{name} is before the event's own date; it satisfies "
                                   "nothing", pointer=f"/events/{i}/{name}", source=source,
                                   expected=f"a {name} on or after the event's date"))
    return out


def _before(a: date | datetime, b: date | datetime) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return instant(a) < instant(b)  # type: ignore[operator]
    return local_day(a) < local_day(b)


def _keys_in(value: Any) -> int:
    if isinstance(value, dict):
        return len(value) + sum(_keys_in(v) for v in value.values())
    if isinstance(value, list):
        return sum(_keys_in(v) for v in value)
    return 0


def _known_keys(record: dict[str, Any]) -> int:
    """Keys in the parts of a record that can hold objects, counted without a deep walk."""
    n = len(record)
    for part in ("child", "allocation", "source"):
        value = record.get(part)
        if isinstance(value, dict):
            n += len(value)
    for ev in record.get("events", ()):
        n += len(ev)
    for ep in record.get("episodes", ()):
        n += len(ep)
        household = ep.get("household")
        if isinstance(household, list):
            n += sum(len(m) for m in household if isinstance(m, dict))
    return n


def dangling_ref_warnings(record: dict[str, Any], source: str) -> list[Problem]:
    """Each event whose ``ref`` names an id not in the record (Ruling 2): the ref is ignored and
    the event is matched by date, so say so, naming the id (ids carry no content)."""
    ids = {item["id"] for kind in ("episodes", "events") for item in record[kind]}
    out: list[Problem] = []
    for i, ev in enumerate(record["events"]):
        ref = ev.get("ref")
        if ref is not None and ref not in ids:
            out.append(Problem(f"ref {ref!r} names no event or episode in the record (ignored)",
                               pointer=f"/events/{i}/ref", source=source,
                               expected="the id of an event or episode in the record"))
    return out


def duplicate_key_problems(data: bytes, record: dict[str, Any],
                           source: str) -> list[Problem]:
    """JSON parsers keep the last of two equal keys; the format says a key appears once.

    Cheap check first: every key in the text ends in a quote and a colon, so when the text has
    no more of those than the parsed record has keys, no key was repeated.  Otherwise (a repeat,
    or a quote and colon inside a string) the record is counted deeply and then, only if still
    in doubt, parsed again slowly to say where.
    """
    in_text = data.count(b'":') + data.count(b'" :')
    if in_text <= _known_keys(record) or in_text <= _keys_in(record):
        return []
    found: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                found.append(key)
            seen.add(key)
        return dict(items)

    try:
        json.loads(data, object_pairs_hook=pairs)
    except ValueError:
        return []
    return [Problem(f"a key appears twice in one object ({len(found)} time"
                    f"{'s' if len(found) > 1 else ''}); which value is meant cannot be known",
                    pointer=_find_duplicate(data), source=source,
                    expected="each key once per object")] if found else []


def _find_duplicate(data: bytes) -> str:
    """The JSON pointer of the first object holding a repeated key."""
    path: list[str] = []

    def walk(value: Any, where: list[str]) -> str | None:
        if isinstance(value, _Pairs):
            keys = [k for k, _ in value.items]
            if len(set(keys)) < len(keys):
                return "/" + "/".join(where) if where else ""
            for k, v in value.items:
                hit = walk(v, [*where, k.replace("~", "~0").replace("/", "~1")])
                if hit is not None:
                    return hit
        elif isinstance(value, list):
            for i, v in enumerate(value):
                hit = walk(v, [*where, str(i)])
                if hit is not None:
                    return hit
        return None

    tree = json.loads(data, object_pairs_hook=_Pairs)
    return walk(tree, path) or ""


class _Pairs:
    __slots__ = ("items",)

    def __init__(self, items: list[tuple[str, Any]]) -> None:
        self.items = items


def validate(raw: RawRecord, known_events: frozenset[str] = EVENT_TYPES) -> Intake:
    if raw.problem is not None:
        return Intake(raw.source, None, None, [raw.problem], [])
    try:
        record = validate_json(raw.data)
    except ValidationError as exc:
        return Intake(raw.source, _case_id_of(raw.data), None,
                      validation_problems(exc, raw.source), [])
    problems = duplicate_key_problems(raw.data, record, raw.source)
    record.setdefault("events", [])
    record.setdefault("episodes", [])
    found, warnings = record_checks(record, raw.source, known_events)
    problems += found
    if problems:
        return Intake(raw.source, record["case_id"], None, problems, [])
    return Intake(raw.source, record["case_id"], record, [], warnings)


def record_checks(record: dict[str, Any], source: str, known: frozenset[str] = EVENT_TYPES
                  ) -> tuple[list[Problem], list[Problem]]:
    """``integrity_problems``, then ``unknown_type_warnings`` + ``order_warnings`` +
    ``dangling_ref_warnings``, in one pass over the events (the same problems, in the same
    order; the warnings only when there are no problems)."""
    problems: list[Problem] = []
    first: dict[str, tuple[str, int]] = {}
    episodes, events = record["episodes"], record["events"]
    for kind, items in (("episodes", episodes), ("events", events)):
        for i, item in enumerate(items):
            item_id = item["id"]
            if item_id in first:
                where = first[item_id]
                problems.append(Problem(
                    f"duplicate id {item_id!r} (first at /{where[0]}/{where[1]}/id)",
                    pointer=f"/{kind}/{i}/id", source=source,
                    expected="an id unique within the case"))
            else:
                first[item_id] = (kind, i)
    for i, ep in enumerate(episodes):
        end = ep.get("end")
        if end is not None and end < ep["start"]:
            problems.append(Problem("episode ends before it starts", pointer=f"/episodes/{i}/end",
                                    source=source, expected="an end on or after the start",
                                    value=end.isoformat()))
    if problems:
        return problems, []
    unknown = False
    order: list[Problem] = []
    dangling: list[Problem] = []
    later_fields = _LATER_FIELDS
    for i, ev in enumerate(events):
        kind = ev["type"]
        if kind not in known:
            unknown = True
        later = later_fields.get(kind, ())
        completed = ev.get("completed")
        if completed is not None or later:
            for name in ("completed", *later) if completed is not None else later:
                value = ev.get(name)
                if isinstance(value, date) and _before(value, ev["date"]):
                    order.append(Problem(
                        f"{name} is before the event's own date; it satisfies nothing",
                        pointer=f"/events/{i}/{name}", source=source,
                        expected=f"a {name} on or after the event's date"))
        ref = ev.get("ref")
        if ref is not None and ref not in first:
            dangling.append(Problem(
                f"ref {ref!r} names no event or episode in the record (ignored)",
                pointer=f"/events/{i}/ref", source=source,
                expected="the id of an event or episode in the record"))
    warnings = unknown_type_warnings(record, source, known) if unknown else []
    return problems, warnings + order + dangling
