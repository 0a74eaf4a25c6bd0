"""Issue 12 acceptance: a generated cohort swept nightly for 30 nights into one history DB."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

import engine.batch.history as history
import engine.batch.sweep as sweep_mod
from engine.batch.measures import periods_ending
from engine.evaluate.compile import build_ruleset
from engine.reports.dashboard import dashboard_data
from engine.reports.findings_json import case_json
from engine.rules.profiles import load_profile
from engine.rules.rulebook import RuleLibrary
from engine.synthetic import generate_cohort

LAST = date(2024, 7, 15)
SWITCH = date(2024, 7, 1)  # the breach rate rises from this night on


def _write(path: Path, rate: float) -> Path:
    with path.open("wb") as fh:
        for rec in generate_cohort(150, 7, LAST, breach_rate=rate):
            fh.write(orjson.dumps(rec) + b"\n")
    return path


@pytest.fixture(scope="module")
def nightly(tmp_path_factory: pytest.TempPathFactory, library: RuleLibrary) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("nightly")
    good, bad = _write(tmp / "good.jsonl", 0.05), _write(tmp / "bad.jsonl", 0.6)
    profile = load_profile("practice")
    ruleset = build_ruleset(profile, library)
    digest, described = history.ruleset_identity(ruleset, profile.params, profile.events)
    db = tmp / "h.sqlite"
    reason_fid = None
    for n in range(30):
        night = LAST - timedelta(days=29 - n)
        src = good if night < SWITCH else bad
        meta = history.RunMeta(night, "practice", digest, described, str(src))
        with history.record_run(db, meta) as rec:
            summary = sweep_mod.sweep(src, tmp / "out", ruleset, night, sink=rec.add,
                                      serialise=case_json)
            rec.finish(summary)
        if n == 0:
            conn = history.connect(db)
            late = next(f for f in history.run_findings(conn, history.get_run(conn))
                        if f["status"] == "overdue" and f["actionable"])
            reason_fid = late["finding_id"]
            history.add_reason(conn, reason_fid, "family_request", "note", "QA lead")
            conn.close()
    return {"db": db, "reason": reason_fid}


def test_period_measures_move_when_the_breach_rate_changes(nightly: dict[str, Any]) -> None:
    conn = history.connect(nightly["db"])
    data = dashboard_data(conn, periods=periods_ending("month", LAST, 2))
    june, july = data["measures"]["periods"]
    assert (june["period"], june["run"]["as_of"]) == ("2024-06", "2024-06-30")
    assert (july["period"], july["run"]["as_of"]) == ("2024-07", "2024-07-15")
    assert june["rate"] is not None and july["rate"] is not None
    assert june["rate"] > 0.85 and july["rate"] < 0.7  # 5% vs 60% of acts breached
    assert data["measures"]["total"]["direction"] == "down"
    # the old compliance rate of the whole history barely separates them
    assert len(data["trend"]) == 30


def test_dashboard_changes_agree_with_diff(nightly: dict[str, Any]) -> None:
    conn = history.connect(nightly["db"])
    runs = history.list_runs(conn)
    switch = next(r for r in runs if r["as_of"] == SWITCH.isoformat())
    for run in (switch, runs[-1]):
        data = dashboard_data(conn, run["id"], periods=periods_ending("month", LAST, 2))
        d = history.diff_runs(conn, run, history.previous_run(conn, run))
        for cat in ("new", "resolved", "not_evaluated", "still_open"):
            assert ([(i["finding_id"], i["kind"]) for i in data["changes"][cat]]
                    == [(i["finding_id"], i["kind"]) for i in d[cat]])
    d = history.diff_runs(conn, switch, history.previous_run(conn, switch))
    assert d["counts"]["new"] > 0 and d["new_by_kind"]["need_action"] > 0


def test_no_aggregate_mixes_units(nightly: dict[str, Any]) -> None:
    conn = history.connect(nightly["db"])
    run = history.get_run(conn)
    rows = history.overdue_by_rule(conn, run["id"])
    units = {(f["rule"], f["unit"]) for f in history.run_findings(conn, run, frozenset(
        {"overdue"})) if f["actionable"]}
    assert {(r["rule"], r["unit"]) for r in rows} == units
    assert all(r["unit"] in ("working_days", "days") for r in rows)


def test_a_reason_survives_thirty_runs(nightly: dict[str, Any]) -> None:
    conn = history.connect(nightly["db"])
    fid = nightly["reason"]
    assert history.current_reasons(conn)[fid]["code"] == "family_request"
    assert history.current_reasons(conn)[fid]["by"] == "QA lead"
    data = dashboard_data(conn, periods=periods_ending("month", LAST, 2))
    shown = [f for f in data["work"] if f["finding_id"] == fid]
    if shown:  # still open in the last run: the reason is beside it
        assert shown[0]["reason_code"] == "family_request"
    history.remove_reason(conn, fid, "withdrawn", "QA lead")
    assert fid not in history.current_reasons(conn)
    assert [e["action"] for e in history.reason_log(conn, fid)] == ["add", "remove"]
