"""The compliance dashboard: one self-contained HTML page (inline CSS and SVG drawn here, no
scripts, no external files), or the same tables as CSV files for spreadsheet users.

Content, for one run (default: the latest) and the runs of its profile before it:
compliance rate by rule and by team, the overall compliance trend with a small trend line per
rule, and overdue findings by rule; each chart is followed by the table it is drawn from.
Compliance rate = met / (met + late + overdue + not_met) (semantics.md).
"""

from __future__ import annotations

import csv
import sqlite3
from html import escape
from pathlib import Path
from typing import Any

from engine.batch.history import (
    STATUSES,
    get_run,
    overdue_by_rule,
    recent_runs,
    run_counts,
    run_ruleset,
)
from engine.evaluate.status import COUNTED, compliance_rate

CSV_TABLES = ("rules", "teams", "overdue", "trend", "rule_trend")
BLUE, RED, GREY, INK = "#1d70b8", "#c3362b", "#b1b4b6", "#0b0c0c"


def dashboard_data(conn: sqlite3.Connection, run_id: int | None = None,
                   runs: int = 30) -> dict[str, Any]:
    """Every number the dashboard shows, as plain data."""
    run = get_run(conn, run_id)
    ruleset = run_ruleset(conn, run["id"])
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
    }


# ---------------------------------------------------------------------------------------------
# CSV


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4f}"
    return v


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


def line_chart(points: list[tuple[str, float | None]], title: str) -> str:
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
               'text-anchor="middle">as-of date of each run</text></svg>')
    return "".join(out)


def _segments(values: list[tuple[int, float | None]]) -> list[list[tuple[int, float]]]:
    segs: list[list[tuple[int, float]]] = [[]]
    for i, v in values:
        if v is None:
            if segs[-1]:
                segs.append([])
        else:
            segs[-1].append((i, v))
    return [s for s in segs if s]


def sparkline(rates: list[float | None], label: str) -> str:
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
    return (f'<div class="wrap"><table><caption>{_t(caption)}</caption><thead><tr>{head}'
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
    tiles = [
        (_pct(run["compliance_rate"]), "compliance rate", False),
        (f"{run['records']['evaluated']:,}", f"cases evaluated ({run['records']['rejected']:,}"
                                             " rejected)", run["records"]["rejected"] > 0),
        (f"{counted:,}", "findings counted in the rate", False),
        (f"{run['breaches']:,}", "breaches (late, overdue, not met)", False),
        (f"{st['overdue']:,}", "overdue now", st["overdue"] > 0),
        (f"{st['due_soon']:,}", "due soon", False),
    ]
    add('<div class="tiles">' + "".join(
        f'<div class="tile{" bad" if bad else ""}"><b>{_t(v)}</b><span>{_t(label)}</span></div>'
        for v, label, bad in tiles) + "</div>")
    add('<p class="note">Compliance rate = met / (met + late + overdue + not met). Due soon, '
        "pending and insufficient-data findings are not counted either way. A breach is a "
        "finding that is late, overdue or not met.</p>")

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
        add(bar_chart([(r["rule"], r["overdue"], f"{r['overdue']:,}") for r in od],
                      "Overdue findings by rule", ticks=count_ticks(od[0]["overdue"]),
                      colour=RED))
        add(_table("Overdue findings by rule", [("rule", False), ("title", False),
                                                ("overdue", True), ("mean lateness", True),
                                                ("longest", True)],
                   [[_t(r["rule"]), _t(titles.get(r["rule"], "")), f"{r['overdue']:,}",
                     f"{r['mean_days_late']:.1f}" if r["mean_days_late"] is not None else "–",
                     str(r["longest_days_late"]) if r["longest_days_late"] is not None
                     else "–"] for r in od]))
    else:
        add('<p>No overdue findings in this run.</p>')
    add("</section>")
    add('<footer>Generated by casecheck from the sweep history database. Definitions: '
        "semantics.md (statuses) and docs/history.md (runs, diff).</footer>")
    add("</main></body></html>\n")
    return "".join(parts)
