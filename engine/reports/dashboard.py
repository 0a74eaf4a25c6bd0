"""The compliance dashboard: one self-contained HTML page (inline CSS and SVG drawn here, one
small inline script for the filters, no external files), or the same tables as CSV files.

Content, for one run (default: the latest) and the runs of its profile before it: what changed
since the run before (new, resolved, not evaluated: the same lists as ``diff``); period
measures by rule and team with targets (docs/measures.md); a drill-down team -> worker -> case
-> finding of what needs action now; then compliance by rule and team, its trend, and actionable
overdue findings by rule and unit.  Each chart is followed by the table it is drawn from.
"""

from __future__ import annotations

import csv
import sqlite3
from html import escape
from pathlib import Path
from typing import Any

from engine.batch.history import (
    STATUSES,
    current_reasons,
    diff_runs,
    get_run,
    open_findings,
    overdue_by_rule,
    previous_run,
    recent_runs,
    run_counts,
    run_ruleset,
)
from engine.batch.measures import AGE_BANDS, NO_DEADLINE, OUTCOMES, Period, period_measures
from engine.evaluate.status import COUNTED, compliance_rate
from engine.reports.cells import spreadsheet_safe

CSV_TABLES = ("rules", "teams", "overdue", "trend", "rule_trend", "changes", "measures",
              "backlog", "work")
BLUE, RED, GREY, INK = "#1d70b8", "#c3362b", "#b1b4b6", "#0b0c0c"


def pack_of(rule: str) -> str:
    return "statutory" if rule.startswith("ENG-") else "local"


def work_list(conn: sqlite3.Connection, run: dict[str, Any],
              reasons: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Open breaches of evaluated cases (actionable and historic), for the drill-down."""
    out = []
    for f in open_findings(conn, run):
        if f["case_state"] != "evaluated":
            continue
        reason = reasons.get(f["finding_id"])
        out.append({**f, "pack": pack_of(f["rule"]),
                    "reason_code": reason["code"] if reason else None,
                    "reason_note": reason["note"] if reason else None})
    out.sort(key=lambda f: (f["team"], f["worker"], f["case_id"], f["rule"], f["due"] or "",
                            f["finding_id"]))
    return out


def dashboard_data(conn: sqlite3.Connection, run_id: int | None = None,
                   runs: int = 30, periods: list[Period] | None = None) -> dict[str, Any]:
    """Every number the dashboard shows, as plain data."""
    from datetime import date

    from engine.batch.measures import periods_ending

    run = get_run(conn, run_id)
    ruleset = run_ruleset(conn, run["id"])
    reasons = current_reasons(conn)
    before = previous_run(conn, run)
    changes = diff_runs(conn, run, before) if before is not None else None
    if periods is None:
        periods = periods_ending("month", date.fromisoformat(run["as_of"]), 6)
    targets: dict[str, float] = ruleset.get("targets", {})
    measures = period_measures(conn, run, periods, targets, reasons)
    titles: dict[str, str] = ruleset.get("titles", {})
    by_rule = run_counts(conn, run["id"], "rule")
    overdue = overdue_by_rule(conn, run["id"])
    trend_runs = recent_runs(conn, run, runs)
    rule_ids = sorted(set(by_rule) | set(ruleset.get("rules", {})))
    rule_trend = {rid: [] for rid in rule_ids}  # type: dict[str, list[float | None]]
    for r in trend_runs:
        counts = run_counts(conn, r["id"], "rule") if r["id"] != run["id"] else by_rule
        for rid in rule_ids:
            rule_trend[rid].append(compliance_rate(counts.get(rid, {})))

    def rows(counts: dict[str, dict[str, int]], key: str) -> list[dict[str, Any]]:
        return [{key: k, **c, "counted": sum(c[s] for s in COUNTED),
                 "compliance_rate": compliance_rate(c)} for k, c in sorted(counts.items())]

    return {
        "run": run,
        "titles": titles,
        "rules": rows({rid: by_rule.get(rid, dict.fromkeys(STATUSES, 0)) for rid in rule_ids},
                      "rule"),
        "teams": rows(run_counts(conn, run["id"], "team"), "team"),
        "overdue": sorted(overdue, key=lambda o: (-o["overdue"], o["rule"], o["unit"])),
        "trend": trend_runs,
        "rule_trend": rule_trend,
        "changes": changes,
        "measures": measures,
        "work": work_list(conn, run, reasons),
        "targets": targets,
    }


# ---------------------------------------------------------------------------------------------
# CSV


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4f}"
    return spreadsheet_safe(v)


def write_csv(data: dict[str, Any], folder: Path) -> list[Path]:
    """One CSV per table in ``folder``; rates are fractions 0-1 (empty when nothing counted)."""
    folder.mkdir(parents=True, exist_ok=True)
    run = data["run"]
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {}
    cols = ["counted", *STATUSES, "compliance_rate"]
    tables["rules"] = (["run_id", "as_of", "rule", "title", *cols],
                       [[run["id"], run["as_of"], r["rule"], data["titles"].get(r["rule"], ""),
                         *(r[c] for c in cols)] for r in data["rules"]])
    tables["teams"] = (["run_id", "as_of", "team", *cols],
                       [[run["id"], run["as_of"], r["team"], *(r[c] for c in cols)]
                        for r in data["teams"]])
    tables["overdue"] = (["run_id", "as_of", "rule", "unit", "overdue", "mean_days_late",
                          "longest_days_late"],
                         [[run["id"], run["as_of"], r["rule"], r["unit"], r["overdue"],
                           r["mean_days_late"], r["longest_days_late"]] for r in data["overdue"]])
    tables["trend"] = (["run_id", "as_of", "profile", "ruleset_hash", "records_evaluated",
                        "records_rejected", *STATUSES, "breaches", "compliance_rate"],
                       [[r["id"], r["as_of"], r["profile"], r["ruleset_hash"],
                         r["records"]["evaluated"], r["records"]["rejected"],
                         *(r["statuses"][s] for s in STATUSES), r["breaches"],
                         r["compliance_rate"]] for r in data["trend"]])
    tables["rule_trend"] = (["run_id", "as_of", "rule", "compliance_rate"],
                            [[r["id"], r["as_of"], rid, rates[i]]
                             for rid, rates in data["rule_trend"].items()
                             for i, r in enumerate(data["trend"])])
    tables["changes"] = (["run_id", "as_of", "category", "kind", "finding_id", "case_id", "rule",
                          "team", "worker", "due", "status_before", "status_now", "days_late",
                          "unit", "reason_code"],
                         [[run["id"], run["as_of"], cat, i["kind"], i["finding_id"],
                           i["case_id"], i["rule"], i["team"], i["worker"], i["due"],
                           i["status_before"], i["status_now"], i["days_late"], i["unit"],
                           i["reason_code"]]
                          for cat in ("new", "resolved", "not_evaluated")
                          for i in (data["changes"] or {}).get(cat, [])])
    mcols = [*OUTCOMES, "late_with_reason", "backlog", "rate"]
    tables["measures"] = (["period", "from", "to", "measuring_run", "dimension", "key",
                           *mcols, "target"],
                          [[m["period"], m["from"], m["to"], (m["run"] or {}).get("id"), dim,
                            key, *(b.get(c) for c in mcols),
                            data["targets"].get(key) if dim == "rule" else None]
                           for m in data["measures"]["periods"]
                           for dim, blocks in (("total", {"all": m["total"]}),
                                               ("rule", m["rules"]), ("team", m["teams"]))
                           for key, b in sorted(blocks.items())])
    bands = [label for *_, label in AGE_BANDS] + [NO_DEADLINE]
    latest = data["measures"]["periods"][-1]
    tables["backlog"] = (["period", "dimension", "key", "backlog", *bands],
                         [[latest["period"], dim, key, b["backlog"],
                           *(b["backlog_age"][x] for x in bands)]
                          for dim, blocks in (("total", {"all": latest["total"]}),
                                              ("rule", latest["rules"]),
                                              ("team", latest["teams"]))
                          for key, b in sorted(blocks.items())])
    tables["work"] = (["run_id", "as_of", "team", "worker", "case_id", "rule", "pack",
                       "finding_id", "status", "actionable", "due", "days_late", "unit",
                       "episode_end", "reason_code"],
                      [[run["id"], run["as_of"], f["team"], f["worker"], f["case_id"], f["rule"],
                        f["pack"], f["finding_id"], f["status"], f["actionable"], f["due"],
                        f["days_late"], f["unit"], f["episode_end"], f["reason_code"]]
                       for f in data["work"]])
    written = []
    for name in CSV_TABLES:
        header, body = tables[name]
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows([[_cell(v) for v in row] for row in body])
        written.append(path)
    return written


# ---------------------------------------------------------------------------------------------
# SVG


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{100 * rate:.1f}%"


def _t(text: Any) -> str:
    return escape(str(text), quote=True)


def count_ticks(n: int) -> list[int]:
    """Whole-number ticks from 0 to a round number at or above ``n``, at most 6 of them."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if n <= 5 * step * m:
                top = -(-max(n, 1) // (step * m)) * step * m
                return list(range(0, top + 1, step * m))
        step *= 10


def bar_chart(rows: list[tuple[str, float | None, str]], title: str,
              ticks: list[int] | None = None, colour: str = BLUE) -> str:
    """Horizontal bars: (label, value or None, text shown after the bar).  Without ``ticks``
    values are rates 0-1 on a 0-100% axis; with them, counts on an axis from 0 to the last."""
    percent = ticks is None
    scale_max = 1.0 if ticks is None else ticks[-1]
    marks = [i / 4 for i in range(5)] if ticks is None else ticks
    label_w, bar_w, right_w, row_h, top = 290, 560, 150, 24, 28
    width = label_w + bar_w + right_w
    height = top + row_h * max(len(rows), 1) + 8
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="{_t(title)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{_t(title)}</title>']
    for mark in marks:
        x = label_w + mark / scale_max * bar_w
        tick = f"{mark * 100:.0f}%" if percent else f"{mark:,}"
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 8}" '
                   f'stroke="#dddddd"/><text x="{x:.1f}" y="{top - 10}" class="tick" '
                   f'text-anchor="middle">{tick}</text>')
    for i, (label, value, shown) in enumerate(rows):
        y = top + i * row_h
        out.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" class="label">'
                   f'{_t(label)}</text>')
        if value is None:
            out.append(f'<text x="{label_w + 4}" y="{y + 16}" class="none">{_t(shown)}</text>')
            continue
        w = 0 if scale_max == 0 else bar_w * min(value / scale_max, 1.0)
        out.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                   f'fill="{colour}"><title>{_t(label)}: {_t(shown)}</title></rect>'
                   f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" class="value">{_t(shown)}'
                   '</text>')
    out.append("</svg>")
    return "".join(out)


def line_chart(points: list[tuple[str, float | None]], title: str,
               axis: str = "as-of date of each run") -> str:
    """Rates (0-1) over runs, one point per run, evenly spaced; None leaves a gap."""
    width, height, left, right, top, bottom = 1000, 300, 56, 48, 24, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(points)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))
        return x, top + plot_h * (1 - v)

    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="{_t(title)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{_t(title)}</title>']
    for i in range(5):
        y = top + plot_h * (1 - i / 4)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                   f'stroke="#dddddd"/><text x="{left - 8}" y="{y + 4:.1f}" class="tick" '
                   f'text-anchor="end">{i * 25}%</text>')
    every = max(1, -(-n // 12))
    for i, (label, _) in enumerate(points):
        if i % every == 0 or i == n - 1:
            x, _y = xy(i, 0)
            out.append(f'<text x="{x:.1f}" y="{height - bottom + 20}" class="tick" '
                       f'text-anchor="middle">{_t(label)}</text>')
    for seg in _segments([(i, v) for i, (_, v) in enumerate(points)]):
        coords = " ".join("{:.1f},{:.1f}".format(*xy(i, v)) for i, v in seg)
        out.append(f'<polyline points="{coords}" fill="none" stroke="{BLUE}" '
                   'stroke-width="2.5"/>')
    for i, (label, v) in enumerate(points):
        if v is None:
            continue
        x, y = xy(i, v)
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{BLUE}"><title>'
                   f'{_t(label)}: {_pct(v)}</title></circle>')
        if n <= 12:
            out.append(f'<text x="{x:.1f}" y="{y - 10:.1f}" class="value" '
                       f'text-anchor="middle">{_pct(v)}</text>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 12}" class="tick" '
               f'text-anchor="middle">{_t(axis)}</text></svg>')
    return "".join(out)


def _unit(unit: str | None) -> str:
    return "working days" if unit == "working_days" else "days"


def _segments(values: list[tuple[int, float | None]]) -> list[list[tuple[int, float]]]:
    segs: list[list[tuple[int, float]]] = [[]]
    for i, v in values:
        if v is None:
            if segs[-1]:
                segs.append([])
        else:
            segs[-1].append((i, v))
    return [s for s in segs if s]


def sparkline(rates: list[float | None], label: str, target: float | None = None) -> str:
    width, height, pad = 160, 34, 4
    n = len(rates)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = pad + ((width - 2 * pad) / 2 if n == 1 else (width - 2 * pad) * i / (n - 1))
        return x, pad + (height - 2 * pad) * (1 - v)

    out = [f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="{_t(label)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{_t(label)}</title>'
           f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#f8f8f8" '
           f'stroke="#e5e5e5"/>']
    if target is not None:
        y = pad + (height - 2 * pad) * (1 - target)
        out.append(f'<line x1="0" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" stroke="{RED}" '
                   'stroke-dasharray="3,2"><title>target</title></line>')
    for seg in _segments(list(enumerate(rates))):
        if len(seg) > 1:
            coords = " ".join("{:.1f},{:.1f}".format(*xy(i, v)) for i, v in seg)
            out.append(f'<polyline points="{coords}" fill="none" stroke="{BLUE}" '
                       'stroke-width="1.6"/>')
    for i, v in enumerate(rates):
        if v is not None and (i == n - 1 or n == 1):
            x, y = xy(i, v)
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{BLUE}"/>')
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# HTML

CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:"Segoe UI",Arial,Helvetica,sans-serif;color:#0b0c0c;background:#f3f2f1;
font-size:15px;line-height:1.4}
main{max-width:1080px;margin:0 auto;padding:24px 24px 48px;background:#fff}
h1{font-size:28px;margin:0 0 4px}h2{font-size:21px;margin:36px 0 6px;padding-top:12px;
border-top:2px solid #1d70b8}h3{font-size:16px;margin:18px 0 6px}
.meta{color:#505a5f;margin:0 0 16px;word-break:break-all}
.note{color:#505a5f;margin:0 0 10px;font-size:14px}
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.tile{flex:1 1 150px;border-left:5px solid #1d70b8;background:#f3f2f1;padding:10px 12px}
.tile b{display:block;font-size:26px}.tile span{color:#505a5f;font-size:13px}
.tile.bad{border-left-color:#c3362b}
.chart{display:block;width:100%;height:auto;max-width:1000px;margin:6px 0 10px}
svg text{font-family:"Segoe UI",Arial,Helvetica,sans-serif;fill:#0b0c0c}
svg .label{font-size:13px}svg .value{font-size:12px}svg .tick{font-size:11px;fill:#505a5f}
svg .none{font-size:12px;fill:#6f777b;font-style:italic}
table{border-collapse:collapse;width:100%;margin:4px 0 8px;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #dddddd;vertical-align:middle}
th{background:#f3f2f1;font-weight:600}td:first-child{white-space:nowrap}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:4px 0;color:#505a5f}
.wrap{overflow-x:auto}
details{margin:4px 0 4px 12px}summary{cursor:pointer}
.filters{position:sticky;top:0;background:#fff;padding:8px 0;border-bottom:1px solid #ddd;
z-index:1;display:flex;flex-wrap:wrap;gap:6px 14px;align-items:center}
.filters label{white-space:nowrap}.filters select{max-width:240px}
footer{margin-top:36px;color:#505a5f;font-size:13px;border-top:1px solid #dddddd;padding-top:12px}
@media print{body{background:#fff}main{padding:0}h2{break-before:auto}}
"""

_COLS = [("met", "met"), ("late", "late"), ("overdue", "overdue"), ("not_met", "not met"),
         ("due_soon", "due soon"), ("pending", "pending"),
         ("insufficient_data", "insufficient data")]


def _table(caption: str, header: list[tuple[str, bool]], rows: list[list[str]]) -> str:
    """``header``: (text, numeric); cells are already escaped HTML."""
    head = "".join(f'<th scope="col"{" class=n" if num else ""}>{_t(h)}</th>'
                   for h, num in header)
    body = "".join("<tr>" + "".join(f'<td{" class=n" if header[i][1] else ""}>{c}</td>'
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return (f'<div class="wrap" tabindex="0" role="region" aria-label="{_t(caption)}">'
            f'<table><caption>{_t(caption)}</caption><thead><tr>{head}'
            f"</tr></thead><tbody>{body}</tbody></table></div>")


def _count_rows(rows: list[dict[str, Any]], key: str,
                titles: dict[str, str] | None = None) -> list[list[str]]:
    out = []
    for r in rows:
        cells = [_t(r[key])]
        if titles is not None:
            cells.append(_t(titles.get(r[key], "")))
        cells += [f"{r[s]:,}" for s, _ in _COLS]
        cells += [f"{r['counted']:,}", _pct(r["compliance_rate"])]
        out.append(cells)
    return out


def _rate_bars(rows: list[dict[str, Any]], key: str, title: str) -> str:
    ordered = sorted(rows, key=lambda r: (r["compliance_rate"] is None,
                                          r["compliance_rate"] or 0, r[key]))
    return bar_chart([(r[key], r["compliance_rate"],
                       f"{_pct(r['compliance_rate'])} of {r['counted']:,}"
                       if r["compliance_rate"] is not None else "nothing counted")
                      for r in ordered], title)


_KIND_WORDS = {"need_action": "needs action", "done_late": "already done late",
               "historic": "historic (episode closed)", "done": "done",
               "episode_closed": "episode closed", "no_longer_reported": "no longer reported",
               "other": "no longer overdue", "rejected": "case rejected",
               "absent": "case missing from the input"}


def _attrs(f: dict[str, Any]) -> str:
    """The data attributes the filters read."""
    return (f' data-pack="{_t(pack_of(f["rule"]))}" data-team="{_t(f["team"])}" '
            f'data-worker="{_t(f.get("worker") or "")}" data-rule="{_t(f["rule"])}" '
            f'data-act="{1 if f.get("actionable") else 0}"')


def _late(f: dict[str, Any]) -> str:
    if f.get("days_late") is None:
        return "–"
    unit = "working days" if f.get("unit") == "working_days" else "days"
    return f"{f['days_late']} {unit}"


def _changes_section(data: dict[str, Any]) -> str:
    ch = data["changes"]
    if ch is None:
        return ('<section id="changes"><h2>Since the last run</h2><p>This is the first run of '
                "its profile: nothing to compare it with.</p></section>")
    against = ch["against"]
    k = ch["new_by_kind"]
    out = [f'<section id="changes"><h2>Since the last run</h2><p class="note">Run '
           f'{ch["run"]["id"]} against run {against["id"]} (as-of {_t(against["as_of"])}). The '
           "same lists as <code>casecheck diff</code>. Resolved means done, or the episode "
           "closed; a case rejected or missing from this run is <em>not evaluated</em>, never "
           "resolved.</p>"]
    tiles = [(k["need_action"], "new overdue, need action", k["need_action"] > 0),
             (k["done_late"] + k["historic"], "new breaches already done late or closed", False),
             (ch["counts"]["resolved"], "resolved", False),
             (ch["counts"]["not_evaluated"], "not evaluated (rejected or missing)",
              ch["counts"]["not_evaluated"] > 0),
             (ch["counts"]["still_open"], "still open", False)]
    out.append('<div class="tiles">' + "".join(
        f'<div class="tile{" bad" if bad else ""}"><b>{v:,}</b><span>{_t(label)}</span></div>'
        for v, label, bad in tiles) + "</div>")
    for cat, title in (("new", "New breaches"), ("resolved", "Resolved"),
                       ("not_evaluated", "Not evaluated")):
        items = ch[cat]
        rows = [f"<tr{_attrs(i)}><td>{_t(i['case_id'])}</td><td>{_t(i['rule'])}</td>"
                f"<td>{_t(i['team'])}</td><td>{_t(i['worker'])}</td><td>{_t(i['due'] or '–')}"
                f"</td><td>{_t(i['status_before'] or 'absent')} → "
                f"{_t(i['status_now'] or 'absent')}</td><td>{_t(_KIND_WORDS.get(i['kind']))}</td>"
                f"<td>{_t(i['reason_code'] or '')}</td><td>{_t(i['finding_id'])}</td></tr>"
                for i in items]
        out.append(f"<details{' open' if cat == 'new' and items else ''}><summary>"
                   f"{_t(title)} ({len(items):,})</summary>")
        if not items:
            out.append("<p class=note>None.</p></details>")
            continue
        out.append('<div class="wrap" tabindex="0" role="region" aria-label="findings">'
                   '<table class="f"><thead><tr><th>case</th><th>rule</th>'
                   "<th>team</th><th>worker</th><th>due</th><th>status</th><th>what</th>"
                   "<th>reason</th><th>finding id</th></tr></thead><tbody>" + "".join(rows) +
                   "</tbody></table></div></details>")
    out.append("</section>")
    return "".join(out)


def _rag(value: str | None) -> str:
    colours = {"green": "#00703c", "amber": "#f47738", "red": RED}
    if value is None:
        return "–"
    return f'<b style="color:{colours[value]}">{_t(value)}</b>'


def _measures_section(data: dict[str, Any]) -> str:
    m = data["measures"]
    periods = m["periods"]
    arrows = {"up": "▲ up", "down": "▼ down", "same": "= same", None: "–"}
    out = ['<section id="measures"><h2>Period measures</h2><p class="note">Of the obligations '
           "that fell due in each period: met in time, done late, still overdue (actionable), "
           "closed unmet (the episode ended first); timeliness = met / (met + late + overdue "
           "+ closed unmet). Backlog: actionable overdue items at the period's end, aged in "
           "calendar days since their due date. Each period is measured on the last run on or "
           "before its end (docs/measures.md). Late or missed items with a recorded reason "
           "are counted apart and still count as late.</p>"]
    out.append(line_chart([(p["period"], p["rate"]) for p in periods],
                          "Timeliness of obligations falling due, by period",
                          "reporting period (no point: no run measured it)"))
    out.append(_table("Timeliness by period", [("period", False), ("measured on run", True),
                                               *[(o.replace("_", " "), True) for o in OUTCOMES],
                                               ("with reason", True), ("backlog", True),
                                               ("timeliness", True)],
                      [[_t(p["period"]), str((p["run"] or {}).get("id", "–")),
                        *(f"{p['total'][o]:,}" for o in OUTCOMES),
                        f"{p['total']['late_with_reason']:,}", f"{p['total']['backlog']:,}",
                        _pct(p["rate"])] for p in periods]))
    head = [("rule", False), ("trend", False), ("fell due", True), ("met", True), ("late", True),
            ("overdue", True), ("closed unmet", True), ("with reason", True),
            ("timeliness", True), ("previous", True), ("direction", False),
            ("target", True), ("RAG", False), ("backlog", True)]

    def rows(items: list[dict[str, Any]], with_target: bool) -> list[str]:
        out_rows = []
        for r in items:
            due = sum(r[o] for o in ("met", "late", "overdue", "closed_unmet"))
            cells = [_t(r["key"]), sparkline(r["trend"], f"{r['key']}: timeliness by period",
                                             r["target"] if with_target else None),
                     f"{due:,}", f"{r['met']:,}", f"{r['late']:,}", f"{r['overdue']:,}",
                     f"{r['closed_unmet']:,}", f"{r['late_with_reason']:,}", _pct(r["rate"]),
                     _pct(r["previous_rate"]), arrows[r["direction"]],
                     _pct(r["target"]), _rag(r["rag"]), f"{r['backlog']:,}"]
            attrs = (f' data-pack="{_t(pack_of(r["key"]))}" data-rule="{_t(r["key"])}"'
                     if with_target else f' data-team="{_t(r["key"])}"')
            out_rows.append(f"<tr{attrs}>" + "".join(
                f'<td{" class=n" if head[i][1] else ""}>{c}</td>' for i, c in enumerate(cells))
                + "</tr>")
        return out_rows

    for title, items, with_target in ((f"By rule, {m['latest']}", m["rules"], True),
                                      (f"By team, {m['latest']}", m["teams"], False)):
        h = head if with_target else [("team", False), *head[1:11], head[13]]
        body = rows(items, with_target)
        if not with_target:
            body = [b.replace("<td class=n>–</td><td>–</td></tr>", "</tr>") for b in body]
        out.append(f"<h3>{_t(title)}</h3><div class=wrap tabindex=0 role=region "
                   f"aria-label='{_t(title)}'><table class=f><thead><tr>" + "".join(
            f'<th{" class=n" if n else ""}>{_t(x)}</th>' for x, n in h) + "</tr></thead><tbody>"
            + "".join(body) + "</tbody></table></div>")
    bands = [label for *_, label in AGE_BANDS] + [NO_DEADLINE]
    latest = periods[-1]
    out.append(_table(f"Backlog age at the end of {latest['period']} (calendar days overdue)",
                      [("rule", False), ("backlog", True), *[(b, True) for b in bands]],
                      [[_t(rid), f"{b['backlog']:,}", *(f"{b['backlog_age'][x]:,}" for x in bands)]
                       for rid, b in sorted(latest["rules"].items()) if b["backlog"]]))
    out.append("</section>")
    return "".join(out)


def _work_section(data: dict[str, Any]) -> str:
    work = data["work"]
    out = ['<section id="work"><h2>Open breaches: team → worker → case</h2><p class="note">'
           "Overdue and not-met findings of the cases evaluated in this run. Historic ones "
           "(the episode has closed) cannot be acted on; untick “actionable only” to see them. "
           "Lateness is in each rule's own unit.</p>"]
    teams: dict[str, dict[str, dict[str, list[dict[str, Any]]]]] = {}
    for f in work:
        teams.setdefault(f["team"], {}).setdefault(f["worker"], {}).setdefault(
            f["case_id"], []).append(f)

    def counted(fs: list[dict[str, Any]]) -> str:
        act = sum(1 for f in fs if f["actionable"])
        return f"({act:,} need action, {len(fs):,} open)"

    for team, workers in teams.items():
        every = [f for w in workers.values() for fs in w.values() for f in fs]
        out.append(f'<details class="team" data-team="{_t(team)}"><summary>{_t(team)} '
                   f"{counted(every)}</summary>")
        for worker, cases in workers.items():
            out.append(f'<details class="worker" data-worker="{_t(worker)}"><summary>'
                       f"{_t(worker)} {counted([f for fs in cases.values() for f in fs])}"
                       "</summary>")
            for case_id, fs in cases.items():
                out.append(f"<details class=case><summary>{_t(case_id)} {counted(fs)}</summary>"
                           '<div class="wrap" tabindex="0" role="region" '
                           f'aria-label="findings of {_t(case_id)}">'
                           '<table class="f"><thead><tr><th>rule</th>'
                           "<th>status</th><th>due</th><th>lateness</th><th>actionable</th>"
                           "<th>reason</th><th>finding id</th></tr></thead><tbody>")
                for f in fs:
                    reason = ""
                    if f["reason_code"]:
                        reason = f"{_t(f['reason_code'])}: {_t(f['reason_note'] or '')}"
                    act = ("yes" if f["actionable"]
                           else "no, closed " + _t(f["episode_end"] or ""))
                    out.append(f"<tr{_attrs(f)}><td>{_t(f['rule'])}</td><td>{_t(f['status'])}"
                               f"</td><td>{_t(f['due'] or '–')}</td><td>{_t(_late(f))}</td>"
                               f"<td>{act}</td><td>{reason}</td><td>{_t(f['finding_id'])}</td></tr>")
                out.append("</tbody></table></div></details>")
            out.append("</details>")
        out.append("</details>")
    if not work:
        out.append("<p>No open breaches in this run.</p>")
    out.append("</section>")
    return "".join(out)


def _filters(data: dict[str, Any]) -> str:
    teams = sorted({f["team"] for f in data["work"]}
                   | {t["key"] for t in data["measures"]["teams"]})
    workers = sorted({f["worker"] for f in data["work"]})
    rules = sorted({r["rule"] for r in data["rules"]})

    def select(name: str, label: str, values: list[str]) -> str:
        opts = "".join(f'<option value="{_t(v)}">{_t(v)}</option>' for v in values)
        return (f'<label>{_t(label)} <select id="f-{name}"><option value="">all</option>{opts}'
                "</select></label>")

    return ('<form class="filters" id="filters"><b>Filter</b> '
            '<label>rules <select id="f-pack"><option value="">statutory and local</option>'
            '<option value="statutory">statutory (ENG-)</option><option value="local">local '
            '(PRC-)</option></select></label> '
            '<label><input type="checkbox" id="f-act" checked> actionable only</label> '
            + select("team", "team", teams) + " " + select("worker", "worker", workers) + " "
            + select("rule", "rule", rules) + "</form>")


SCRIPT = """
(function(){var f=document.getElementById('filters');if(!f)return;
function v(id){return document.getElementById(id).value}
function apply(){var p=v('f-pack'),t=v('f-team'),w=v('f-worker'),r=v('f-rule'),
a=document.getElementById('f-act').checked;
document.querySelectorAll('tr[data-rule],tr[data-team]').forEach(function(e){var d=e.dataset,
ok=(!p||!d.pack||d.pack===p)&&(!t||!d.team||d.team===t)&&(!w||d.worker===undefined||
d.worker===w)&&(!r||!d.rule||d.rule===r)&&(!a||d.act===undefined||d.act==='1');
e.style.display=ok?'':'none'});
document.querySelectorAll('details.team,details.worker').forEach(function(e){
e.style.display=e.querySelector('tr[data-rule]:not([style*="none"])')?'':'none'})}
f.addEventListener('change',apply);apply()})();
"""


def render_html(data: dict[str, Any]) -> str:
    run, titles = data["run"], data["titles"]
    st = run["statuses"]
    counted = sum(st[s] for s in COUNTED)
    parts: list[str] = []
    add = parts.append
    add(f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Compliance dashboard: {_t(run['profile'])}, as-of {_t(run['as_of'])}</title>"
        f"<style>{CSS}</style></head><body><main>")
    add("<h1>Case compliance dashboard</h1>")
    add(f'<p class="meta">Run {run["id"]} &middot; as-of {_t(run["as_of"])} &middot; profile '
        f'{_t(run["profile"])} &middot; rule set {_t(run["ruleset_hash"][:12])} &middot; '
        f'input {_t(run["input"])} &middot; recorded {_t(run["finished"])}</p>')
    add('<nav><a href="#changes">since the last run</a> &middot; <a href="#measures">period '
        'measures</a> &middot; <a href="#work">open breaches</a> &middot; <a href="#by-rule">'
        'compliance by rule</a> &middot; <a href="#overdue">overdue by rule</a></nav>')
    tiles = [
        (_pct(run["compliance_rate"]), "compliance rate", False),
        (f"{run['records']['evaluated']:,}", f"cases evaluated ({run['records']['rejected']:,}"
                                             " rejected)", run["records"]["rejected"] > 0),
        (f"{counted:,}", "findings counted in the rate", False),
        (f"{run['breaches']:,}", "breaches (late, overdue, not met)", False),
        (f"{sum(1 for f in data['work'] if f['actionable']):,}", "open breaches needing action",
         any(f["actionable"] for f in data["work"])),
        (f"{st['due_soon']:,}", "due soon", False),
    ]
    add('<div class="tiles">' + "".join(
        f'<div class="tile{" bad" if bad else ""}"><b>{_t(v)}</b><span>{_t(label)}</span></div>'
        for v, label, bad in tiles) + "</div>")
    add('<p class="note">Compliance rate = met / (met + late + overdue + not met). Due soon, '
        "pending and insufficient-data findings are not counted either way. A breach is a "
        "finding that is late, overdue or not met.</p>")
    add(_filters(data))
    add(_changes_section(data))
    add(_measures_section(data))
    add(_work_section(data))

    count_header = [(label, True) for _, label in _COLS] + [("counted", True), ("rate", True)]
    add('<section id="by-rule"><h2>Compliance by rule</h2>'
        f'<p class="note">Run {run["id"]}, lowest rate first; the figure after each bar is the '
        "rate and the number of findings counted.</p>")
    add(_rate_bars(data["rules"], "rule", "Compliance rate by rule"))
    add(_table("Findings by rule and status", [("rule", False), ("title", False),
                                               *count_header],
               _count_rows(data["rules"], "rule", titles)))
    add("</section>")

    add('<section id="by-team"><h2>Compliance by team</h2>'
        f'<p class="note">Run {run["id"]}, lowest rate first. Cases without an allocated team '
        "are shown as (unallocated).</p>")
    add(_rate_bars(data["teams"], "team", "Compliance rate by team"))
    add(_table("Findings by team and status", [("team", False), *count_header],
               _count_rows(data["teams"], "team")))
    add("</section>")

    trend = data["trend"]
    add('<section id="trend"><h2>Compliance over time</h2>'
        f'<p class="note">The last {len(trend)} run(s) of profile {_t(run["profile"])}, '
        "ordered by as-of date. A change of rule set between runs is shown in the table; "
        "rates either side of it may not be comparable.</p>")
    add(line_chart([(r["as_of"], r["compliance_rate"]) for r in trend],
                   "Overall compliance rate by run"))
    prev_hash = None
    trend_rows = []
    for r in trend:
        changed = prev_hash is not None and r["ruleset_hash"] != prev_hash
        prev_hash = r["ruleset_hash"]
        trend_rows.append([str(r["id"]), _t(r["as_of"]),
                           _t(r["ruleset_hash"][:12]) + (" (changed)" if changed else ""),
                           f"{r['records']['evaluated']:,}", f"{r['breaches']:,}",
                           f"{r['statuses']['overdue']:,}", _pct(r["compliance_rate"])])
    add(_table("Overall compliance by run", [("run", True), ("as-of", False),
                                             ("rule set", False), ("cases", True),
                                             ("breaches", True), ("overdue", True),
                                             ("rate", True)], trend_rows))
    add("<h3>By rule</h3>")
    spark_rows = []
    for rid, rates in data["rule_trend"].items():
        known = [v for v in rates if v is not None]
        first, last = (known[0], known[-1]) if known else (None, None)
        change = ("–" if first is None or last is None
                  else f"{round(100 * (last - first), 1) + 0.0:+.1f} pts")
        spark_rows.append([_t(rid), sparkline(rates, f"{rid}: compliance rate by run"),
                           _pct(first), _pct(last), change])
    add(_table(f"Compliance rate by rule over the last {len(trend)} run(s) (scale 0–100%)",
               [("rule", False), ("trend", False), ("first", True), ("latest", True),
                ("change", True)], spark_rows))
    add("</section>")

    add('<section id="overdue"><h2>Overdue by rule</h2>'
        f'<p class="note">Run {run["id"]}: obligations not yet met whose deadline has passed, '
        "with how late they are in the rule's unit (working days or days).</p>")
    od = data["overdue"]
    if od:
        add(bar_chart([(f"{r['rule']} ({_unit(r['unit'])})", r["overdue"], f"{r['overdue']:,}")
                       for r in od],
                      "Overdue findings by rule", ticks=count_ticks(od[0]["overdue"]),
                      colour=RED))
        add(_table("Overdue findings by rule", [("rule", False), ("title", False),
                                                ("unit", False),
                                                ("overdue", True), ("mean lateness", True),
                                                ("longest", True)],
                   [[_t(r["rule"]), _t(titles.get(r["rule"], "")), _t(_unit(r["unit"])),
                     f"{r['overdue']:,}",
                     f"{r['mean_days_late']:.1f}" if r["mean_days_late"] is not None else "–",
                     str(r["longest_days_late"]) if r["longest_days_late"] is not None
                     else "–"] for r in od]))
    else:
        add('<p>No overdue findings in this run.</p>')
    add("</section>")
    add('<footer>Generated by casecheck from the sweep history database. Definitions: '
        "semantics.md (statuses) and docs/history.md (runs, diff).</footer>")
    add(f"<script>{SCRIPT}</script></main></body></html>\n")
    return "".join(parts)
