"""The auditor's section (and the dashboard) in real headless Chromium (issue 13, item 4):
axe-core finds no violations, every fixture's section prints on at most 4 A4 pages, and the
judgement's form controls print with the values chosen or typed.

Skipped with a reason when Chromium or axe-core is missing, except under ``CI=true``, where
that is a failure (``tests/browser/chromium.py``)."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from tests.browser import chromium

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "fixtures").glob("*.json"))
AS_OF = "2024-06-30"
MAX_PAGES = 4


def _report(case: Path, profile: str, out: Path) -> Path:
    result = CliRunner().invoke(main, ["report", str(case), "--profile", profile, "--as-of",
                                       AS_OF, "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


CASES = [(case, "practice") for case in FIXTURES] + [
    (ROOT / "fixtures" / "cin-cp-care.json", p) for p in ("reading", "bradford")]


@pytest.fixture(scope="module")
def audits(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[int, list]]:
    """Every case's section, printed and run through axe once, Chromium runs in parallel:
    ``{(fixture, profile): (pages, violations)}``."""
    chromium.chromium()  # skip (or, in CI, fail) without Chromium
    chromium.axe_source()
    work = tmp_path_factory.mktemp("audits")

    def one(item: tuple[Path, str]) -> tuple[tuple[str, str], tuple[int, list]]:
        case, profile = item
        folder = work / f"{case.stem}-{profile}"
        folder.mkdir()
        html = _report(case, profile, folder / "audit.html")
        pages = chromium.pdf_pages(chromium.print_pdf(html, folder / "audit.pdf"))
        return (case.stem, profile), (pages, chromium.axe_violations(
            html.read_text(encoding="utf-8"), folder))

    with ThreadPoolExecutor(max_workers=max(2, min(8, os.cpu_count() or 2))) as pool:
        return dict(pool.map(one, CASES))


@pytest.mark.parametrize(("case", "profile"), CASES, ids=lambda v: getattr(v, "stem", v))
def test_audit_section_prints_on_four_pages_with_no_axe_violations(
        audits: dict[tuple[str, str], tuple[int, list]], case: Path, profile: str) -> None:
    pages, violations = audits[(case.stem, profile)]
    assert 1 <= pages <= MAX_PAGES, f"{case.stem} ({profile}): {pages} A4 pages"
    assert violations == [], json.dumps(violations, indent=1)


FILL = """
function set(id, value) {
  var el = document.getElementById(id);
  if (el.tagName === "SELECT") {
    for (var i = 0; i < el.options.length; i++) {
      if (el.options[i].text === value) { el.selectedIndex = i; }
    }
  } else { el.value = value; }
  el.dispatchEvent(new Event(el.tagName === "SELECT" ? "change" : "input", {bubbles: true}));
}
set("grade", "Requires improvement");
set("comments", "Supervision gaps in spring, now regular.");
set("action-1", "Book the overdue chronology update");
set("owner-1", "TM-31");
set("timescale-1", "within 10 working days");
set("auditor", "Quality Auditor QA-7");
set("audit-date", "2024-07-05");
set("agree-STD-SUPERVISION", "not agreed");
"""


def test_form_controls_print_with_their_values(tmp_path: Path) -> None:
    chromium.chromium()
    html = _report(ROOT / "fixtures" / "looked-after.json", "practice", tmp_path / "la.html")
    filled = tmp_path / "filled.html"
    filled.write_text(chromium.with_script(html.read_text(encoding="utf-8"), FILL),
                      encoding="utf-8")
    text = " ".join(chromium.pdf_text(chromium.print_pdf(filled, tmp_path / "f.pdf")).split())
    for value in ("Requires improvement", "Supervision gaps in spring, now regular.",
                  "Book the overdue chronology update", "TM-31", "within 10 working days",
                  "Quality Auditor QA-7", "2024-07-05", "not agreed"):
        assert value in text, value
    assert "(choose)" not in text  # the controls themselves do not print
    blank = " ".join(chromium.pdf_text(chromium.print_pdf(html, tmp_path / "b.pdf")).split())
    assert "Requires improvement" not in blank and "(choose)" not in blank


def test_dashboard_has_no_axe_violations(tmp_path: Path) -> None:
    chromium.axe_source()
    runner = CliRunner()
    db = tmp_path / "sweeps.sqlite"
    swept = runner.invoke(main, ["sweep", str(ROOT / "fixtures"), "--out", str(tmp_path / "s"),
                                 "--profile", "practice", "--as-of", AS_OF, "--db", str(db)],
                          catch_exceptions=False)
    assert swept.exit_code == 0, swept.output
    out = tmp_path / "dashboard.html"
    made = runner.invoke(main, ["dashboard", "--db", str(db), "--out", str(out)],
                         catch_exceptions=False)
    assert made.exit_code == 0, made.output
    violations = chromium.axe_violations(out.read_text(encoding="utf-8"), tmp_path)
    assert violations == [], json.dumps(violations, indent=1)
