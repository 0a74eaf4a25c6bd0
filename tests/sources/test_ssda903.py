"""SSDA903: exact records from the hand-written fixtures, row accounting and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.sources.report import ImportReport, SourceError
from engine.sources.ssda903 import SUPPLIES, read_ssda903

from .conftest import validate_record, without_source

C1 = {
    "format": "casecheck/case-record@1", "case_id": "ssda903:C1",
    "child": {"id": "C1", "date_of_birth": "2012-09-14", "sex": "M", "ethnicity": "WBRI"},
    "episodes": [
        {"id": "la-2024-01-08", "type": "looked_after", "start": "2024-01-08", "end": None,
         "legal_status": "C1",
         "legal_statuses": [{"code": "C2", "start": "2024-01-08", "end": "2024-03-01"},
                            {"code": "C1", "start": "2024-03-01", "end": None}]},
        # the RNE L row (legal status only) keeps the placement going to 2024-05-01
        {"id": "pl-2024-01-08", "type": "placement", "start": "2024-01-08", "end": "2024-05-01",
         "placement_type": "U3", "long_term": False, "with_parents": False,
         "parent": "la-2024-01-08"},
        {"id": "pl-2024-05-01", "type": "placement", "start": "2024-05-01", "end": None,
         "placement_type": "P1", "long_term": False, "with_parents": True,
         "parent": "la-2024-01-08"},
    ],
    "events": [{"id": "clar-2024-02-05", "type": "cla_review", "date": "2024-02-05"}],
}


def _read(path: Path) -> tuple[list[dict], ImportReport]:
    report = ImportReport("ssda903")
    return list(read_ssda903(path, report)), report


def test_csv_records_exact(fixtures: Path) -> None:
    records, _ = _read(fixtures / "ssda903" / "csv")
    assert [r["case_id"] for r in records] == ["ssda903:C1", "ssda903:C2", "ssda903:C3"]
    assert without_source(records[0]) == C1
    c2 = records[1]["episodes"]
    # REC E11 ends the first period; the next RNE S row opens a second one
    assert [(e["id"], e["end"]) for e in c2] == [
        ("la-2023-06-01", "2023-09-01"), ("pl-2023-06-01", "2023-09-01"),
        ("la-2024-02-01", None), ("pl-2024-02-01", None)]
    assert [e.get("long_term") for e in c2 if e["type"] == "placement"] == [True, True]
    c3 = records[2]
    assert c3["child"]["ethnicity"] is None  # the first header row wins; the duplicate is rejected
    assert [(e["type"], e["date"], e.get("episode_type")) for e in c3["events"]] == [
        ("missing_episode", "2024-03-01", "missing"),
        ("missing_episode", "2024-03-05", "absent"),
        ("cla_review", "2024-03-10", None)]


def test_csv_every_row_accounted_for(fixtures: Path) -> None:
    _, report = _read(fixtures / "ssda903" / "csv")
    assert report.balanced()
    counts = {name: (c.read, c.used, c.rejected) for name, c in report.files.items()}
    assert counts == {"header.csv": (4, 3, 1), "episodes.csv": (9, 6, 3),
                      "reviews.csv": (4, 2, 2), "missing.csv": (3, 2, 1)}
    reasons = {r.where: r.reason for r in report.rejections}
    assert reasons["header.csv:5"].startswith("a second header row")
    assert reasons["episodes.csv:6"] == "exact duplicate of line 5"
    assert reasons["episodes.csv:9"].startswith("DECOM: a 5-digit number")
    assert reasons["episodes.csv:10"] == "child not in the header"
    assert reasons["reviews.csv:4"] == "CHILD is blank"
    assert "two-digit year" in reasons["reviews.csv:5"]
    assert reasons["missing.csv:4"] == "MISSING is 1 letter, not M or A"
    assert report.orphan_rows == 1
    assert report.children == 3 and report.records == 3
    assert report.normalisations["dd/mm/YYYY → ISO date"] == 17


def test_xml_records(fixtures: Path) -> None:
    records, report = _read(fixtures / "ssda903" / "return.xml")
    assert [r["case_id"] for r in records] == ["ssda903:X1", "ssda903:X2"]
    x1 = records[0]
    assert [(e["id"], e["end"], e.get("long_term")) for e in x1["episodes"]] == [
        ("la-2024-01-08", None, None), ("pl-2024-01-08", "2024-03-01", False),
        ("pl-2024-03-01", None, True)]
    assert [e["id"] for e in x1["events"]] == ["clar-2024-02-05", "miss-2024-02-10"]
    x2 = records[1]
    assert x2["episodes"][1]["with_parents"] is True
    assert report.balanced() and report.files["return.xml"].read == 10
    reasons = {r.where: r.reason for r in report.rejections}
    assert reasons == {
        "return.xml:CHILD[3]/HEADER": "CHILD is blank",
        "return.xml:CHILD[3]/EPISODE[1]": "CHILD is blank",
        "return.xml:CHILD[2]/EPISODE[2]":
            "DECOM: not a real calendar date (a date-like value shaped nn/nn/yyyy)"}


@pytest.mark.parametrize("name", ["csv", "return.xml"])
def test_records_validate_and_declare_supplies(fixtures: Path, name: str) -> None:
    records, _ = _read(fixtures / "ssda903" / name)
    for record in records:
        assert validate_record(record) == []
        assert record["source"]["format"] == "ssda903"
        assert record["source"]["supplies"]["episodes"]["placement"] == sorted(
            SUPPLIES["episodes"]["placement"])  # type: ignore[index]


def _copy(fixtures: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "903"
    folder.mkdir()
    for f in (fixtures / "ssda903" / "csv").iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    return folder


def test_missing_file_names_it(fixtures: Path, tmp_path: Path) -> None:
    folder = _copy(fixtures, tmp_path)
    (folder / "reviews.csv").rename(folder / "review.csv")
    with pytest.raises(SourceError,
                       match=r"reviews.csv: file not found.*did you mean 'review.csv'"):
        _read(folder)


def test_wrong_column_names_it(fixtures: Path, tmp_path: Path) -> None:
    folder = _copy(fixtures, tmp_path)
    text = (folder / "episodes.csv").read_text().replace("DECOM", "DECOMM", 1)
    (folder / "episodes.csv").write_text(text)
    with pytest.raises(SourceError, match=r"episodes.csv: column 'DECOM' is missing "
                                          r"\(did you mean 'DECOMM'\?\)"):
        _read(folder)


def test_cp1252_is_read_and_counted(fixtures: Path, tmp_path: Path) -> None:
    folder = _copy(fixtures, tmp_path)
    text = (folder / "header.csv").read_text() + "C4,1,01/01/2010,WBRI,,Zoë,\n"
    (folder / "header.csv").write_bytes(text.encode("cp1252"))
    records, report = _read(folder)
    assert report.normalisations["file decoded as cp1252 (not UTF-8)"] == 1
    assert [r["case_id"] for r in records][-1] == "ssda903:C4"


def test_errors_and_report_never_contain_cell_values(fixtures: Path) -> None:
    _, report = _read(fixtures / "ssda903" / "csv")
    text = str(report.to_dict())
    for value in ("45321", "1/2/24", "14/09/2012", "WBRI"):
        assert value not in text
