"""Reading CSV extracts: encodings, headers, line numbers and exact duplicates.

Extracts saved from Excel on Windows are often cp1252 rather than UTF-8; we try UTF-8 (with or
without a byte-order mark) first, fall back to cp1252 and count it.  A missing file or column
stops the import with a message naming it and the nearest match, because nothing sensible can be
produced without it; a bad row never stops the import.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

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


def open_text(path: Path, report: ImportReport) -> IO[str]:
    """``path`` opened for reading as text, as ``decode`` would read it but without holding the
    file in memory: the bytes are checked as UTF-8 in chunks first, then read as a stream."""
    check = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                check.decode(chunk)
            check.decode(b"", final=True)
    except UnicodeDecodeError:
        report.normalised(ENCODING_FALLBACK)
        report.notes.append(f"{path.name}: not UTF-8; read as cp1252")
        return path.open(encoding="cp1252", errors="replace", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def check_columns(file: str, header: Sequence[str], required: Sequence[str]) -> None:
    present = set(header)
    for column in required:
        if column not in present:
            raise SourceError(f"{file}: column {column!r} is missing"
                              f"{did_you_mean(column, header)}")


def row_digest(cells: Sequence[str]) -> bytes:
    """What makes two rows exact duplicates: their cells, stripped."""
    return hashlib.blake2b("\x1f".join(map(str.strip, cells)).encode(),
                           digest_size=16).digest()


def csv_rows(path: Path, required: Sequence[str], report: ImportReport
             ) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header of ``path`` (checked for ``required`` now) and its rows, streamed, with the
    line each starts on.  Blank lines are skipped; every other row is counted as read, and rows
    with the wrong number of cells are rejected here."""
    file = path.name
    fh = open_text(path, report)
    try:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise SourceError(f"{file}: the file is empty (no header row)") from None
        check_columns(file, header, required)
    except BaseException:
        fh.close()
        raise
    report.touch(file)

    def rows() -> Iterator[tuple[int, list[str]]]:
        with fh:
            line = reader.line_num + 1
            width = len(header)
            for cells in reader:
                start, line = line, reader.line_num + 1
                if not any(c.strip() for c in cells):
                    continue  # a blank line is not a row
                report.read(file)
                if len(cells) != width:
                    report.reject(file, str(start), f"{len(cells)} cells where the header has "
                                                    f"{width}")
                    continue
                yield start, cells

    return header, rows()


def read_csv(path: Path, required: Sequence[str], report: ImportReport) -> Iterator[Row]:
    """Rows of ``path`` with the line each starts on.  Rows with the wrong number of cells and
    exact duplicates of an earlier row are rejected here; the caller uses or rejects the rest."""
    file = path.name
    header, rows = csv_rows(path, required, report)
    seen: dict[bytes, str] = {}
    for line, cells in rows:
        start = str(line)
        digest = row_digest(cells)
        if digest in seen:
            report.reject(file, start, f"exact duplicate of line {seen[digest]}")
            continue
        seen[digest] = start
        yield start, dict(zip(header, cells, strict=True))
