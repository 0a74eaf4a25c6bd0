"""SSD: exact records from the CSV fixture, the same from a SQLite database built from it."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

from engine.sources.report import ImportReport, SourceError
from engine.sources.ssd import read_ssd

from .conftest import validate_record, without_source

P2 = {
    "format": "casecheck/case-record@1", "case_id": "ssd:P2",
    "child": {"id": "P2", "date_of_birth": "2010-03-02", "sex": "F", "ethnicity": "MWBC"},
    "allocation": {"team": "Children in Care", "worker": "SW-200"},
    "episodes": [
        # two ssd_cla_episodes rows with one clae_cla_id are one period of care, still open
        {"id": "la-LA1", "type": "looked_after", "start": "2024-01-08", "end": None},
        {"id": "pl-PLC1", "type": "placement", "start": "2024-01-08", "end": "2024-04-01",
         "parent": "la-LA1", "placement_type": "U3", "long_term": False,
         "with_parents": False},
        {"id": "pl-PLC2", "type": "placement", "start": "2024-04-01", "end": None,
         "parent": "la-LA1", "placement_type": "U4", "long_term": True, "with_parents": False},
    ],
    "events": [
        {"id": "ha-H1", "type": "health_assessment", "date": "2024-01-30", "kind": "initial",
         "status": "completed"},
        {"id": "clar-CR1", "type": "cla_review", "date": "2024-02-01", "cancelled": False},
        {"id": "clar-CR2", "type": "cla_review", "date": "2024-05-01", "cancelled": True},
    ],
}


def _csv(fixtures: Path) -> tuple[list[dict], ImportReport]:
    report = ImportReport("ssd")
    return list(read_ssd(fixtures / "ssd", report)), report


def test_records_exact(fixtures: Path) -> None:
    records, _ = _csv(fixtures)
    assert [r["case_id"] for r in records] == ["ssd:P1", "ssd:P2", "ssd:P3"]
    assert without_source(records[1]) == P2
    p1 = {e["id"]: e for e in records[0]["events"]}
    assert p1["sd-S1"] == {"id": "sd-S1", "type": "strategy_discussion", "date": "2024-02-21",
                           "s47": True}
    assert p1["s47-S1"]["outcome"] == "icpc"  # an ICPC row names the enquiry
    assert p1["icpc-C1"]["ref"] == "sd-S1"
    assert p1["cinv-V1"]["date"] == "2024-02-05T14:30:00"  # a real time is kept on events
    assert p1["asm-A1"]["ref"] == "ref-R1"
    assert records[0]["episodes"][2]["category"] == "neglect"  # latest category wins
    assert records[0]["allocation"] == {"team": "Assessment East", "worker": "SW-104"}
    p3 = records[2]
    assert p3["child"]["date_of_birth"] is None  # 1900-01-01 placeholder
    assert p3["events"][-1] == {"id": "miss-M1", "type": "missing_episode",
                                "date": "2024-02-10T22:15:00", "end": "2024-02-11T09:00:00",
                                "episode_type": "missing"}


def test_every_row_accounted_for(fixtures: Path) -> None:
    _, report = _csv(fixtures)
    assert report.balanced()
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (32, 26, 6)
    assert {r.where for r in report.rejections} == {
        "ssd_cin_plans.csv:3", "ssd_cin_visits.csv:3", "ssd_cp_visits.csv:3",
        "ssd_cla_reviews.csv:4", "ssd_cla_health.csv:3", "ssd_missing.csv:3"}
    assert report.orphan_rows == 1
    assert report.normalisations["placeholder 1900-01-01 → null"] == 1


def test_absent_tables_leave_the_declaration(fixtures: Path) -> None:
    records, report = _csv(fixtures)
    supplies = records[0]["source"]["supplies"]
    assert "care_plan" not in supplies["events"]  # no ssd_cla_care_plan.csv in the fixture
    assert "legal_status" not in supplies["episodes"]["looked_after"]
    # CIN and CP visits are in the fixture but not ssd_cla_visits.csv: visits are not
    # supplied, since a looked-after child's visits could not be shown
    assert "visit" not in supplies["events"]
    assert any("ssd_cla_care_plan" in note for note in report.notes)


def test_records_validate(fixtures: Path) -> None:
    records, _ = _csv(fixtures)
    for record in records:
        assert validate_record(record) == []


def _database(fixtures: Path, path: Path) -> None:
    """A SQLite copy of the CSV fixture (text columns, like a straight load)."""
    conn = sqlite3.connect(path)
    for file in sorted((fixtures / "ssd").glob("ssd_*.csv")):
        with file.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        cols = ", ".join(f'"{c}"' for c in rows[0])
        conn.execute(f'CREATE TABLE "{file.stem}" ({cols})')
        marks = ", ".join("?" for _ in rows[0])
        conn.executemany(f'INSERT INTO "{file.stem}" VALUES ({marks})', rows[1:])
    conn.commit()
    conn.close()


def test_database_gives_the_same_records(fixtures: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "ssd.sqlite"
    _database(fixtures, db)
    monkeypatch.setenv("CASECHECK_SSD_URL", f"sqlite:///{db}")
    report = ImportReport("ssd")
    from_db = list(read_ssd(None, report))
    from_csv, csv_report = _csv(fixtures)
    assert from_db == from_csv
    assert report.balanced()
    # the exact duplicate CSV row is a second row with one id in the database
    assert report.rows_rejected == csv_report.rows_rejected
    assert "ssd_cin_plans:row 2" in {r.where for r in report.rejections}


def test_database_is_read_only(fixtures: Path, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.sources import ssd

    db = tmp_path / "ssd.sqlite"
    _database(fixtures, db)
    before = db.read_bytes()
    monkeypatch.setenv("CASECHECK_SSD_URL", f"sqlite:///{db}")
    list(read_ssd(None, ImportReport("ssd")))
    assert db.read_bytes() == before
    assert ssd.URL_ENV == "CASECHECK_SSD_URL"


def test_database_url_missing_or_table_missing(fixtures: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASECHECK_SSD_URL", raising=False)
    with pytest.raises(SourceError, match="set the environment variable CASECHECK_SSD_URL"):
        read_ssd(None, ImportReport("ssd"))
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    monkeypatch.setenv("CASECHECK_SSD_URL", f"sqlite:///{empty}")
    with pytest.raises(SourceError, match="ssd_person: required table not found"):
        read_ssd(None, ImportReport("ssd"))


def test_misnamed_table_file_gets_a_suggestion(fixtures: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ssd"
    folder.mkdir()
    for f in (fixtures / "ssd").iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "ssd_cin_plans.csv").rename(folder / "ssd_cin_plan.csv")
    with pytest.raises(SourceError, match=r"did you mean 'ssd_cin_plans.csv'"):
        read_ssd(folder, ImportReport("ssd"))
