"""The nightly results as one spreadsheet workbook (``casecheck export --xlsx``), a sheet per view.

Built from the same data as the dashboard (``dashboard.dashboard_data``), so its lists are the
lists of ``diff`` and its measures those of docs/measures.md.  Every sheet has one header row,
frozen, with an autofilter over the whole table, and column widths set.  Dates are date cells
and numbers are number cells (rates are fractions shown as percentages); text that a
spreadsheet would run as a formula gets a leading apostrophe (``cells.spreadsheet_safe``).
Lateness is only ever shown beside its unit, and never summed or averaged across rules.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from engine.batch.measures import OUTCOMES, rag
from engine.reports.cells import spreadsheet_safe

DATE_FORMAT = "yyyy-mm-dd"
RATE_FORMAT = "0.0%"
MIN_WIDTH, MAX_WIDTH = 8, 60
# characters an .xlsx file cannot hold (XML 1.0): dropped from text
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")
SHEETS = ("About", "Overdue", "Overdue by worker", "Measures by period", "Measures by rule",
          "Measures by team", "New", "Resolved", "Not evaluated")
CHANGE_SHEETS = (("new", "New"), ("resolved", "Resolved"), ("not_evaluated", "Not evaluated"))
KIND_WORDS = {"need_action": "needs action", "done_late": "already done late",
              "historic": "historic (episode closed)", "done": "done",
              "episode_closed": "episode closed", "no_longer_reported": "no longer reported",
              "other": "no longer overdue", "rejected": "case rejected",
              "absent": "case missing from the input"}


@dataclass(frozen=True)
class Col:
    """A column: its header and how its cells are shown (``text``, ``int``, ``date``, ``rate``
    or ``number``)."""

    header: str
    kind: str = "text"


def _day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _text(value: Any) -> Any:
    if value is None:
        return None
    text = _ILLEGAL.sub("", str(value))
    return spreadsheet_safe(text)


def cell_value(kind: str, value: Any) -> Any:
    """The value a cell of ``kind`` holds: a real date or number, or formula-safe text."""
    if value is None:
        return None
    if kind == "date":
        return _day(value)
    if kind == "int":
        return int(value)
    if kind in ("rate", "number"):
        return float(value)
    return _text(value)


def _resolve(kind: str, value: Any) -> tuple[str, Any]:
    if kind == "auto":  # (kind, value): a sheet of mixed items
        kind, value = value
    return kind, cell_value(kind, value)


def _shown_width(kind: str, value: Any) -> int:
    if value is None:
        return 0
    if kind == "date":
        return 10
    if kind == "rate":
        return 7
    return len(str(value))


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="F3F2F1")
_HEADER_ALIGN = Alignment(vertical="top", wrap_text=True)
_FORMATS = {"date": DATE_FORMAT, "rate": RATE_FORMAT, "number": "0.0"}


def add_sheet(wb: Workbook, title: str, cols: Sequence[Col],
              rows: Iterable[Sequence[Any]]) -> None:
    """One table on its own sheet: header frozen, autofilter over it, widths from the contents."""
    values = [[_resolve(c.kind, v) for c, v in zip(cols, row, strict=True)] for row in rows]
    ws = wb.create_sheet(title)
    widths = [max([len(c.header), *(_shown_width(*r[i]) for r in values)])
              for i, c in enumerate(cols)]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, max(MIN_WIDTH, w + 2))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(values) + 1}"
    header = []
    for c in cols:
        cell = WriteOnlyCell(ws, value=_text(c.header))
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN
        header.append(cell)
    ws.append(header)
    for row in values:
        out = []
        for kind, v in row:
            if v is not None and kind in _FORMATS:
                cell = WriteOnlyCell(ws, value=v)
                cell.number_format = _FORMATS[kind]
                out.append(cell)
            else:
                out.append(v)
        ws.append(out)


# ---------------------------------------------------------------------------------------------
# the views


def _about(data: dict[str, Any]) -> list[list[Any]]:
    """(section, item, (kind, value)): the run, the comparison and the latest period."""
    run, ch = data["run"], data["changes"]
    m = data["measures"]
    rows: list[list[Any]] = [
        ["run", "run id", ("int", run["id"])],
        ["run", "as-of date", ("date", run["as_of"])],
        ["run", "profile", ("text", run["profile"])],
        ["run", "rule set", ("text", run["ruleset_hash"][:12])],
        ["run", "cases evaluated", ("int", run["records"]["evaluated"])],
        ["run", "cases rejected", ("int", run["records"]["rejected"])],
        ["run", "compliance rate (met / counted)", ("rate", run["compliance_rate"])],
        ["run", "open breaches needing action",
         ("int", sum(1 for f in data["work"] if f["actionable"]))],
    ]
    if ch is not None:
        rows += [["since the last run", "compared with run id", ("int", ch["against"]["id"])],
                 ["since the last run", "its as-of date", ("date", ch["against"]["as_of"])]]
        rows += [["since the last run", name, ("int", ch["counts"][cat])]
                 for cat, name in (("new", "new breaches"), ("resolved", "resolved"),
                                   ("not_evaluated", "not evaluated"),
                                   ("still_open", "still open"))]
        rows += [["since the last run", f"new breaches: {KIND_WORDS[k]}", ("int", n)]
                 for k, n in ch["new_by_kind"].items()]
    else:
        rows.append(["since the last run", "the first run of its profile: nothing to compare",
                     ("text", None)])
    latest = m["periods"][-1]
    rows += [["period measures", "latest period", ("text", latest["period"])],
             ["period measures", "from", ("date", latest["from"])],
             ["period measures", "to", ("date", latest["to"])],
             ["period measures", "timeliness (met / counted)", ("rate", m["total"]["rate"])],
             ["period measures", "backlog (actionable overdue)",
              ("int", m["total"]["backlog"])]]
    return rows


def _overdue(data: dict[str, Any]) -> list[list[Any]]:
    titles = data["titles"]
    return [[f["team"], f["worker"], f["case_id"], f["rule"], titles.get(f["rule"], ""),
             f["status"], f["due"], f["days_late"],
             ("working days" if f["unit"] == "working_days" else "days")
             if f["days_late"] is not None else None,
             f["reason_code"], f["reason_note"], f["finding_id"]]
            for f in data["work"] if f["actionable"]]


def _by_worker(data: dict[str, Any]) -> list[list[Any]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in data["work"]:
        if f["actionable"]:
            groups.setdefault((f["team"], f["worker"]), []).append(f)
    out = []
    for (team, worker), fs in sorted(groups.items()):
        dues = [f["due"] for f in fs if f["due"]]
        out.append([team, worker, len({f["case_id"] for f in fs}), len(fs),
                    sum(1 for f in fs if f["reason_code"]), min(dues) if dues else None,
                    ", ".join(sorted({f["case_id"] for f in fs}))])
    return out


def _measure_rows(data: dict[str, Any], dim: str) -> list[list[Any]]:
    """One row per period and rule (or team): outcomes, rate, and for rules target and RAG;
    direction of travel against the same rule's (team's) rate in the period before."""
    out = []
    titles, targets = data["titles"], data["targets"]
    previous: dict[str, float | None] = {}
    for p in data["measures"]["periods"]:
        blocks = p[dim]
        for key in sorted(blocks):
            b = blocks[key]
            fell_due = sum(b[o] for o in ("met", "late", "overdue", "closed_unmet"))
            run = p["run"] or {}
            before = previous.get(key)
            direction = None
            if b["rate"] is not None and before is not None:
                delta = round(100 * (b["rate"] - before), 1)
                direction = "up" if delta > 0 else "down" if delta < 0 else "same"
            row = [p["period"], p["from"], p["to"], run.get("id"), run.get("as_of"), key]
            if dim == "rules":
                row.append(titles.get(key, ""))
            row += [fell_due, *(b[o] for o in OUTCOMES), b["late_with_reason"], b["backlog"],
                    b["rate"], direction]
            if dim == "rules":
                target = targets.get(key)
                row += [target, rag(b["rate"], target)]
            out.append(row)
        previous = {k: b["rate"] for k, b in blocks.items()}
    return out


def _period_rows(data: dict[str, Any]) -> list[list[Any]]:
    out = []
    for p in data["measures"]["periods"]:
        t, run = p["total"], p["run"] or {}
        out.append([p["period"], p["from"], p["to"], run.get("id"), run.get("as_of"),
                    sum(t[o] for o in ("met", "late", "overdue", "closed_unmet")),
                    *(t[o] for o in OUTCOMES), t["late_with_reason"], t["backlog"],
                    p["not_evaluated"], p["rate"]])
    return out


def _change_rows(data: dict[str, Any], cat: str) -> list[list[Any]]:
    ch = data["changes"] or {}
    return [[i["case_id"], i["rule"], i["team"], i["worker"], i["due"], i["status_before"],
             i["status_now"], KIND_WORDS.get(i["kind"], i["kind"]), i["days_late"],
             ("working days" if i["unit"] == "working_days" else "days")
             if i["days_late"] is not None else None,
             i["reason_code"], i["finding_id"]] for i in ch.get(cat, [])]


_PERIOD_COLS = [Col("period"), Col("from", "date"), Col("to", "date"),
                Col("measuring run", "int"), Col("measuring run as-of", "date")]
_OUTCOME_COLS = [Col("fell due (counted)", "int"),
                 *(Col(o.replace("_", " "), "int") for o in OUTCOMES),
                 Col("late with a recorded reason", "int"), Col("backlog", "int")]


def write_workbook(data: dict[str, Any], path: Path) -> Path:
    """Write the workbook of ``data`` (``dashboard_data``) to ``path``, atomically."""
    wb = Workbook(write_only=True)
    add_sheet(wb, "About", [Col("section"), Col("item"), Col("value", "auto")], _about(data))
    add_sheet(wb, "Overdue", [Col("team"), Col("worker"), Col("case id"), Col("rule"),
                              Col("title"), Col("status"), Col("due", "date"),
                              Col("lateness", "int"), Col("lateness unit"), Col("reason code"),
                              Col("reason note"), Col("finding id")], _overdue(data))
    add_sheet(wb, "Overdue by worker", [Col("team"), Col("worker"), Col("cases", "int"),
                                        Col("open breaches", "int"),
                                        Col("with a recorded reason", "int"),
                                        Col("oldest due", "date"), Col("case ids")],
              _by_worker(data))
    add_sheet(wb, "Measures by period", [*_PERIOD_COLS, *_OUTCOME_COLS,
                                         Col("not evaluated", "int"),
                                         Col("timeliness", "rate")], _period_rows(data))
    add_sheet(wb, "Measures by rule", [*_PERIOD_COLS, Col("rule"), Col("title"), *_OUTCOME_COLS,
                                       Col("timeliness", "rate"), Col("direction"),
                                       Col("target", "rate"), Col("RAG")],
              _measure_rows(data, "rules"))
    add_sheet(wb, "Measures by team", [*_PERIOD_COLS, Col("team"), *_OUTCOME_COLS,
                                       Col("timeliness", "rate"), Col("direction")],
              _measure_rows(data, "teams"))
    for cat, title in CHANGE_SHEETS:
        add_sheet(wb, title, [Col("case id"), Col("rule"), Col("team"), Col("worker"),
                              Col("due", "date"), Col("status before"), Col("status now"),
                              Col("what"), Col("lateness", "int"), Col("lateness unit"),
                              Col("reason code"), Col("finding id")], _change_rows(data, cat))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
