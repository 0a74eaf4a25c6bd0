"""A record from an extract that cannot hold what a rule needs: the rule is listed as not
assessable from this source in every output, never reported as breached."""

from __future__ import annotations

import orjson

from engine.reports.audit import build_report, render_html, render_markdown
from engine.reports.findings_json import case_json
from engine.reports.text import case_markdown, case_text
from engine.rules.standards import load_standards
from tests.conftest import make_record

SUPPLIES_903 = {
    "child": ["id", "date_of_birth", "sex", "ethnicity"],
    "episodes": {"looked_after": ["legal_status", "legal_statuses"],
                 "placement": ["placement_type", "long_term", "with_parents", "parent"]},
    "events": {"cla_review": [], "missing_episode": ["end", "episode_type"]},
}


def _result(evaluate):  # type: ignore[no-untyped-def]
    record = make_record(
        child={"id": "c1", "date_of_birth": "2015-01-01", "ethnicity": "WBRI"},
        episodes=[{"id": "la1", "type": "looked_after", "start": "2024-01-08"},
                  {"id": "pl1", "type": "placement", "start": "2024-01-08", "parent": "la1"}],
        events=[{"id": "r1", "type": "cla_review", "date": "2024-02-01"}],
        source={"format": "ssda903", "supplies": SUPPLIES_903})
    return evaluate(record, "2024-06-30")


def test_json_lists_rules_not_assessable(evaluate) -> None:  # type: ignore[no-untyped-def]
    out = orjson.loads(case_json(_result(evaluate)))
    listed = {n["rule"]: n for n in out["not_assessable"]}
    assert listed["ENG-CLA-VISIT"] == {"rule": "ENG-CLA-VISIT", "source": "ssda903",
                                       "reason": "lacks visit, visit.seen"}
    assert "ENG-CLA-REVIEW" not in listed
    assert {f["rule"] for f in out["findings"]}.isdisjoint(listed)


def test_manager_view_has_one_line(evaluate) -> None:  # type: ignore[no-untyped-def]
    result = _result(evaluate)
    lines = [x for x in case_text(result).splitlines() if "Not assessable" in x]
    assert len(lines) == 1 and "ssda903" in lines[0] and "--all lists them" in lines[0]
    full = " ".join(case_text(result, show_all=True).split())
    assert "Not assessable from this source (ssda903; 13 rules): " in full
    assert "ENG-CLA-VISIT" in full
    assert "Not assessable from this source" in case_markdown(result)


def test_audit_says_not_assessable_instead_of_met(evaluate) -> None:  # type: ignore[no-untyped-def]
    result = _result(evaluate)
    catalogue = load_standards()
    from engine.evaluate.compile import build_ruleset
    from engine.rules.profiles import load_profile

    meta = build_ruleset(load_profile("england")).meta
    report = build_report(result, catalogue, meta)
    by_std = {b.standard.id: b for b in report.blocks}
    visits = by_std[catalogue.standard_for("ENG-CLA-VISIT").id]
    assert visits.status == "not_assessable"
    assert [n.rule for n in visits.not_assessable] == ["ENG-CLA-VISIT"]
    assert "not assessable from this source" in render_html(report)
    assert "Not assessable from this source" in render_markdown(report)
