"""Sweep history: recording runs (--db), idempotency, atomicity, history, diff, dashboard."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result

import engine.batch.history as history
import engine.batch.sweep as sweep_mod
from cli import main
from engine.batch.history import (
    HistoryError,
    RunMeta,
    classify,
    connect,
    finding_id,
    record_run,
    ruleset_identity,
)
from engine.evaluate.evaluator import RuleSet
from engine.reports.findings_json import case_json
from engine.rules.profiles import load_profile

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
AS_OF = "2024-06-30"


def cli(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def copy_fixtures(dest: Path) -> Path:
    shutil.copytree(FIXTURES, dest)
    return dest


def edit_case(folder: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / name
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=1))


def record(cases: Path, db: Path, out: Path, *extra: str) -> Result:
    result = cli("sweep", str(cases), "--out", str(out), "--as-of", AS_OF, "--db", str(db),
                 *extra)
    assert result.exit_code == 0, result.output
    return result


def rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def add_review(doc: dict[str, Any]) -> None:
    """EX-0001's first child protection review, overdue since 2024-06-14, held late."""
    doc["events"].append({"id": "rcpc-x", "type": "rcpc", "date": "2024-06-20"})


def drop_assessment_completion(doc: dict[str, Any]) -> None:
    """FX-PF-0001's assessment, completed in time, loses its completion date."""
    for event in doc["events"]:
        if event["id"] == "asm-1":
            del event["completed"]


@pytest.fixture
def two_runs(tmp_path: Path) -> Path:
    """Run 1 over the fixtures; run 2 over a copy where one act was added and one removed.

    The copies sit at different paths (as nightly extracts would), so run 2 is a new run rather
    than a re-recording of run 1.
    """
    db = tmp_path / "sweeps.sqlite"
    first = copy_fixtures(tmp_path / "night1")
    second = copy_fixtures(tmp_path / "night2")
    edit_case(second, "cp-neglect.json", add_review)
    edit_case(second, "private-fostering.json", drop_assessment_completion)
    record(first, db, tmp_path / "out1")
    record(second, db, tmp_path / "out2")
    return db


# ---------------------------------------------------------------------------------------------
# recording


def test_sweep_records_a_run_with_counts_and_findings(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    result = record(FIXTURES, db, tmp_path / "out")
    assert "recorded run 1 in" in result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    conn = connect(db)
    (run,) = history.list_runs(conn)
    assert run["as_of"] == AS_OF and run["profile"] == "england"
    assert run["input"] == str(FIXTURES.resolve())
    assert len(run["ruleset_hash"]) == 64
    assert run["records"] == {k: summary["records"][k] for k in run["records"]}
    assert run["statuses"] == {s: summary["statuses"].get(s, 0) for s in history.STATUSES}
    n = sum(summary["statuses"].get(s, 0) for s in history.STATUSES)
    assert run["findings"] == n
    assert rows(db, "SELECT count(*) FROM findings")[0][0] == n
    by_rule = history.run_counts(conn, run["id"], "rule")
    assert set(by_rule) == set(summary["rules"])
    assert rows(db, "SELECT max(version) FROM schema_version")[0][0] == history.SCHEMA_VERSION
    # every finding of the JSON output is stored with its dates and team
    line = next(ln for ln in (tmp_path / "out" / "findings.jsonl").read_bytes().splitlines()
                if b'"EX-0001"' in ln)
    doc = orjson.loads(line)
    icpc = next(f for f in doc["findings"] if f["rule"] == "ENG-ICPC-15WD")
    stored = rows(db, "SELECT status, due, done_id, done_date, days_late, team, anchor_date "
                      "FROM findings WHERE finding_id = ?", "EX-0001:ENG-ICPC-15WD:sd-1")
    assert stored == [(icpc["status"], icpc["due"], icpc["done"]["id"], icpc["done"]["date"],
                       icpc["days_late"], doc["team"], icpc["anchor"]["date"])]


def test_finding_ids_are_stable_across_runs(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    record(copy_fixtures(tmp_path / "a"), db, tmp_path / "o1")
    record(copy_fixtures(tmp_path / "b"), db, tmp_path / "o2")
    first = rows(db, "SELECT finding_id, status, due FROM findings WHERE run_id = 1 ORDER BY 1")
    second = rows(db, "SELECT finding_id, status, due FROM findings WHERE run_id = 2 ORDER BY 1")
    assert first == second and len(first) > 50
    ids = [r[0] for r in first]
    assert "EX-0001:ENG-ICPC-15WD:sd-1" in ids  # follow-up: case, rule, anchor
    assert "EX-0001:ENG-CP-REVIEW:cp-1:#1" in ids  # schedule: plus the occurrence


def test_finding_id_escapes_its_separator() -> None:
    assert finding_id("C:1", "R", "a%b", 2, "m:1") == "C%3A1:R:a%25b:#2:@m%3A1"
    assert finding_id("C", "R", "a") != finding_id("C", "R", "a", 1)


def test_ruleset_hash_follows_parameters_warn_and_closure_days(england: RuleSet) -> None:
    base, described = ruleset_identity(england, {})
    assert base == ruleset_identity(england, {})[0]
    assert set(described["rules"]) == set(england.meta)
    assert ruleset_identity(england, {"ENG-CLA-VISIT": {"x": "1 week"}})[0] != base
    assert ruleset_identity(england, {"PRC-CP-VISIT": {"interval": "2 weeks"}})[0] == base
    assert ruleset_identity(england, {}, engine="durable")[0] != base
    england.warn, saved = 3, england.warn
    try:
        assert ruleset_identity(england, {})[0] != base
    finally:
        england.warn = saved


def test_profile_parameters_change_the_rule_set_hash(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    record(FIXTURES, db, tmp_path / "o", "--profile", "practice")
    record(FIXTURES, db, tmp_path / "o", "--profile", "practice", "--warn", "2")
    runs = history.list_runs(connect(db))
    assert len(runs) == 2 and runs[0]["ruleset_hash"] != runs[1]["ruleset_hash"]
    assert load_profile("practice").name == runs[0]["profile"]


def test_rerunning_the_same_sweep_replaces_it(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    record(FIXTURES, db, tmp_path / "o")
    before = rows(db, "SELECT * FROM findings ORDER BY finding_id")
    result = record(FIXTURES, db, tmp_path / "o")
    assert "recorded run 1" in result.output and "replacing" in result.output
    assert rows(db, "SELECT id, times_recorded FROM runs") == [(1, 2)]
    assert rows(db, "SELECT * FROM findings ORDER BY finding_id") == before
    assert rows(db, "SELECT count(*) FROM run_counts WHERE dimension = 'rule'")[0][0] == len(
        history.run_counts(connect(db), 1, "rule"))
    # another as-of date is another run
    cli("sweep", str(FIXTURES), "--out", str(tmp_path / "o"), "--as-of", "2024-07-31",
        "--db", str(db))
    assert rows(db, "SELECT id, as_of FROM runs ORDER BY id") == [(1, AS_OF), (2, "2024-07-31")]


# ---------------------------------------------------------------------------------------------
# atomicity and streaming


def _failing_stream(after: int) -> Callable[..., Iterator[Any]]:
    real = sweep_mod._evaluate_stream

    def stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for i, item in enumerate(real(*args, **kwargs)):
            if i == after:
                raise RuntimeError("simulated crash mid-sweep")
            yield item

    return stream


def test_a_crashed_sweep_leaves_no_partial_run(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "h.sqlite"
    monkeypatch.setattr(history, "BATCH_ROWS", 10)  # so findings were already written
    monkeypatch.setattr(sweep_mod, "_evaluate_stream", _failing_stream(after=6))
    result = cli("sweep", str(FIXTURES), "--out", str(tmp_path / "o"), "--as-of", AS_OF,
                 "--db", str(db))
    assert result.exit_code == 3  # an internal error: one line, never a traceback
    assert "internal error (RuntimeError)" in result.output
    assert "simulated crash" not in result.output
    assert rows(db, "SELECT count(*) FROM runs") == [(0,)]
    assert rows(db, "SELECT count(*) FROM findings") == [(0,)]
    assert rows(db, "SELECT count(*) FROM run_counts") == [(0,)]


def test_a_crashed_rerun_keeps_the_earlier_recording(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "h.sqlite"
    record(FIXTURES, db, tmp_path / "o")
    before = rows(db, "SELECT * FROM runs"), rows(db, "SELECT * FROM findings ORDER BY 2")
    monkeypatch.setattr(history, "BATCH_ROWS", 10)
    monkeypatch.setattr(sweep_mod, "_evaluate_stream", _failing_stream(after=6))
    assert cli("sweep", str(FIXTURES), "--out", str(tmp_path / "o"), "--as-of", AS_OF,
               "--db", str(db)).exit_code == 3
    assert (rows(db, "SELECT * FROM runs"), rows(db, "SELECT * FROM findings ORDER BY 2")) == before


def test_a_killed_process_leaves_no_partial_run(tmp_path: Path) -> None:
    """A hard kill (no exception handler runs) part-way through: SQLite discards the run."""
    db = tmp_path / "h.sqlite"
    script = textwrap.dedent(f"""
        import os
        from datetime import date
        from pathlib import Path
        import engine.batch.history as history
        from engine.rules.profiles import load_profile
        from engine.evaluate.compile import build_ruleset
        from engine.batch.sweep import sweep
        from engine.reports.findings_json import case_json

        history.BATCH_ROWS = 5
        ruleset = build_ruleset(load_profile("england"))
        digest, described = history.ruleset_identity(ruleset)
        meta = history.RunMeta(date(2024, 6, 30), "england", digest, described, "x")
        seen = []
        with history.record_run(Path({str(db)!r}), meta) as rec:
            def sink(item):
                rec.add(item)
                seen.append(item)
                if len(seen) == 6:
                    assert rec.written > 0
                    os._exit(9)
            sweep(Path({str(FIXTURES)!r}), Path({str(tmp_path / "o")!r}), ruleset,
                  date(2024, 6, 30), sink=sink, serialise=case_json)
            rec.finish({{}})
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 9, proc.stderr
    conn = connect(db)
    assert history.list_runs(conn) == []
    assert conn.execute("SELECT count(*) FROM findings").fetchone()[0] == 0


def test_findings_are_written_in_batches_as_they_stream(tmp_path: Path, england: RuleSet,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "BATCH_ROWS", 25)
    digest, described = ruleset_identity(england)
    meta = RunMeta(date(2024, 6, 30), "england", digest, described, "fixtures")
    buffered: list[int] = []
    written: list[int] = []
    with record_run(tmp_path / "h.sqlite", meta) as rec:
        def sink(item: Any) -> None:
            rec.add(item)
            buffered.append(len(rec.rows))
            written.append(rec.written)

        summary = sweep_mod.sweep(FIXTURES, tmp_path / "o", england, date(2024, 6, 30),
                                  sink=sink, serialise=case_json)
        rec.finish(summary)
    assert max(buffered) < 25
    assert written[0] < written[-1] and written[-1] > 0  # written as it went, not at the end


# ---------------------------------------------------------------------------------------------
# reading: history and diff


def test_history_lists_runs(two_runs: Path) -> None:
    text = cli("history", "--db", str(two_runs))
    assert text.exit_code == 0
    lines = text.output.splitlines()
    assert lines[0].split()[:4] == ["id", "as-of", "profile", "rule"]
    assert [ln.split()[0] for ln in lines[1:]] == ["1", "2"]
    assert all(AS_OF in ln and "england" in ln and "%" in ln for ln in lines[1:])
    runs = json.loads(cli("history", "--db", str(two_runs), "--format", "json").output)
    assert [r["id"] for r in runs] == [1, 2]
    r = runs[0]
    assert set(r) >= {"id", "as_of", "profile", "ruleset_hash", "records", "breaches",
                      "compliance_rate", "started", "finished"}
    counted = sum(r["statuses"][s] for s in ("met", "late", "overdue", "not_met"))
    assert r["compliance_rate"] == pytest.approx(r["statuses"]["met"] / counted)
    assert r["breaches"] == sum(r["statuses"][s] for s in ("late", "overdue", "not_met"))


def test_history_of_a_missing_database_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["history", "--db", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 2 and "no such database" in result.output
    assert not (tmp_path / "none.sqlite").exists()


def test_diff_shows_exactly_the_change(two_runs: Path) -> None:
    result = cli("diff", "--db", str(two_runs), "--format", "json")
    assert result.exit_code == 0
    d = json.loads(result.output)
    assert (d["run"]["id"], d["against"]["id"]) == (2, 1)
    assert d["ruleset_changed"] is False
    assert [(i["finding_id"], i["status_before"], i["status_now"]) for i in d["new"]] == [
        ("FX-PF-0001:ENG-ASSESSMENT-45WD:asm-1", "met", "overdue")]
    assert [(i["finding_id"], i["status_before"], i["status_now"]) for i in d["resolved"]] == [
        ("EX-0001:ENG-CP-REVIEW:cp-1:#1", "overdue", "late")]
    # still open: every open breach of run 1 except the one resolved
    open_before = {r[0] for r in rows(two_runs, "SELECT finding_id FROM findings WHERE "
                                                "run_id = 1 AND status IN ('overdue', 'not_met')")}
    assert {i["finding_id"] for i in d["still_open"]} == open_before - {
        "EX-0001:ENG-CP-REVIEW:cp-1:#1"}
    assert d["still_open"]
    assert d["counts"] == {"new": 1, "resolved": 1, "not_evaluated": 0,
                           "still_open": len(d["still_open"])}
    assert d["new"][0]["kind"] == "need_action" and d["resolved"][0]["kind"] == "done"
    new = d["new"][0]
    assert (new["case_id"], new["rule"], new["anchor_id"], new["due"], new["team"]) == (
        "FX-PF-0001", "ENG-ASSESSMENT-45WD", "asm-1", "2024-03-12", "Assessment East")
    by_rule = {r["rule"]: r for r in d["by_rule"]}
    assert by_rule["ENG-ASSESSMENT-45WD"]["new"] == 1
    assert by_rule["ENG-CP-REVIEW"]["resolved"] == 1
    assert sum(r["new"] + r["resolved"] for r in d["by_rule"]) == 2
    assert sum(r["still_open"] for r in d["by_team"]) == len(d["still_open"])


def test_diff_text_and_csv(two_runs: Path) -> None:
    text = cli("diff", "--db", str(two_runs)).output
    assert "new breaches 1, resolved 1, not evaluated 0, still open" in text
    assert "FX-PF-0001:ENG-ASSESSMENT-45WD:asm-1" in text and "met -> overdue" in text
    out = cli("diff", "--db", str(two_runs), "--format", "csv").output
    reader = csv.DictReader(io.StringIO(out))
    assert tuple(reader.fieldnames or ()) == ("category", "finding_id", "case_id", "rule",
                                              "anchor_id", "anchor_date", "occurrence",
                                              "member", "due", "status_before", "status_now",
                                              "days_late", "team", "kind", "unit", "worker",
                                              "case_state", "reason_code")
    got = list(reader)
    assert [r["finding_id"] for r in got if r["category"] == "new"] == [
        "FX-PF-0001:ENG-ASSESSMENT-45WD:asm-1"]
    assert [r["finding_id"] for r in got if r["category"] == "resolved"] == [
        "EX-0001:ENG-CP-REVIEW:cp-1:#1"]


def test_diff_run_and_against_and_default_pairing(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    record(FIXTURES, db, tmp_path / "o")  # 1: england
    record(FIXTURES, db, tmp_path / "o", "--profile", "practice")  # 2: practice
    cli("sweep", str(FIXTURES), "--out", str(tmp_path / "o"), "--as-of", "2024-07-31",
        "--db", str(db))  # 3: england, later
    d = json.loads(cli("diff", "--db", str(db), "--format", "json").output)
    assert (d["run"]["id"], d["against"]["id"]) == (3, 1)  # the previous *england* run
    d = json.loads(cli("diff", "--db", str(db), "--run", "3", "--against", "2",
                       "--format", "json").output)
    assert (d["run"]["id"], d["against"]["id"], d["ruleset_changed"]) == (3, 2, True)
    first = CliRunner().invoke(main, ["diff", "--db", str(db), "--run", "1"])
    assert first.exit_code == 2 and "nothing to compare" in first.output
    missing = CliRunner().invoke(main, ["diff", "--db", str(db), "--run", "9"])
    assert missing.exit_code == 2 and "no run 9" in missing.output


@pytest.mark.parametrize(("before", "now", "category"), [
    (None, "overdue", "new"), (None, "late", "new"), ("met", "not_met", "new"),
    ("pending", "overdue", "new"), ("due_soon", "late", "new"), ("late", "overdue", "new"),
    ("overdue", "late", "resolved"), ("overdue", "met", "resolved"),
    ("not_met", None, "resolved"), ("overdue", "insufficient_data", "resolved"),
    ("overdue", "overdue", "still_open"), ("not_met", "overdue", "still_open"),
    ("late", "late", None), ("late", "met", None), ("late", None, None), ("met", "met", None),
    (None, "pending", None), ("pending", None, None),
])
def test_diff_categories(before: str | None, now: str | None, category: str | None) -> None:
    assert classify(before, now) == category


# ---------------------------------------------------------------------------------------------
# dashboard


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)


def test_dashboard_is_one_self_contained_file(two_runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "dashboard.html"
    result = cli("dashboard", "--db", str(two_runs), "--out", str(out))
    assert result.exit_code == 0 and out.exists()
    page = _Page()
    page.feed(out.read_text(encoding="utf-8"))
    assert "svg" in page.tags and page.tags.count("svg") >= 4
    assert not {"link", "img", "iframe", "object", "embed"} & set(page.tags)
    assert page.tags.count("script") == 1  # the filters' small inline script, nothing loaded
    html = out.read_text(encoding="utf-8")
    assert "http" not in html.split("<script>")[1] and "fetch(" not in html
    for tag, name, value in page.attrs:
        assert name not in ("src", "srcset", "xlink:href"), (tag, name)
        assert not name.startswith("on"), (tag, name)
        if name == "href":
            assert (value or "").startswith("#"), (tag, value)
    css = "".join(page.styles)
    assert "url(" not in css and "@import" not in css
    text = " ".join(page.text)
    summary = json.loads((tmp_path / "out2" / "summary.json").read_text())
    for rule in summary["rules"]:
        assert rule in text
    for team in summary["teams"]:
        assert team in text
    assert "Compliance by rule" in text and "Overdue by rule" in text


def test_dashboard_escapes_text(tmp_path: Path) -> None:
    cases = copy_fixtures(tmp_path / "cases")
    team = 'Team <script>x()</script> & "B" <i onmouseover="y()">\'C\'</i>'
    edit_case(cases, "cp.json", lambda d: d["allocation"].update(team=team))
    db = tmp_path / "h.sqlite"
    record(cases, db, tmp_path / "o")
    out = tmp_path / "d.html"
    cli("dashboard", "--db", str(db), "--out", str(out))
    page = _Page()
    page.feed(out.read_text(encoding="utf-8"))
    assert "i" not in page.tags and page.tags.count("script") == 1
    assert not [a for a in page.attrs if a[1].startswith("on")]
    assert team in " ".join(page.text)


def test_dashboard_csv_tables(two_runs: Path, tmp_path: Path) -> None:
    folder = tmp_path / "tables"
    result = cli("dashboard", "--db", str(two_runs), "--out", str(folder), "--format", "csv")
    assert result.exit_code == 0
    expected = {
        "rules": ["run_id", "as_of", "rule", "title", "counted", *history.STATUSES,
                  "compliance_rate"],
        "teams": ["run_id", "as_of", "team", "counted", *history.STATUSES, "compliance_rate"],
        "overdue": ["run_id", "as_of", "rule", "unit", "overdue", "mean_days_late",
                    "longest_days_late"],
        "trend": ["run_id", "as_of", "profile", "ruleset_hash", "records_evaluated",
                  "records_rejected", *history.STATUSES, "breaches", "compliance_rate"],
        "rule_trend": ["run_id", "as_of", "rule", "compliance_rate"],
        "changes": ["run_id", "as_of", "category", "kind", "finding_id", "case_id", "rule",
                    "team", "worker", "due", "status_before", "status_now", "days_late", "unit",
                    "reason_code"],
        "measures": ["period", "from", "to", "measuring_run", "dimension", "key", "met", "late",
                     "overdue", "closed_unmet", "not_yet_due", "insufficient_data",
                     "late_with_reason", "backlog", "rate", "target"],
        "backlog": ["period", "dimension", "key", "backlog", "1-7 days", "8-30 days",
                    "31-90 days", "91+ days", "no deadline"],
        "work": ["run_id", "as_of", "team", "worker", "case_id", "rule", "pack", "finding_id",
                 "status", "actionable", "due", "days_late", "unit", "episode_end",
                 "reason_code"],
    }
    assert sorted(p.stem for p in folder.iterdir()) == sorted(expected)
    tables = {}
    for name, columns in expected.items():
        with (folder / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            assert reader.fieldnames == columns, name
            tables[name] = list(reader)
    assert [r["run_id"] for r in tables["trend"]] == ["1", "2"]
    latest = json.loads(cli("history", "--db", str(two_runs), "--format", "json").output)[-1]
    assert float(tables["trend"][-1]["compliance_rate"]) == pytest.approx(
        latest["compliance_rate"], abs=1e-4)
    rules = {r["rule"]: r for r in tables["rules"]}
    assert int(rules["ENG-ASSESSMENT-45WD"]["overdue"]) == 1
    for r in tables["rules"]:
        counted = sum(int(r[s]) for s in ("met", "late", "overdue", "not_met"))
        assert int(r["counted"]) == counted
        if counted:
            assert float(r["compliance_rate"]) == pytest.approx(int(r["met"]) / counted,
                                                                abs=1e-4)
        else:
            assert r["compliance_rate"] == ""


# ---------------------------------------------------------------------------------------------
# the database file


def test_schema_versions_and_foreign_files(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    conn = connect(db, create=True)
    assert history.migrate(conn) == history.SCHEMA_VERSION  # idempotent
    conn.execute("INSERT INTO schema_version VALUES (99, 'x')")
    conn.close()
    with pytest.raises(HistoryError, match="newer"):
        connect(db)
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database at all, just some text " * 20)
    with pytest.raises(HistoryError, match="not a casecheck history database"):
        connect(junk)
