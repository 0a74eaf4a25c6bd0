"""The standards catalogue: the real one is complete and sound; broken files point at a line."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.rules.rulebook import RuleLibrary
from engine.rules.standards import AREAS, STANDARDS_DIR, StandardsCatalogue, load_standards

GOOD = """\
id: STD-TEST
title: A test standard for the loader
area: child_protection
summary: >-
  A summary long enough to pass validation, written for the test and describing nothing real.
rules: [ENG-ICPC-15WD]
sources:
  - document: Working Together to Safeguard Children 2023
    publisher: Department for Education
    section: chapter 3
    url: https://www.gov.uk/government/publications/working-together-to-safeguard-children--2
    effective: 2023-12-15
"""


def write(dir_: Path, name: str, text: str) -> Path:
    path = dir_ / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def one_error(tmp_path: Path, text: str, name: str = "STD-TEST") -> tuple[str, Path]:
    path = write(tmp_path, name, text)
    catalogue = load_standards(tmp_path)
    assert len(catalogue.errors) == 1, catalogue.errors
    assert not catalogue.standards
    return catalogue.errors[0], path


@pytest.fixture(scope="module")
def catalogue() -> StandardsCatalogue:
    return load_standards()


# ---------------------------------------------------------------------------------------------
# the real catalogue


def test_real_catalogue_loads_without_errors(catalogue: StandardsCatalogue) -> None:
    assert catalogue.errors == []
    assert len(catalogue) == len(list(STANDARDS_DIR.glob("*.yaml")))


def test_real_catalogue_matches_the_rules(catalogue: StandardsCatalogue,
                                          library: RuleLibrary) -> None:
    assert library.errors == []
    assert catalogue.check_against(library) == []


def test_real_catalogue_covers_all_35_rules(catalogue: StandardsCatalogue,
                                            library: RuleLibrary) -> None:
    ids = catalogue.rule_ids
    assert ids == set(library.rules)
    assert len(ids) == 35
    assert len([r for r in ids if r.startswith("ENG-")]) == 14
    assert len([r for r in ids if r.startswith("PRC-")]) == 21
    for rid in ids:
        assert len(catalogue.standards_for(rid)) == 1, rid


def test_every_standard_is_well_formed(catalogue: StandardsCatalogue) -> None:
    for loaded in catalogue.standards.values():
        s = loaded.standard
        assert loaded.path.stem == s.id
        assert s.area in AREAS
        assert 2 <= s.summary.count(".") + s.summary.count("?") <= 6, s.id
        for src in s.sources:
            assert src.effective[:4].isdigit()


def test_statutory_and_practice_sources(catalogue: StandardsCatalogue) -> None:
    authorities = {
        "City of London Corporation",
        "Wokingham Borough Council (Children's Services)",
        "Surrey County Council",
        "Reading Borough Council",
        "Bradford Children and Families Trust",
    }
    for s in catalogue:
        publishers = {src.publisher for src in s.sources}
        if any(r.startswith("PRC-") for r in s.rules):
            assert publishers <= authorities, s.id
        else:
            assert not publishers & authorities, s.id
            assert all(src.precision == "day" or s.id == "STD-MISSING-RHI-72H"
                       for src in s.sources), s.id


def test_standard_for_a_rule(catalogue: StandardsCatalogue) -> None:
    icpc = catalogue.standard_for("ENG-ICPC-15WD")
    assert icpc is not None and icpc.id == "STD-ICPC-15WD"
    assert icpc.sources[0].effective == "2023-12-15"
    health = catalogue.standard_for("ENG-CLA-RHA")
    assert health is not None and set(health.rules) == {"ENG-CLA-IHA-20WD", "ENG-CLA-RHA"}
    assert catalogue.standard_for("ENG-NO-SUCH-RULE") is None
    assert catalogue.get("STD-PPM") is not None and catalogue.get("STD-NOPE") is None


# ---------------------------------------------------------------------------------------------
# broken files


def test_a_good_file_loads(tmp_path: Path) -> None:
    write(tmp_path, "STD-TEST", GOOD)
    catalogue = load_standards(tmp_path)
    assert catalogue.errors == []
    assert catalogue.get("STD-TEST") is not None


def test_unknown_key_names_file_line_and_suggests(tmp_path: Path) -> None:
    err, path = one_error(tmp_path, GOOD.replace("summary: >-", "sumary: >-"))
    assert err.startswith(f"{path}:4: sumary: unknown key 'sumary'; did you mean 'summary'?")


def test_unknown_key_in_a_source(tmp_path: Path) -> None:
    err, path = one_error(tmp_path, GOOD.replace("    publisher:", "    publsher:"))
    assert err.startswith(f"{path}:9: sources.0.publsher: unknown key 'publsher'; "
                          f"did you mean 'publisher'?")


def test_missing_key(tmp_path: Path) -> None:
    text = GOOD.replace("area: child_protection\n", "")
    err, path = one_error(tmp_path, text)
    assert err == f"{path}:1: area: required key is missing"


def test_unknown_area_suggests(tmp_path: Path) -> None:
    err, path = one_error(tmp_path, GOOD.replace("child_protection", "child_protect"))
    assert err.startswith(f"{path}:3: area: unknown area 'child_protect'; "
                          f"did you mean 'child_protection'?")


@pytest.mark.parametrize("value", ["2023-02-30", "15/12/2023", "2023-13", "next year"])
def test_bad_effective_date(tmp_path: Path, value: str) -> None:
    err, path = one_error(tmp_path, GOOD.replace("2023-12-15", value))
    assert err.startswith(f"{path}:12: sources.0.effective: ")
    assert value in err


@pytest.mark.parametrize("value,precision", [("2016-05", "month"), ("2018", "year")])
def test_partial_dates_for_reports(tmp_path: Path, value: str, precision: str) -> None:
    write(tmp_path, "STD-TEST", GOOD.replace("2023-12-15", value))
    catalogue = load_standards(tmp_path)
    assert catalogue.errors == []
    src = catalogue.standards["STD-TEST"].standard.sources[0]
    assert (src.effective, src.precision) == (value, precision)


def test_id_must_match_file_name(tmp_path: Path) -> None:
    err, path = one_error(tmp_path, GOOD, name="STD-OTHER")
    assert err == f"{path}:1: id: 'STD-TEST' must match the file name 'STD-OTHER'"


def test_bad_rule_id_and_empty_rules(tmp_path: Path) -> None:
    err, path = one_error(tmp_path, GOOD.replace("[ENG-ICPC-15WD]", "[eng-icpc]"))
    assert err.startswith(f"{path}:6: rules: 'eng-icpc' is not a rule id")
    err, path = one_error(tmp_path, GOOD.replace("[ENG-ICPC-15WD]", "[]"))
    assert err.startswith(f"{path}:6: rules: ")


def test_invalid_yaml_gives_the_line(tmp_path: Path) -> None:
    err, path = one_error(tmp_path, GOOD.replace("area: child_protection", "area: [oops"))
    assert err.startswith(f"{path}:")
    assert "invalid YAML" in err


def test_not_a_mapping(tmp_path: Path) -> None:
    err, path = one_error(tmp_path, "- just\n- a list\n")
    assert err.startswith(f"{path}:1: ")


def test_one_broken_file_does_not_hide_the_others(tmp_path: Path) -> None:
    write(tmp_path, "STD-TEST", GOOD)
    broken = GOOD.replace("STD-TEST", "STD-BROKEN").replace("title:", "titel:")
    write(tmp_path, "STD-BROKEN", broken)
    catalogue = load_standards(tmp_path)
    assert set(catalogue.standards) == {"STD-TEST"}
    assert len(catalogue.errors) == 1 and "STD-BROKEN.yaml:2: titel: unknown key" in \
        catalogue.errors[0]


# ---------------------------------------------------------------------------------------------
# cross-checking with the rule library


def _library_subset(library: RuleLibrary, ids: set[str]) -> RuleLibrary:
    return RuleLibrary(rules={k: v for k, v in library.rules.items() if k in ids})


def test_check_against_reports_every_kind_of_problem(tmp_path: Path,
                                                     library: RuleLibrary) -> None:
    write(tmp_path, "STD-A", GOOD.replace("STD-TEST", "STD-A")
          .replace("[ENG-ICPC-15WD]", "[ENG-ICPC-15WD, ENG-CP-REVEIW]"))
    b = write(tmp_path, "STD-B", GOOD.replace("STD-TEST", "STD-B"))
    catalogue = load_standards(tmp_path)
    assert catalogue.errors == []
    lib = _library_subset(library, {"ENG-ICPC-15WD", "ENG-CP-REVIEW", "ENG-CLA-REVIEW"})
    problems = catalogue.check_against(lib)
    a = tmp_path / "STD-A.yaml"
    assert f"{a}:6: rules.1: unknown rule 'ENG-CP-REVEIW'; did you mean 'ENG-CP-REVIEW'?" \
        in problems
    assert any(p.startswith(f"{b}:6: rules.0: rule 'ENG-ICPC-15WD' is also in STD-A") for p in
               problems)
    no_standard = [p for p in problems if "has no standard" in p]
    assert len(no_standard) == 2
    assert any(p.startswith(f"{lib.rules['ENG-CP-REVIEW'].path}:1: id: rule 'ENG-CP-REVIEW'")
               for p in no_standard)
    assert any("'ENG-CLA-REVIEW'" in p for p in no_standard)
    # the real rule file says STD-ICPC-15WD, which this test catalogue does not have
    assert any("says 'STD-ICPC-15WD' but the catalogue puts it in 'STD-A'" in p for p in problems)
    assert len(problems) == 5


def test_check_against_a_rule_that_names_another_standard(tmp_path: Path,
                                                          library: RuleLibrary) -> None:
    write(tmp_path, "STD-TEST", GOOD)
    catalogue = load_standards(tmp_path)
    loaded = library.rules["ENG-ICPC-15WD"]
    changed = type(loaded)(loaded.rule.model_copy(update={"standard": "STD-TESTS"}), loaded.pack,
                           loaded.path, loaded.doc)
    lib = RuleLibrary(rules={"ENG-ICPC-15WD": changed})
    problems = catalogue.check_against(lib)
    assert len(problems) == 1
    assert "standard: rule 'ENG-ICPC-15WD' says 'STD-TESTS' but the catalogue puts it in " \
           "'STD-TEST'; did you mean 'STD-TEST'?" in problems[0]
    same = type(loaded)(loaded.rule.model_copy(update={"standard": "STD-TEST"}), loaded.pack,
                        loaded.path, loaded.doc)
    assert catalogue.check_against(RuleLibrary(rules={"ENG-ICPC-15WD": same})) == []


def test_maintainers_notes_are_a_separate_strict_field(tmp_path: Path) -> None:
    ok = load_standards(_dir(tmp_path, "ok", GOOD + "notes: >-\n  How the source was read.\n"))
    assert not ok.errors and ok.get("STD-TEST").notes == "How the source was read."
    error, _ = one_error(_dir(tmp_path, "old"), GOOD + "note: >-\n  How the source was read.\n")
    assert "note" in error and "notes" in error  # unknown key, with a did-you-mean
    error, _ = one_error(_dir(tmp_path, "short"), GOOD + "notes: x\n")
    assert "notes" in error


def _dir(tmp_path: Path, name: str, text: str | None = None) -> Path:
    d = tmp_path / name
    d.mkdir()
    if text is not None:
        write(d, "STD-TEST", text)
    return d


def test_no_maintainer_wording_in_summaries() -> None:
    for std in load_standards():
        for phrase in ("project's default", "project choice", "the rule file", "the catalogue",
                       "rule file cites"):
            assert phrase not in std.summary, (std.id, phrase)
