"""Case records → a folder of SSD CSV tables (``ssd_<table>.csv``), the inverse of
``ssd.read_ssd`` for what the SSD holds.

Every table the reader knows is written (empty when no record has rows for it), so the import
supplies everything the SSD can.  Dates are ISO; date-times keep their time of day.  Visits go
to the table of the plan open on the day (CLA, then CP, then CIN).  The SSD holds one
assessment outcome only (no further action), and no strategy discussions (the reader infers one
at each section 47 start).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .ssd import COLUMNS
from .writing import Tables, by_type, day, flag, involvement_end, open_on

FILES = {f"{table}.csv": [c for c in cols if c] for table, cols in COLUMNS.items()}
FILES["ssd_person.csv"] = ["pers_person_id", "pers_sex", "pers_ethnicity", "pers_dob",
                           "pers_expected_dob", "pers_death_date"]
FILES["ssd_department.csv"] = ["dept_team_id", "dept_team_name"]
HEALTH = {"initial": "Initial Health Assessment", "review": "Review Health Assessment"}
MISSING = {"missing": "Missing", "absent": "Absent"}


def write_ssd(records: Iterable[dict[str, Any]], folder: Path) -> int:
    """Write the SSD tables into ``folder``; returns the people written."""
    n = 0
    teams: dict[str, str] = {}
    with Tables(folder, FILES) as t:
        for record in records:
            n += 1
            _person(t, record, teams)
        for name, team_id in teams.items():
            t.row("ssd_department.csv", team_id, name)
    return n


def _person(t: Tables, record: dict[str, Any], teams: dict[str, str]) -> None:
    c = record["child"]
    pid = c["id"]
    t.row("ssd_person.csv", pid, c.get("sex"), c.get("ethnicity"), c.get("date_of_birth"),
          c.get("expected_date_of_birth"), c.get("date_of_death"))
    alloc = record.get("allocation") or {}
    team = alloc.get("team")
    if team or alloc.get("worker"):
        team_id = teams.setdefault(team, f"T{len(teams) + 1}") if team else ""
        first = min((e["start"] for e in record.get("episodes", ())), default=None)
        first = first or min((day(e["date"]) for e in record.get("events", ())), default=None)
        if first:
            t.row("ssd_involvements.csv", f"{pid}-inv", pid, alloc.get("worker"), team_id,
                  first, "")
    episodes = record.get("episodes", ())
    cla = by_type(record, "episodes", "looked_after")
    cp = by_type(record, "episodes", "cp_plan")
    cin = by_type(record, "episodes", "cin_plan")
    closures = {ep["start"]: ep.get("end") for ep in by_type(record, "episodes", "cin_episode")}
    for ep in episodes:
        kind, eid = ep["type"], f"{pid}-{ep['id']}"
        if kind == "cin_plan":
            t.row("ssd_cin_plans.csv", eid, pid, ep["start"], ep.get("end"))
        elif kind == "cp_plan":
            t.row("ssd_cp_plans.csv", eid, pid, ep["start"], ep.get("end"), ep.get("category"),
                  "")
        elif kind == "looked_after":
            t.row("ssd_cla_episodes.csv", eid, pid, eid, ep["start"], ep.get("end"))
            for i, status in enumerate(ep.get("legal_statuses") or (
                    [{"code": ep["legal_status"], "start": ep["start"], "end": ep.get("end")}]
                    if ep.get("legal_status") else [])):
                t.row("ssd_legal_status.csv", f"{eid}-ls{i}", pid, status["code"],
                      status["start"], status.get("end"))
        elif kind == "placement":
            parent = f"{pid}-{ep['parent']}" if ep.get("parent") else ""
            t.row("ssd_cla_placement.csv", eid, pid, parent, ep["start"], ep.get("end"),
                  ep.get("placement_type"))
    for ev in record.get("events", ()):
        kind, eid, when = ev["type"], f"{pid}-{ev['id']}", ev["date"]
        if kind == "referral":
            d = day(when)
            close = closures[d] if d in closures else involvement_end(episodes, d)
            t.row("ssd_cin_episodes.csv", eid, pid, d, close, "", "")
        elif kind == "assessment":
            ref = f"{pid}-{ev['ref']}" if ev.get("ref") else ""
            t.row("ssd_cin_assessments.csv", eid, pid, ref, when, flag(ev.get("child_seen")),
                  ev.get("completed"), flag(ev["outcome"] == "nfa") if ev.get("outcome")
                  else "")
        elif kind == "s47_enquiry":
            t.row("ssd_s47_enquiry.csv", eid, pid, when, ev.get("completed"),
                  flag(ev.get("outcome") == "no_icpc") if ev.get("outcome") else "")
        elif kind == "icpc":
            t.row("ssd_initial_cp_conference.csv", eid, pid, "", flag(ev.get("transfer_in")),
                  when, flag(ev.get("cp_plan")))
        elif kind == "rcpc" and not ev.get("cancelled"):
            t.row("ssd_cp_reviews.csv", eid, pid, when)
        elif kind == "cla_review":
            t.row("ssd_cla_reviews.csv", eid, pid, when, flag(ev.get("cancelled")))
        elif kind == "visit":
            d = day(when)
            table = ("cla" if open_on(cla, d) else "cp" if open_on(cp, d)
                     else "cin" if open_on(cin, d) else ev.get("context") or "cin")
            seen = ev.get("seen", True)
            t.row(f"ssd_{table}_visits.csv", eid, pid, when, flag(seen),
                  flag(ev.get("seen_alone")))
        elif kind == "health_assessment" and ev.get("kind") in HEALTH:
            t.row("ssd_cla_health.csv", eid, pid, HEALTH[ev["kind"]], when, ev.get("status"))
        elif kind == "dental_check":
            t.row("ssd_cla_health.csv", eid, pid, "Dental check", when, ev.get("status"))
        elif kind == "care_plan":
            t.row("ssd_cla_care_plan.csv", eid, pid, when)
        elif kind == "missing_episode":
            t.row("ssd_missing.csv", eid, pid, when, ev.get("end"),
                  MISSING.get(ev.get("episode_type") or "", ""))
        elif kind == "pathway_plan_review":
            t.row("ssd_care_leavers.csv", eid, pid, when)

