"""Sweep history as text, JSON and CSV: the run list (``casecheck history``) and the difference
between two runs (``casecheck diff``).  Definitions are in ``history``'s module docstring."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson

from engine.batch.history import CATEGORIES
from engine.reports.cells import spreadsheet_safe

CATEGORY_TITLES = {"new": "New breaches", "resolved": "Resolved", "still_open": "Still open"}
DIFF_CSV_COLUMNS = ("category", "finding_id", "case_id", "rule", "anchor_id", "anchor_date",
                    "occurrence", "member", "due", "status_before", "status_now", "days_late",
                    "team")


def pct(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.1f}%"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return [line(header), *(line(r) for r in rows)]


def runs_json(runs: list[dict[str, Any]]) -> str:
    return orjson.dumps(runs, option=orjson.OPT_INDENT_2).decode()


def runs_text(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return "no runs recorded"
    header = ["id", "as-of", "profile", "rule set", "read", "evaluated", "rejected",
              "breaches", "compliance", "recorded"]
    rows = [[str(r["id"]), r["as_of"], r["profile"], r["ruleset_hash"][:12],
             str(r["records"]["read"]), str(r["records"]["evaluated"]),
             str(r["records"]["rejected"]), str(r["breaches"]), pct(r["compliance_rate"]),
             r["finished"]] for r in runs]
    return "\n".join(_table(header, rows, {0, 4, 5, 6, 7, 8}))


def _run_line(run: dict[str, Any]) -> str:
    return (f"run {run['id']} (as-of {run['as_of']}, {run['profile']}, rule set "
            f"{run['ruleset_hash'][:12]})")


def diff_json(diff: dict[str, Any]) -> str:
    return orjson.dumps(diff, option=orjson.OPT_INDENT_2).decode()


def diff_text(diff: dict[str, Any]) -> str:
    out = [f"{_run_line(diff['run'])} against {_run_line(diff['against'])}"]
    if diff["ruleset_changed"]:
        out.append("note: the rule set changed between these runs, so some differences may "
                   "come from the rules rather than the records")
    c = diff["counts"]
    out.append(f"new breaches {c['new']}, resolved {c['resolved']}, still open {c['still_open']}")
    for key, title in (("rule", "By rule"), ("team", "By team")):
        rows = [[r[key], str(r["new"]), str(r["resolved"]), str(r["still_open"]),
                 pct(r["rate_before"]), pct(r["rate_now"])] for r in diff[f"by_{key}"]]
        out += ["", title, *("  " + x for x in _table(
            [key, "new", "resolved", "still open", "rate before", "rate now"], rows,
            {1, 2, 3, 4, 5}))]
    for cat in CATEGORIES:
        items = diff[cat]
        out += ["", f"{CATEGORY_TITLES[cat]} ({len(items)})"]
        rows = [[i["case_id"], i["rule"], i["anchor_id"], i["due"] or "-",
                 f"{i['status_before'] or 'absent'} -> {i['status_now'] or 'absent'}",
                 i["team"], i["finding_id"]] for i in items]
        if rows:
            out += ["  " + x for x in _table(
                ["case", "rule", "anchor", "due", "status", "team", "finding id"], rows, set())]
    return "\n".join(out)


def diff_csv(diff: dict[str, Any]) -> str:
    """One row per listed finding, with its category; the summaries are pivots of these rows."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(DIFF_CSV_COLUMNS)
    for cat in CATEGORIES:
        for i in diff[cat]:
            writer.writerow([cat, *("" if i[k] is None else spreadsheet_safe(i[k])
                                    for k in DIFF_CSV_COLUMNS[1:])])
    return buf.getvalue()
