"""The sweep benchmark runs end to end on a tiny cohort and writes its results.

Only the shape of the output is checked: timings on a few hundred cases say nothing, but a
benchmark that breaks silently would leave the performance targets unmeasured.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_sweep", ROOT / "bench" / "sweep.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_runs_and_writes_results(bench: ModuleType, tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "results.json"
    results = bench.run(200, 2, 1, date(2025, 6, 30), data, out, repeats=1, parse_repeats=1,
                        echo=False)
    assert json.loads(out.read_text()) == results
    assert len(results["machine"]["load_average"]["before"]) == 3
    assert (data / "cohort-200.jsonl").exists()
    assert results["cohort"]["cases"] == 200 and results["cohort"]["reused"] is False
    assert results["parse_only"]["records"] == 200
    assert [s["workers"] for s in results["sweeps"]] == [1, 2]
    for s in results["sweeps"]:
        assert s["records"]["read"] == 200 and s["records"]["rejected"] == 0
        assert s["seconds"] > 0 and s["peak_rss_mb"] > 0
        assert s["statuses"]["met"] > 0
    assert set(results["ratios"]) == {"1", "2"}
    assert len(results["check"]["runs"]) == 1
    assert [t["name"] for t in results["targets"]] == [
        "sweep / parse-only time", "single check, cold start", "sweep peak RSS"]
    assert all(isinstance(t["met"], bool) for t in results["targets"])
    table = bench.render_table(results)
    assert "parse-only" in table and "casecheck check" in table and "peak RSS" in table


def test_cohort_is_reused_only_when_unchanged(bench: ModuleType, tmp_path: Path) -> None:
    first = bench.ensure_cohort(30, 1, date(2025, 6, 30), tmp_path)
    again = bench.ensure_cohort(30, 1, date(2025, 6, 30), tmp_path)
    other = bench.ensure_cohort(30, 2, date(2025, 6, 30), tmp_path)
    assert (first["reused"], again["reused"], other["reused"]) == (False, True, False)
    assert again["events"] == first["events"]


def test_nightly_bench_runs_and_states_its_floors(tmp_path: Path) -> None:
    """``make bench`` (bench/nightly.py) end to end on a tiny cohort: every figure the README
    quotes is there, with the floors that say what no sweep can go below."""
    spec = importlib.util.spec_from_file_location("bench_nightly", ROOT / "bench" / "nightly.py")
    assert spec is not None and spec.loader is not None
    nightly = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nightly)
    out = tmp_path / "results.json"
    assert nightly.main(["--cases", "60", "--small", "30", "--big", "60", "--changed", "0.1",
                         "--results", str(out), "--data", str(tmp_path / "data")]) == 0
    results = json.loads(out.read_text())
    full, inc = results["full"], results["incremental"]
    assert set(full["sweeps"]) == {"1", "2"}
    assert full["sweeps"]["1"]["findings_bytes"] == full["sweeps"]["2"]["findings_bytes"] > 0
    assert full["write_findings_seconds"] > 0 and full["write_floor_ratio"] > 0
    assert inc["identical_to_full_sweep"] is True
    assert inc["second_night"]["incremental"]["carried"] > 0
    assert inc["second_night_with_history"]["incremental"]["carried"] > 0
    assert inc["ratio_second_night_with_history"] > 0
    assert inc["floor_seconds"] >= inc["write_findings_seconds"] + inc["hash_seconds"]
    assert [t["name"] for t in results["targets"]] == [
        "full sweep / parse, 1 worker", "2 workers speed-up over 1",
        "incremental second night / parse", "peak RSS 60 - 30 cases"]
    assert all(isinstance(t["met"], bool) for t in results["targets"])
