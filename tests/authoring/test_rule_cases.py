"""Every test case written beside a rule is a pytest item, and coverage is enforced."""

from __future__ import annotations

import pytest

from engine.authoring.ruletests import coverage_problems, run_case
from engine.rules.rulebook import load_library

_LIBRARY = load_library()
_CASES = [
    pytest.param(rid, i, id=f"{rid}::{t.name}")
    for rid, loaded in sorted(_LIBRARY.rules.items())
    for i, t in enumerate(loaded.rule.tests)
]


def test_rule_files_load_without_errors() -> None:
    assert _LIBRARY.errors == []
    assert len(_LIBRARY.rules) >= 14


@pytest.mark.parametrize(("rule_id", "index"), _CASES)
def test_rule_case(rule_id: str, index: int) -> None:
    outcome = run_case(_LIBRARY.rules[rule_id], _LIBRARY, index)
    assert outcome.passed, f"{outcome.where}: {outcome.detail}"


def test_every_rule_has_a_case_for_each_status_it_can_produce() -> None:
    assert coverage_problems(_LIBRARY) == []


def test_every_england_catalogue_rule_is_shipped() -> None:
    expected = {
        "ENG-REFERRAL-DECISION-1WD", "ENG-ASSESSMENT-45WD", "ENG-ICPC-15WD",
        "ENG-CP-CORE-GROUP-10WD", "ENG-CP-REVIEW", "ENG-CLA-CARE-PLAN-10WD", "ENG-CLA-REVIEW",
        "ENG-CLA-VISIT", "ENG-CLA-PERMANENCE-PLAN", "ENG-CLA-IHA-20WD", "ENG-CLA-RHA",
        "ENG-MISSING-RHI-72H", "ENG-PF-VISIT", "ENG-CL-PATHWAY-REVIEW",
    }
    assert {r.id for r in _LIBRARY.pack("england")} == expected
