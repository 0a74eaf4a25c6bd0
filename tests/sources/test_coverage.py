import importlib.util
from pathlib import Path

from engine.sources.coverage import coverage_matrix

ROOT = Path(__file__).resolve().parents[2]


def test_levels_and_reasons() -> None:
    supplies = {"child": {"id"}, "episodes": {"cp_plan": set()},
                "events": {"visit": {"seen"}, "rcpc": set()}}
    matrix = coverage_matrix([
        ("A", ["cp_plan"], ["rcpc"]),
        ("B", ["cp_plan"], ["visit", "visit.seen_alone"]),
        ("C", ["looked_after"], ["cla_review"]),
        ("D", ["cin_plan|cp_plan"], ["visit.seen"]),
    ], {"x": supplies})
    assert matrix["A"]["x"] == {"level": "full",
                                "reason": "everything the rule reads is supplied"}
    assert matrix["B"]["x"] == {"level": "partial", "reason": "lacks visit.seen_alone"}
    assert matrix["C"]["x"] == {"level": "none", "reason": "no looked_after in this source"}
    assert matrix["D"]["x"] == {"level": "partial", "reason": "lacks cin_plan"}


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("sources_coverage",
                                                  ROOT / "scripts" / "sources_coverage.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_all_35_rules_are_in_the_matrix() -> None:
    needs = _generator().load_rules()
    assert len(needs) == 35
    by_id = {rule_id: (a, t) for rule_id, a, t in needs}
    assert by_id["ENG-ICPC-15WD"] == (["strategy_discussion", "strategy_discussion.s47"],
                                      ["icpc", "s47_enquiry", "s47_enquiry.outcome"])
    assert by_id["ENG-REFERRAL-DECISION-1WD"] == (["referral"], ["referral.decision_date"])


def test_readme_is_up_to_date() -> None:
    page = ROOT / "docs" / "sources" / "README.md"
    assert page.read_text(encoding="utf-8") == _generator().render(), (
        "run: python scripts/sources_coverage.py")
