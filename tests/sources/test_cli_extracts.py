"""``casecheck generate --format`` and ``casecheck sweep --from``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.mark.parametrize(("fmt", "name"), [("ssd", "ssd"), ("ssda903", "903"),
                                           ("cin", "census.xml")])
def test_generate_an_extract_and_sweep_it(run, tmp_path: Path, fmt: str, name: str) -> None:  # type: ignore[no-untyped-def]
    extract = tmp_path / name
    made = run("generate", "--cases", "20", "--seed", "4", "--as-of", "2024-06-30",
               "--format", fmt, "--out", str(extract))
    assert made.exit_code == 0, made.output
    out = tmp_path / "out"
    swept = run("sweep", "--from", fmt, str(extract), "--out", str(out), "--profile",
                "england", "--as-of", "2024-06-30")
    assert swept.exit_code == 0, swept.output
    summary = json.loads((out / "summary.json").read_text())
    report = json.loads((out / "import-report.json").read_text())
    assert summary["records"]["read"] == report["records"] > 0
    assert summary["records"]["rejected"] == 0
    assert all(v["source"] == fmt and v["cases"] > 0
               for v in summary["not_assessable"].values())
    if fmt == "ssda903":  # the return has no visits: never a breach, always listed
        assert "ENG-CLA-VISIT" in summary["not_assessable"]
        assert not any(summary["rules"]["ENG-CLA-VISIT"].get(s) for s in ("overdue", "late"))


def test_generate_an_extract_needs_out(run) -> None:  # type: ignore[no-untyped-def]
    result = run("generate", "--cases", "2", "--format", "cin")
    assert result.exit_code != 0
