"""The reference pages stay in step with the rule files, and the project names no path outside it.

Rule files are read directly with ``yaml.safe_load`` rather than through the engine, so these
tests do not depend on where the engine's modules live.

docs/catalogue.md gives each rule one heading of the form

    ### <RULE-ID> — <title>

(three hashes, the id, a space, an em dash U+2014, a space, the title exactly as in the rule file).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "docs" / "catalogue.md"

HEADING = re.compile(r"^### (?P<id>\S+) \u2014 (?P<title>.+?)\s*$", re.MULTILINE)
RULE_ID = re.compile(r"\b(?:ENG|PRC)(?:-[A-Z0-9]+)+\b")

# Paths that exist only on a developer's machine, never in a clone of the repository.
OUTSIDE_PATHS = ("../shared", "shared/spec", "/work/", "/tmp/")
SCANNED = ("README.md", "docs", "profiles", "rules", "standards", "engine", "cli.py")


def _rules() -> dict[str, str]:
    """Rule id -> title, from every rules/<pack>/<ID>.yaml."""
    rules: dict[str, str] = {}
    for path in sorted(ROOT.glob("rules/*/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict), f"{path.relative_to(ROOT)} is not a mapping"
        assert data["id"] == path.stem, f"{path.relative_to(ROOT)}: id {data['id']!r}"
        assert data["id"] not in rules, f"duplicate rule id {data['id']}"
        rules[data["id"]] = data["title"]
    return rules


def test_catalogue_has_one_heading_per_rule_with_its_title() -> None:
    rules = _rules()
    assert rules, "no rule files found"
    text = CATALOGUE.read_text(encoding="utf-8")

    headings: dict[str, str] = {}
    for m in HEADING.finditer(text):
        rule_id = m.group("id")
        assert rule_id not in headings, f"{rule_id} has more than one heading in catalogue.md"
        headings[rule_id] = m.group("title")

    missing = sorted(set(rules) - set(headings))
    assert not missing, f"rules with no '### ID \u2014 title' heading in catalogue.md: {missing}"

    wrong = {i: (headings[i], rules[i]) for i in rules if headings[i] != rules[i]}
    assert not wrong, f"catalogue.md titles differ from the rule files (catalogue, rule): {wrong}"

    unknown_headings = sorted(set(headings) - set(rules))
    assert not unknown_headings, f"catalogue.md has headings for no rule file: {unknown_headings}"

    named = set(RULE_ID.findall(text))
    unknown = sorted(named - set(rules))
    assert not unknown, f"catalogue.md names rules that do not exist: {unknown}"


def _text_files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file())
    return files


def _read_text(path: Path) -> str | None:
    """The file's text, or None for a binary file."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def test_no_paths_outside_the_repository() -> None:
    offenders: list[str] = []
    for path in _text_files():
        text = _read_text(path)
        if text is None:
            continue
        for lineno, line in enumerate(text.splitlines(), start=1):
            for needle in OUTSIDE_PATHS:
                if needle in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {needle}")
    assert not offenders, "paths outside the repository:\n" + "\n".join(offenders)


def test_readme_layout_table_matches_the_tree() -> None:
    """Every room under engine/ is in the README's layout table, and every path it lists exists."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n\n", 2)[1]
    listed = re.findall(r"^\| `([^`]+)`", layout, flags=re.M)
    rooms = sorted(f"engine/{p.parent.name}/" for p in (ROOT / "engine").glob("*/__init__.py"))
    assert rooms, "no rooms found"
    missing = [room for room in rooms if room not in listed]
    assert not missing, f"rooms missing from the README layout table: {missing}"
    absent = [p for p in listed if not (ROOT / p.split("<", 1)[0]).exists()]
    assert not absent, f"README layout lists paths that do not exist: {absent}"


CITED_CASE = re.compile(r"`(?P<rule>(?:ENG|PRC)(?:-[A-Z0-9]+)+)::(?P<case>[a-z0-9_]+)`")
CITED_TEST = re.compile(r"`(?P<file>tests/[\w/]+\.py)::(?P<func>test_\w+)`")


def test_every_ruling_names_tests_that_exist() -> None:
    """semantics.md and decision 0003 cite rule cases and unit tests; each one must exist, and
    each ruling heading in semantics.md must name at least one ("Covered by")."""
    cases = {(d["id"], t["name"]) for path in ROOT.glob("rules/*/*.yaml")
             for d in [yaml.safe_load(path.read_text(encoding="utf-8"))]
             for t in d.get("tests") or []}
    semantics = (ROOT / "docs" / "semantics.md").read_text(encoding="utf-8")
    for page in (semantics,
                 (ROOT / "docs" / "decisions" / "0003-rulings-on-matching.md").read_text()):
        for m in CITED_CASE.finditer(page):
            assert (m["rule"], m["case"]) in cases, f"{m['rule']}::{m['case']} is not a rule case"
        for m in CITED_TEST.finditer(page):
            source = (ROOT / m["file"]).read_text(encoding="utf-8")
            assert f"def {m['func']}(" in source, f"{m['file']}::{m['func']} does not exist"
    rulings = semantics.split("## Rulings on matching", 1)[1].split("\n## ", 1)[0]
    sections = re.split(r"^### Ruling \d+", rulings, flags=re.MULTILINE)[1:]
    assert len(sections) == 8
    for n, section in enumerate(sections, 1):
        assert "Covered by:" in section and "`" in section.split("Covered by:", 1)[1], n
