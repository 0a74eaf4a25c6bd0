"""Sweep history as text, JSON and CSV: the run list (``casecheck history``) and the difference
between two runs (``casecheck diff``).  Definitions are in ``history``'s module docstring."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson

from engine.batch.history import CATEGORIES
from engine.reports.cells import spreadsheet_safe

CATEGORY_TITLES = {"new": "New breaches", "resolved": "Resolved",
                   "not_evaluated": "Not evaluated (case rejected or missing from this run)",
                   "still_open": "Still open"}
KIND_TITLES = {"need_action": "need action", "done_late": "already done late",
               "historic": "historic (episode closed)", "done": "done",
               "episode_closed": "episode closed", "no_longer_reported": "no longer reported",
               "other": "no longer overdue", "rejected": "case rejected",
               "absent": "case missing from the input"}
DIFF_CSV_COLUMNS = ("category", "finding_id", "case_id", "rule", "anchor_id", "anchor_date",
                    "occurrence", "member", "due", "status_before", "status_now", "days_late",
                    "team", "kind", "unit", "worker", "case_state", "reason_code")


def csv_text(value: Any) -> Any:
    """A CSV cell: empty for None; text that a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    return spreadsheet_safe(value)


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
    c, k = diff["counts"], diff["new_by_kind"]
    out.append(f"new breaches {c['new']}, resolved {c['resolved']}, not evaluated "
               f"{c['not_evaluated']}, still open {c['still_open']}")
    out.append(f"new breaches: {k['need_action']} need action, {k['done_late']} already done "
               f"late, {k['historic']} historic (episode closed)")
    for key, title in (("rule", "By rule"), ("team", "By team")):
        rows = [[r[key], str(r["new_need_action"]), str(r["new"] - r["new_need_action"]),
                 str(r["resolved"]), str(r["not_evaluated"]), str(r["still_open"]),
                 pct(r["rate_before"]), pct(r["rate_now"])] for r in diff[f"by_{key}"]]
        out += ["", title, *("  " + x for x in _table(
            [key, "new (act)", "new (done/closed)", "resolved", "not evaluated", "still open",
             "rate before", "rate now"], rows, {1, 2, 3, 4, 5, 6, 7}))]
    for cat in CATEGORIES:
        items = diff[cat]
        out += ["", f"{CATEGORY_TITLES[cat]} ({len(items)})"]
        rows = [[i["case_id"], i["rule"], i["anchor_id"], i["due"] or "-",
                 f"{i['status_before'] or 'absent'} -> {i['status_now'] or 'absent'}",
                 KIND_TITLES.get(i["kind"], i["kind"]), i["team"], i["worker"],
                 i["finding_id"]] for i in items]
        if rows:
            out += ["  " + x for x in _table(
                ["case", "rule", "anchor", "due", "status", "what", "team", "worker",
                 "finding id"], rows, set())]
    return "\n".join(out)


def diff_csv(diff: dict[str, Any]) -> str:
    """One row per listed finding, with its category; the summaries are pivots of these rows."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(DIFF_CSV_COLUMNS)
    for cat in CATEGORIES:
        for i in diff[cat]:
            writer.writerow([cat, *(csv_text(i.get(k)) for k in DIFF_CSV_COLUMNS[1:])])
    return buf.getvalue()
