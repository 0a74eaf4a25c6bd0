"""Reading CSV extracts: encodings, headers, line numbers and exact duplicates.

Extracts saved from Excel on Windows are often cp1252 rather than UTF-8; we try UTF-8 (with or
without a byte-order mark) first, fall back to cp1252 and count it.  A missing file or column
stops the import with a message naming it and the nearest match, because nothing sensible can be
produced without it; a bad row never stops the import.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from .report import ImportReport, SourceError

ENCODING_FALLBACK = "file decoded as cp1252 (not UTF-8)"

Row = tuple[str, dict[str, str]]  # (line number as text, cells by column)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or ``""``: header and file names only, never cell values."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {lowered[match[0]]!r}?)" if match else ""


def find_file(folder: Path, name: str) -> Path:
    """``folder/name``, matched without regard to case; else a SourceError with a suggestion."""
    if not folder.is_dir():
        raise SourceError(f"{folder.name}: not a folder of CSV files")
    exact = folder / name
    if exact.is_file():
        return exact
    names = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    if name.lower() in names:
        return names[name.lower()]
    raise SourceError(f"{name}: file not found in {folder.name}{did_you_mean(name, names)}")


def decode(path: Path, report: ImportReport) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.normalised(ENCODING_FALLBACK)
        report.notes.append(f"{path.name}: not UTF-8; read as cp1252")
        return data.decode("cp1252", errors="replace")


def check_columns(file: str, header: Sequence[str], required: Sequence[str]) -> None:
    present = set(header)
    for column in required:
        if column not in present:
            raise SourceError(f"{file}: column {column!r} is missing"
                              f"{did_you_mean(column, header)}")


def read_csv(path: Path, required: Sequence[str], report: ImportReport) -> Iterator[Row]:
    """Rows of ``path`` with the line each starts on.  Rows with the wrong number of cells and
    exact duplicates of an earlier row are rejected here; the caller uses or rejects the rest."""
    file = path.name
    text = decode(path, report)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise SourceError(f"{file}: the file is empty (no header row)") from None
    check_columns(file, header, required)
    report.touch(file)
    seen: dict[bytes, str] = {}
    line = reader.line_num + 1
    for cells in reader:
        start, line = str(line), reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue  # a blank line is not a row
        report.read(file)
        if len(cells) != len(header):
            report.reject(file, start, f"{len(cells)} cells where the header has {len(header)}")
            continue
        digest = hashlib.blake2b("\x1f".join(c.strip() for c in cells).encode(),
                                 digest_size=16).digest()
        if digest in seen:
            report.reject(file, start, f"exact duplicate of line {seen[digest]}")
            continue
        seen[digest] = start
        yield start, dict(zip(header, cells, strict=True))

