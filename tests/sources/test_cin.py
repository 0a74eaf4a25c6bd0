"""CIN census XML: exact records, accounting, and refusal of unsafe XML."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.sources.cin import read_cin
from engine.sources.report import ImportReport, SourceError

from .conftest import validate_record, without_source

K1 = {
    "format": "casecheck/case-record@1", "case_id": "cin:K1",
    "child": {"id": "K1", "date_of_birth": "2016-09-14", "sex": "M", "ethnicity": "WBRI",
              "disability": False},
    "episodes": [
        {"id": "cine-2024-01-08", "type": "cin_episode", "start": "2024-01-08", "end": None},
        {"id": "cinp-2024-02-26", "type": "cin_plan", "start": "2024-02-26", "end": "2024-03-22"},
        {"id": "cpp-2024-03-22", "type": "cp_plan", "start": "2024-03-22", "end": None,
         "category": "neglect"},
    ],
    "events": [
        {"id": "ref-2024-01-08", "type": "referral", "date": "2024-01-08"},
        {"id": "asm-2024-01-09", "type": "assessment", "date": "2024-01-09",
         "completed": "2024-02-20", "ref": "ref-2024-01-08"},
        {"id": "s47-2024-03-04", "type": "s47_enquiry", "date": "2024-03-04", "outcome": "icpc"},
        {"id": "sd-2024-03-04", "type": "strategy_discussion", "date": "2024-03-04",
         "s47": True},
        # one ICPC although both Section47 and CINdetails record its date
        {"id": "icpc-2024-03-22", "type": "icpc", "date": "2024-03-22", "ref": "sd-2024-03-04"},
        {"id": "rcpc-2024-06-14", "type": "rcpc", "date": "2024-06-14"},
    ],
}


def _read(path: Path, **kw: int) -> tuple[list[dict], ImportReport]:
    report = ImportReport("cin")
    return list(read_cin(path, report, **kw)), report


def test_records_exact(fixtures: Path) -> None:
    records, _ = _read(fixtures / "cin" / "census.xml")
    assert [r["case_id"] for r in records] == ["cin:K1", "cin:K2", "cin:K4"]
    assert without_source(records[0]) == K1
    k2 = records[1]
    assert k2["child"]["disability"] is True
    assert [(e["type"], e.get("outcome")) for e in k2["events"]] == [
        ("referral", None), ("s47_enquiry", "no_icpc"), ("strategy_discussion", None)]
    assert k2["episodes"][0]["end"] == "2024-04-30"
    k4 = records[2]
    assert k4["child"] == {"id": "K4", "date_of_birth": None,
                           "expected_date_of_birth": "2024-08-01", "sex": None,
                           "ethnicity": "NOBT"}
    assert records[0]["source"]["extracted"] == "2024-05-20"


def test_every_element_accounted_for(fixtures: Path) -> None:
    _, report = _read(fixtures / "cin" / "census.xml")
    assert report.balanced()
    counts = report.files["census.xml"]
    assert (counts.read, counts.used, counts.rejected) == (17, 13, 4)
    reasons = {r.where: r.reason for r in report.rejections}
    assert reasons["census.xml:Child[3]"] == "LAchildID is blank or missing"
    assert reasons["census.xml:Child[3]/CINdetails[1]/Assessments[1]"] == (
        "belongs to a rejected Child")
    assert reasons["census.xml:Child[4]/CINdetails[1]/Assessments[1]"].startswith(
        "AssessmentActualStartDate: a 5-digit number")
    assert "45321" not in str(report.to_dict())


def test_records_validate(fixtures: Path) -> None:
    records, _ = _read(fixtures / "cin" / "census.xml")
    for record in records:
        assert validate_record(record) == []


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Message><Children><Child>&lol3;</Child></Children></Message>"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Message><Children><Child><ChildIdentifiers><LAchildID>&xxe;</LAchildID>
</ChildIdentifiers></Child></Children></Message>"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL], ids=["billion-laughs", "xxe"])
def test_entity_documents_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "evil.xml"
    path.write_text(text)
    with pytest.raises(SourceError, match=r"evil.xml: refused: the document declares a DTD"):
        _read(path)


def test_size_cap(fixtures: Path) -> None:
    with pytest.raises(SourceError, match=r"over the 100-byte limit"):
        _read(fixtures / "cin" / "census.xml", max_xml_bytes=100)


def test_malformed_and_wrong_root(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<Message><Children>")
    with pytest.raises(SourceError, match=r"bad.xml:1: not well-formed XML"):
        _read(bad)
    other = tmp_path / "other.xml"
    other.write_text("<EXPSSDA903/>")
    with pytest.raises(SourceError, match=r"root element is not Message"):
        _read(other)
