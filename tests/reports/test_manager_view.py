"""The manager's minute (issue 13, item 1) and the urgency order it uses (item 2)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from engine.evaluate.findings import CaseResult, Finding
from engine.evaluate.urgency import calendar_days_overdue, triage

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "fixtures").glob("*.json"))
PROFILES = sorted(p.stem for p in (ROOT / "profiles").glob("*.yaml"))
AS_OF = date(2024, 6, 30)


def _f(rule: str, status: str, due: date | None, days_late: int | None = None,
       unit: str = "days", actionable: bool = True, episode_end: date | None = None) -> Finding:
    return Finding(rule, status, "a1", date(2024, 1, 1), due, None, None, days_late, "m", "s",
                   "t", unit=unit, actionable=actionable, episode_end=episode_end)


def test_sorted_by_calendar_days_statutory_first() -> None:
    # 10 working days late from 2024-06-14 is 16 calendar days; 12 days is 12
    wd = _f("PRC-A", "overdue", date(2024, 6, 14), 10, "working_days")
    days = _f("PRC-B", "overdue", date(2024, 6, 18), 12, "days")
    statutory = _f("ENG-C", "overdue", date(2024, 6, 28), 2, "days")
    historic = _f("PRC-D", "overdue", date(2024, 1, 2), 30, actionable=False,
                  episode_end=date(2024, 2, 1))
    result = CaseResult("c", AS_OF, "practice", findings=[days, historic, wd, statutory],
                        evaluated=True)
    t = triage(result)
    assert [i.finding.rule for i in t["todo"]] == ["ENG-C", "PRC-A", "PRC-B"]
    assert [i.overdue_days for i in t["todo"]] == [2, 16, 12]
    assert [i.finding.rule for i in t["historic"]] == ["PRC-D"]
    assert calendar_days_overdue(historic, AS_OF) == 30  # frozen at the episode's end


def _screen(case: Path, profile: str, *extra: str) -> list[str]:
    result = CliRunner().invoke(main, ["check", str(case), "--profile", profile, "--as-of",
                                       AS_OF.isoformat(), *extra], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", FIXTURES, ids=lambda p: p.stem)
def test_every_fixture_fits_one_screen(case: Path, profile: str) -> None:
    lines = _screen(case, profile)
    assert len(lines) <= 50
    assert max(len(x) for x in lines) <= 120
    full = " ".join(" ".join(_screen(case, profile, "--all")).split())
    assert "--all lists them" not in full
    assert not any(x.rstrip().endswith("work") for x in lines)  # never "work/ing days"


def test_wraps_at_the_terminal_width_without_splitting_words() -> None:
    case = ROOT / "fixtures" / "cp-neglect.json"
    result = CliRunner().invoke(main, ["check", str(case), "--profile", "practice", "--as-of",
                                       AS_OF.isoformat()], env={"COLUMNS": "60"})
    lines = result.output.splitlines()
    assert max(len(x) for x in lines) < 60
    wide = CliRunner().invoke(main, ["check", str(case), "--profile", "practice", "--as-of",
                                     AS_OF.isoformat()], env={"COLUMNS": "200"}).output
    assert result.output.split() == wide.split()


def test_an_unreadable_record_prints_its_error_not_an_empty_case(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(bad), "--as-of", "2024-06-30"])
    assert result.exit_code == 1
    assert "Case None" not in result.output and "0 to do" not in result.output
    assert result.output.strip().startswith("casecheck: ") and "not valid JSON" in result.output


def test_header_names_worker_manager_and_plans() -> None:
    lines = _screen(ROOT / "fixtures" / "looked-after.json", "practice")
    assert lines[0].startswith("Case FX-CLA-0001, child CH-2003 aged 5")
    assert lines[1] == "Team Children in Care; worker SW-405; manager TM-31"
    assert lines[2] == "Open: looked after since 16 Jan 2023, C2; placement since 12 Jun 2023"
    assert lines[3].startswith("Closed: care proceedings 18 Jan 2023 to 20 Jul 2023")
