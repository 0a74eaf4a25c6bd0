from pathlib import Path

import orjson
from click.testing import CliRunner

from cli import main


def test_import_writes_records_and_report(fixtures: Path, tmp_path: Path) -> None:
    out, report = tmp_path / "cases.jsonl", tmp_path / "import-report.json"
    result = CliRunner().invoke(main, ["import", "ssda903", str(fixtures / "ssda903" / "csv"),
                                       "--out", str(out), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "3 case records from 3 children; 20 rows read, 13 used, 7 rejected" in result.output
    lines = out.read_bytes().splitlines()
    assert [orjson.loads(line)["case_id"] for line in lines] == [
        "ssda903:C1", "ssda903:C2", "ssda903:C3"]
    assert orjson.loads(report.read_bytes())["rows"] == {"read": 20, "used": 13, "rejected": 7}


def test_import_errors_are_clear(fixtures: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["import", "cin", str(fixtures / "ssda903" / "return.xml"),
                                       "--out", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 2
    assert "root element is not Message" in result.output
