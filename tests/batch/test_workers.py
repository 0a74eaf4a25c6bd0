"""Sweeps with worker processes: the workers spool their lines and the parent copies them in
(``sweep._Spool``, ``sweep._Output``).  Whatever the number of workers, the results are the
same bytes, every record reaches the history sink, and no spool file outlives the sweep."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from engine.batch import sweep as sweep_mod
from engine.batch.sweep import OutputError, sweep
from engine.evaluate.compile import build_ruleset
from engine.evaluate.evaluator import RuleSet
from engine.reports.findings_json import sweep_json
from engine.rules.profiles import load_profile
from engine.synthetic import generate_cohort

AS_OF = date(2024, 6, 28)


@pytest.fixture(scope="module")
def practice() -> RuleSet:
    return build_ruleset(load_profile("practice"))


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 7, so that a small cohort is spread over both workers, out of order."""
    monkeypatch.setattr(sweep_mod, "BATCH", 7)


def _extract(path: Path, n: int = 60) -> Path:
    records = list(generate_cohort(n, 11, AS_OF))
    lines = [orjson.dumps(r) for r in records]
    lines.insert(5, b"{not json")  # unreadable
    bad = dict(records[3], case_id="BAD-DOB")
    bad["child"] = dict(bad["child"], date_of_birth="31/01/2020")
    lines.insert(20, orjson.dumps(bad))  # fails validation
    lines.insert(40, orjson.dumps(records[1]))  # a repeated case id, in another batch
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def _run(practice: RuleSet, data: Path, out: Path, workers: int, as_of: date = AS_OF,
         incremental: str | None = None) -> tuple[bytes, bytes, list[bytes]]:
    seen: list[bytes] = []
    sweep(data, out, practice, as_of, workers, serialise=sweep_json,
          sink=lambda item: seen.append(item.line), incremental=incremental)
    return (out / "findings.jsonl").read_bytes(), (out / "summary.json").read_bytes(), seen


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".casecheck-spool"))


def test_two_workers_write_the_same_bytes_as_one(practice: RuleSet, tmp_path: Path) -> None:
    data = _extract(tmp_path / "cases.jsonl")
    one = _run(practice, data, tmp_path / "one", 1)
    two = _run(practice, data, tmp_path / "two", 2)
    assert one[0] == two[0]
    assert one[1] == two[1]
    assert one[2] == two[2]  # the history sink saw every line, in order, spooled or not
    assert len(one[0].splitlines()) == 63  # 60 cases, the unreadable line, the bad, the repeat
    assert b"duplicate case_id" in one[0]
    assert _leftovers(tmp_path / "two") == []


def test_without_a_sink_the_lines_are_copied_in_the_kernel(practice: RuleSet, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    data = _extract(tmp_path / "cases.jsonl")
    copies: list[int] = []
    real = sweep_mod.os.copy_file_range

    def counting(src: int, dst: int, count: int, *args: Any) -> int:
        copies.append(count)
        return real(src, dst, count, *args)

    monkeypatch.setattr(sweep_mod.os, "copy_file_range", counting)
    sweep(data, tmp_path / "two", practice, AS_OF, 2, serialise=sweep_json)
    sweep(data, tmp_path / "one", practice, AS_OF, 1, serialise=sweep_json)
    assert ((tmp_path / "two" / "findings.jsonl").read_bytes()
            == (tmp_path / "one" / "findings.jsonl").read_bytes())
    assert copies  # the spooled lines went through the kernel copy
    assert sum(copies) < (tmp_path / "two" / "findings.jsonl").stat().st_size  # not the repeat


def test_a_filesystem_without_kernel_copies_gives_the_same_bytes(
        practice: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _extract(tmp_path / "cases.jsonl")
    expected = _run(practice, data, tmp_path / "one", 1)[0]

    def unsupported(*args: Any) -> int:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(sweep_mod.os, "copy_file_range", unsupported)
    sweep(data, tmp_path / "two", practice, AS_OF, 2, serialise=sweep_json)
    assert (tmp_path / "two" / "findings.jsonl").read_bytes() == expected


def test_incremental_nights_with_workers_equal_full_sweeps(practice: RuleSet,
                                                          tmp_path: Path) -> None:
    data = _extract(tmp_path / "cases.jsonl")
    first = _run(practice, data, tmp_path / "inc", 2, incremental="scope")
    assert first == _run(practice, data, tmp_path / "full1", 1)
    lines = data.read_bytes().splitlines()
    record = orjson.loads(lines[10])
    record["events"] = record["events"][:-1]
    lines[10] = orjson.dumps(record)
    data.write_bytes(b"".join(line + b"\n" for line in lines))
    later = AS_OF + timedelta(days=1)
    summary = sweep(data, tmp_path / "inc", practice, later, 2, serialise=sweep_json,
                    incremental="scope")
    assert summary["incremental"]["carried"] > 0  # the carried lines passed by the workers
    full = _run(practice, data, tmp_path / "full2", 1, later)
    assert (tmp_path / "inc" / "findings.jsonl").read_bytes() == full[0]
    assert (tmp_path / "inc" / "summary.json").read_bytes() == full[1]


def test_a_failed_sweep_leaves_no_spool_and_the_earlier_results(
        practice: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _extract(tmp_path / "cases.jsonl")
    out = tmp_path / "out"
    before = _run(practice, data, out, 2)[0]

    def full_disk(*args: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sweep_mod.os, "copy_file_range", full_disk)
    monkeypatch.setattr(sweep_mod.os, "pread", full_disk)
    with pytest.raises(OutputError, match="cannot write the results"):
        sweep(data, out, practice, AS_OF + timedelta(days=3), 2, serialise=sweep_json)
    assert (out / "findings.jsonl").read_bytes() == before
    assert _leftovers(out) == []
    assert not (out / "findings.jsonl.partial").exists()


def test_short_writes_lose_nothing(practice: RuleSet, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``writev`` may write less than it was given (a signal, a pipe, a full buffer): the rest
    is written next, from the byte where it stopped."""
    data = _extract(tmp_path / "cases.jsonl")
    expected = _run(practice, data, tmp_path / "one", 1)[0]
    real = sweep_mod.os.writev
    calls: list[int] = []

    def stingy(fd: int, buffers: list[bytes]) -> int:
        calls.append(1)
        first = buffers[0]
        return real(fd, [first[:777]] if len(first) > 777 else buffers[:3])

    monkeypatch.setattr(sweep_mod.os, "writev", stingy)
    for workers in (1, 2):
        sweep(data, tmp_path / f"short-{workers}", practice, AS_OF, workers,
              serialise=sweep_json)
        assert (tmp_path / f"short-{workers}" / "findings.jsonl").read_bytes() == expected
    assert len(calls) > 100  # it really was written in pieces


def test_spool_files_are_deleted_as_their_lines_are_copied(practice: RuleSet, tmp_path: Path
                                                           ) -> None:
    """Disk use stays at the batches in flight, not a second copy of the output."""
    data = _extract(tmp_path / "cases.jsonl", n=150)  # 153 lines: 22 batches of 7
    out = tmp_path / "out"
    present: list[int] = []

    def look(item: Any) -> None:
        present.append(sum(len(list(p.iterdir())) for p in out.glob(".casecheck-spool-*")))

    sweep(data, out, practice, AS_OF, 2, serialise=sweep_json, sink=look)
    assert max(present) <= 3 * 2 + 2  # the window of batches in flight, and one being read
    assert min(present) < max(present)
    assert _leftovers(out) == []
