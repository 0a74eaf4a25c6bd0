"""Issue 9: a sweep runs with nobody watching. Every input is accounted for, absence is never
compliance, outputs are atomic and exclusive, and exit codes say what happened."""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

import engine.batch.sweep as sweep_mod
from cli import main
from tests.conftest import make_record

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
AS_OF = "2024-06-30"


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def _record(case_id: str) -> bytes:
    return orjson.dumps(make_record(case_id=case_id, events=[
        {"id": "r", "type": "referral", "date": "2024-01-08", "decision_date": "2024-01-09"}]))


def _summary(out: Path) -> dict[str, Any]:
    return orjson.loads((out / "summary.json").read_bytes())


def _lines(out: Path) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in (out / "findings.jsonl").read_bytes().splitlines()]


# -- every input accounted for ---------------------------------------------------------------


def test_folder_reads_every_letter_case_and_reports_what_it_skips(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.JSON").write_bytes(_record("A"))
    (src / "b.Json").write_bytes(_record("B"))
    (src / "c.ndjson").write_bytes(_record("C1") + b"\n" + _record("C2") + b"\n")
    (src / "d.JSONL").write_bytes(_record("D") + b"\n")
    (src / "notes.txt").write_text("x")
    (src / "sub").mkdir()
    (src / "sub" / "e.json").write_bytes(_record("E"))
    os.symlink(src / "missing.json", src / "broken.json")
    os.symlink(src / "a.JSON", src / "link.json")
    os.mkfifo(src / "pipe.json")
    out = tmp_path / "out"
    result = cli("sweep", str(src), "--out", str(out), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert sorted(d["case_id"] for d in _lines(out)) == ["A", "B", "C1", "C2", "D"]
    files = _summary(out)["files"]
    reasons = {s["entry"]: s["reason"] for s in files["skipped"]}
    assert set(reasons) == {"notes.txt", "sub", "broken.json", "link.json", "pipe.json"}
    assert "sub-folder" in reasons["sub"] and "broken link" in reasons["broken.json"]
    assert "link" in reasons["link.json"] and "regular file" in reasons["pipe.json"]
    assert files["read"] + len(files["skipped"]) == len(os.listdir(src))


def test_an_unreadable_file_is_an_error_line_not_an_abort(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.json").write_bytes(_record("A"))
    (src / "b.json").write_bytes(_record("B"))
    real = Path.read_bytes

    def failing(self: Path) -> bytes:
        if self.name == "a.json":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", failing)
    out = tmp_path / "out"
    result = cli("sweep", str(src), "--out", str(out), "--as-of", AS_OF)
    assert result.exit_code == 1  # a record (the file) was rejected
    first, second = _lines(out)
    assert first["source"].endswith("a.json") and "cannot read" in first["errors"][0]["message"]
    assert second["case_id"] == "B" and second["findings"]


def test_a_sweep_where_every_record_was_rejected_exits_1(tmp_path: Path) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_bytes(b"{not json\n[1]\n")
    result = cli("sweep", str(src), "--out", str(tmp_path / "out"), "--as-of", AS_OF)
    assert result.exit_code == 1
    assert _summary(tmp_path / "out")["records"]["rejected"] == 2


# -- absence is never compliance ---------------------------------------------------------------


@pytest.mark.parametrize("as_of", ["2031-01-02", "1999-12-31"])
def test_an_as_of_outside_the_calendar_is_a_command_error(tmp_path: Path, as_of: str) -> None:
    db = tmp_path / "h.sqlite"
    result = cli("sweep", str(FIXTURES), "--out", str(tmp_path / "out"), "--as-of", as_of,
                 "--db", str(db))
    assert result.exit_code == 2
    assert "outside the working-day calendar" in result.stderr
    assert not (tmp_path / "out" / "findings.jsonl").exists()
    assert not db.exists()  # nothing recorded
    check = cli("check", str(FIXTURES / "cp.json"), "--as-of", as_of)
    assert check.exit_code == 2


@pytest.mark.parametrize("bad", ["20240105", "2024-W01-1", "2024-1-5", "05/01/2024"])
def test_as_of_takes_only_yyyy_mm_dd(bad: str) -> None:
    result = cli("check", str(FIXTURES / "cp.json"), "--as-of", bad)
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


# -- outputs are atomic and exclusive ----------------------------------------------------------


def test_out_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    result = cli("sweep", str(FIXTURES), "--out", str(target), "--as-of", AS_OF)
    assert result.exit_code == 2 and "not a folder" in result.stderr
    assert "Traceback" not in result.output


def test_out_below_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = cli("sweep", str(FIXTURES), "--out", str(tmp_path / "file" / "o"), "--as-of", AS_OF)
    assert result.exit_code == 2 and "cannot use as the output folder" in result.stderr


def test_a_second_sweep_into_the_same_out_fails_at_once(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out / ".casecheck.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a running sweep holds it
    try:
        result = cli("sweep", str(FIXTURES), "--out", str(out), "--as-of", AS_OF)
    finally:
        os.close(fd)
    assert result.exit_code == 2 and "another sweep is writing" in result.stderr
    assert not (out / "findings.jsonl").exists()


def test_a_full_disk_keeps_the_previous_results(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert cli("sweep", str(FIXTURES), "--out", str(out), "--as-of", AS_OF).exit_code == 0
    before = (out / "findings.jsonl").read_bytes(), (out / "summary.json").read_bytes()
    real = sweep_mod._write

    def full(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sweep_mod, "_write", full)
    result = cli("sweep", str(FIXTURES), "--out", str(out), "--as-of", "2024-05-31")
    assert result.exit_code == 2 and "No space left" in result.stderr
    assert ((out / "findings.jsonl").read_bytes(), (out / "summary.json").read_bytes()) == before
    assert sorted(p.name for p in out.iterdir()) == [".casecheck.lock", "findings.jsonl",
                                                     "summary.json"]


def test_summary_and_findings_belong_together(tmp_path: Path) -> None:
    out = tmp_path / "out"
    cli("sweep", str(FIXTURES), "--out", str(out), "--as-of", AS_OF)
    assert _summary(out)["findings_lines"] == len(_lines(out))


def _damage(db: Path) -> None:
    data = bytearray(db.read_bytes())
    for page in range(1, len(data) // 4096):  # keep the header, scramble every other page
        data[page * 4096 + 8: page * 4096 + 200] = os.urandom(192)
    db.write_bytes(bytes(data))


def test_a_damaged_history_database_is_refused_by_every_command(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    out = tmp_path / "out"
    assert cli("sweep", str(FIXTURES), "--out", str(out), "--as-of", AS_OF,
               "--db", str(db)).exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    _damage(db)
    damaged = db.read_bytes()
    for args in (["diff", "--db", str(db)], ["history", "--db", str(db)],
                 ["dashboard", "--db", str(db), "--out", str(tmp_path / "d.html")],
                 ["sweep", str(FIXTURES), "--out", str(out), "--as-of", "2024-05-31",
                  "--db", str(db)]):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "damaged" in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output
    assert db.read_bytes() == damaged  # never written to


def test_a_second_recording_sweep_into_one_database_fails_at_once(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    fd = os.open(f"{db}.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        result = cli("sweep", str(FIXTURES), "--out", str(tmp_path / "o"), "--as-of", AS_OF,
                     "--db", str(db))
    finally:
        os.close(fd)
    assert result.exit_code == 2 and "another sweep is recording" in result.stderr


def test_csv_cells_that_look_like_formulas_are_escaped(tmp_path: Path) -> None:
    src = tmp_path / "in"
    shutil.copytree(FIXTURES, src)
    path = src / "cp.json"
    record = orjson.loads(path.read_bytes())
    record["allocation"]["team"] = '=HYPERLINK("http://x","y")'
    path.write_bytes(orjson.dumps(record))
    db = tmp_path / "h.sqlite"
    cli("sweep", str(src), "--out", str(tmp_path / "o"), "--as-of", AS_OF, "--db", str(db))
    result = cli("dashboard", "--db", str(db), "--out", str(tmp_path / "csv"), "--format", "csv")
    assert result.exit_code == 0, result.output
    teams = (tmp_path / "csv" / "teams.csv").read_text()
    assert "'=HYPERLINK" in teams
    assert "\n=HYPERLINK" not in teams and ",=HYPERLINK" not in teams


def test_line_separators_in_ids_are_escaped_in_findings(tmp_path: Path) -> None:
    src = tmp_path / "one.jsonl"
    src.write_bytes(_record("A\u2028B") + b"\n")
    out = tmp_path / "out"
    cli("sweep", str(src), "--out", str(out), "--as-of", AS_OF)
    raw = (out / "findings.jsonl").read_bytes()
    assert "\u2028".encode() not in raw and b"\\u2028" in raw
    assert _lines(out)[0]["case_id"] == "A\u2028B"


# -- exit codes ------------------------------------------------------------------------------


def test_check_tells_a_crash_from_an_invalid_record(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"format":"casecheck/case-record@1"}')
    assert cli("check", str(bad), "--as-of", AS_OF).exit_code == 1

    def crash(*_: Any, **__: Any) -> Any:
        raise RuntimeError("Zephyrine")

    monkeypatch.setattr("engine.app.casework.evaluate_raw", crash)
    result = cli("check", str(FIXTURES / "cp.json"), "--as-of", AS_OF)
    assert result.exit_code == 3
    assert "internal error (RuntimeError)" in result.stderr and "Zephyrine" not in result.output
