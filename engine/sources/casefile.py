"""Assembling one child's case record, and writing records as JSONL.

Sub-records in some extracts carry no ids (the CIN census, the SSDA903 return), so ids are
made here from the kind of item and its date, with a counter for a second item of the same
kind on the same day.  That keeps ids stable between imports of the same data, which lets a
finding's evidence ("anchor sd-2024-01-08") be traced back to the extract.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import orjson

FORMAT = "casecheck/case-record@1"

Supplies = dict[str, dict[str, frozenset[str]] | frozenset[str]]


def supplies_json(supplies: Supplies) -> dict[str, Any]:
    """The declaration as JSON: sets become sorted lists."""
    out: dict[str, Any] = {}
    for key, value in supplies.items():
        if isinstance(value, dict):
            out[key] = {name: sorted(fields) for name, fields in sorted(value.items())}
        else:
            out[key] = sorted(value)
    return out


class CaseBuilder:
    """Collects one child's items; ``record()`` returns the plain case-record dict."""

    def __init__(self, case_id: str, child_id: str) -> None:
        self.case_id = case_id
        self.child: dict[str, Any] = {"id": child_id}
        self.allocation: dict[str, str] = {}
        self.episodes: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self._ids: set[str] = set()

    def new_id(self, prefix: str, key: str) -> str:
        """``prefix-key``, or ``prefix-key-2`` (3, ...) when taken."""
        base = f"{prefix}-{key}"
        candidate, n = base, 1
        while candidate in self._ids:
            n += 1
            candidate = f"{base}-{n}"
        self._ids.add(candidate)
        return candidate

    def has_id(self, item_id: str) -> bool:
        return item_id in self._ids

    def episode(self, prefix: str, key: str, kind: str, start: str, end: str | None, /,
                **fields: Any) -> dict[str, Any]:
        item = {"id": self.new_id(prefix, key), "type": kind, "start": start, "end": end}
        item.update({k: v for k, v in fields.items() if v is not None})
        self.episodes.append(item)
        return item

    def event(self, prefix: str, key: str, kind: str, when: str, /, **fields: Any
              ) -> dict[str, Any]:
        item = {"id": self.new_id(prefix, key), "type": kind, "date": when}
        item.update({k: v for k, v in fields.items() if v is not None})
        self.events.append(item)
        return item

    def record(self, source: str, supplies: Supplies, extracted: str | None = None
               ) -> dict[str, Any]:
        meta: dict[str, Any] = {"format": source}
        if extracted:
            meta["extracted"] = extracted
        meta["supplies"] = supplies_json(supplies)
        out: dict[str, Any] = {"format": FORMAT, "case_id": self.case_id, "child": self.child}
        if self.allocation:
            out["allocation"] = dict(self.allocation)
        out["episodes"] = sorted(self.episodes, key=lambda e: (e["start"], e["id"]))
        out["events"] = sorted(self.events, key=lambda e: (e["date"], e["id"]))
        out["source"] = meta
        return out


def write_jsonl(records: Iterable[dict[str, Any]], out: Path | IO[bytes]) -> int:
    """Write one record per line; returns how many.  Accepts a path or a binary stream."""
    if isinstance(out, Path):
        with out.open("wb") as fh:
            return write_jsonl(records, fh)
    n = 0
    for record in records:
        out.write(orjson.dumps(record) + b"\n")
        n += 1
    return n
