"""casecheck export --xlsx: the workbook read back with openpyxl agrees with diff and the
period measures, keeps dates and numbers typed, and never holds a formula from a record."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

import engine.batch.history as history
from cli import main
from engine.batch.measures import periods_ending
from engine.reports.dashboard import dashboard_data
from engine.reports.workbook import SHEETS

LAST = date(2024, 7, 3)
NIGHTS = (date(2024, 6, 28), date(2024, 7, 1), LAST)
EVIL = '=HYPERLINK("http://example.invalid/x","click")'


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from engine.synthetic import generate_cohort

    tmp = tmp_path_factory.mktemp("workbook")
    src = tmp / "cohort.jsonl"
    with src.open("wb") as fh:
        for i, rec in enumerate(generate_cohort(80, 3, LAST, breach_rate=0.4)):
            if i % 5 == 0:
                rec["allocation"]["team"] = EVIL
            fh.write(orjson.dumps(rec) + b"\n")
    path = tmp / "h.sqlite"
    for night in NIGHTS:
        result = cli("sweep", str(src), "--out", str(tmp / "out"), "--as-of",
                     night.isoformat(), "--profile", "practice", "--db", str(path))
        assert result.exit_code == 0, result.output
    conn = history.connect(path)
    work = [f for f in history.run_findings(conn, history.get_run(conn))
            if f["status"] == "overdue" and f["actionable"]]
    history.add_reason(conn, work[0]["finding_id"], "family_request", "=1+1", "QA lead")
    conn.close()
    return path


def rows(ws: Any) -> list[dict[str, Any]]:
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r, strict=True)) for r in values[1:]]


@pytest.fixture(scope="module")
def book(db: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("book") / "nightly.xlsx"
    result = cli("export", "--db", str(db), "--xlsx", str(out))
    assert result.exit_code == 0, result.output
    assert "wrote workbook of run 3" in result.output
    return load_workbook(out)


def test_a_sheet_per_view_each_with_frozen_header_filter_and_widths(book: Any) -> None:
    assert tuple(book.sheetnames) == SHEETS
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert ws.auto_filter.ref.endswith(str(ws.max_row)), ws.title
        assert all(ws.column_dimensions[c].width for c in "AB"), ws.title
        assert ws["A1"].font.b


def test_dates_and_numbers_are_typed_cells(book: Any) -> None:
    overdue = rows(book["Overdue"])
    assert overdue
    first = overdue[0]
    assert isinstance(first["due"], datetime | date)
    assert isinstance(first["lateness"], int) and first["lateness"] > 0
    assert first["lateness unit"] in ("days", "working days")
    measures = rows(book["Measures by period"])
    assert isinstance(measures[-1]["from"], datetime | date)
    assert isinstance(measures[-1]["met"], int)
    assert isinstance(measures[-1]["timeliness"], float)
    ws = book["Measures by period"]
    col = [c.value for c in ws[1]].index("timeliness")
    assert ws[ws.max_row][col].number_format == "0.0%"
    assert ws[ws.max_row][1].number_format == "yyyy-mm-dd"
    about = {r["item"]: r["value"] for r in rows(book["About"])}
    assert about["run id"] == 3 and isinstance(about["as-of date"], datetime)
    assert about["as-of date"].date() == LAST


def test_formula_text_from_a_record_stays_text(book: Any) -> None:
    teams = {r["team"] for r in rows(book["Overdue"])} | {
        r["team"] for r in rows(book["Measures by team"])}
    assert "'" + EVIL in teams
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    notes = [r["reason note"] for r in rows(book["Overdue"]) if r["reason code"]]
    assert notes == ["'=1+1"]


def test_numbers_agree_with_diff_and_the_period_measures(book: Any, db: Path) -> None:
    d = json.loads(cli("diff", "--db", str(db), "--format", "json").output)
    for cat, title in (("new", "New"), ("resolved", "Resolved"),
                       ("not_evaluated", "Not evaluated")):
        got = rows(book[title])
        assert sorted(r["finding id"] for r in got) == sorted(i["finding_id"] for i in d[cat])
    about = {r["item"]: r["value"] for r in rows(book["About"])}
    assert about["new breaches"] == d["counts"]["new"]
    assert about["resolved"] == d["counts"]["resolved"]
    assert about["still open"] == d["counts"]["still_open"]
    assert about["compared with run id"] == d["against"]["id"]

    conn = history.connect(db)
    data = dashboard_data(conn, periods=periods_ending("month", LAST, 6))
    m = data["measures"]
    by_period = {r["period"]: r for r in rows(book["Measures by period"])}
    for p in m["periods"]:
        r = by_period[p["period"]]
        assert r["met"] == p["total"]["met"] and r["backlog"] == p["total"]["backlog"]
        assert r["timeliness"] == pytest.approx(p["rate"]) if p["rate"] is not None else (
            r["timeliness"] is None)
    june = [r for r in rows(book["Measures by rule"]) if r["period"] == "2024-06"]
    for r in june:
        block = m["periods"][-2]["rules"][r["rule"]]
        assert (r["met"], r["late"], r["overdue"]) == (block["met"], block["late"],
                                                       block["overdue"])
        assert r["measuring run"] == 1 and r["measuring run as-of"].date() == NIGHTS[0]
    july = {r["rule"]: r for r in rows(book["Measures by rule"]) if r["period"] == "2024-07"}
    for summary in m["rules"]:
        if summary["key"] in july:
            assert july[summary["key"]]["RAG"] == summary["rag"]
            assert july[summary["key"]]["target"] == summary["target"]
            assert july[summary["key"]]["direction"] == summary["direction"]
    actionable = [f for f in data["work"] if f["actionable"]]
    assert len(rows(book["Overdue"])) == len(actionable) == about[
        "open breaches needing action"]
    assert sum(r["open breaches"] for r in rows(book["Overdue by worker"])) == len(actionable)


def test_export_options(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "q.xlsx"
    assert cli("export", "--db", str(db), "--xlsx", str(out), "--run", "2", "--period",
               "quarter").exit_code == 0
    wb = load_workbook(out)
    periods = [r["period"] for r in rows(wb["Measures by period"])]
    assert periods[-1] == "2024-Q3" and len(periods) == 6
    out = tmp_path / "c.xlsx"
    assert cli("export", "--db", str(db), "--xlsx", str(out), "--from", "2024-06-01", "--to",
               "2024-06-30").exit_code == 0
    assert [r["period"] for r in rows(load_workbook(out)["Measures by period"])] == [
        "2024-05-02..2024-05-31", "2024-06-01..2024-06-30"]
    bad = cli("export", "--db", str(db), "--xlsx", str(tmp_path / "x.csv"))
    assert bad.exit_code == 2 and ".xlsx" in bad.output
    first = tmp_path / "first.xlsx"
    assert cli("export", "--db", str(db), "--xlsx", str(first), "--run", "1").exit_code == 0
    assert not any(r["finding id"] for r in rows(load_workbook(first)["New"]))
    assert not list(tmp_path.glob(".*.tmp"))
