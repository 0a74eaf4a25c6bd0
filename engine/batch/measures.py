"""Period measures (docs/measures.md): of the obligations that fell due in a reporting period,
how many were met in time, done late, still overdue or closed without being done; and the
backlog of actionable overdue items at the period's end, with its age profile.

Each period is measured on one recorded run, its **measuring run**: the latest run of the
profile whose as-of date is on or before the period's end (and not after the run being viewed).
A period with no run on or after its start has no measures.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from engine.batch.history import OPEN, due_findings, open_findings, run_counts, run_dict

OUTCOMES = ("met", "late", "overdue", "closed_unmet", "not_yet_due", "insufficient_data")
AGE_BANDS = ((1, 7, "1-7 days"), (8, 30, "8-30 days"), (31, 90, "31-90 days"),
             (91, None, "91+ days"))
NO_DEADLINE = "no deadline"
AMBER_BAND = 0.05  # amber: below target by less than 5 percentage points


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def period_of(kind: str, day: date) -> Period:
    if kind == "month":
        start = _month_start(day)
        return Period(start.strftime("%Y-%m"), start, _add_months(start, 1) - timedelta(1))
    if kind == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return Period(f"{day.year}-Q{(day.month - 1) // 3 + 1}", start,
                      _add_months(start, 3) - timedelta(1))
    if kind == "year":
        return Period(str(day.year), date(day.year, 1, 1), date(day.year, 12, 31))
    raise ValueError(f"unknown period {kind!r}: month, quarter or year")


def periods_ending(kind: str, day: date, count: int) -> list[Period]:
    """``count`` consecutive periods of ``kind``, the last one holding ``day``, oldest first."""
    out = [period_of(kind, day)]
    while len(out) < count:
        out.insert(0, period_of(kind, out[0].start - timedelta(1)))
    return out


def custom_periods(start: date, end: date) -> list[Period]:
    """A period given by its dates, and the one of the same length just before it."""
    days = (end - start).days + 1
    before = Period(f"{(start - timedelta(days)).isoformat()}..{(start - timedelta(1))}",
                    start - timedelta(days), start - timedelta(1))
    return [before, Period(f"{start.isoformat()}..{end.isoformat()}", start, end)]


def rate(counts: dict[str, int]) -> float | None:
    """Timeliness: met / (met + late + overdue + closed_unmet); None when nothing fell due."""
    counted = sum(counts.get(k, 0) for k in ("met", "late", "overdue", "closed_unmet"))
    return counts.get("met", 0) / counted if counted else None


def rag(value: float | None, target: float | None) -> str | None:
    if value is None or target is None:
        return None
    if value >= target:
        return "green"
    return "amber" if value >= target - AMBER_BAND else "red"


def direction(now: float | None, before: float | None) -> str | None:
    """'up', 'down' or 'same' (to 0.1 of a percentage point); None without both rates."""
    if now is None or before is None:
        return None
    delta = round(100 * (now - before), 1)
    return "up" if delta > 0 else "down" if delta < 0 else "same"


def outcome(f: dict[str, Any]) -> str:
    status = f["status"]
    if status in OPEN:
        return "overdue" if f["actionable"] else "closed_unmet"
    if status in ("due_soon", "pending"):
        return "not_yet_due"
    return status  # met, late, insufficient_data


def age_band(as_of: date, due: str | None) -> str:
    """Backlog age in calendar days since the due date, for every rule alike (one unit)."""
    if not due:
        return NO_DEADLINE
    days = (as_of - date.fromisoformat(due)).days
    for lo, hi, label in AGE_BANDS:
        if days >= lo and (hi is None or days <= hi):
            return label
    return AGE_BANDS[0][2]


def measuring_run(conn: sqlite3.Connection, run: dict[str, Any],
                  period: Period) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT * FROM runs WHERE finished IS NOT NULL AND profile = ? AND pos <= ? AND "
        "as_of <= ? AND as_of >= ? ORDER BY pos DESC LIMIT 1",
        (run["profile"], run["pos"], period.end.isoformat(), period.start.isoformat())).fetchone()
    return None if row is None else run_dict(row)


def _blank() -> dict[str, Any]:
    return {**dict.fromkeys(OUTCOMES, 0), "late_with_reason": 0, "backlog": 0,
            "backlog_age": {label: 0 for *_, label in AGE_BANDS} | {NO_DEADLINE: 0}}


def measure_period(conn: sqlite3.Connection, run: dict[str, Any], period: Period,
                   reasons: dict[str, Any] | None = None) -> dict[str, Any]:
    """The measures of one period, overall, by rule and by team."""
    m = measuring_run(conn, run, period)
    out: dict[str, Any] = {"period": period.label, "from": period.start.isoformat(),
                           "to": period.end.isoformat(), "run": None, "total": _blank(),
                           "rules": {}, "teams": {}, "not_evaluated": 0}
    if m is None:
        out["rate"] = None
        return out
    out["run"] = {"id": m["id"], "as_of": m["as_of"]}
    as_of = date.fromisoformat(m["as_of"])
    start, end = period.start.isoformat(), period.end.isoformat()
    # every rule and team with a finding of an evaluated case in the measuring run has a block
    for dim, blocks in (("rule", out["rules"]), ("team", out["teams"])):
        for key, counts in run_counts(conn, m["id"], dim).items():
            if any(counts.values()):
                blocks[key] = _blank()

    def blocks_of(f: dict[str, Any]) -> tuple[dict[str, Any], ...]:
        rules, teams = out["rules"], out["teams"]
        if f["rule"] not in rules:
            rules[f["rule"]] = _blank()
        if f["team"] not in teams:
            teams[f["team"]] = _blank()
        return out["total"], rules[f["rule"]], teams[f["team"]]

    for f in due_findings(conn, m, start, end):  # fell due in the period
        if f["case_state"] != "evaluated":
            out["not_evaluated"] += 1
            continue
        o = outcome(f)
        with_reason = o in ("late", "overdue", "closed_unmet") and bool(
            reasons and f["finding_id"] in reasons)
        for b in blocks_of(f):
            b[o] += 1
            b["late_with_reason"] += with_reason
    for f in open_findings(conn, m):  # the backlog, whatever the due date
        if f["case_state"] != "evaluated" or not f["actionable"]:
            continue
        band = age_band(as_of, f["due"])
        for b in blocks_of(f):
            b["backlog"] += 1
            b["backlog_age"][band] += 1
    for b in (out["total"], *out["rules"].values(), *out["teams"].values()):
        b["rate"] = rate(b)
    out["rate"] = out["total"]["rate"]
    return out


def period_measures(conn: sqlite3.Connection, run: dict[str, Any], periods: list[Period],
                    targets: dict[str, float] | None = None,
                    reasons: dict[str, Any] | None = None) -> dict[str, Any]:
    """Measures for each period (oldest first), with the latest period's direction of travel
    against the one before and its red/amber/green against each rule's target."""
    measured = [measure_period(conn, run, p, reasons) for p in periods]
    targets = targets or {}
    latest = measured[-1]
    before = measured[-2] if len(measured) > 1 else None
    rules = sorted({r for m in measured for r in m["rules"]} | set(targets))
    teams = sorted({t for m in measured for t in m["teams"]})

    def line(dim: str, key: str) -> list[float | None]:
        return [m[dim].get(key, {}).get("rate") for m in measured]

    def summary(dim: str, key: str, target: float | None) -> dict[str, Any]:
        now = latest[dim].get(key, _blank() | {"rate": None})
        prev = before[dim].get(key, {}).get("rate") if before else None
        return {"key": key, **{k: now[k] for k in (*OUTCOMES, "late_with_reason", "backlog")},
                "backlog_age": now["backlog_age"], "rate": now["rate"], "previous_rate": prev,
                "direction": direction(now["rate"], prev), "target": target,
                "rag": rag(now["rate"], target), "trend": line(dim, key)}

    return {
        "periods": measured,
        "latest": latest["period"],
        "rules": [summary("rules", r, targets.get(r)) for r in rules],
        "teams": [summary("teams", t, None) for t in teams],
        "total": {**latest["total"], "previous_rate": before["rate"] if before else None,
                  "direction": direction(latest["rate"], before["rate"] if before else None),
                  "trend": [m["rate"] for m in measured]},
    }
