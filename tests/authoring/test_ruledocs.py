"""docs/rules/ is generated from the rules; this fails when someone forgot to regenerate it."""

from __future__ import annotations

from engine.authoring.ruledocs import render_all, stale_pages
from engine.rules.rulebook import load_library
from engine.rules.standards import load_standards


def test_generated_rule_docs_are_up_to_date() -> None:
    pages = render_all(load_library(), load_standards())
    stale = stale_pages(pages)
    assert stale == [], f"run 'casecheck rules docs' to regenerate: {stale}"


def test_every_rule_has_a_page_with_its_source_standard_and_cases() -> None:
    library = load_library()
    pages = render_all(library, load_standards())
    assert set(pages) == {"README.md"} | {f"{rid}.md" for rid in library.rules}
    page = pages["PRC-PF-DBS.md"]
    assert "## Standard STD-PF-DBS" in page
    assert "insufficient_data" in page
    for test in library.rules["PRC-PF-DBS"].rule.tests:
        assert f"`{test.name}`" in page


def test_a_changed_rule_makes_the_docs_stale(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pages = render_all(load_library(), load_standards())
    for name, text in pages.items():
        (tmp_path / name).write_text(text)
    assert stale_pages(pages, tmp_path) == []
    (tmp_path / "ENG-ICPC-15WD.md").write_text("edited by hand")
    (tmp_path / "OLD-RULE.md").write_text("left over")
    assert stale_pages(pages, tmp_path) == ["ENG-ICPC-15WD.md", "OLD-RULE.md"]
