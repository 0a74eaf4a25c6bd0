"""The hand-written case records in fixtures/ double as acceptance tests.

One fixture per cohort (child in need, child protection, looked after, care leaver, private
fostering, missing, CIN -> CP -> care, placed at home with parents), each evaluated with the
practice profile as at Sunday 2024-06-30. Every expected date below was worked out by hand from
shared/spec (semantics.md, catalogue.md), not read back from the engine. England bank holidays
that matter here: 2023-04-07, 04-10, 05-01, 05-08 (coronation), 05-29, 08-28, 12-25, 12-26;
2024-01-01, 03-29, 04-01, 05-06, 05-27. The warning window is 5 working days: as at Sun
2024-06-30, anything due 2024-06-30 .. Fri 2024-07-05 is due_soon, later is pending, and
anything due on or before Sat 2024-06-29 and not done is overdue.

For a schedule, occurrence 1 is anchored at the episode (or period of involvement, which takes its
first episode's id) and occurrence n > 1 at the target that met occurrence n - 1.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import pytest

from engine.batch.sweep import evaluate_raw, sweep
from engine.evaluate.compile import build_ruleset
from engine.evaluate.evaluator import RuleSet
from engine.evaluate.findings import Finding
from engine.records.intake import read_records, validate
from engine.reports.findings_json import case_json
from engine.rules.profiles import load_profile

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
AS_OF = date(2024, 6, 30)

COHORT = {
    "cin.json": "FX-CIN-0001",
    "cp.json": "FX-CP-0001",
    "looked-after.json": "FX-CLA-0001",
    "care-leaver.json": "FX-CL-0001",
    "private-fostering.json": "FX-PF-0001",
    "missing.json": "FX-MISS-0001",
    "cin-cp-care.json": "FX-STEP-0001",
    "home-with-parents.json": "FX-HWP-0001",
}
TEAMS = {"Assessment East", "Child Protection North", "Children in Care", "Leaving Care",
         "Family Support West"}
STATUSES = {"met", "late", "overdue", "due_soon", "pending", "not_met", "insufficient_data"}


@pytest.fixture(scope="module")
def practice() -> RuleSet:
    return build_ruleset(load_profile("practice"))


_CACHE: dict[str, list[Finding]] = {}


@pytest.fixture
def findings(practice: RuleSet):  # type: ignore[no-untyped-def]
    def get(name: str) -> list[Finding]:
        if name not in _CACHE:
            (raw,) = read_records(FIXTURES / name)
            result, _ = evaluate_raw(raw, practice, AS_OF)
            assert result.evaluated and result.errors == [], name
            _CACHE[name] = result.findings
        return _CACHE[name]

    return get


def select(fs: list[Finding], rule: str, *, occurrence: int | None = None,
           anchor: str | None = None, member: str | None = None) -> list[Finding]:
    return [f for f in fs if f.rule == rule
            and (occurrence is None or f.occurrence == occurrence)
            and (anchor is None or f.anchor_id == anchor)
            and (member is None or f.member == member)]


def pick(fs: list[Finding], rule: str, **where: Any) -> Finding:
    found = select(fs, rule, **where)
    assert len(found) == 1, (rule, where, [(f.anchor_id, f.occurrence, f.status) for f in found])
    return found[0]


def _d(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


# ---------------------------------------------------------------------------------------------
# the fixtures are valid, tidy records


def test_the_cohort_is_all_there() -> None:
    names = {p.name for p in FIXTURES.glob("*.json")}
    assert set(COHORT) | {"cp-neglect.json"} <= names


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.name)
def test_every_fixture_validates(path: Path, practice: RuleSet) -> None:
    raws = list(read_records(path))
    assert len(raws) == 1
    intake = validate(raws[0], practice.known_event_types)
    assert intake.record is not None
    assert [e.as_dict() for e in intake.errors] == []
    assert [w.as_dict() for w in intake.warnings] == []


_CODE = re.compile(r"^[A-Za-z0-9_:.+\-]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T[\d:]+)?$")


def _strings(node: Any, pointer: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _strings(v, f"{pointer}/{k}")]
    if isinstance(node, list):
        return [s for i, v in enumerate(node) for s in _strings(v, f"{pointer}/{i}")]
    return [(pointer, node)] if isinstance(node, str) else []


@pytest.mark.parametrize("name", sorted(COHORT))
def test_fixture_is_tidy(name: str) -> None:
    """Ids and codes only (no free text), a shared team, a full child, dates in 2023-2024."""
    text = (FIXTURES / name).read_text()
    assert "\n  " in text, "pretty-printed"
    doc = orjson.loads(text)
    assert doc["format"] == "casecheck/case-record@1"
    assert doc["case_id"] == COHORT[name]
    assert set(doc["child"]) == {"id", "date_of_birth", "sex", "ethnicity", "disability", "uasc"}
    assert set(doc["allocation"]) == {"team", "worker", "manager"}
    assert doc["allocation"]["team"] in TEAMS
    for pointer, value in _strings(doc):
        if pointer in ("/format", "/allocation/team"):
            continue
        assert _CODE.match(value), (pointer, value)
        if _DATE.match(value) and "date_of_birth" not in pointer:
            assert value[:4] in ("2023", "2024"), (pointer, value)
    episodes = {e["id"]: e for e in doc.get("episodes", [])}
    events = {e["id"]: e for e in doc.get("events", [])}
    for ep in episodes.values():
        if ep["type"] == "placement":
            assert episodes[ep["parent"]]["type"] == "looked_after"
    for ev in events.values():
        if ev["type"] == "return_home_interview":
            assert events[ev["ref"]]["type"] == "missing_episode"


def test_exactly_one_fixture_has_no_ethnicity() -> None:
    missing = [n for n in COHORT
               if orjson.loads((FIXTURES / n).read_bytes())["child"]["ethnicity"] is None]
    assert missing == ["private-fostering.json"]


def test_sweep_evaluates_every_fixture(practice: RuleSet, tmp_path: Path) -> None:
    summary = sweep(FIXTURES, tmp_path, practice, AS_OF, serialise=case_json)
    n = len(list(FIXTURES.glob("*.json")))
    assert summary["records"] == {"read": n, "evaluated": n, "rejected": 0, "with_errors": 0,
                                  "internal_errors": 0, "warnings": 0}
    entries = len(list(FIXTURES.iterdir()))
    assert summary["files"]["read"] + len(summary["files"]["skipped"]) == entries
    lines = (tmp_path / "findings.jsonl").read_bytes().splitlines()
    docs = [orjson.loads(line) for line in lines]
    assert len(docs) == n
    assert set(COHORT.values()) <= {d["case_id"] for d in docs}
    assert all(d["errors"] == [] and d["findings"] for d in docs)
    assert set(summary["teams"]) == TEAMS


def test_the_cohort_shows_every_status(findings) -> None:  # type: ignore[no-untyped-def]
    counts = Counter(f.status for name in COHORT for f in findings(name))
    assert set(counts) == STATUSES
    # a realistic mix: mostly met
    assert counts["met"] > 2 * (counts["late"] + counts["overdue"] + counts["not_met"])


# ---------------------------------------------------------------------------------------------
# every breach each fixture was designed with, and no others:
# (rule, status, due, anchor id, done id)

BREACHES: dict[str, list[tuple[str, str, str | None, str, str | None]]] = {
    "cin.json": [
        ("PRC-CASE-SUMMARY", "late", "2023-12-04", "cin-1", "cs-1"),
        ("PRC-CHRONOLOGY", "overdue", "2024-05-14", "chr-2", None),
        ("PRC-CIN-REVIEW", "late", "2024-04-30", "cinr-1", "cinr-2"),
        ("PRC-CIN-VISIT", "late", "2024-01-16", "v-2", "v-3"),
        ("PRC-CIN-VISIT", "late", "2024-05-03", "v-6", "v-8"),
        ("PRC-SUPERVISION", "late", "2023-12-30", "sup-1", "sup-2"),
    ],
    "cp.json": [
        ("ENG-REFERRAL-DECISION-1WD", "late", "2024-01-12", "ref-1", "ref-1"),
        ("PRC-CASE-SUMMARY", "late", "2024-02-29", "cp-1", "cs-1"),
        ("PRC-CASE-SUMMARY", "overdue", "2024-06-05", "cs-1", None),
        ("PRC-CP-CHILD-SAFETY-PLAN", "late", "2024-02-15", "cp-1", "sp-2"),
        ("PRC-CP-SEEN-ALONE", "late", "2024-04-25", "v-4", "v-7"),
        ("PRC-CP-VISIT", "late", "2024-03-28", "v-4", "v-5"),
        ("PRC-SUPERVISION", "late", "2024-04-06", "sup-2", "sup-3"),
    ],
    "looked-after.json": [
        ("ENG-CLA-REVIEW", "late", "2023-05-09", "clar-1", "clar-2"),
        ("ENG-CLA-RHA", "late", "2023-08-10", "ha-1", "ha-2"),
        ("ENG-CLA-VISIT", "late", "2023-04-21", "v-3", "v-4"),
        ("ENG-CLA-VISIT", "late", "2024-01-02", "v-10", "v-12"),
        ("ENG-CLA-VISIT", "late", "2024-06-11", "v-15", "v-16"),
        ("PRC-CASE-SUMMARY", "late", "2023-05-08", "cs-1", "cs-2"),
        ("PRC-CHRONOLOGY", "late", "2023-10-20", "chr-3", "chr-4"),
        ("PRC-CLA-LIFE-STORY", "late", "2023-04-16", "la-1", "lsw-1"),
        ("PRC-PPM", "late", "2023-08-06", "ppm-6", "ppm-7"),
        ("PRC-PPM", "late", "2023-12-30", "ppm-11", "ppm-12"),
        ("PRC-SUPERVISION", "late", "2023-07-29", "sup-6", "sup-7"),
        ("PRC-SUPERVISION", "overdue", "2024-06-09", "sup-17", None),
    ],
    "care-leaver.json": [
        ("ENG-CL-PATHWAY-REVIEW", "late", "2024-04-02", "cl-1", "ppr-1"),
        ("PRC-CHRONOLOGY", "late", "2024-01-20", "chr-1", "chr-2"),
        ("PRC-CHRONOLOGY", "overdue", "2024-05-05", "chr-2", None),
        ("PRC-GENOGRAM", "late", "2023-10-30", "cl-1", "gen-1"),
        ("PRC-PATHWAY-PLAN-QUALITY", "not_met", None, "plan-2", None),
        ("PRC-SUPERVISION", "late", "2023-11-26", "sup-1", "sup-2"),
        ("PRC-SUPERVISION", "late", "2024-02-18", "sup-4", "sup-5"),
        ("PRC-SUPERVISION", "late", "2024-04-21", "sup-6", "sup-7"),
    ],
    "private-fostering.json": [
        ("ENG-PF-VISIT", "late", "2024-04-02", "pfv-2", "pfv-3"),
        ("ENG-PF-VISIT", "overdue", "2024-06-28", "pfv-4", None),
        ("PRC-CASE-SUMMARY", "late", "2024-02-05", "pf-1", "cs-1"),
        ("PRC-ETHNICITY-RECORDED", "not_met", None, "pf-1", None),
        ("PRC-PF-DBS", "late", "2024-02-05", "pf-1", "dbs-2"),
        ("PRC-SUPERVISION", "late", "2024-03-29", "sup-2", "sup-3"),
    ],
    "missing.json": [
        ("ENG-MISSING-RHI-72H", "late", "2024-04-24", "me-4", "rhi-3"),
        ("PRC-RHI-SAFETY-PLAN", "not_met", None, "rhi-3", None),
    ],
    "cin-cp-care.json": [
        ("ENG-CLA-IHA-20WD", "late", "2024-04-10", "la-1", "ha-1"),
        ("PRC-CASE-SUMMARY", "late", "2023-09-12", "cin-1", "cs-1"),
        ("PRC-CASE-SUMMARY", "overdue", "2024-06-12", "cs-3", None),
        ("PRC-CHRONOLOGY", "late", "2024-02-24", "chr-2", "chr-3"),
        ("PRC-CLA-LIFE-STORY", "overdue", "2024-06-11", "la-1", None),
        ("PRC-CP-VISIT", "late", "2024-01-24", "v-8", "v-9"),
        ("PRC-PLAN-AFTER-ASSESSMENT", "late", "2023-08-11", "asm-1", "cin-1"),
        ("PRC-SUPERVISION", "late", "2023-12-28", "sup-4", "sup-5"),
    ],
    "home-with-parents.json": [
        ("ENG-CLA-RHA", "late", "2024-04-26", "ha-1", "ha-2"),
        ("ENG-CLA-VISIT", "late", "2023-09-12", "v-4", "v-5"),
        ("ENG-CLA-VISIT", "late", "2024-06-11", "v-11", "v-12"),
        ("PRC-CASE-SUMMARY", "late", "2024-04-29", "cs-4", "cs-5"),
        ("PRC-CLA-CAMHS-OFFER", "late", "2023-05-04", "la-1", "camhs-1"),
        ("PRC-HOME-WITH-PARENTS-AGREEMENT", "late", "2023-12-04", "pl-2", "wa-1"),
        ("PRC-PPM", "late", "2024-02-14", "ppm-3", "ppm-4"),
        ("PRC-REAUDIT-INADEQUATE", "overdue", "2024-06-20", "au-1", None),
        ("PRC-SUPERVISION", "late", "2023-08-20", "sup-4", "sup-5"),
        ("PRC-SUPERVISION", "overdue", "2024-06-29", "sup-15", None),
    ],
}


@pytest.mark.parametrize("name", sorted(BREACHES))
def test_breaches_are_exactly_the_designed_ones(name: str, findings) -> None:  # type: ignore[no-untyped-def]
    got = sorted((f.rule, f.status, f.due.isoformat() if f.due else None, f.anchor_id, f.done_id)
                 for f in findings(name) if f.status in ("late", "overdue", "not_met"))
    assert got == sorted(BREACHES[name])


# ---------------------------------------------------------------------------------------------
# hand-checked findings, fixture by fixture


class E(NamedTuple):
    rule: str
    status: str
    due: str | None
    done: str | None = None
    occurrence: int | None = None
    anchor: str | None = None
    member: str | None = None
    days_late: int | None = None


CASES: list[Any] = [
    # ---- cin.json: referral Tue 2023-09-05, CIN plan from Mon 2023-11-06 -------------------
    # decision due 1 working day after Tue 5 Sep = Wed 6 Sep, made that day
    ("cin.json", E("ENG-REFERRAL-DECISION-1WD", "met", "2023-09-06", "ref-1", anchor="ref-1")),
    # asm-1 refs ref-1, so the clock runs from Tue 5 Sep: 45 wd = 9 weeks = Tue 7 Nov
    ("cin.json", E("ENG-ASSESSMENT-45WD", "met", "2023-11-07", "asm-1", anchor="asm-1")),
    # completed Fri 27 Oct + 10 wd = Fri 10 Nov; the plan started Mon 6 Nov
    ("cin.json", E("PRC-PLAN-AFTER-ASSESSMENT", "met", "2023-11-10", "cin-1", anchor="asm-1")),
    # plan start Mon 6 Nov + 20 wd = Mon 4 Dec
    ("cin.json", E("PRC-CIN-VISIT", "met", "2023-12-04", "v-1", occurrence=1)),
    # Thu 14 Dec + 20 wd, skipping 25, 26 Dec and 1 Jan = Tue 16 Jan; seen Fri 19 Jan: 3 wd late
    ("cin.json", E("PRC-CIN-VISIT", "late", "2024-01-16", "v-3", occurrence=3, days_late=3)),
    # Tue 13 Feb + 20 wd = Tue 12 Mar, visited that day: on the deadline is in time
    ("cin.json", E("PRC-CIN-VISIT", "met", "2024-03-12", "v-5", occurrence=5)),
    # Fri 5 Apr + 20 wd = Fri 3 May; v-7 (2 May) did not see the child; v-8 Fri 10 May is 4 wd
    # late because Mon 6 May is a bank holiday
    ("cin.json", E("PRC-CIN-VISIT", "late", "2024-05-03", "v-8", occurrence=7, days_late=4)),
    # Fri 10 May + 20 wd (27 May bank holiday) = Mon 10 Jun
    ("cin.json", E("PRC-CIN-VISIT", "met", "2024-06-10", "v-9", occurrence=8)),
    # Thu 6 Jun + 20 wd = Thu 4 Jul, inside the window ending Fri 5 Jul
    ("cin.json", E("PRC-CIN-VISIT", "due_soon", "2024-07-04", occurrence=9, anchor="v-9")),
    # 3 months: 6 Nov -> 6 Feb (met 31 Jan) -> 30 Apr (held 8 May, 8 days late) -> 8 Aug
    ("cin.json", E("PRC-CIN-REVIEW", "met", "2024-02-06", "cinr-1", occurrence=1)),
    ("cin.json", E("PRC-CIN-REVIEW", "late", "2024-04-30", "cinr-2", occurrence=2, days_late=8)),
    ("cin.json", E("PRC-CIN-REVIEW", "pending", "2024-08-08", occurrence=3)),
    # monthly supervision: 30 Nov + 1 month = 30 Dec, next held 9 Jan (10 days late)
    ("cin.json", E("PRC-SUPERVISION", "late", "2023-12-30", "sup-2", occurrence=2, days_late=10)),
    # Thu 30 May + 1 month = Sun 30 Jun = the as-of date: due soon, not overdue
    ("cin.json", E("PRC-SUPERVISION", "due_soon", "2024-06-30", occurrence=8, anchor="sup-7")),
    # chronology: 6 Nov + 20 wd = 4 Dec (met 20 Nov); 14 Feb + 3 months = 14 May, none since
    ("cin.json", E("PRC-CHRONOLOGY", "overdue", "2024-05-14", occurrence=3, days_late=47)),
    # case summary: due Mon 4 Dec, written Tue 12 Dec = 6 wd late
    ("cin.json", E("PRC-CASE-SUMMARY", "late", "2023-12-04", "cs-1", occurrence=1, days_late=6)),
    ("cin.json", E("PRC-CASE-SUMMARY", "pending", "2024-09-04", occurrence=4, anchor="cs-3")),

    # ---- cp.json: strategy discussion Fri 2024-01-12, ICPC and plan Thu 2024-02-01 ----------
    # referral Thu 11 Jan, decision due Fri 12 Jan, made Mon 15 Jan: 1 wd late
    ("cp.json", E("ENG-REFERRAL-DECISION-1WD", "late", "2024-01-12", "ref-1", days_late=1)),
    # 15 wd after Fri 12 Jan = Fri 2 Feb; ICPC Thu 1 Feb
    ("cp.json", E("ENG-ICPC-15WD", "met", "2024-02-02", "icpc-1", anchor="sd-1")),
    # the earliest of three agency checks satisfies the one obligation
    ("cp.json", E("PRC-CP-AGENCY-CHECKS", "met", "2024-02-02", "ac-1", anchor="sd-1")),
    # Thu 1 Feb + 10 wd = Thu 15 Feb; cg-1 refs the ICPC (not the plan) and still counts
    ("cp.json", E("ENG-CP-CORE-GROUP-10WD", "met", "2024-02-15", "cg-1", anchor="cp-1")),
    # 1st review within 3 months = 1 May (held 25 Apr), then 6 months = 25 Oct
    ("cp.json", E("ENG-CP-REVIEW", "met", "2024-05-01", "rcpc-1", occurrence=1)),
    ("cp.json", E("ENG-CP-REVIEW", "pending", "2024-10-25", occurrence=2, anchor="rcpc-1")),
    # the child's own safety plan: due Thu 15 Feb; sp-1 is the adults' plan; sp-2 Thu 22 Feb
    ("cp.json", E("PRC-CP-CHILD-SAFETY-PLAN", "late", "2024-02-15", "sp-2", days_late=5)),
    # 10 wd visits: Fri 16 Feb + 10 wd = Fri 1 Mar, visited that day
    ("cp.json", E("PRC-CP-VISIT", "met", "2024-03-01", "v-3", occurrence=3)),
    # Thu 14 Mar + 10 wd = Thu 28 Mar; seen Wed 3 Apr: Good Friday and Easter Monday are not
    # working days, so 2 wd late
    ("cp.json", E("PRC-CP-VISIT", "late", "2024-03-28", "v-5", occurrence=5, days_late=2)),
    # Tue 30 Apr + 10 wd (6 May bank holiday) = Wed 15 May; v-8 (10 May, not seen) skipped
    ("cp.json", E("PRC-CP-VISIT", "met", "2024-05-15", "v-9", occurrence=8, anchor="v-7")),
    # Thu 20 Jun + 10 wd = Thu 4 Jul
    ("cp.json", E("PRC-CP-VISIT", "due_soon", "2024-07-04", occurrence=12, anchor="v-12")),
    # seen alone every 6 weeks: 14 Mar + 42 days = 25 Apr; v-5, v-6 not alone; v-7 30 Apr
    ("cp.json", E("PRC-CP-SEEN-ALONE", "late", "2024-04-25", "v-7", occurrence=3, days_late=5)),
    # 24 May + 42 = 5 Jul, met by v-12 20 Jun; then 20 Jun + 42 = 1 Aug
    ("cp.json", E("PRC-CP-SEEN-ALONE", "met", "2024-07-05", "v-12", occurrence=5)),
    ("cp.json", E("PRC-CP-SEEN-ALONE", "pending", "2024-08-01", occurrence=6)),
    # case summary: Thu 1 Feb + 20 wd = Thu 29 Feb; written Tue 5 Mar: 3 wd late; next 5 Jun
    ("cp.json", E("PRC-CASE-SUMMARY", "late", "2024-02-29", "cs-1", occurrence=1, days_late=3)),
    ("cp.json", E("PRC-CASE-SUMMARY", "overdue", "2024-06-05", occurrence=2, days_late=25)),

    # ---- looked-after.json: in care from Mon 2023-01-16, born 2019-03-18 (5 on 2024-03-18) ---
    # care plan: 10 wd = Mon 30 Jan
    ("looked-after.json", E("ENG-CLA-CARE-PLAN-10WD", "met", "2023-01-30", "cpl-1")),
    # reviews: 20 wd = Mon 13 Feb (held 9 Feb); 3 months after 9 Feb = 9 May, held 16 May
    ("looked-after.json", E("ENG-CLA-REVIEW", "met", "2023-02-13", "clar-1", occurrence=1)),
    ("looked-after.json",
     E("ENG-CLA-REVIEW", "late", "2023-05-09", "clar-2", occurrence=2, days_late=7)),
    # then 6 months: 16 May -> 16 Nov (14 Nov) -> 14 May 2024 (9 May) -> 9 Nov 2024
    ("looked-after.json", E("ENG-CLA-REVIEW", "met", "2024-05-14", "clar-4", occurrence=4)),
    ("looked-after.json", E("ENG-CLA-REVIEW", "pending", "2024-11-09", occurrence=5)),
    # the permanence plan is due by the 2nd review as held (16 May), not as due (9 May)
    ("looked-after.json", E("ENG-CLA-PERMANENCE-PLAN", "met", "2023-05-16", "pp-1")),
    # initial health assessment: 20 wd = Mon 13 Feb
    ("looked-after.json", E("ENG-CLA-IHA-20WD", "met", "2023-02-13", "ha-1")),
    # review health assessments: aged 3 at ha-1 (10 Feb 2023): 6 months = 10 Aug, done 20 Sep
    ("looked-after.json",
     E("ENG-CLA-RHA", "late", "2023-08-10", "ha-2", occurrence=1, anchor="ha-1", days_late=41)),
    # aged 4 at ha-2: 6 months = 20 Mar 2024 (even though 5 by then), done 19 Mar
    ("looked-after.json", E("ENG-CLA-RHA", "met", "2024-03-20", "ha-3", occurrence=2)),
    # aged 5 at ha-3 (19 Mar 2024): 12 months
    ("looked-after.json", E("ENG-CLA-RHA", "pending", "2025-03-19", occurrence=3, anchor="ha-3")),
    # PPMs monthly while under 5 at the previous PPM: 1 Feb 2024 -> 1 Mar (29 Feb, age 4)
    ("looked-after.json", E("PRC-PPM", "met", "2024-03-01", "ppm-14", occurrence=14)),
    # 29 Feb + 1 month = 29 Mar (age 4 on 29 Feb), held 21 Mar (age 5)
    ("looked-after.json", E("PRC-PPM", "met", "2024-03-29", "ppm-15", occurrence=15)),
    # aged 5 at ppm-15, so 3 months: 21 Jun (held 18 Jun); then 18 Sep
    ("looked-after.json", E("PRC-PPM", "met", "2024-06-21", "ppm-16", occurrence=16)),
    ("looked-after.json", E("PRC-PPM", "pending", "2024-09-18", occurrence=17)),
    # 30 Nov + 1 month = 30 Dec; held 4 Jan (5 days late)
    ("looked-after.json",
     E("PRC-PPM", "late", "2023-12-30", "ppm-12", occurrence=12, days_late=5)),
    # visits per placement: pl-2 from Mon 6 Mar: 1 week = 13 Mar (10 Mar); 10 Mar + 6 weeks =
    # 21 Apr, seen 25 Apr
    ("looked-after.json", E("ENG-CLA-VISIT", "met", "2023-03-13", "v-3", anchor="pl-2")),
    ("looked-after.json",
     E("ENG-CLA-VISIT", "late", "2023-04-21", "v-4", anchor="v-3", days_late=4)),
    # pl-3 (long term) from Mon 12 Jun 2023: v-11 (28 Dec) did not see the child, so 21 Nov +
    # 6 weeks = 2 Jan was met late by v-12 on 5 Jan
    ("looked-after.json",
     E("ENG-CLA-VISIT", "late", "2024-01-02", "v-12", occurrence=6, anchor="v-10", days_late=3)),
    # v-15 (30 Apr 2024) fell in the first year: 6 weeks = 11 Jun, seen 13 Jun
    ("looked-after.json",
     E("ENG-CLA-VISIT", "late", "2024-06-11", "v-16", occurrence=10, anchor="v-15", days_late=2)),
    # v-16 (13 Jun 2024) is after the first year (ended 12 Jun) of a long-term placement:
    # 3 months
    ("looked-after.json",
     E("ENG-CLA-VISIT", "pending", "2024-09-13", occurrence=11, anchor="v-16")),
    # life story work: 16 Jan + 3 months = 16 Apr, started 3 May
    ("looked-after.json", E("PRC-CLA-LIFE-STORY", "late", "2023-04-16", "lsw-1", days_late=17)),
    ("looked-after.json", E("PRC-CLA-CAMHS-OFFER", "met", "2023-02-13", "camhs-1")),
    # supervision 9 May 2024 + 1 month = 9 Jun, none since: 21 days overdue
    ("looked-after.json",
     E("PRC-SUPERVISION", "overdue", "2024-06-09", occurrence=18, anchor="sup-17", days_late=21)),

    # ---- care-leaver.json: care leaver from Mon 2023-10-02 (18th birthday) -----------------
    # 1st pathway plan review within 6 months = 2 Apr 2024, held 9 Apr; next 6 months after it
    ("care-leaver.json",
     E("ENG-CL-PATHWAY-REVIEW", "late", "2024-04-02", "ppr-1", occurrence=1, days_late=7)),
    ("care-leaver.json", E("ENG-CL-PATHWAY-REVIEW", "pending", "2024-10-09", occurrence=2)),
    ("care-leaver.json", E("PRC-PATHWAY-PLAN-QUALITY", "met", None, "plan-1", anchor="plan-1")),
    ("care-leaver.json", E("PRC-PATHWAY-PLAN-QUALITY", "not_met", None, anchor="plan-2")),
    # genogram: Mon 2 Oct + 20 wd = Mon 30 Oct; done Mon 6 Nov: 5 wd late
    ("care-leaver.json", E("PRC-GENOGRAM", "late", "2023-10-30", "gen-1", days_late=5)),
    # chronology 5 Feb + 3 months = Sun 5 May, none since: 56 days overdue
    ("care-leaver.json", E("PRC-CHRONOLOGY", "overdue", "2024-05-05", occurrence=3, days_late=56)),
    ("care-leaver.json", E("PRC-SUPERVISION", "pending", "2024-07-20", occurrence=10)),

    # ---- private-fostering.json: notified Mon 2024-01-08; household hh-1 adult, hh-2 16 at
    # notification (born 2007-09-14), hh-3 no date of birth; no ethnicity recorded -------------
    # 1st visit: 7 wd = Wed 17 Jan
    ("private-fostering.json", E("ENG-PF-VISIT", "met", "2024-01-17", "pfv-1", occurrence=1)),
    # 20 Feb + 6 weeks = 2 Apr, visited 9 Apr
    ("private-fostering.json",
     E("ENG-PF-VISIT", "late", "2024-04-02", "pfv-3", occurrence=3, days_late=7)),
    # 17 May + 6 weeks = Fri 28 Jun, not visited by Sun 30 Jun
    ("private-fostering.json",
     E("ENG-PF-VISIT", "overdue", "2024-06-28", occurrence=5, anchor="pfv-4", days_late=2)),
    # DBS: Mon 8 Jan + 20 wd = Mon 5 Feb
    ("private-fostering.json", E("PRC-PF-DBS", "met", "2024-02-05", "dbs-1", member="hh-1")),
    ("private-fostering.json",
     E("PRC-PF-DBS", "late", "2024-02-05", "dbs-2", member="hh-2", days_late=5)),
    ("private-fostering.json", E("PRC-PF-DBS", "insufficient_data", None, member="hh-3")),
    ("private-fostering.json", E("PRC-ETHNICITY-RECORDED", "not_met", None, anchor="pf-1")),
    # no referral: 45 wd from the start Tue 9 Jan = Tue 12 Mar
    ("private-fostering.json", E("ENG-ASSESSMENT-45WD", "met", "2024-03-12", "asm-1")),
    ("private-fostering.json", E("PRC-SUPERVISION", "due_soon", "2024-06-30", occurrence=6)),

    # ---- missing.json: missing and absent episodes (date-times, UK local time) -------------
    # back Sat 3 Feb 09:15, interview Mon 5 Feb 16:00, due Tue 6 Feb 09:15
    ("missing.json", E("ENG-MISSING-RHI-72H", "met", "2024-02-06", "rhi-1", anchor="me-1")),
    # back Sat 30 Mar 10:00 GMT; 72 real hours later is Tue 2 Apr 11:00 BST (clocks went
    # forward on 31 Mar), so the interview at 10:30 BST is in time
    ("missing.json", E("ENG-MISSING-RHI-72H", "met", "2024-04-02", "rhi-2", anchor="me-2")),
    # back Sun 21 Apr 11:30, due Wed 24 Apr 11:30, interview Thu 25 Apr: 1 day late
    ("missing.json",
     E("ENG-MISSING-RHI-72H", "late", "2024-04-24", "rhi-3", anchor="me-4", days_late=1)),
    # a declined interview still counts
    ("missing.json", E("ENG-MISSING-RHI-72H", "met", "2024-06-04", "rhi-4", anchor="me-5")),
    # back Fri 28 Jun 10:00: due Mon 1 Jul
    ("missing.json", E("ENG-MISSING-RHI-72H", "due_soon", "2024-07-01", anchor="me-6")),
    # me-1 (2 Feb), me-2 (29 Mar), me-4 (19 Apr): 3 missing within 90 days (me-3 is absent);
    # meeting due 5 wd after Fri 19 Apr = Fri 26 Apr, held Wed 24 Apr
    ("missing.json", E("PRC-MISSING-STRATEGY", "met", "2024-04-26", "sd-1", anchor="me-4")),
    ("missing.json", E("PRC-RHI-SAFETY-PLAN", "met", None, "rhi-1", anchor="rhi-1")),
    ("missing.json", E("PRC-RHI-SAFETY-PLAN", "not_met", None, anchor="rhi-3")),

    # ---- cin-cp-care.json: CIN plan Mon 2023-08-14, CP plan Thu 2023-11-23, care Mon
    # 2024-03-11 ------------------------------------------------------------------------------
    # assessment completed Fri 28 Jul + 10 wd = Fri 11 Aug; CIN plan Mon 14 Aug: 1 wd late
    ("cin-cp-care.json",
     E("PRC-PLAN-AFTER-ASSESSMENT", "late", "2023-08-11", "cin-1", days_late=1)),
    # referral Mon 5 Jun + 45 wd = Mon 7 Aug
    ("cin-cp-care.json", E("ENG-ASSESSMENT-45WD", "met", "2023-08-07", "asm-1")),
    # 1st CIN visit: Mon 14 Aug + 20 wd (28 Aug bank holiday) = Tue 12 Sep
    ("cin-cp-care.json", E("PRC-CIN-VISIT", "met", "2023-09-12", "v-1", occurrence=1)),
    # sd-1 (Mon 30 Oct) is superseded by sd-2 (Mon 6 Nov): 15 wd = Mon 27 Nov; ICPC Thu 23 Nov
    ("cin-cp-care.json", E("ENG-ICPC-15WD", "met", "2023-11-27", "icpc-1", anchor="sd-2")),
    # agency checks are not superseded: 30 Oct + 15 wd = 20 Nov; 6 Nov + 15 wd = 27 Nov
    ("cin-cp-care.json", E("PRC-CP-AGENCY-CHECKS", "met", "2023-11-20", "ac-1", anchor="sd-1")),
    ("cin-cp-care.json", E("PRC-CP-AGENCY-CHECKS", "met", "2023-11-27", "ac-2", anchor="sd-2")),
    # Thu 23 Nov + 10 wd = Thu 7 Dec
    ("cin-cp-care.json", E("ENG-CP-CORE-GROUP-10WD", "met", "2023-12-07", "cg-1")),
    ("cin-cp-care.json", E("PRC-CP-CHILD-SAFETY-PLAN", "met", "2023-12-07", "sp-1")),
    # Tue 12 Dec + 10 wd over Christmas = Thu 28 Dec, visited that day
    ("cin-cp-care.json", E("PRC-CP-VISIT", "met", "2023-12-28", "v-7", occurrence=3)),
    # Wed 10 Jan + 10 wd = Wed 24 Jan, visited Fri 26 Jan: 2 wd late
    ("cin-cp-care.json",
     E("PRC-CP-VISIT", "late", "2024-01-24", "v-9", occurrence=5, days_late=2)),
    # 10 Jan + 42 days = 21 Feb, seen alone that day
    ("cin-cp-care.json", E("PRC-CP-SEEN-ALONE", "met", "2024-02-21", "v-11", occurrence=3)),
    ("cin-cp-care.json", E("ENG-CP-REVIEW", "met", "2024-02-23", "rcpc-1", occurrence=1)),
    # a care plan up to 10 wd before the start counts (Fri 8 Mar >= Mon 26 Feb); due Mon 25 Mar
    ("cin-cp-care.json", E("ENG-CLA-CARE-PLAN-10WD", "met", "2024-03-25", "cpl-1")),
    # Mon 11 Mar + 20 wd over Easter = Wed 10 Apr
    ("cin-cp-care.json", E("ENG-CLA-REVIEW", "met", "2024-04-10", "clar-1", occurrence=1)),
    ("cin-cp-care.json", E("ENG-CLA-REVIEW", "pending", "2024-07-09", occurrence=2)),
    # no 2nd review yet: the permanence plan is due by its due date, 9 Jul
    ("cin-cp-care.json", E("ENG-CLA-PERMANENCE-PLAN", "pending", "2024-07-09", anchor="la-1")),
    # IHA due Wed 10 Apr, done Thu 18 Apr: 6 wd late; aged 6, so the review is 12 months on
    ("cin-cp-care.json", E("ENG-CLA-IHA-20WD", "late", "2024-04-10", "ha-1", days_late=6)),
    ("cin-cp-care.json", E("ENG-CLA-RHA", "pending", "2025-04-18", occurrence=1, anchor="ha-1")),
    # aged 6 at the start of care: 3-monthly PPMs
    ("cin-cp-care.json", E("PRC-PPM", "met", "2024-06-11", "ppm-1", occurrence=1)),
    ("cin-cp-care.json", E("ENG-CLA-VISIT", "met", "2024-03-18", "v-13", anchor="pl-1")),
    ("cin-cp-care.json", E("ENG-CLA-VISIT", "pending", "2024-07-16", occurrence=4)),
    ("cin-cp-care.json", E("PRC-CLA-LIFE-STORY", "overdue", "2024-06-11", days_late=19)),
    # inadequate audit Tue 30 Jan + 3 months = 30 Apr, re-audited 26 Apr
    ("cin-cp-care.json", E("PRC-REAUDIT-INADEQUATE", "met", "2024-04-30", "au-2", anchor="au-1")),
    # supervision runs across CIN -> CP -> care as one period anchored at cin-1
    ("cin-cp-care.json", E("PRC-SUPERVISION", "met", "2023-09-14", "sup-1", anchor="cin-1")),
    ("cin-cp-care.json",
     E("PRC-SUPERVISION", "late", "2023-12-28", "sup-5", occurrence=5, days_late=14)),
    ("cin-cp-care.json", E("PRC-SUPERVISION", "pending", "2024-07-27", occurrence=12)),

    # ---- home-with-parents.json: in care Mon 2023-04-03, home to parents Mon 2023-11-20 -----
    # 10 wd after Mon 20 Nov = Mon 4 Dec; agreement Thu 7 Dec: 3 wd late
    ("home-with-parents.json",
     E("PRC-HOME-WITH-PARENTS-AGREEMENT", "late", "2023-12-04", "wa-1", anchor="pl-2",
       days_late=3)),
    # care plan: 10 wd over Easter 2023 (7 and 10 Apr) = Wed 19 Apr
    ("home-with-parents.json", E("ENG-CLA-CARE-PLAN-10WD", "met", "2023-04-19", "cpl-1")),
    # 1st review: 20 wd over Easter and 1 May = Thu 4 May
    ("home-with-parents.json", E("ENG-CLA-REVIEW", "met", "2023-05-04", "clar-1", occurrence=1)),
    ("home-with-parents.json", E("ENG-CLA-REVIEW", "pending", "2024-07-23", occurrence=4)),
    ("home-with-parents.json", E("ENG-CLA-PERMANENCE-PLAN", "met", "2023-07-25", "pp-1")),
    # CAMHS offer due Thu 4 May, made Wed 10 May: 8 May (coronation) is not a working day,
    # so 3 wd late
    ("home-with-parents.json",
     E("PRC-CLA-CAMHS-OFFER", "late", "2023-05-04", "camhs-1", days_late=3)),
    # aged 10 at the IHA (26 Apr 2023): 12 months = 26 Apr 2024, done 14 May
    ("home-with-parents.json",
     E("ENG-CLA-RHA", "late", "2024-04-26", "ha-2", occurrence=1, days_late=18)),
    # the home placement has its own visit schedule: 1 week = Mon 27 Nov
    ("home-with-parents.json", E("ENG-CLA-VISIT", "met", "2023-11-27", "v-7", anchor="pl-2")),
    # 19 Mar + 6 weeks = 30 Apr, visited that day; then 11 Jun, visited 17 Jun
    ("home-with-parents.json", E("ENG-CLA-VISIT", "met", "2024-04-30", "v-11", anchor="v-10")),
    ("home-with-parents.json",
     E("ENG-CLA-VISIT", "late", "2024-06-11", "v-12", anchor="v-11", days_late=6)),
    # aged 10: PPMs 3-monthly; 14 Nov + 3 months = 14 Feb, held 20 Feb
    ("home-with-parents.json",
     E("PRC-PPM", "late", "2024-02-14", "ppm-4", occurrence=4, days_late=6)),
    ("home-with-parents.json",
     E("PRC-REAUDIT-INADEQUATE", "overdue", "2024-06-20", anchor="au-1", days_late=10)),
    # 29 May + 1 month = Sat 29 Jun: overdue by 1 day on Sun 30 Jun
    ("home-with-parents.json",
     E("PRC-SUPERVISION", "overdue", "2024-06-29", occurrence=16, days_late=1)),
    # 3 Apr + 3 months = Wed 3 Jul
    ("home-with-parents.json", E("PRC-CHRONOLOGY", "due_soon", "2024-07-03", occurrence=6)),
]


def _case_id(case: Any) -> str:
    name, e = case
    key = e.member or e.anchor or (f"#{e.occurrence}" if e.occurrence else "")
    return f"{name.removesuffix('.json')}:{e.rule}:{key}:{e.status}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_hand_checked_finding(case: Any, findings) -> None:  # type: ignore[no-untyped-def]
    name, e = case
    f = pick(findings(name), e.rule, occurrence=e.occurrence, anchor=e.anchor, member=e.member)
    assert (f.status, f.due, f.done_id) == (e.status, _d(e.due), e.done)
    if e.days_late is not None:
        assert f.days_late == e.days_late


# ---------------------------------------------------------------------------------------------
# what the fixtures were designed not to produce


def test_cin_visit_not_seen_is_never_evidence(findings) -> None:  # type: ignore[no-untyped-def]
    for name, unseen in (("cin.json", "v-7"), ("cp.json", "v-8"), ("looked-after.json", "v-11")):
        assert all(f.done_id != unseen and f.anchor_id != unseen for f in findings(name))


def test_schedules_stop_when_their_episode_ends(findings) -> None:  # type: ignore[no-untyped-def]
    la = findings("looked-after.json")
    # pl-1 (16 Jan - 6 Mar 2023): a 3rd visit would be due 6 Apr, after the move: dropped;
    # pl-2 (6 Mar - 12 Jun): a 4th would be due 13 Jul: dropped; pl-3 runs on (11)
    assert len(select(la, "ENG-CLA-VISIT")) == 2 + 3 + 11
    step = findings("cin-cp-care.json")
    # the CIN plan ended 23 Nov 2023: the 5th visit (due 11 Dec) and 2nd review (8 Feb 2024) go
    assert [f.due for f in select(step, "PRC-CIN-VISIT")] == [
        date(2023, 9, 12), date(2023, 9, 27), date(2023, 10, 24), date(2023, 11, 16)]
    assert len(select(step, "PRC-CIN-REVIEW")) == 1
    # the CP plan ended 11 Mar 2024: 2nd review (20 Aug), next visit (19 Mar) and seen-alone
    # visit (3 Apr) go
    assert len(select(step, "ENG-CP-REVIEW")) == 1
    assert select(step, "PRC-CP-VISIT")[-1].due == date(2024, 3, 6)
    assert select(step, "PRC-CP-SEEN-ALONE")[-1].due == date(2024, 2, 21)
    # one period of involvement across the three plans: one genogram obligation, one chronology
    # schedule
    assert [f.anchor_id for f in select(step, "PRC-GENOGRAM")] == ["cin-1"]
    assert select(step, "PRC-CHRONOLOGY", occurrence=1)[0].anchor_id == "cin-1"


def test_superseded_strategy_discussion_is_not_reported(findings) -> None:  # type: ignore[no-untyped-def]
    assert [f.anchor_id for f in select(findings("cin-cp-care.json"), "ENG-ICPC-15WD")] == ["sd-2"]


def test_missing_threshold_and_absences(findings) -> None:  # type: ignore[no-untyped-def]
    fs = findings("missing.json")
    strategy = select(fs, "PRC-MISSING-STRATEGY")
    # after the meeting the count starts again: me-5 and me-6 are only two
    assert len(strategy) == 1
    assert strategy[0].evidence == ["me-1", "me-2", "me-4"]
    # an absence (me-3) needs no interview; a declined interview (rhi-4) needs no safety plan
    assert [f.anchor_id for f in select(fs, "ENG-MISSING-RHI-72H")] == [
        "me-1", "me-2", "me-4", "me-5", "me-6"]
    assert [f.anchor_id for f in select(fs, "PRC-RHI-SAFETY-PLAN")] == ["rhi-1", "rhi-2", "rhi-3"]
    # a strategy discussion about missing episodes (s47: false) starts no s47 clocks
    assert not select(fs, "ENG-ICPC-15WD") and not select(fs, "PRC-CP-AGENCY-CHECKS")


def test_only_placements_with_parents_need_an_agreement(findings) -> None:  # type: ignore[no-untyped-def]
    fs = findings("home-with-parents.json")
    assert [f.anchor_id for f in select(fs, "PRC-HOME-WITH-PARENTS-AGREEMENT")] == ["pl-2"]
    assert not select(findings("looked-after.json"), "PRC-HOME-WITH-PARENTS-AGREEMENT")


def test_dbs_checks_only_for_members_16_and_over(findings) -> None:  # type: ignore[no-untyped-def]
    fs = select(findings("private-fostering.json"), "PRC-PF-DBS")
    assert [(f.member, f.status) for f in fs] == [
        ("hh-1", "met"), ("hh-2", "late"), ("hh-3", "insufficient_data")]
