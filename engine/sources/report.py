"""The import report: what happened to every row of every file.

An import never stops at a bad row and never drops one silently: each row read is either used
or rejected with its location and a reason.  Reasons describe a cell's *shape* ("a 5-digit
number"), never its value, because the cells are children's records.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


class SourceError(ValueError):
    """An extract that cannot be read at all (missing file or column, refused XML).

    Messages name files and columns, never cell contents."""


@dataclass(slots=True)
class FileCounts:
    read: int = 0
    used: int = 0
    rejected: int = 0


@dataclass(slots=True)
class Rejection:
    where: str  # "file:line" (or "file:element path" for XML)
    reason: str


@dataclass
class ImportReport:
    """Counts per file, rejections with locations, children found and normalisations."""

    source: str
    files: dict[str, FileCounts] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    children: int = 0
    records: int = 0
    orphan_rows: int = 0  # rows naming a child the source's list of children lacks
    normalisations: Counter[str] = field(default_factory=Counter)
    warnings: list[Rejection] = field(default_factory=list)  # row used, one cell dropped
    notes: list[str] = field(default_factory=list)

    def _file(self, name: str) -> FileCounts:
        return self.files.setdefault(name, FileCounts())

    def touch(self, file: str) -> None:
        """List a file even if it has no rows."""
        self._file(file)

    def read(self, file: str) -> None:
        self._file(file).read += 1

    def used(self, file: str) -> None:
        self._file(file).used += 1

    def reject(self, file: str, where: str, reason: str, *, orphan: bool = False) -> None:
        """Count a row as rejected; ``where`` is its line or element path within ``file``."""
        self._file(file).rejected += 1
        self.rejections.append(Rejection(f"{file}:{where}", reason))
        if orphan:
            self.orphan_rows += 1

    def warn(self, file: str, where: str, reason: str) -> None:
        """A row that was used although one of its cells was not (the cell becomes null)."""
        self.warnings.append(Rejection(f"{file}:{where}", reason))

    def normalised(self, kind: str, n: int = 1) -> None:
        self.normalisations[kind] += n

    @property
    def rows_read(self) -> int:
        return sum(c.read for c in self.files.values())

    @property
    def rows_used(self) -> int:
        return sum(c.used for c in self.files.values())

    @property
    def rows_rejected(self) -> int:
        return sum(c.rejected for c in self.files.values())

    def balanced(self) -> bool:
        """Every row accounted for: read = used + rejected, in every file."""
        return all(c.read == c.used + c.rejected for c in self.files.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "children": self.children,
            "records": self.records,
            "rows": {"read": self.rows_read, "used": self.rows_used,
                     "rejected": self.rows_rejected},
            "files": {name: {"read": c.read, "used": c.used, "rejected": c.rejected}
                      for name, c in sorted(self.files.items())},
            "rows_for_unknown_children": self.orphan_rows,
            "rejections": [{"where": r.where, "reason": r.reason} for r in self.rejections],
            "cells_dropped": [{"where": w.where, "reason": w.reason} for w in self.warnings],
            "normalisations": dict(sorted(self.normalisations.items())),
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        """One line for the terminal: counts only, no contents."""
        return (f"{self.source}: {self.records} case records from {self.children} children; "
                f"{self.rows_read} rows read, {self.rows_used} used, "
                f"{self.rows_rejected} rejected ({self.orphan_rows} for unknown children); "
                f"{sum(self.normalisations.values())} values normalised")


_DIGITS = re.compile(r"\d+")
_DATE_LIKE = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}")


def shape(value: str) -> str:
    """Describe a cell without repeating it, e.g. "a 5-digit number" or "blank"."""
    text = value.strip()
    if not text:
        return "blank"
    if _DIGITS.fullmatch(text):
        return f"a {len(text)}-digit number"
    if _DATE_LIKE.fullmatch(text):
        parts = re.split(r"[/.-]", text)
        sep = next(ch for ch in text if ch in "/.-")
        pattern = sep.join("y" * len(p) if len(p) == 4 else "n" * len(p) for p in parts)
        return f"a date-like value shaped {pattern}"
    if text.isalpha():
        return f"{len(text)} letter{'s' if len(text) != 1 else ''}"
    return f"text of {len(text)} characters"
