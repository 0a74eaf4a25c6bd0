"""Issue 9: rule and profile files cannot exhaust the machine or hang a sweep."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.calendar import Duration, DurationError
from engine.evaluate.compile import build_ruleset
from engine.rules.profiles import ProfileError, load_profile
from engine.rules.yamlsource import MAX_BYTES, YamlFileError, load_yaml

BOMB = """\
name: bomb
title: an alias bomb
extends: england
a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_an_alias_bomb_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    with pytest.raises(ProfileError, match=r"bomb.yaml:5: aliases"):
        load_profile(str(path))


def test_any_alias_is_refused() -> None:
    with pytest.raises(YamlFileError, match="aliases"):
        load_yaml("x.yaml", "a: &x 1\nb: *x\n")


def test_an_anchor_without_alias_is_harmless() -> None:
    assert load_yaml("x.yaml", "a: &x 1\n").data == {"a": 1}


def test_extends_dev_zero_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: p\ntitle: p\nextends: /dev/zero\n")
    with pytest.raises(ProfileError, match="not a regular file"):
        load_profile(str(path))


def test_extends_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")
    path = tmp_path / "p.yaml"
    path.write_text("name: p\ntitle: p\nextends: fifo.yaml\n")
    with pytest.raises(ProfileError, match="not a regular file"):
        load_profile(str(path))


def test_a_file_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("name: big\n# " + "x" * MAX_BYTES + "\n")
    with pytest.raises(ProfileError, match="larger than"):
        load_profile(str(path))


@pytest.mark.parametrize("text", ["99999999 years", "999999999999 days", "101 years",
                                  "1201 months"])
def test_durations_longer_than_100_years_are_refused(text: str) -> None:
    with pytest.raises(DurationError, match="100 years"):
        Duration.parse(text)


def test_100_years_is_allowed() -> None:
    assert Duration.parse("100 years").value == 100


def test_a_huge_parameter_fails_lint_not_every_sweep(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: p\ntitle: p\nextends: practice\nparams:\n  PRC-CP-VISIT:\n"
                    "    interval: 99999999 years\n")
    profile = load_profile(str(path))
    with pytest.raises(Exception, match="100 years"):
        build_ruleset(profile)
