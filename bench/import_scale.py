"""Benchmark the adapters at scale: SSDA903 and SSD CSV extracts of N children.

    .venv/bin/python bench/import_scale.py [--children 10000] [--seed 1]   (make bench-import)

The synthetic cohort of N children is written as JSONL, as a 903 CSV return and as SSD CSV
tables (``casecheck generate --format``).  Each step then runs in its own subprocess, so that
its peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``) is its own:

- import 903 and import SSD: read the extract and write the records as JSONL
  (``casecheck import``): rows read per second, seconds, peak RSS;
- sweep of the cohort's JSON (england profile, one process): seconds, peak RSS;
- ``sweep --from ssda903`` and ``--from ssd``: the extract swept as it is imported.

Targets (issue 11): at 100,000 children an import streams with peak memory at most 1 GB and
takes no longer than sweeping the same cohort's JSON.  Results go to bench/import_results.json.

``--grouping`` measures instead only the SSD reader's grouping of rows by child, the part a
library could take over (issue 11 item 7): ``group-hand`` is the reader's own first pass and
external merge (every check included), ``group-duckdb`` DuckDB's ``read_csv`` of every table,
``UNION ALL ... ORDER BY`` person, fetched into Python in batches (no line numbers, duplicate or
cell-count checks: a lower bound).  It needs ``pip install duckdb==1.4.2`` (not a dependency).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
AS_OF = date(2024, 6, 30)
RESULTS = ROOT / "bench" / "import_results.json"


def _step(kind: str, data: Path, out: Path) -> dict[str, object]:
    """One measured step, in this (fresh) process."""
    from engine.app.casework import load_ruleset
    from engine.app.extracts import sweep_source
    from engine.batch.sweep import sweep
    from engine.reports.findings_json import case_json
    from engine.sources.run import run_import

    start = time.perf_counter()
    if kind.startswith("group-"):
        extra = _group(kind, data)
    elif kind.startswith("import-"):
        source = kind.removeprefix("import-")
        report = run_import(source, data, out / f"{source}.jsonl")
        extra = {"rows": report.rows_read, "children": report.children,
                 "rejected": report.rows_rejected}
    elif kind == "sweep-json":
        summary = sweep(data, out / "json", load_ruleset("england"), AS_OF,
                        serialise=case_json)
        extra = {"records": summary["records"]["read"]}
    else:
        source = kind.removeprefix("sweep-from-")
        summary, report = sweep_source(source, data, out / source, load_ruleset("england"),
                                       AS_OF)
        extra = {"records": summary["records"]["read"], "rows": report.rows_read}
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result: dict[str, object] = {"step": kind, "seconds": round(seconds, 2),
                                 "peak_rss_mb": round(peak_mb, 1), **extra}
    if "rows" in extra:
        result["rows_per_second"] = round(int(extra["rows"]) / seconds)  # type: ignore[call-overload]
    return result


def _group(kind: str, folder: Path) -> dict[str, object]:
    """Rows of an SSD folder grouped by child, and nothing more (see ``--grouping``)."""
    from itertools import groupby
    from operator import itemgetter

    from engine.sources import ssd
    from engine.sources.report import ImportReport

    if kind == "group-hand":
        report = ImportReport("ssd")
        scan = ssd._Scan(report, True, ssd._Runs())
        scan.read(ssd._csv_source(folder, report))
        rows: Any = scan.runs.merged()
    else:
        import duckdb

        con = duckdb.connect()
        for setting in ("memory_limit='800MB'", "threads=2", "preserve_insertion_order=false",
                        f"temp_directory='{folder.parent / 'duckdb.tmp'}'"):
            con.execute(f"SET {setting}")
        parts = []
        for index, (table, columns) in enumerate(ssd.COLUMNS.items()):
            path = folder / f"{table}.csv"
            if not path.exists() or table == "ssd_department":
                continue
            wanted = list(dict.fromkeys(c for c in columns if c))
            cells = ", ".join(f'"{c}"' for c in wanted) + ", NULL" * (7 - len(wanted))
            parts.append(f'SELECT trim("{columns[1]}") AS person, {index} AS t, {cells} '
                         f"FROM read_csv('{path}', all_varchar=true, header=true)")
        cursor = con.execute(" UNION ALL ".join(parts) + " ORDER BY person, t")

        def fetched() -> Any:
            while batch := cursor.fetchmany(10_000):
                yield from batch

        rows = fetched()
    n = children = 0
    for _, group in groupby(rows, key=itemgetter(0)):
        children += 1
        n += sum(1 for _ in group)
    return {"rows": n, "children": children}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--grouping", action="store_true",
                        help="time only the SSD reader's grouping by child, by hand and DuckDB")
    parser.add_argument("--step", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(_step(args.step, Path(args.data), Path(args.out))))
        return

    from engine.sources.run import write_extract
    from engine.synthetic import generate_cohort

    if args.grouping:
        _grouping(args)
        return

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        paths = {"json": base / "cohort.jsonl", "ssda903": base / "903", "ssd": base / "ssd"}
        t0 = time.perf_counter()
        for fmt, path in paths.items():
            write_extract(fmt, generate_cohort(args.children, args.seed, AS_OF), path)
        generated = round(time.perf_counter() - t0, 1)
        sizes = {fmt: sum(p.stat().st_size for p in ([path] if path.is_file()
                                                     else path.iterdir()))
                 for fmt, path in paths.items()}
        steps = [("import-ssda903", paths["ssda903"]), ("import-ssd", paths["ssd"]),
                 ("sweep-json", paths["json"]), ("sweep-from-ssda903", paths["ssda903"]),
                 ("sweep-from-ssd", paths["ssd"])]
        results = []
        for step, data in steps:
            out = base / "out"
            out.mkdir(exist_ok=True)
            done = subprocess.run([sys.executable, __file__, "--step", step, "--data",
                                   str(data), "--out", str(out)], check=True,
                                  capture_output=True, text=True)
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]))
    by_step = {r["step"]: r for r in results}
    sweep_s = by_step["sweep-json"]["seconds"]
    report = {
        "children": args.children, "seed": args.seed, "as_of": AS_OF.isoformat(),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "generate_seconds": generated, "extract_bytes": sizes, "steps": results,
        "targets": {
            "peak_rss_mb_at_most": 1024,
            "import_no_slower_than_sweep_json": {
                s: by_step[f"import-{s}"]["seconds"] <= sweep_s for s in ("ssda903", "ssd")},
            "import_peak_rss_within": {
                s: by_step[f"import-{s}"]["peak_rss_mb"] <= 1024 for s in ("ssda903", "ssd")},
        },
    }
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous[str(args.children)] = report
    RESULTS.write_text(json.dumps(previous, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


def _grouping(args: argparse.Namespace) -> None:
    from engine.sources.run import write_extract
    from engine.synthetic import generate_cohort

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ssd"
        write_extract("ssd", generate_cohort(args.children, args.seed, AS_OF), folder)
        for step in ("group-hand", "group-duckdb"):
            done = subprocess.run([sys.executable, __file__, "--step", step, "--data",
                                   str(folder), "--out", tmp], capture_output=True, text=True)
            if done.returncode:
                print(f"{step}: {done.stderr.strip().splitlines()[-1]}")
                continue
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]))
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous.setdefault(str(args.children), {})["ssd_grouping"] = results
    RESULTS.write_text(json.dumps(previous, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
