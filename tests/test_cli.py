"""The command line, end to end through click's runner."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from cli import main
from tests.conftest import make_record

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "fixtures" / "cp-neglect.json"


def test_check_json_matches_the_contract(run) -> None:  # type: ignore[no-untyped-def]
    result = run("check", str(EXAMPLE), "--as-of", "2024-03-28", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = orjson.loads(result.output)
    assert doc["case_id"] == "EX-0001"
    assert doc["as_of"] == "2024-03-28"
    assert doc["profile"] == "england"
    assert doc["errors"] == []
    statuses = {"met", "late", "overdue", "due_soon", "pending", "not_met", "insufficient_data"}
    for f in doc["findings"]:
        assert {"rule", "status", "anchor", "due", "done", "days_late", "message",
                "source"} <= set(f)
        assert f["status"] in statuses
        assert set(f["anchor"]) >= {"id", "date"}
    icpc = next(f for f in doc["findings"] if f["rule"] == "ENG-ICPC-15WD")
    # strategy discussion Wed 2024-02-21 + 15 working days = Wed 2024-03-13; ICPC 2024-03-14
    assert icpc == {
        "rule": "ENG-ICPC-15WD", "status": "late",
        "anchor": {"id": "sd-1", "date": "2024-02-21"}, "due": "2024-03-13",
        "done": {"id": "icpc-1", "date": "2024-03-14"}, "days_late": 1,
        "days_late_unit": "working_days",
        "message": "ICPC held 16 working days after the strategy discussion of 2024-02-21 "
                   "(limit 15 working days)",
        "source": icpc["source"], "title": icpc["title"],
        "actionable": False, "episode_end": None,
    }
    assert icpc["source"].startswith("Working Together to Safeguard Children 2023")


def test_check_text(run) -> None:  # type: ignore[no-untyped-def]
    result = run("check", str(EXAMPLE), "--as-of", "2024-03-28")
    assert result.exit_code == 0
    assert "Done late" not in result.output  # the default view lists only what is actionable
    assert "1 done late" in result.output
    full = run("check", str(EXAMPLE), "--as-of", "2024-03-28", "--all").output
    assert "Done late (1)" in full
    assert "ICPC - due 13 Mar, done 14 Mar (1 working day late) [ENG-ICPC-15WD]" in full


def test_check_warn_window_moves_pending_to_due_soon(run) -> None:  # type: ignore[no-untyped-def]
    wide = orjson.loads(run("check", str(EXAMPLE), "--as-of", "2024-03-28", "--format", "json",
                            "--warn", "60").output)
    review = next(f for f in wide["findings"] if f["rule"] == "ENG-CP-REVIEW")
    assert review["status"] == "due_soon"


def test_check_bad_record_exits_with_one_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.json"
    bad.write_bytes(orjson.dumps(make_record(events=[
        {"id": "e1", "type": "visit", "date": "2024-02-30"}])))
    result = CliRunner().invoke(main, ["check", str(bad), "--as-of", "2024-03-28",
                                       "--format", "json"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("casecheck: ") and "/events/0/date" in last and "2024-02-30" in last


def test_check_missing_file(run) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["check", "no/such.json"])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_unknown_profile(run) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["check", str(EXAMPLE), "--profile", "englnd"])
    assert result.exit_code == 2
    assert "did you mean 'england'" in result.output


def test_sweep_accounts_for_every_input(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.json").write_bytes(EXAMPLE.read_bytes())
    (src / "b.json").write_bytes(b"{not json")
    rec = make_record(case_id="C-2")
    rec["format"] = "casecheck/case-record@9"
    (src / "c.json").write_bytes(orjson.dumps(rec))
    (src / "d.json").write_bytes(EXAMPLE.read_bytes())  # duplicate case_id
    out = tmp_path / "out"
    result = run("sweep", str(src), "--out", str(out), "--as-of", "2024-03-28")
    assert result.exit_code == 1, result.output  # some records were rejected
    lines = [orjson.loads(x) for x in (out / "findings.jsonl").read_bytes().splitlines()]
    assert len(lines) == 4
    assert lines[0]["findings"] and lines[0]["errors"] == []
    assert lines[1]["case_id"] is None and "not valid JSON" in lines[1]["errors"][0]["message"]
    assert lines[2]["case_id"] == "C-2" and lines[2]["errors"][0]["pointer"] == "/format"
    assert "duplicate case_id" in lines[3]["errors"][0]["message"]
    summary = orjson.loads((out / "summary.json").read_bytes())
    assert summary["records"] == {"read": 4, "evaluated": 1, "rejected": 3, "with_errors": 3,
                                  "internal_errors": 0, "warnings": 0}
    assert summary["files"] == {"read": 4, "skipped": []}
    assert summary["findings_lines"] == 4
    assert summary["rules"]["ENG-ICPC-15WD"]["late"] == 1
    assert summary["rules"]["ENG-ICPC-15WD"]["compliance_rate"] == 0.0


def test_sweep_jsonl_with_workers_equals_single(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from engine.synthetic import generate_cohort

    data = tmp_path / "cohort.jsonl"
    data.write_bytes(b"".join(orjson.dumps(r) + b"\n"
                              for r in generate_cohort(120, 7, date(2025, 6, 30))))
    one, two = tmp_path / "one", tmp_path / "two"
    assert run("sweep", str(data), "--out", str(one), "--as-of", "2025-06-30").exit_code == 0
    assert run("sweep", str(data), "--out", str(two), "--as-of", "2025-06-30",
               "--workers", "2").exit_code == 0
    assert (one / "findings.jsonl").read_bytes() == (two / "findings.jsonl").read_bytes()
    s1 = orjson.loads((one / "summary.json").read_bytes())
    assert s1["records"]["read"] == 120 == s1["records"]["evaluated"]


def test_rules_list_json(run) -> None:  # type: ignore[no-untyped-def]
    rows = orjson.loads(run("rules", "list", "--format", "json").output)
    ids = {r["id"] for r in rows}
    assert "ENG-ICPC-15WD" in ids
    for r in rows:
        assert r["source"] and r["title"] and r["kind"] and r["pack"]


def test_rules_lint_and_test_pass(run) -> None:  # type: ignore[no-untyped-def]
    lint = run("rules", "lint")
    assert lint.exit_code == 0, lint.output
    tested = run("rules", "test")
    assert tested.exit_code == 0, tested.output
    assert " 0 failed" in tested.output


def test_rules_explain_with_case(run) -> None:  # type: ignore[no-untyped-def]
    result = run("rules", "explain", "ENG-ICPC-15WD", "--case", str(EXAMPLE),
                 "--as-of", "2024-03-28")
    assert result.exit_code == 0
    assert "15 working days" in result.output
    assert "2024-01-08 to 2024-01-29" in result.output
    assert "anchor sd-1: checks 2024-02-21 .. 2024-03-13, done icpc-1 on 2024-03-14 -> late" \
        in result.output


def test_rules_explain_unknown(run) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["rules", "explain", "ENG-ICPC-15"])
    assert result.exit_code == 2 and "did you mean" in result.output


def test_schema_is_json_schema(run) -> None:  # type: ignore[no-untyped-def]
    schema = orjson.loads(run("schema").output)
    assert schema["title"] == "CaseRecord"
    assert "case_id" in schema["required"]


def test_check_text_orders_sections_for_a_manager(run) -> None:  # type: ignore[no-untyped-def]
    out = run("check", str(EXAMPLE), "--as-of", "2024-03-28", "--profile", "practice").output
    assert "\x1b[" not in out  # plain when not a terminal
    order = ["To do now", "Due soon (", "Next 6 weeks ("]
    positions = [out.index(h) for h in order]
    assert positions == sorted(positions)
    assert "Met (" not in out and "10 met, 1 done late, 1 historic" in out
    # the CIN plan ended on 2024-03-14: a historic breach is counted, never a to-do
    assert "PRC-CIN-VISIT" not in out
    assert "Child's version of the safety plan - due 28 Mar (today)" in out
    # --hide-met still works for old scripts (it is the default now)
    assert run("check", str(EXAMPLE), "--as-of", "2024-03-28", "--profile", "practice",
               "--hide-met").output == out
    full = run("check", str(EXAMPLE), "--as-of", "2024-03-28", "--profile", "practice",
               "--all").output
    assert ("Visit (child seen), child in need plan - due 19 Feb, not done; plan closed 14 Mar "
            "(18 working days late then) [PRC-CIN-VISIT]") in " ".join(full.split())


def test_check_text_in_colour_on_a_terminal(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("NO_COLOR", raising=False)
    result = CliRunner().invoke(main, ["check", str(EXAMPLE), "--as-of", "2024-03-28"],
                                color=True)
    assert "\x1b[" in result.output
    monkeypatch.setenv("NO_COLOR", "1")
    result = CliRunner().invoke(main, ["check", str(EXAMPLE), "--as-of", "2024-03-28"],
                                color=True)
    assert "\x1b[" not in result.output


def test_check_markdown(run) -> None:  # type: ignore[no-untyped-def]
    out = run("check", str(EXAMPLE), "--as-of", "2024-03-28", "--format", "markdown",
              "--profile", "practice").output
    assert out.startswith("### Case EX-0001: supervision record, as of 28 Mar 2024")
    assert "| What | Kind | Due | Status | Action | Owner | By when |" in out
    assert ("| Case summary update (PRC-CASE-SUMMARY) | local | 19 Feb 2024 | "
            "28 working days overdue |  |  |  |") in out
    assert "ENG-ICPC-15WD" not in out  # done late: counted, not a row


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    from engine.batch.sweep import TerminalProgress, input_size

    tty, pipe = _Tty(), io.StringIO()
    TerminalProgress(1000, tty)(200, 500)
    TerminalProgress(1000, pipe)(200, 500)
    assert tty.getvalue() == "\r[###############---------------]  50%  200 records"
    assert pipe.getvalue() == ""
    (tmp_path / "a.json").write_bytes(b"{}")
    (tmp_path / "b.jsonl").write_bytes(b"{}\n{}\n")
    (tmp_path / "c.txt").write_bytes(b"ignored")
    assert input_size(tmp_path) == 8


STATUSES = {"met", "late", "overdue", "due_soon", "pending", "not_met", "insufficient_data"}


def _is_date(value: object) -> bool:
    from datetime import date

    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return len(str(value)) == 10


@pytest.mark.parametrize("fixture", sorted(p.name for p in (ROOT / "fixtures").glob("*.json")))
def test_every_fixture_checks_to_the_json_contract(run, fixture: str) -> None:  # type: ignore[no-untyped-def]
    out = run("check", str(ROOT / "fixtures" / fixture), "--as-of", "2024-06-30",
              "--profile", "practice", "--format", "json")
    assert out.exit_code == 0, out.output
    doc = orjson.loads(out.output)
    assert set(doc) >= {"case_id", "as_of", "profile", "findings", "errors"}
    assert doc["as_of"] == "2024-06-30" and doc["profile"] == "practice"
    assert doc["errors"] == [] and doc["findings"]
    for f in doc["findings"]:
        assert f["status"] in STATUSES
        assert isinstance(f["rule"], str) and f["rule"].split("-")[0] in {"ENG", "PRC"}
        assert _is_date(f["anchor"]["date"]) and isinstance(f["anchor"]["id"], str)
        assert f["due"] is None or _is_date(f["due"])
        assert f["done"] is None or (_is_date(f["done"]["date"]) and f["done"]["id"])
        assert f["days_late"] is None or isinstance(f["days_late"], int)
        assert (f["days_late"] is not None) == (f["status"] in {"late", "overdue"})
        assert f["message"] and f["source"]


@pytest.mark.parametrize("profile", ["england", "practice", "city-of-london", "wokingham",
                                     "surrey", "reading", "bradford"])
def test_each_profile_sweeps_the_fixtures(run, tmp_path: Path, profile: str) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / profile
    result = run("sweep", str(ROOT / "fixtures"), "--out", str(out), "--as-of", "2024-06-30",
                 "--profile", profile)
    assert result.exit_code == 0, result.output
    summary = orjson.loads((out / "summary.json").read_bytes())
    fixtures = len(list((ROOT / "fixtures").glob("*.json")))
    assert summary["records"]["read"] == summary["records"]["evaluated"] == fixtures
    assert summary["profile"] == profile
    assert sum(v for k, v in summary["statuses"].items() if k != "compliance_rate") > 0
