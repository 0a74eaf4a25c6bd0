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
    # one alternative of an anchor is enough: without cin_plan some clocks are missed, none
    # raised that could not be met (docs/decisions/0006-real-data-in.md)
    assert matrix["D"]["x"]["level"] == "full"


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
                                      ["icpc", "icpc.transfer_in", "s47_enquiry",
                                       "s47_enquiry.outcome"])
    assert by_id["ENG-REFERRAL-DECISION-1WD"] == (["referral"], ["referral.decision_date"])


def test_readme_is_up_to_date() -> None:
    page = ROOT / "docs" / "sources" / "README.md"
    assert page.read_text(encoding="utf-8") == _generator().render(), (
        "run: python scripts/sources_coverage.py")


def test_the_engine_skips_exactly_what_the_matrix_says(england) -> None:  # type: ignore[no-untyped-def]
    """The documented matrix and the engine's "not assessable" are one computation."""
    from engine.sources.casefile import supplies_json
    from engine.sources.coverage import all_supplies

    matrix = coverage_matrix(_generator().load_rules())
    for name, supplies in all_supplies().items():
        record = {"source": {"format": name, "supplies": supplies_json(supplies)}}
        skipped = {n.rule: n.reason for n in england.coverage.not_assessable(record)}
        expected = {rule_id: per[name]["reason"] for rule_id, per in matrix.items()
                    if rule_id in england.meta and per[name]["level"] != "full"}
        assert skipped == expected, name
