"""Benchmark the sweep against its targets, on a generated cohort.

    .venv/bin/python bench/sweep.py [--cases 100000] [--workers 2] [--seed 1]

Why these measurements: a sweep should cost little more than reading its input (target: at
most 3x the time to parse every line with orjson), a single ``casecheck check`` must feel
instant from a cold start (at most 0.5 s wall), and memory must stay flat however many cases
stream through (peak RSS at most 300 MB at 100k cases).  All three are measured in one run on
one machine, so the ratio is meaningful even where absolute times are not.

Each sweep runs in its own subprocess so that its peak RSS is its own (``ru_maxrss`` of the
sweep process, and of its largest worker, read with ``getrusage``).  The cohort is written to
``bench/data/cohort-N.jsonl`` and reused while the case count, seed, as-of date and generator
source are unchanged.  Results go to ``bench/results.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results.json"
CASECHECK = Path(sys.executable).parent / "casecheck"  # the CLI beside this interpreter
GENERATOR = ROOT / "engine" / "synthetic"
AS_OF = date(2025, 6, 30)
PROFILE = "england"

TARGET_RATIO = 3.0  # sweep time / parse-only time
TARGET_CHECK_S = 0.5  # single cold `casecheck check`, wall seconds
TARGET_RSS_MB = 300.0  # peak resident memory of a sweep of 100k cases
TARGET_CASES = 100_000


def _shown(path: Path) -> str:
    """Paths in the results are relative to the project when they can be (portable results)."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _mb(kilobytes: int) -> float:
    """``ru_maxrss`` is in kilobytes on Linux (bytes on macOS)."""
    return kilobytes / (1024 * 1024 if sys.platform == "darwin" else 1024)


# -- the cohort ------------------------------------------------------------------------------


def ensure_cohort(cases: int, seed: int, as_of: date, data_dir: Path = DATA) -> dict[str, Any]:
    """Write the cohort unless an identical one is already there; say which and how long."""
    from engine.synthetic import generate_cohort

    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"cohort-{cases}.jsonl"
    meta_path = path.with_suffix(".meta.json")
    want = {"cases": cases, "seed": seed, "as_of": as_of.isoformat(),
            "generator_sha256": hashlib.sha256(
                b"".join(p.read_bytes() for p in sorted(GENERATOR.glob("*.py")))).hexdigest()}
    if path.exists() and meta_path.exists():
        have = json.loads(meta_path.read_text())
        if {k: have.get(k) for k in want} == want:
            return {**have, "path": _shown(path), "reused": True, "generate_seconds": None}
    started = time.perf_counter()
    events = 0
    tmp = path.with_suffix(".jsonl.partial")
    with tmp.open("wb") as fh:
        for record in generate_cohort(cases, seed, as_of):
            events += len(record["events"])
            fh.write(orjson.dumps(record))
            fh.write(b"\n")
    tmp.replace(path)
    seconds = time.perf_counter() - started
    meta = {**want, "events": events, "bytes": path.stat().st_size}
    meta_path.write_text(json.dumps(meta, indent=2))
    return {**meta, "path": _shown(path), "reused": False,
            "generate_seconds": round(seconds, 3)}


def pick_check_case(cohort: Path, data_dir: Path = DATA, scan: int = 500) -> Path:
    """A single case for ``casecheck check``: the busiest of the first ``scan`` cases (the
    slowest realistic case, so the figure is not flattered)."""
    best: bytes = b""
    best_events = -1
    with cohort.open("rb") as fh:
        for i, line in enumerate(fh):
            if i >= scan:
                break
            n = len(orjson.loads(line)["events"])
            if n > best_events:
                best, best_events = line.strip(), n
    path = data_dir / "check-case.json"
    path.write_bytes(best)
    return path


# -- measurements ----------------------------------------------------------------------------


def time_parse(path: Path, repeats: int = 3) -> dict[str, Any]:
    """Parse-only baseline: read the file a line at a time and ``orjson.loads`` each line."""
    runs: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        n = 0
        with path.open("rb") as fh:
            for line in fh:
                if line.strip():
                    orjson.loads(line)
                    n += 1
        runs.append(time.perf_counter() - started)
    return {"records": n, "seconds": round(statistics.median(runs), 3),
            "runs": [round(r, 3) for r in runs]}


def _sweep_in_this_process(path: Path, workers: int, as_of: date) -> dict[str, Any]:
    """Run one sweep here and report its time and this process's (and workers') peak RSS."""
    from engine.batch.sweep import sweep
    from engine.evaluate.compile import build_ruleset
    from engine.reports.findings_json import case_json
    from engine.rules.profiles import load_profile

    started = time.perf_counter()
    ruleset = build_ruleset(load_profile(PROFILE))
    setup = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="casecheck-bench-") as out:
        started = time.perf_counter()
        summary = sweep(path, Path(out), ruleset, as_of, workers, serialise=case_json)
        seconds = time.perf_counter() - started
        findings_bytes = (Path(out) / "findings.jsonl").stat().st_size
    return {
        "workers": workers,
        "seconds": round(seconds, 3),
        "setup_seconds": round(setup, 3),
        "records": summary["records"],
        "statuses": {k: v for k, v in summary["statuses"].items() if k != "compliance_rate"},
        "compliance_rate": summary["statuses"].get("compliance_rate"),
        "findings_bytes": findings_bytes,
        "rss_mb": round(_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss), 1),
        "worker_rss_mb": (round(_mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss), 1)
                          if workers > 1 else None),
    }


def time_sweep(path: Path, workers: int, as_of: date) -> dict[str, Any]:
    """One sweep in a fresh subprocess, so its peak memory is measured on its own."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--run-sweep", str(path),
         "--workers", str(workers), "--as-of", as_of.isoformat()],
        capture_output=True, check=False, cwd=ROOT)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"sweep subprocess failed:\n{proc.stderr.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    result["process_wall_seconds"] = round(wall, 3)
    result["peak_rss_mb"] = max(result["rss_mb"], result["worker_rss_mb"] or 0.0)
    return result


def time_check(case: Path, as_of: date, repeats: int = 5) -> dict[str, Any]:
    """Wall time of ``casecheck check CASE`` from a cold start of the interpreter (one untimed
    run first, so the OS file cache is warm as it would be on a working machine)."""
    command = [str(CASECHECK), "check", str(case), "--as-of", as_of.isoformat()]
    subprocess.run(command, capture_output=True, check=False, cwd=ROOT)
    runs: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, check=False, cwd=ROOT)
        runs.append(time.perf_counter() - started)
        if proc.returncode != 0:
            raise RuntimeError(f"casecheck check failed:\n{proc.stderr.decode()[-2000:]}")
    return {"case": _shown(case), "events": len(orjson.loads(case.read_bytes())["events"]),
            "seconds": round(statistics.median(runs), 3), "runs": [round(r, 3) for r in runs]}


# -- report ----------------------------------------------------------------------------------


def build_results(cohort: dict[str, Any], parse: dict[str, Any], sweeps: list[dict[str, Any]],
                  check: dict[str, Any]) -> dict[str, Any]:
    """Everything measured, with each target and whether it was met."""
    ratios = {str(s["workers"]): round(s["seconds"] / parse["seconds"], 2) if parse["seconds"]
              else None for s in sweeps}
    best = min(sweeps, key=lambda s: s["seconds"])
    peak = max(s["peak_rss_mb"] for s in sweeps)
    ratio = ratios[str(best["workers"])]
    targets = [
        {"name": "sweep / parse-only time", "target": f"<= {TARGET_RATIO:g}x",
         "measured": ratio, "unit": "x", "workers": best["workers"],
         "met": ratio is not None and ratio <= TARGET_RATIO},
        {"name": "single check, cold start", "target": f"<= {TARGET_CHECK_S:g} s",
         "measured": check["seconds"], "unit": "s",
         "met": check["seconds"] is not None and check["seconds"] <= TARGET_CHECK_S},
        {"name": "sweep peak RSS", "target": f"<= {TARGET_RSS_MB:g} MB at {TARGET_CASES:,} cases",
         "measured": peak, "unit": "MB", "met": peak <= TARGET_RSS_MB,
         "at_target_scale": cohort["cases"] >= TARGET_CASES},
    ]
    return {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                    # without cached bytecode every cold start compiles the engine again
                    "bytecode_cache": not os.environ.get("PYTHONDONTWRITEBYTECODE")},
        "profile": PROFILE,
        "cohort": {k: v for k, v in cohort.items() if k != "generator_sha256"},
        "parse_only": parse,
        "sweeps": sweeps,
        "ratios": ratios,
        "check": check,
        "targets": targets,
    }


def render_table(results: dict[str, Any]) -> str:
    cohort = results["cohort"]
    machine = results["machine"]
    load = machine.get("load_average", {}).get("before")
    lines = [f"casecheck sweep benchmark: {cohort['cases']:,} cases, "
             f"{cohort['events']:,} events, {cohort['bytes'] / 1e6:,.0f} MB, profile "
             f"{results['profile']}, {machine['cpus']} CPUs"
             + (f", load average {load[0]:g} at start" if load else ""),
             "",
             f"  parse-only (orjson)   {results['parse_only']['seconds']:8.2f} s"]
    for s in results["sweeps"]:
        rate = s["records"]["read"] / s["seconds"] if s["seconds"] else 0.0
        lines.append(f"  sweep, {s['workers']} worker{'s' if s['workers'] > 1 else ' '}      "
                     f"{s['seconds']:8.2f} s  ({rate:,.0f} cases/s, "
                     f"{results['ratios'][str(s['workers'])]}x parse, "
                     f"peak RSS {s['peak_rss_mb']:.0f} MB)")
    check = results["check"]
    if check["seconds"] is None:
        lines.append(f"  casecheck check       failed: {check.get('error')}")
    else:
        lines.append(f"  casecheck check       {check['seconds']:8.3f} s  "
                     f"(median of {len(check['runs'])}, cold start)")
    lines += ["", f"  {'target':<28}{'goal':<26}{'measured':>10}  ok"]
    for t in results["targets"]:
        measured = "n/a" if t["measured"] is None else f"{t['measured']:g} {t['unit']}"
        scale = "" if t.get("at_target_scale", True) else "  (below target scale)"
        lines.append(f"  {t['name']:<28}{t['target']:<26}{measured:>10}  "
                     f"{'yes' if t['met'] else 'NO'}{scale}")
    return "\n".join(lines)


def _load() -> list[float]:
    """1, 5 and 15 minute load averages: other work on the machine skews every timing."""
    return [round(x, 2) for x in os.getloadavg()]


def run(cases: int, workers: int, seed: int, as_of: date, data_dir: Path, results_path: Path,
        repeats: int = 5, parse_repeats: int = 3, echo: bool = True) -> dict[str, Any]:
    """The whole benchmark; returns (and writes) the results."""
    def say(text: str) -> None:
        if echo:
            print(text, file=sys.stderr, flush=True)

    load_before = _load()

    say(f"cohort: {cases:,} cases (seed {seed}, as of {as_of.isoformat()}) ...")
    cohort = ensure_cohort(cases, seed, as_of, data_dir)
    path = data_dir / f"cohort-{cases}.jsonl"
    say("  reused " + str(path) if cohort["reused"]
        else f"  generated in {cohort['generate_seconds']} s -> {path}")
    # the single check first: after a sweep the disk is still busy writing its findings
    say("casecheck check ...")
    try:
        check = time_check(pick_check_case(path, data_dir), as_of, repeats)
    except RuntimeError as exc:  # keep the sweep figures; the table shows the failure
        say(str(exc))
        check = {"error": str(exc).splitlines()[-1], "seconds": None, "runs": []}
    say("parse-only ...")
    parse = time_parse(path, parse_repeats)
    sweeps = []
    for w in sorted({1, workers}):
        say(f"sweep, {w} worker(s) ...")
        sweeps.append(time_sweep(path, w, as_of))
    results = build_results(cohort, parse, sweeps, check)
    results["machine"]["load_average"] = {"before": load_before, "after": _load()}
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=2) + "\n")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=TARGET_CASES)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF)
    parser.add_argument("--repeats", type=int, default=5, help="casecheck check runs (median)")
    parser.add_argument("--data-dir", type=Path, default=DATA)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--run-sweep", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cases < 1 or args.workers < 1 or args.repeats < 1:
        parser.error("--cases, --workers and --repeats must be at least 1")
    if args.run_sweep is not None:  # the child side of time_sweep
        print(json.dumps(_sweep_in_this_process(args.run_sweep, args.workers, args.as_of)))
        return 0
    if not CASECHECK.exists():
        parser.error(f"{CASECHECK} not found: run with the project's virtualenv python")
    results = run(args.cases, args.workers, args.seed, args.as_of, args.data_dir, args.results,
                  args.repeats)
    print(render_table(results))
    print(f"\nwrote {args.results}")
    return 1 if results["check"]["seconds"] is None else 0


if __name__ == "__main__":
    sys.exit(main())
