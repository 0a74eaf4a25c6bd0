"""History schema 2: each finding once, then only its changes; not-evaluated cases; runs
recorded out of order; migrating a schema-1 database forward."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

import engine.batch.history as history
from cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def sweep(cases: Path, db: Path, as_of: str, out: Path, rejected: bool = False) -> None:
    result = cli("sweep", str(cases), "--out", str(out), "--as-of", as_of, "--db", str(db))
    assert result.exit_code == (1 if rejected else 0), result.output  # 1: some rejected


def count(db: Path, sql: str, *args: Any) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchone()[0]
    finally:
        conn.close()


def diff(db: Path, *args: str) -> dict[str, Any]:
    return json.loads(cli("diff", "--db", str(db), "--format", "json", *args).output)


def test_a_night_with_no_change_writes_no_finding_rows(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    a, b = shutil.copytree(FIXTURES, tmp_path / "a"), shutil.copytree(FIXTURES, tmp_path / "b")
    sweep(a, db, "2024-06-30", tmp_path / "o")
    first = count(db, "SELECT count(*) FROM finding_changes")
    assert first == count(db, "SELECT count(*) FROM finding_keys") > 0
    sweep(b, db, "2024-06-30", tmp_path / "o")  # same records, new path: a new run
    assert count(db, "SELECT count(*) FROM runs") == 2
    assert count(db, "SELECT count(*) FROM finding_changes WHERE run_id = 2") == 0
    assert count(db, "SELECT count(*) FROM case_changes WHERE run_id = 2") == 0
    # yet run 2 holds every finding, as the findings view shows
    assert count(db, "SELECT count(*) FROM findings WHERE run_id = 2") == count(
        db, "SELECT count(*) FROM findings WHERE run_id = 1") == count(
        db, "SELECT findings FROM runs WHERE id = 2")
    d = diff(db)
    assert d["counts"]["new"] == d["counts"]["resolved"] == d["counts"]["not_evaluated"] == 0
    assert d["counts"]["still_open"] > 0


def test_rejected_and_missing_cases_are_not_evaluated_never_resolved(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    sweep(shutil.copytree(FIXTURES, tmp_path / "a"), db, "2024-06-30", tmp_path / "o")
    second = shutil.copytree(FIXTURES, tmp_path / "b")
    (second / "private-fostering.json").unlink()  # missing from the extract
    doc = json.loads((second / "cp-neglect.json").read_text())
    doc["child"] = "not an object"  # invalid: rejected
    (second / "cp-neglect.json").write_text(json.dumps(doc))
    sweep(second, db, "2024-06-30", tmp_path / "o", rejected=True)
    d = diff(db)
    assert d["counts"]["resolved"] == 0 and d["counts"]["new"] == 0
    kinds = {(i["case_id"], i["kind"]) for i in d["not_evaluated"]}
    assert kinds == {("FX-PF-0001", "absent"), ("EX-0001", "rejected")}
    assert all(i["team"] != history.UNALLOCATED for i in d["not_evaluated"])
    # both come back unchanged the next night: nothing new, nothing resolved
    sweep(shutil.copytree(FIXTURES, tmp_path / "c"), db, "2024-06-30", tmp_path / "o")
    d = diff(db)
    assert d["counts"]["new"] == d["counts"]["resolved"] == d["counts"]["not_evaluated"] == 0
    assert count(db, "SELECT count(*) FROM finding_changes WHERE run_id = 3") == 0


def test_a_run_recorded_before_a_later_one_rewrites_the_later_ones_changes(
        tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    sweep(FIXTURES, db, "2024-05-31", tmp_path / "o")  # run 1
    sweep(FIXTURES, db, "2024-07-31", tmp_path / "o")  # run 2
    later_alone = tmp_path / "ref.sqlite"
    sweep(FIXTURES, later_alone, "2024-06-30", tmp_path / "o")
    sweep(FIXTURES, later_alone, "2024-07-31", tmp_path / "o")
    sweep(FIXTURES, db, "2024-06-30", tmp_path / "o")  # run 3, between them
    # run 2's state is unchanged, and its diff against run 3 is the one a database that
    # recorded them in order gives
    q = "SELECT finding_id, status, days_late FROM findings WHERE run_id = ? ORDER BY 1"
    conn, ref = sqlite3.connect(db), sqlite3.connect(later_alone)
    assert conn.execute(q, (2,)).fetchall() == ref.execute(q, (2,)).fetchall()
    conn.close()
    ref.close()
    got = diff(db, "--run", "2", "--against", "3")
    want = diff(later_alone, "--run", "2", "--against", "1")
    for cat in history.CATEGORIES:
        assert [i["finding_id"] for i in got[cat]] == [i["finding_id"] for i in want[cat]]


def test_a_schema_1_database_migrates_forward(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                 "applied TEXT NOT NULL)")
    for statement in history.MIGRATIONS[0][1].split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (1, '2025-01-01T00:00:00Z')")
    for run_id, as_of in ((1, "2024-06-01"), (2, "2024-06-02")):
        conn.execute("INSERT INTO runs (id, as_of, profile, ruleset_hash, input, started, "
                     "finished, ruleset, findings, overdue, met) VALUES "
                     "(?, ?, 'england', 'h', 'in', 's', 'f', '{}', 2, 1, 1)", (run_id, as_of))
    rows = [
        (1, "C1:R1:a", "C1", "R1", "a", "2024-01-01", None, None, "overdue", "2024-02-01",
         None, None, 5, "T1"),
        (1, "C1:R2:b", "C1", "R2", "b", "2024-01-01", None, None, "met", "2024-02-01",
         "x", "2024-01-20", None, "T1"),
        (2, "C1:R1:a", "C1", "R1", "a", "2024-01-01", None, None, "late", "2024-02-01",
         "y", "2024-06-02", 20, "T1"),
        (2, "C1:R2:b", "C1", "R2", "b", "2024-01-01", None, None, "met", "2024-02-01",
         "x", "2024-01-20", None, "T1"),
    ]
    conn.executemany(f"INSERT INTO findings VALUES ({', '.join('?' * 14)})", rows)
    conn.commit()
    conn.close()
    migrated = history.connect(db)
    assert history.schema_version(migrated) == history.SCHEMA_VERSION == 4
    assert migrated.execute("SELECT count(*) FROM finding_keys").fetchone()[0] == 2
    # R2 did not change on night 2, so it is stored once
    assert migrated.execute("SELECT count(*) FROM finding_changes").fetchone()[0] == 3
    got = migrated.execute("SELECT run_id, finding_id, status, days_late, team FROM findings "
                           "ORDER BY run_id, finding_id").fetchall()
    assert [tuple(r) for r in got] == [(r[0], r[1], r[8], r[12], r[13]) for r in rows]
    d = history.diff_runs(migrated, history.get_run(migrated, 2), history.get_run(migrated, 1))
    assert [(i["finding_id"], i["kind"]) for i in d["resolved"]] == [("C1:R1:a", "done")]
    migrated.close()


def test_reason_commands_record_who_and_when_and_keep_the_note_private(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    sweep(FIXTURES, db, "2024-06-30", tmp_path / "o")
    fid = "FX-PF-0001:ENG-PF-VISIT:pfv-4:#5"
    secret = "child was unwell - see note 7"
    bad = CliRunner().invoke(main, ["reason", "add", fid, "--db", str(db), "--code", "nope",
                                    "--note", secret, "--by", "A"])
    assert bad.exit_code == 2 and "unknown reason code" in bad.output and secret not in bad.output
    ok = cli("reason", "add", fid, "--db", str(db), "--code", "child_declined", "--note", secret,
             "--by", "A Manager")
    assert ok.exit_code == 0 and secret not in ok.output
    conn = history.connect(db)
    assert history.current_reasons(conn)[fid]["code"] == "child_declined"
    conn.close()
    out = cli("diff", "--db", str(db), "--run", "1", "--against", "1")
    assert secret not in out.output
    gone = cli("reason", "remove", fid, "--db", str(db), "--by", "A Manager")
    assert gone.exit_code == 0
    assert count(db, "SELECT count(*) FROM reasons WHERE finding_id = ?", fid) == 2


def test_prune_keeps_the_later_states(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    for as_of in ("2024-04-30", "2024-05-31", "2024-06-30"):
        sweep(FIXTURES, db, as_of, tmp_path / "o")
    q = "SELECT finding_id, status, days_late FROM findings WHERE run_id = ? ORDER BY 1"
    conn = sqlite3.connect(db)
    before = {r: conn.execute(q, (r,)).fetchall() for r in (2, 3)}
    conn.close()
    result = cli("history", "prune", "--db", str(db), "--keep", "40d")
    assert result.exit_code == 0 and "removed 1 run" in result.output
    conn = sqlite3.connect(db)
    assert [r[0] for r in conn.execute("SELECT id FROM runs ORDER BY id")] == [2, 3]
    assert {r: conn.execute(q, (r,)).fetchall() for r in (2, 3)} == before
    conn.close()
    assert diff(db)["counts"] == diff(db, "--run", "3", "--against", "2")["counts"]


def test_a_schema_3_database_gains_case_digests_once(tmp_path: Path) -> None:
    """Schema 4 adds each case's findings digest.  Rows from before hold none (NULL), which
    never equals a digest: the first run after the upgrade compares every case's findings as
    before and records each case's digest once; the run after that records nothing."""
    db = tmp_path / "h.sqlite"
    sweep(shutil.copytree(FIXTURES, tmp_path / "a"), db, "2024-06-30", tmp_path / "o")
    cases = count(db, "SELECT count(*) FROM case_changes")
    conn = sqlite3.connect(db)
    conn.execute("ALTER TABLE case_changes DROP COLUMN digest")  # as schema 3 left it
    conn.execute("DELETE FROM schema_version WHERE version = 4")
    conn.commit()
    conn.close()
    sweep(shutil.copytree(FIXTURES, tmp_path / "b"), db, "2024-06-30", tmp_path / "o")
    assert count(db, "SELECT max(version) FROM schema_version") == 4
    assert count(db, "SELECT count(*) FROM case_changes WHERE run_id = 2") == cases
    assert count(db, "SELECT count(*) FROM case_changes WHERE run_id = 2 AND digest IS NULL") == 0
    assert count(db, "SELECT count(*) FROM finding_changes WHERE run_id = 2") == 0
    sweep(shutil.copytree(FIXTURES, tmp_path / "c"), db, "2024-06-30", tmp_path / "o")
    assert count(db, "SELECT count(*) FROM case_changes WHERE run_id = 3") == 0
    d = diff(db)
    assert d["counts"]["new"] == d["counts"]["resolved"] == d["counts"]["not_evaluated"] == 0
