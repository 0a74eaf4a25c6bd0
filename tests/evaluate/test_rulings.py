"""The rulings on matching (semantics.md, "Rulings on matching") that rule cases cannot show:
warnings at intake, and points of the engine shared by every rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import orjson
import pytest

from engine.evaluate.compile import build_ruleset
from engine.evaluate.evaluator import RuleSet
from engine.evaluate.findings import CaseResult
from engine.evaluate.obligation import compile_where
from engine.records.caseview import Item
from engine.records.intake import RawRecord, validate
from engine.rules.profiles import load_profile
from engine.rules.rulebook import RuleLibrary
from tests.conftest import make_record


@pytest.fixture(scope="module")
def practice(library: RuleLibrary) -> RuleSet:
    return build_ruleset(load_profile("practice"), library)


def _item(**fields: object) -> Item:
    return Item("e1", "audit", date(2024, 1, 8), None, None, dict(fields), "/events/0")


def test_ref_to_an_id_not_in_the_record_is_a_warning_naming_the_id() -> None:
    """Ruling 2: a dangling ref is warned about, with the id and the pointer to the ref."""
    rec = make_record(events=[
        {"id": "sd1", "type": "strategy_discussion", "date": "2024-01-08", "s47": True},
        {"id": "ic1", "type": "icpc", "date": "2024-01-25", "ref": "sd-gone"},
        {"id": "ic2", "type": "icpc", "date": "2024-01-26", "ref": "sd1"},
    ])
    intake = validate(RawRecord("f.json", orjson.dumps(rec)))
    assert intake.record is not None
    assert [w.pointer for w in intake.warnings] == ["/events/1/ref"]
    assert "'sd-gone'" in intake.warnings[0].message


def test_ref_to_an_episode_or_an_event_is_not_a_warning() -> None:
    rec = make_record(
        episodes=[{"id": "cp1", "type": "cp_plan", "start": "2024-01-08"}],
        events=[{"id": "g1", "type": "genogram_update", "date": "2024-01-25", "ref": "cp1"}],
    )
    intake = validate(RawRecord("f.json", orjson.dumps(rec)))
    assert intake.warnings == []


def test_blank_text_is_absent_in_every_condition() -> None:
    """Ruling 8: empty or whitespace-only text counts as not recorded."""
    present = compile_where({"grade": {"present": True}})
    absent = compile_where({"grade": {"present": False}})
    assert present is not None and absent is not None
    for blank in ("", "   ", "\t\n"):
        assert not present(_item(grade=blank))
        assert absent(_item(grade=blank))
    assert present(_item(grade="good"))
    equal_blank = compile_where({"grade": ""})
    assert equal_blank is not None and not equal_blank(_item(grade=""))


def test_a_later_meeting_answers_the_most_recent_open_threshold_obligation(
        evaluate: Callable[..., CaseResult], practice: RuleSet) -> None:
    """Ruling 6: each meeting satisfies the most recent open obligation before it; earlier
    ones stay as they are until a meeting is left for them."""
    events = [{"id": f"m{i}", "type": "missing_episode", "date": d, "episode_type": "missing"}
              for i, d in enumerate(["2024-01-05", "2024-01-12", "2024-01-19",
                                     "2024-07-05", "2024-07-12", "2024-07-19"], 1)]
    events += [
        {"id": "s1", "type": "strategy_discussion", "date": "2024-08-01", "reason": "missing"},
        {"id": "s2", "type": "strategy_discussion", "date": "2024-09-02", "reason": "missing"},
    ]
    result = evaluate(make_record(events=events), "2024-09-30", practice)
    got = [(f.anchor_id, f.status, f.done_id) for f in result.findings
           if f.rule == "PRC-MISSING-STRATEGY"]
    assert got == [("m3", "late", "s2"), ("m6", "late", "s1")]
