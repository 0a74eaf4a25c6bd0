"""Profiles: the built-in ones load and build; broken ones fail with the file and line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.evaluate.compile import build_ruleset
from engine.evaluate.findings import CaseResult
from engine.rules.profiles import PROFILES_DIR, ProfileError, builtin_profiles, load_profile
from engine.rules.rulebook import RuleLibrary
from tests.conftest import make_record

# The practice rules each authority's report names (catalogue.md, "stated in" column).
AUTHORITY_RULES = {
    "city-of-london": {"PRC-SUPERVISION", "PRC-CLA-LIFE-STORY", "PRC-CLA-CAMHS-OFFER",
                       "PRC-ETHNICITY-RECORDED"},
    "wokingham": {"PRC-SUPERVISION", "PRC-CHRONOLOGY", "PRC-CASE-SUMMARY",
                  "PRC-CP-CHILD-SAFETY-PLAN"},
    "surrey": {"PRC-PPM", "PRC-MISSING-STRATEGY", "PRC-HOME-WITH-PARENTS-AGREEMENT",
               "PRC-PF-DBS", "PRC-RHI-SAFETY-PLAN", "PRC-PATHWAY-PLAN-QUALITY"},
    "reading": {"PRC-SUPERVISION", "PRC-CP-SEEN-ALONE", "PRC-CHRONOLOGY", "PRC-GENOGRAM",
                "PRC-CP-AGENCY-CHECKS", "PRC-ETHNICITY-RECORDED"},
    "bradford": {"PRC-CP-VISIT", "PRC-CIN-VISIT", "PRC-CIN-REVIEW", "PRC-CHRONOLOGY",
                 "PRC-CASE-SUMMARY", "PRC-PLAN-AFTER-ASSESSMENT", "PRC-CLA-LIFE-STORY",
                 "PRC-REAUDIT-INADEQUATE"},
}

HEAD = "name: t\ntitle: Test profile\nextends: england\n"


def write(dir_: Path, name: str, text: str) -> str:
    path = dir_ / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def build_error(path: str, library: RuleLibrary) -> str:
    with pytest.raises(ProfileError) as exc:
        build_ruleset(load_profile(path), library)
    return str(exc.value)


# ---------------------------------------------------------------------------------------------
# the built-in profiles


def test_builtin_profiles_are_all_there() -> None:
    assert set(builtin_profiles()) >= {"england", "practice", *AUTHORITY_RULES}


@pytest.mark.parametrize("name", builtin_profiles())
def test_builtin_profile_loads_and_builds(name: str, library: RuleLibrary) -> None:
    profile = load_profile(name)
    assert profile.name == name
    ruleset = build_ruleset(profile, library)
    assert len(ruleset.rules) == len(profile.rule_ids(library)) > 0


def test_england_is_the_14_statutory_rules(library: RuleLibrary) -> None:
    ids = load_profile("england").rule_ids(library)
    assert len(ids) == 14
    assert all(r.startswith("ENG-") for r in ids)


def test_practice_is_all_35_rules(library: RuleLibrary) -> None:
    ids = load_profile("practice").rule_ids(library)
    assert set(ids) == set(library.rules)
    assert len(ids) == 35


@pytest.mark.parametrize("name", sorted(AUTHORITY_RULES))
def test_authority_profile_enables_exactly_its_reports_rules(name: str,
                                                             library: RuleLibrary) -> None:
    profile = load_profile(name)
    england = set(load_profile("england").rule_ids(library))
    assert set(profile.rule_ids(library)) == england | AUTHORITY_RULES[name]
    pf, _ = profile.files[0]
    assert pf.extends == "england" and pf.description
    assert set(pf.enable) == AUTHORITY_RULES[name] and len(pf.enable) == len(set(pf.enable))
    assert not pf.packs and not pf.disable
    assert set(pf.params) <= AUTHORITY_RULES[name]  # no settings for rules it does not apply


def test_every_practice_rule_is_in_some_authority_profile(library: RuleLibrary) -> None:
    practice = {r.id for r in library.pack("practice")}
    assert set().union(*AUTHORITY_RULES.values()) == practice


CP_CASE = make_record(episodes=[{"id": "cp-1", "type": "cp_plan", "start": "2024-03-25"}])


def _first_cp_visit_due(result: CaseResult) -> date | None:
    [finding] = [f for f in result.findings if f.rule == "PRC-CP-VISIT"]
    return finding.due


def test_the_example_override_reaches_the_rule(library: RuleLibrary,
                                               evaluate: Callable[..., Any]) -> None:
    profile = load_profile("bradford")
    assert profile.params == {"PRC-CP-VISIT": {"interval": "2 weeks"}}
    bradford = build_ruleset(profile, library)
    practice = build_ruleset(load_profile("practice"), library)
    # Easter 2024 falls inside the interval: 10 working days reach 10 April, 2 weeks 8 April
    assert _first_cp_visit_due(evaluate(CP_CASE, "2024-03-26", practice)) == date(2024, 4, 10)
    assert _first_cp_visit_due(evaluate(CP_CASE, "2024-03-26", bradford)) == date(2024, 4, 8)
    # the other authority profiles keep every default
    for name in ("city-of-london", "wokingham", "surrey", "reading"):
        assert load_profile(name).params == {}


# ---------------------------------------------------------------------------------------------
# broken profiles name the file and line


def test_unknown_rule_id(tmp_path: Path, library: RuleLibrary) -> None:
    path = write(tmp_path, "p.yaml", HEAD + "enable:\n  - PRC-CP-VIST\n")
    assert build_error(path, library) == (
        f"{path}:5: unknown rule 'PRC-CP-VIST'; did you mean 'PRC-CP-VISIT'?")


def test_unknown_rule_in_params_and_disable(tmp_path: Path, library: RuleLibrary) -> None:
    path = write(tmp_path, "p.yaml", HEAD + "params:\n  ENG-ICPC-15DW: {timescale: 1 week}\n")
    assert build_error(path, library).startswith(
        f"{path}:5: unknown rule 'ENG-ICPC-15DW'; did you mean 'ENG-ICPC-15WD'?")
    path = write(tmp_path, "q.yaml", HEAD + "disable: [ENG-ICPC]\n")
    assert build_error(path, library).startswith(f"{path}:4: unknown rule 'ENG-ICPC'")


def test_unknown_parameter(tmp_path: Path, library: RuleLibrary) -> None:
    path = write(tmp_path, "p.yaml", HEAD + "enable: [PRC-CP-VISIT]\n"
                 "params:\n  PRC-CP-VISIT:\n    intervl: 2 weeks\n")
    assert build_error(path, library) == (
        f"{path}:7: PRC-CP-VISIT: unknown parameter 'intervl'; did you mean 'interval'?")


def test_bad_unit(tmp_path: Path, library: RuleLibrary) -> None:
    path = write(tmp_path, "p.yaml", HEAD + "params:\n  ENG-ICPC-15WD:\n"
                 "    timescale: 3 monthz\n")
    err = build_error(path, library)
    assert err.startswith(f"{path}:6: ENG-ICPC-15WD: parameter 'timescale': ")
    assert "monthz" in err and "did you mean 'month'" in err


def test_parameters_of_rules_the_profile_does_not_apply_are_checked(
        tmp_path: Path, library: RuleLibrary) -> None:
    path = write(tmp_path, "p.yaml", HEAD + "params:\n  PRC-CP-VISIT:\n    intervl: 2 weeks\n")
    assert build_error(path, library) == (
        f"{path}:6: PRC-CP-VISIT: unknown parameter 'intervl'; did you mean 'interval'?")


def test_parameter_of_the_wrong_type(tmp_path: Path, library: RuleLibrary) -> None:
    path = write(tmp_path, "p.yaml", HEAD + "params:\n  ENG-ICPC-15WD: {timescale: 15}\n")
    assert build_error(path, library).startswith(
        f"{path}:5: ENG-ICPC-15WD: parameter 'timescale' must be a duration")


def test_unknown_key_in_a_profile(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", HEAD + "enabel: [PRC-CP-VISIT]\n")
    with pytest.raises(ProfileError) as exc:
        load_profile(path)
    assert str(exc.value).startswith(
        f"{path}:4: enabel: unknown key 'enabel'; did you mean 'enable'?")


def test_bad_closure_day(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", HEAD + "closure_days:\n  - 2024-02-30\n")
    with pytest.raises(ProfileError) as exc:
        load_profile(path)
    assert str(exc.value).startswith(f"{path}:4: closure_days: ")
    assert "2024-02-30" in str(exc.value)


def test_unknown_base_profile(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "name: t\ntitle: Test profile\nextends: englnd\n")
    with pytest.raises(ProfileError, match="unknown profile 'englnd'; did you mean 'england'"):
        load_profile(path)


def test_a_path_with_a_slash_is_a_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read file"):
        load_profile(str(tmp_path / "england"))
    assert (PROFILES_DIR / "england.yaml").exists()


# ---------------------------------------------------------------------------------------------
# extends


def test_extends_chain_merges(tmp_path: Path, library: RuleLibrary) -> None:
    write(tmp_path, "base.yaml", """\
name: base
title: Base profile
extends: england
packs: [practice]
params:
  ENG-CLA-REVIEW: {first: 15 working days, then: 4 months}
  PRC-CP-VISIT: {interval: 2 weeks}
closure_days: [2024-12-27]
warn: 3
""")
    write(tmp_path, "middle.yaml", """\
name: middle
title: Middle profile
extends: base.yaml
disable: [PRC-PPM]
params:
  ENG-CLA-REVIEW: {then: 5 months}
closure_days: [2024-12-30]
""")
    top = write(tmp_path, "top.yaml", """\
name: top
title: Top profile
extends: ./middle.yaml
params:
  ENG-CLA-REVIEW: {second: 2 months}
""")
    profile = load_profile(top)
    assert (profile.name, profile.title) == ("top", "Top profile")
    assert [pf.name for pf, _ in profile.files] == ["top", "middle", "base", "england"]
    assert profile.params == {
        "ENG-CLA-REVIEW": {"first": "15 working days", "second": "2 months", "then": "5 months"},
        "PRC-CP-VISIT": {"interval": "2 weeks"},
    }
    assert profile.closure_days == {date(2024, 12, 27), date(2024, 12, 30)}
    assert profile.warn == 3
    assert profile.packs == ["england", "practice"]
    ids = profile.rule_ids(library)
    assert set(ids) == set(library.rules) - {"PRC-PPM"}
    assert build_ruleset(profile, library).warn == 3


def test_the_child_wins(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", HEAD + "warn: 3\nparams:\n  PRC-CP-VISIT: {interval: 2 weeks}\n")
    child = write(tmp_path, "child.yaml", "name: c\ntitle: Child profile\nextends: base.yaml\n"
                  "warn: 8\nparams:\n  PRC-CP-VISIT: {interval: 3 weeks}\n")
    profile = load_profile(child)
    assert profile.warn == 8
    assert profile.params == {"PRC-CP-VISIT": {"interval": "3 weeks"}}


def test_a_loop_in_extends_is_an_error(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "name: a\ntitle: Profile A\nextends: b.yaml\n")
    write(tmp_path, "b.yaml", "name: b\ntitle: Profile B\nextends: a.yaml\n")
    with pytest.raises(ProfileError, match="extend each other in a loop"):
        load_profile(a)
    me = write(tmp_path, "me.yaml", "name: me\ntitle: Profile me\nextends: me.yaml\n")
    with pytest.raises(ProfileError, match="extend each other in a loop"):
        load_profile(me)


# ---------------------------------------------------------------------------------------------
# closure days


ICPC_CASE = make_record(events=[
    {"id": "sd-1", "type": "strategy_discussion", "date": "2024-01-08", "s47": True},
])


def _icpc_due(result: CaseResult) -> date | None:
    [finding] = [f for f in result.findings if f.rule == "ENG-ICPC-15WD"]
    assert finding.status == "overdue"
    return finding.due


def test_closure_days_move_a_working_day_deadline(tmp_path: Path, library: RuleLibrary,
                                                  evaluate: Callable[..., Any]) -> None:
    plain = build_ruleset(load_profile("england"), library)
    # 15 working days after Monday 8 January 2024 is Monday 29 January 2024
    assert _icpc_due(evaluate(ICPC_CASE, "2024-02-12", plain)) == date(2024, 1, 29)
    path = write(tmp_path, "closed.yaml", HEAD + "closure_days: [2024-01-15, 2024-01-16]\n")
    closed = build_ruleset(load_profile(path), library)
    assert _icpc_due(evaluate(ICPC_CASE, "2024-02-12", closed)) == date(2024, 1, 31)
    # a closure day at a weekend changes nothing
    path = write(tmp_path, "weekend.yaml", HEAD + "closure_days: [2024-01-13]\n")
    weekend = build_ruleset(load_profile(path), library)
    assert _icpc_due(evaluate(ICPC_CASE, "2024-02-12", weekend)) == date(2024, 1, 29)


def test_a_profile_loads_only_the_packs_it_needs() -> None:
    from engine.rules.profiles import library_for

    england = library_for(load_profile("england"))
    assert {r.pack for r in england.rules.values()} == {"england"}
    assert len(library_for(load_profile("practice")).rules) == 35
    # an authority profile extends england and enables practice rules by id: all packs load
    surrey = library_for(load_profile("surrey"))
    assert "PRC-PPM" in surrey.rules
