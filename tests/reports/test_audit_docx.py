"""``casecheck report --format docx``: a Word document whose judgement fields are content
controls that python-docx can fill in and read back (issue 13, item 3)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

pytest.importorskip("docx")

from engine.reports.audit import GRADES
from engine.reports.audit_docx import fill_fields, read_fields

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "fixtures" / "looked-after.json"


@pytest.fixture(scope="module")
def docx_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docx") / "audit.docx"
    result = CliRunner().invoke(main, ["report", str(CASE), "--profile", "practice", "--as-of",
                                       "2024-06-30", "--format", "docx", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def test_the_document_opens_and_has_every_field_empty(docx_file: Path) -> None:
    from docx import Document

    assert zipfile.is_zipfile(docx_file)
    doc = Document(str(docx_file))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Case audit: compliance with standards" in text
    assert "Auditor's judgement" in text
    fields = read_fields(docx_file)
    expected = {"grade", "comments", "auditor", "audit-date"} | {
        f"{c}-{i}" for c in ("action", "owner", "timescale") for i in (1, 2, 3)}
    assert expected <= set(fields)
    assert "agree-STD-CLA-REVIEW" in fields
    assert set(fields.values()) == {""}


def test_fields_round_trip(docx_file: Path, tmp_path: Path) -> None:
    values = {"grade": "Requires improvement", "comments": "Visits late in spring.\nNow regular.",
              "action-1": "Book the chronology update", "owner-1": "TM-31",
              "timescale-1": "within 10 working days", "auditor": "QA-7",
              "audit-date": "2024-07-05", "agree-STD-CLA-REVIEW": "not agreed"}
    filled = tmp_path / "filled.docx"
    fill_fields(docx_file, values).save(str(filled))
    back = read_fields(filled)
    assert {k: back[k] for k in values} == values
    assert back["action-2"] == ""


def test_a_grade_must_be_one_of_the_four(docx_file: Path) -> None:
    assert GRADES == ("Outstanding", "Good", "Requires improvement", "Inadequate")
    with pytest.raises(ValueError, match="not one of"):
        fill_fields(docx_file, {"grade": "Excellent"})


def test_docx_needs_out(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(CASE), "--format", "docx"])
    assert result.exit_code == 2 and "--out" in result.output
