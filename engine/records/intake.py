"""Read case records and validate them, turning every failure into a ``Problem`` with a JSON
pointer, what was expected and, only for short non-text values such as dates, the value.

Nothing here logs or returns record contents: errors carry ids and pointers.  Reading streams:
a ``.jsonl`` file is read a line at a time and a folder a file at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from engine.records.models import EVENT_TYPES, FORMAT, parse_record
from engine.records.problems import Problem


@dataclass(slots=True)
class RawRecord:
    """Bytes of one record and where they came from (``file`` or ``file:line``)."""

    source: str
    data: bytes


@dataclass(slots=True)
class Intake:
    source: str
    case_id: str | None
    record: dict[str, Any] | None
    errors: list[Problem]
    warnings: list[Problem]


class InputError(ValueError):
    """The input path itself cannot be read (not a record-level problem)."""


def read_records(path: Path) -> Iterator[RawRecord]:
    """A folder of ``*.json`` (one case each, sorted by name), a ``.jsonl`` file, or one file."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".json" and p.is_file())
        for f in files:
            yield RawRecord(str(f), _read_bytes(f))
        for f in sorted(p for p in path.iterdir() if p.suffix == ".jsonl" and p.is_file()):
            yield from _read_jsonl(f)
        return
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.suffix == ".jsonl":
        yield from _read_jsonl(path)
    else:
        yield RawRecord(str(path), _read_bytes(path))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def _read_jsonl(path: Path) -> Iterator[RawRecord]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    with fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                yield RawRecord(f"{path}:{n}", line)


_EXPECTED = {
    "date_parsing": "a date YYYY-MM-DD",
    "date_type": "a date YYYY-MM-DD",
    "date_from_datetime_inexact": "a date YYYY-MM-DD",
    "date_from_datetime_parsing": "a date YYYY-MM-DD",
    "datetime_parsing": "a date-time YYYY-MM-DDTHH:MM[:SS]",
    "datetime_type": "a date-time YYYY-MM-DDTHH:MM[:SS]",
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
# Error types whose offending value is safe to echo (dates, codes, booleans): never free text.
_SHOW_VALUE = {"date_parsing", "datetime_parsing", "date_type", "datetime_type", "literal_error",
               "bool_parsing", "bool_type", "date_from_datetime_inexact",
               "date_from_datetime_parsing", "int_type"}
_DATE_UNION = {"date", "datetime"}
_CODE_LIKE = re.compile(r"^[\w:+\-./]*$")


def _pointer(loc: tuple[Any, ...]) -> tuple[str, bool]:
    """JSON pointer for a pydantic location; strips union and event-type tags.
    Returns (pointer, is_date_union)."""
    parts = list(loc)
    if len(parts) >= 3 and parts[0] == "events" and isinstance(parts[1], int):
        del parts[2]  # the discriminator tag
    union = False
    if parts and parts[-1] in _DATE_UNION and len(parts) > 1 and isinstance(parts[-2], str):
        union = True
        parts = parts[:-1]
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return ("/" + "/".join(escaped) if escaped else ""), union


def validation_problems(exc: ValidationError, source: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        kind = err["type"]
        pointer, union = _pointer(err["loc"])
        if pointer in seen:
            continue
        seen.add(pointer)
        expected = _EXPECTED.get(kind, err["msg"])
        if union:
            expected = "a date YYYY-MM-DD or a date-time YYYY-MM-DDTHH:MM[:SS]"
        if kind == "literal_error":
            expected = err["msg"].replace("Input should be ", "one of ")
        value = err.get("input")
        shown: str | None = None
        if kind in _SHOW_VALUE and isinstance(value, (str, bool, int, float)):
            text = value if isinstance(value, str) else orjson.dumps(value).decode()
            # only short, code-like values (dates, enum codes): never anything like free text
            if len(text) <= 25 and _CODE_LIKE.match(text):
                shown = text
        if pointer == "/format" and kind == "literal_error":
            message = f"unknown format; expected {FORMAT!r}"
            expected = FORMAT
        elif kind == "json_invalid":
            message = f"not valid JSON ({err['msg']})"
            expected = "a JSON object"
        elif kind == "missing":
            message = f"required field {pointer or '/'} is missing"
        else:
            message = f"invalid value at {pointer or '/'}: expected {expected}"
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


def unknown_type_warnings(record: dict[str, Any], source: str,
                          known: frozenset[str] = EVENT_TYPES) -> list[Problem]:
    """Each unknown event type once: the event is kept, no rule can use it."""
    seen: set[str] = set()
    out: list[Problem] = []
    for i, ev in enumerate(record["events"]):
        kind = ev["type"]
        if kind not in known and kind not in seen:
            seen.add(kind)
            out.append(Problem(f"unknown event type {kind!r} (kept; no rule uses it)",
                               pointer=f"/events/{i}/type", source=source))
    return out


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


def validate(raw: RawRecord, known_events: frozenset[str] = EVENT_TYPES) -> Intake:
    try:
        record = parse_record(raw.data)
    except ValidationError as exc:
        return Intake(raw.source, _case_id_of(raw.data), None,
                      validation_problems(exc, raw.source), [])
    problems = integrity_problems(record, raw.source)
    if problems:
        return Intake(raw.source, record["case_id"], None, problems, [])
    return Intake(raw.source, record["case_id"], record, [],
                  unknown_type_warnings(record, raw.source, known_events)
                  + dangling_ref_warnings(record, raw.source))
