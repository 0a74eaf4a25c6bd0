"""The rule loader: strict schema, errors with file, line and did-you-mean, no code execution."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.rules.rulebook import load_library

GOOD = """\
id: LOC-TEST-RULE
title: A test rule for the loader
kind: follow-up
summary: Each referral needs a decision within a day.
source: {document: Local standard, section: "1.1"}
params:
  timescale: {default: 1 working day, description: time allowed}
anchor: {event: referral}
target: {field: decision_date}
timescale: $timescale
"""


def _library(tmp_path: Path, text: str, name: str = "LOC-TEST-RULE"):  # type: ignore[no-untyped-def]
    pack = tmp_path / "local"
    pack.mkdir(exist_ok=True)
    (pack / f"{name}.yaml").write_text(textwrap.dedent(text))
    return load_library(tmp_path)


def _only_error(tmp_path: Path, text: str, name: str = "LOC-TEST-RULE") -> str:
    lib = _library(tmp_path, text, name)
    assert len(lib.errors) == 1, lib.errors
    return lib.errors[0]


def test_a_good_rule_loads(tmp_path: Path) -> None:
    lib = _library(tmp_path, GOOD)
    assert lib.errors == []
    assert lib.rules["LOC-TEST-RULE"].rule.kind == "follow-up"


def test_unknown_key_names_line_and_suggests(tmp_path: Path) -> None:
    err = _only_error(tmp_path, GOOD.replace("timescale: $timescale", "timescle: $timescale"))
    assert "LOC-TEST-RULE.yaml:10:" in err
    assert "unknown key 'timescle'" in err
    assert "did you mean 'timescale'" in err


def test_unknown_event_type_suggests(tmp_path: Path) -> None:
    err = _only_error(tmp_path, GOOD.replace("event: referral", "event: referal"))
    assert "LOC-TEST-RULE.yaml:8:" in err
    assert "unknown event type 'referal'" in err and "did you mean 'referral'" in err


def test_bad_unit_is_an_error_with_suggestion(tmp_path: Path) -> None:
    err = _only_error(tmp_path, GOOD.replace("default: 1 working day", "default: 1 workin day"))
    assert "LOC-TEST-RULE.yaml:7:" in err
    assert "unknown unit 'workin day'" in err and "did you mean 'working day'" in err


def test_bad_unit_in_timescale(tmp_path: Path) -> None:
    err = _only_error(tmp_path, GOOD.replace("timescale: $timescale", "timescale: 3 monthz"))
    assert "LOC-TEST-RULE.yaml:10:" in err
    assert "unknown unit 'monthz'" in err and "did you mean 'month'" in err


def test_missing_citation(tmp_path: Path) -> None:
    err = _only_error(tmp_path, GOOD.replace('source: {document: Local standard, section: "1.1"}\n',
                                             ""))
    assert "source" in err and "required key is missing" in err


def test_unknown_field_in_where(tmp_path: Path) -> None:
    text = GOOD.replace("anchor: {event: referral}",
                        "anchor: {event: strategy_discussion, where: {s74: true}}")
    err = _only_error(tmp_path, text)
    assert "unknown field 's74'" in err and "did you mean 's47'" in err
    assert ":8:" in err


def test_unknown_parameter_reference(tmp_path: Path) -> None:
    err = _only_error(tmp_path, GOOD.replace("timescale: $timescale", "timescale: $timescal"))
    assert "unknown parameter $timescal" in err and "did you mean 'timescale'" in err


def test_id_must_match_file_name(tmp_path: Path) -> None:
    err = _only_error(tmp_path, GOOD, name="LOC-OTHER-NAME")
    assert "must match the file name" in err and ":1:" in err


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    err = _only_error(tmp_path, GOOD + "timescale: 2 working days\n")
    assert "duplicate key 'timescale'" in err and ":11:" in err


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    err = _only_error(tmp_path, GOOD.replace("anchor: {event: referral}", "anchor: {event: ["))
    assert "invalid YAML" in err and "LOC-TEST-RULE.yaml:" in err


def test_python_tags_are_refused(tmp_path: Path) -> None:
    err = _only_error(tmp_path, GOOD + "x: !!python/object/apply:os.system ['true']\n")
    assert "could not determine a constructor" in err


def test_keys_wrong_for_the_kind(tmp_path: Path) -> None:
    err = _only_error(tmp_path, GOOD + "count: 3\n")
    assert "'count' does not apply to a follow-up rule" in err


def test_unknown_message_placeholder(tmp_path: Path) -> None:
    err = _only_error(tmp_path, GOOD + "messages: {met: 'done {don_date}'}\n")
    assert "unknown placeholder 'don_date'" in err and "did you mean 'done_date'" in err


@pytest.mark.parametrize("status", ["met", "late"])
def test_message_status_names_are_checked(tmp_path: Path, status: str) -> None:
    lib = _library(tmp_path, GOOD + f"messages: {{{status}x: 'x'}}\n")
    assert any("unknown status" in e for e in lib.errors)


def test_all_errors_are_collected_not_just_the_first(tmp_path: Path) -> None:
    pack = tmp_path / "local"
    pack.mkdir()
    (pack / "LOC-A-ONE.yaml").write_text(GOOD.replace("LOC-TEST-RULE", "LOC-A-ONE")
                                         .replace("referral", "referal"))
    (pack / "LOC-B-TWO.yaml").write_text(GOOD.replace("LOC-TEST-RULE", "LOC-B-TWO")
                                         .replace("kind: follow-up", "kind: folow-up"))
    (pack / "LOC-C-OK.yaml").write_text(GOOD.replace("LOC-TEST-RULE", "LOC-C-OK"))
    lib = load_library(tmp_path)
    assert len(lib.errors) == 2
    assert list(lib.rules) == ["LOC-C-OK"]


# the language added for the rulings on matching (docs/rules.md)

def test_clock_entries_are_checked(tmp_path: Path) -> None:
    ok = GOOD.replace("anchor: {event: referral}",
                      "anchor: {event: referral, clock: [ref.contact.date, date]}")
    assert _library(tmp_path, ok).errors == []
    bad = "anchor: {event: referral, clock: [ref.referal.date]}"
    err = _only_error(tmp_path, GOOD.replace("anchor: {event: referral}", bad))
    assert "unknown event type 'referal'" in err
    err = _only_error(tmp_path, GOOD.replace("anchor: {event: referral}",
                                             "anchor: {event: referral, clock: [completd]}"))
    assert "unknown clock 'completd'" in err and "did you mean 'completed'" in err


def test_strictly_after_is_checked(tmp_path: Path) -> None:
    rule = GOOD.replace("target: {field: decision_date}",
                        "target: {event: assessment, strictly_after: true}")
    assert _library(tmp_path, rule).errors == []
    err = _only_error(tmp_path, rule.replace("strictly_after: true",
                                             "strictly_after: true, allow_before: 1 day"))
    assert "strictly_after cannot be used with allow_before" in err
    bad = "target: {field: decision_date, strictly_after: true}"
    err = _only_error(tmp_path, GOOD.replace("target: {field: decision_date}", bad))
    assert "strictly_after needs event or episode" in err


def test_member_turning_needs_an_age(tmp_path: Path) -> None:
    rule = GOOD.replace(
        "anchor: {event: referral}",
        "anchor: {episode: private_fostering, for_each: household, member_turning: true}")
    err = _only_error(tmp_path, rule)
    assert "member_turning needs member_where: {age_at_least: N}" in err


def test_start_from_must_name_a_follow_up_on_the_same_episodes(tmp_path: Path) -> None:
    schedule = """\
    id: LOC-TEST-RULE
    title: A test schedule for the loader
    kind: schedule
    summary: Reviews after the first assessment.
    source: {document: Local standard, section: "1.1"}
    over: {episode: looked_after}
    start: {event: health_assessment, where: {kind: initial}}
    start_from: ENG-CLA-IHA-20WD
    target: {event: health_assessment, where: {kind: review}}
    intervals:
      - {interval: 12 months}
    """
    lib = _library(tmp_path, schedule)
    assert any("'ENG-CLA-IHA-20WD' is not a follow-up rule" in e for e in lib.errors)
    err = _only_error(tmp_path, schedule.replace("start: {event: health_assessment, where: "
                                                 "{kind: initial}}\n    ", ""))
    assert "'start_from' needs 'start' with an event" in err
