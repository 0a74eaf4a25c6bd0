"""SSDA903 (the looked-after children return) → case records.

Reads the return as a folder of CSV files (``header.csv``, ``episodes.csv``, ``reviews.csv``,
``missing.csv``; column names as the DfE return and the 903 validator spell them) or as the XML
form of the return (``EXPSSDA903`` > ``CHILD`` > ``HEADER`` and ``EPISODE``).  Dates are
``dd/mm/YYYY`` and are normalised to ISO.

Each 903 episode row is a change of legal status and/or placement.  A period of care starts at
a row with reason for new episode ``RNE = S`` and ends at a row whose ceased date ``DEC`` has a
reason ``REC`` other than ``X1`` (``X1`` means "episode ceased, care continues").  Each period
becomes a ``looked_after`` episode carrying its legal statuses over time; each placement
(consecutive rows, except that a legal-status-only change, ``RNE = L``, keeps the placement)
becomes a ``placement`` episode whose ``parent`` is the period.  The mapping is documented in
docs/sources/ssda903.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .casefile import CaseBuilder, Supplies
from .csvfiles import find_file, read_csv
from .dates import BadValue, parse_date
from .report import ImportReport, SourceError, shape
from .xmlfiles import MAX_XML_BYTES, children, leaf_text, local, parse_xml

SOURCE = "ssda903"

# File -> the columns read from it (the return has more; they are ignored).
COLUMNS: dict[str, tuple[str, ...]] = {
    "header.csv": ("CHILD", "SEX", "DOB", "ETHNIC"),
    "episodes.csv": ("CHILD", "DECOM", "RNE", "LS", "PLACE", "DEC", "REC"),
    "reviews.csv": ("CHILD", "REVIEW"),
    "missing.csv": ("CHILD", "MISSING", "MIS_START", "MIS_END"),
}

SUPPLIES: Supplies = {
    "child": frozenset({"id", "date_of_birth", "sex", "ethnicity"}),
    "episodes": {
        "looked_after": frozenset({"legal_status", "legal_statuses"}),
        "placement": frozenset({"placement_type", "long_term", "with_parents", "parent"}),
    },
    "events": {
        "cla_review": frozenset(),
        "missing_episode": frozenset({"end", "episode_type"}),
    },
}

LONG_TERM_PLACEMENTS = frozenset({"U1", "U4"})  # long-term fostering
WITH_PARENTS = "P1"  # placed with own parent(s) or person(s) with parental responsibility
CARE_CONTINUES = "X1"
SEX = {"1": "M", "2": "F"}
MISSING_TYPES = {"M": "missing", "A": "absent"}

INFER_NO_S = "period of care started by a row without RNE S"


@dataclass(slots=True)
class _Row:
    file: str
    where: str
    cells: dict[str, str]


@dataclass
class _Child:
    builder: CaseBuilder
    episodes: list[tuple[str, _Row]] = field(default_factory=list)  # (DECOM ISO, row)


def read_ssda903(path: Path, report: ImportReport, *, extracted: str | None = None,
                 max_xml_bytes: int = MAX_XML_BYTES) -> Iterator[dict[str, Any]]:
    """Case records from a 903 CSV folder or XML file.

    Reads and checks everything first (a missing file or column raises ``SourceError`` here,
    before any record), then yields one record per child in header order."""
    if path.is_dir():
        tables = {name: [_Row(name, line, cells) for line, cells in
                         read_csv(find_file(path, name), cols, report)]
                  for name, cols in COLUMNS.items()}
    else:
        tables = _xml_tables(path, report, max_xml_bytes)
    kids = _gather(tables, report)
    return _records(kids, report, extracted)


def _xml_tables(path: Path, report: ImportReport, max_bytes: int) -> dict[str, list[_Row]]:
    """The XML return flattened into the CSV tables' rows, so both forms share one mapping."""
    root = parse_xml(path, max_bytes)
    if local(root.tag) != "EXPSSDA903":
        raise SourceError(f"{path.name}: root element is not EXPSSDA903")
    file = path.name
    report.touch(file)
    tables: dict[str, list[_Row]] = {name: [] for name in COLUMNS}
    for i, child in enumerate(children(root, "CHILD"), 1):
        headers = children(child, "HEADER")
        header = headers[0] if headers else None
        child_id = leaf_text(header, "CHILDID") if header is not None else ""
        here = f"CHILD[{i}]/HEADER"
        cells = {c: leaf_text(header, c) if header is not None else "" for c in
                 ("SEX", "DOB", "ETHNIC")}
        tables["header.csv"].append(_Row(file, here, {"CHILD": child_id, **cells}))
        if header is not None:
            for k, review in enumerate(children(header, "AREVIEW"), 1):
                tables["reviews.csv"].append(_Row(file, f"{here}/AREVIEW[{k}]", {
                    "CHILD": child_id, "REVIEW": leaf_text(review, "REVIEW")}))
            for k, gone in enumerate(children(header, "AMISSING"), 1):
                tables["missing.csv"].append(_Row(file, f"{here}/AMISSING[{k}]", {
                    "CHILD": child_id, **{c: leaf_text(gone, c) for c in
                                          ("MISSING", "MIS_START", "MIS_END")}}))
        for j, episode in enumerate(children(child, "EPISODE"), 1):
            cells = {c: leaf_text(episode, c) for c in ("DECOM", "RNE", "LS", "DEC", "REC")}
            cells["PLACE"] = leaf_text(episode, "PL") or leaf_text(episode, "PLACE")
            tables["episodes.csv"].append(_Row(file, f"CHILD[{i}]/EPISODE[{j}]",
                                               {"CHILD": child_id, **cells}))
    for rows in tables.values():
        for _ in rows:
            report.read(file)
    return tables


def _date(row: _Row, column: str, report: ImportReport, *, required: bool) -> str | None:
    """The column's ISO date; raises BadValue (shape only) if unusable or required and blank."""
    try:
        value = parse_date(row.cells.get(column, ""), report.normalised)
    except BadValue as exc:
        raise BadValue(f"{column}: {exc}") from None
    if value is None and required:
        raise BadValue(f"{column} is {shape(row.cells.get(column, ''))}")
    return value


def _gather(tables: dict[str, list[_Row]], report: ImportReport) -> dict[str, _Child]:
    kids: dict[str, _Child] = {}
    first_seen: dict[str, str] = {}
    for row in tables["header.csv"]:
        child_id = row.cells["CHILD"].strip()
        if not child_id:
            report.reject(row.file, row.where, "CHILD is blank")
            continue
        if child_id in kids:
            report.reject(row.file, row.where,
                          "a second header row for one child "
                          f"(first at {_at(first_seen[child_id])})")
            continue
        first_seen[child_id] = row.where
        b = CaseBuilder(f"{SOURCE}:{child_id}", child_id)
        try:
            b.child["date_of_birth"] = _date(row, "DOB", report, required=False)
        except BadValue as exc:
            b.child["date_of_birth"] = None
            report.warn(row.file, row.where, f"DOB dropped: {exc}")
        sex = row.cells.get("SEX", "").strip()
        b.child["sex"] = SEX.get(sex)
        b.child["ethnicity"] = row.cells.get("ETHNIC", "").strip() or None
        kids[child_id] = _Child(b)
        report.used(row.file)
    report.children = len(kids)

    def owner(row: _Row) -> _Child | None:
        child_id = row.cells["CHILD"].strip()
        if not child_id:
            report.reject(row.file, row.where, "CHILD is blank")
            return None
        if child_id not in kids:
            report.reject(row.file, row.where, "child not in the header", orphan=True)
            return None
        return kids[child_id]

    seen: dict[tuple[str, str, str], str] = {}

    def duplicate(row: _Row, kind: str, child_id: str, key: str) -> bool:
        first = seen.setdefault((kind, child_id, key), row.where)
        if first != row.where:
            report.reject(row.file, row.where, f"same child and date as {_at(first)}")
            return True
        return False

    for row in tables["episodes.csv"]:
        kid = owner(row)
        if kid is None:
            continue
        try:
            start = _date(row, "DECOM", report, required=True)
            _date(row, "DEC", report, required=False)
        except BadValue as exc:
            report.reject(row.file, row.where, str(exc))
            continue
        assert start is not None
        if duplicate(row, "episode", kid.builder.child["id"], start):
            continue
        kid.episodes.append((start, row))
        report.used(row.file)

    for row in tables["reviews.csv"]:
        kid = owner(row)
        if kid is None:
            continue
        try:
            when = _date(row, "REVIEW", report, required=True)
        except BadValue as exc:
            report.reject(row.file, row.where, str(exc))
            continue
        assert when is not None
        if duplicate(row, "review", kid.builder.child["id"], when):
            continue
        kid.builder.event("clar", when, "cla_review", when)
        report.used(row.file)

    for row in tables["missing.csv"]:
        kid = owner(row)
        if kid is None:
            continue
        kind = MISSING_TYPES.get(row.cells["MISSING"].strip().upper())
        if kind is None:
            report.reject(row.file, row.where,
                          f"MISSING is {shape(row.cells['MISSING'])}, not M or A")
            continue
        try:
            start = _date(row, "MIS_START", report, required=True)
            end = _date(row, "MIS_END", report, required=False)
        except BadValue as exc:
            report.reject(row.file, row.where, str(exc))
            continue
        assert start is not None
        if duplicate(row, "missing", kid.builder.child["id"], start):
            continue
        kid.builder.event("miss", start, "missing_episode", start, end=end, episode_type=kind)
        report.used(row.file)
    return kids


def _periods(kid: _Child, report: ImportReport) -> None:
    """Rows → looked_after periods with their placements and legal statuses."""
    b = kid.builder
    period: dict[str, Any] | None = None
    placement: dict[str, Any] | None = None
    for start, row in sorted(kid.episodes, key=lambda item: item[0]):
        c = {k: (v or "").strip().upper() for k, v in row.cells.items()}
        rne, ls, place, rec = c["RNE"], c["LS"], c["PLACE"], c["REC"]
        end = parse_date(row.cells.get("DEC", ""), lambda _kind: None)
        if period is None or rne == "S":
            if rne != "S":
                report.normalised(INFER_NO_S)
            period = b.episode("la", start, "looked_after", start, None,
                               legal_status=ls or None, legal_statuses=[])
            placement = None
        statuses: list[dict[str, Any]] = period["legal_statuses"]
        if ls:
            if statuses and statuses[-1]["code"] == ls and statuses[-1]["end"] in (start, None):
                statuses[-1]["end"] = end
            else:
                statuses.append({"code": ls, "start": start, "end": end})
            period["legal_status"] = ls
        if placement is None or rne != "L":
            placement = b.episode("pl", start, "placement", start, end,
                                  placement_type=place or None,
                                  long_term=place in LONG_TERM_PLACEMENTS,
                                  with_parents=place == WITH_PARENTS, parent=period["id"])
        else:
            placement["end"] = end
        if end is not None and rec != CARE_CONTINUES:
            period["end"] = end
            period = None
            placement = None


def _records(kids: dict[str, _Child], report: ImportReport, extracted: str | None
             ) -> Iterator[dict[str, Any]]:
    for kid in kids.values():
        _periods(kid, report)
        report.records += 1
        yield kid.builder.record(SOURCE, SUPPLIES, extracted)


def _at(where: str) -> str:
    return f"line {where}" if where.isdigit() else where
