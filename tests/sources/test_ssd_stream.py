"""SSD streaming (issue 11 item 7): rows are sorted by child in spilled runs and merged, and the
records and the import report are the same as reading every table whole, whatever the order
of the rows in the files and however small the runs."""

from __future__ import annotations

import csv
import random
import sqlite3
from pathlib import Path

import orjson
import pytest

from engine.sources import ssd
from engine.sources.report import ImportReport
from engine.sources.ssd import read_ssd

from .conftest import FIXTURES

HEADERS = {
    "ssd_person": ["pers_person_id", "pers_sex", "pers_ethnicity", "pers_dob",
                   "pers_expected_dob", "pers_death_date"],
    "ssd_cin_visits": ["cinv_cin_visit_id", "cinv_person_id", "cinv_cin_visit_date",
                       "cinv_cin_visit_seen", "cinv_cin_visit_seen_alone"],
}


def _write(folder: Path, table: str, rows: list[list[str]], header: list[str] | None = None
           ) -> None:
    with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header or HEADERS[table])
        writer.writerows(rows)


def _read(folder: Path | None, spill_rows: int = ssd.SPILL_ROWS) -> tuple[bytes, bytes]:
    report = ImportReport("ssd")
    records = b"".join(orjson.dumps(r) + b"\n"
                       for r in read_ssd(folder, report, spill_rows=spill_rows))
    return records, orjson.dumps(report.to_dict())


def _shuffled(src: Path, dst: Path, seed: int, *, person_too: bool = False) -> None:
    """A copy of ``src`` with the rows of every table (ssd_person too if asked) shuffled."""
    rng = random.Random(seed)
    dst.mkdir()
    for file in src.glob("ssd_*.csv"):
        with file.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        body = rows[1:]
        if person_too or file.stem != "ssd_person":
            rng.shuffle(body)
        _write(dst, file.stem, body, rows[0])


@pytest.mark.parametrize("spill_rows", [1, 2, 7])
def test_tiny_runs_change_nothing(spill_rows: int) -> None:
    """Runs of one row or a few, merged back, give the records and the report byte for byte."""
    folder = FIXTURES / "ssd"
    assert _read(folder, spill_rows) == _read(folder)


def test_row_order_in_the_files_does_not_matter(tmp_path: Path) -> None:
    """Records come out in ssd_person's order; other tables may be in any order."""
    _shuffled(FIXTURES / "ssd", tmp_path / "shuffled", seed=3)
    records, report = _read(tmp_path / "shuffled", spill_rows=3)
    before = _read(FIXTURES / "ssd")[0]
    assert records == before
    assert orjson.loads(report)["rows"] == {"read": 32, "used": 26, "rejected": 6}


def test_records_follow_ssd_person_order(tmp_path: Path) -> None:
    _shuffled(FIXTURES / "ssd", tmp_path / "shuffled", seed=5, person_too=True)
    with (tmp_path / "shuffled" / "ssd_person.csv").open(newline="") as fh:
        order = [f"ssd:{row['pers_person_id']}" for row in csv.DictReader(fh)]
    records = [orjson.loads(line) for line in _read(tmp_path / "shuffled", 2)[0].splitlines()]
    assert [r["case_id"] for r in records] == order
    before = {r["case_id"]: r for r in map(orjson.loads, _read(FIXTURES / "ssd")[0].splitlines())}
    assert {r["case_id"]: r for r in records} == before


def test_checks_across_children_keep_their_meaning(tmp_path: Path) -> None:
    """A repeated id names the first line even when a later line's child sorts first; exact
    duplicates of rows for unknown children; rejections listed by table, then line."""
    folder = tmp_path / "ssd"
    folder.mkdir()
    _write(folder, "ssd_person", [["B", "F", "", "2015-01-01", "", ""],
                                  ["A", "M", "", "2016-01-01", "", ""]])
    _write(folder, "ssd_cin_visits", [
        ["V1", "A", "2024-01-02", "Y", "N"],   # 2: used (A's)
        ["V1", "B", "2024-01-03", "Y", "N"],   # 3: B sorts first, but line 2 holds V1 first
        ["V2", "Z", "2024-01-04", "Y", "N"],   # 4: unknown child
        ["V2", "Z", "2024-01-04", "Y", "N "],  # 5: exact duplicate of 4 (cells are stripped)
        ["V3", "", "2024-01-05", "Y", "N"],    # 6: person blank
        ["V4", "B", "2024-01-06", "Y", "N"],   # 7: used
        ["V4", "B", "2024-01-06", "Y", "N"],   # 8: exact duplicate of 7
        ["", "A", "2024-01-07", "Y", "N"],     # 9: id blank
        ["V5", "A", "2024-01-08", "maybe", "N"],  # 10: bad flag
        ["V1", "Z", "2024-01-09", "Y", "N"],   # 11: a repeated id before an unknown child
    ])
    for spill_rows in (1, 1000):
        report = ImportReport("ssd")
        records = list(read_ssd(folder, report, spill_rows=spill_rows))
        assert [r["case_id"] for r in records] == ["ssd:B", "ssd:A"]
        assert [e["id"] for e in records[0]["events"]] == ["cinv-V4"]
        assert [e["id"] for e in records[1]["events"]] == ["cinv-V1"]
        assert [(r.where, r.reason) for r in report.rejections] == [
            ("ssd_cin_visits.csv:3", "a second row with the same cinv_cin_visit_id "
                                     "(first at 2)"),
            ("ssd_cin_visits.csv:4", "person not in ssd_person"),
            ("ssd_cin_visits.csv:5", "exact duplicate of line 4"),
            ("ssd_cin_visits.csv:6", "cinv_person_id is blank"),
            ("ssd_cin_visits.csv:8", "exact duplicate of line 7"),
            ("ssd_cin_visits.csv:9", "cinv_cin_visit_id is blank"),
            ("ssd_cin_visits.csv:10", "cinv_cin_visit_seen is 5 letters, not Y or N"),
            ("ssd_cin_visits.csv:11", "a second row with the same cinv_cin_visit_id "
                                      "(first at 2)"),
        ]
        assert report.orphan_rows == 1
        assert report.balanced() and report.rows_read == 12


def test_runs_spill_to_disk_and_are_removed() -> None:
    runs = ssd._Runs(limit=3)
    rows = [(n % 4, 1, n, None, (str(n),)) for n in range(10, 0, -1)]
    for row in rows:
        runs.add(row)
    assert len(runs.files) == 3 and runs.folder is not None
    folder = Path(runs.folder.name)
    assert list(runs.merged()) == sorted(rows)
    runs.close()
    assert not folder.exists()


def test_temporary_runs_are_removed_after_reading(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    records = list(read_ssd(FIXTURES / "ssd", ImportReport("ssd"), spill_rows=2))
    assert len(records) == 3
    assert list(tmp_path.iterdir()) == []


def test_database_rows_are_read_in_person_order(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Server-side ORDER BY: row numbers follow person, then id, not the order of insertion."""
    db = tmp_path / "ssd.sqlite"
    conn = sqlite3.connect(db)
    for table, rows in (("ssd_person", [["B", "F", "", "2015-01-01", "", ""],
                                        ["A", "M", "", "2016-01-01", "", ""]]),
                        ("ssd_cin_visits", [["V2", "B", "2024-01-03", "Y", "N"],
                                            ["V1", "A", "2024-01-02", "Y", "N"],
                                            ["V1", "B", "2024-01-04", "Y", "N"]])):
        cols = ", ".join(f'"{c}"' for c in HEADERS[table])
        conn.execute(f'CREATE TABLE "{table}" ({cols})')
        marks = ", ".join("?" for _ in HEADERS[table])
        conn.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)
    conn.commit()
    conn.close()
    monkeypatch.setenv("CASECHECK_SSD_URL", f"sqlite:///{db}")
    report = ImportReport("ssd")
    records = list(read_ssd(None, report, spill_rows=1))
    assert [r["case_id"] for r in records] == ["ssd:A", "ssd:B"]
    assert [e["id"] for e in records[1]["events"]] == ["cinv-V2"]
    assert [(r.where, r.reason) for r in report.rejections] == [
        ("ssd_cin_visits:row 2", "a second row with the same cinv_cin_visit_id (first at row 1)")]
    assert report.balanced()
