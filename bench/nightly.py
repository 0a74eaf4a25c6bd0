"""Issue 14 in one run: a full sweep against the parse floor, an incremental second night, and
memory at two sizes.  ``make bench`` (figures to bench/results.json and the README).

    .venv/bin/python bench/nightly.py [--cases 20000] [--big 100000] [--small 10000]

1. Full sweep, profile ``practice``, ``--cases`` generated cases, 1 and 2 workers: time over the
   parse-only time (orjson, a line at a time).  Targets: <= 12x at 1 worker; 2 workers >= 1.8x
   faster than 1.
2. Incremental: a first night (``--incremental``, as-of A), then 2% of records changed and the
   as-of one day later: the second night's time over the parse-only time.  Target: <= 0.5x.
3. Peak RSS of a 1-worker sweep of ``--small`` and of ``--big`` cases.  Target: big <= small +
   50 MB.

Each sweep runs in its own process (peak RSS is its own: ``ru_maxrss``), one at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.sweep import ensure_cohort, time_parse  # noqa: E402

DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results.json"
AS_OF = date(2025, 6, 30)
PROFILE = "practice"


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model or platform.processor(),
            "python": platform.python_version(), "platform": platform.platform(),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def _vm_hwm_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(path: Path, out: Path, workers: int, as_of: date, incremental: bool,
           db: Path | None = None) -> None:
    """The subprocess side: one sweep as ``casecheck sweep`` runs it (``engine.app.runs``),
    then its time and peak RSS as JSON on stdout."""
    from engine.app.runs import sweep
    from engine.evaluate.compile import build_ruleset
    from engine.rules.profiles import load_profile

    ruleset = build_ruleset(load_profile(PROFILE))
    started = time.perf_counter()
    summary, _ = sweep(path, out, ruleset, as_of, workers, PROFILE, db=db,
                       incremental=incremental)
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: a process started by fork and exec reports its parent's ru_maxrss
    # at the fork (the bench process, after generating a cohort, is large)
    kb = max(_vm_hwm_kb(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"seconds": round(seconds, 3), "peak_rss_mb": round(kb / 1024, 1),
                      "records": summary["records"]["read"],
                      "incremental": summary.get("incremental"),
                      "findings_bytes": (out / "findings.jsonl").stat().st_size}))


def run_sweep(path: Path, out: Path, workers: int, as_of: date,
              incremental: bool = False, db: Path | None = None) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--child", str(path), str(out),
                           str(workers), as_of.isoformat(), "1" if incremental else "0",
                           str(db) if db is not None else "-"],
                          capture_output=True, check=False, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode()[-2000:])
    result: dict[str, Any] = json.loads(proc.stdout.decode().splitlines()[-1])
    return result


def changed_copy(src: Path, dst: Path, share: float, seed: int = 7) -> int:
    """``src`` with ``share`` of its records edited (an event's date moved a day earlier)."""
    rng = random.Random(seed)
    n = 0
    with src.open("rb") as fh, dst.open("wb") as out:
        for line in fh:
            if rng.random() < share:
                rec = orjson.loads(line)
                if rec.get("events"):
                    ev = rec["events"][-1]
                    day = date.fromisoformat(ev["date"][:10]) - timedelta(days=1)
                    ev["date"] = day.isoformat() + ev["date"][10:]
                    line = orjson.dumps(rec) + b"\n"
                    n += 1
            out.write(line)
    return n


def time_write(findings: Path, scratch: Path) -> float:
    """Seconds to write ``findings`` (already in memory) to a new file and fsync it, as a sweep
    must: the least any night can cost, whatever it evaluates."""
    data = findings.read_bytes()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        with scratch.open("wb") as out:
            for at in range(0, len(data), 1 << 20):
                out.write(data[at:at + (1 << 20)])
            out.flush()
            os.fsync(out.fileno())
        best = min(best, time.perf_counter() - started)
        scratch.unlink()
    return round(best, 3)


def time_hash(path: Path) -> float:
    """Seconds to read the input and hash every line (sha1), as an incremental night does
    before it knows what changed."""
    import hashlib

    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        with path.open("rb") as fh:
            for line in fh:
                hashlib.sha1(line, usedforsecurity=False).digest()
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--changed", type=float, default=0.02)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--data", type=Path, default=DATA, help="where cohorts are kept")
    parser.add_argument("--child", nargs=6, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        path, out, workers, as_of, inc, db = args.child
        _child(Path(path), Path(out), int(workers), date.fromisoformat(as_of), inc == "1",
               None if db == "-" else Path(db))
        return 0

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    results: dict[str, Any] = {"issue": 14, "profile": PROFILE, "machine": machine(),
                               "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    tmp = Path(tempfile.mkdtemp(prefix="casecheck-bench-"))
    try:
        cohort = ensure_cohort(args.cases, 1, AS_OF, args.data)
        path = args.data / f"cohort-{args.cases}.jsonl"
        say(f"parse-only, {args.cases:,} cases ...")
        parse = time_parse(path)
        full = {}
        for workers in (1, 2):
            say(f"full sweep, {workers} worker(s) ...")
            full[str(workers)] = run_sweep(path, tmp / f"full-{workers}", workers, AS_OF)
        write_floor = time_write(tmp / "full-1" / "findings.jsonl", tmp / "floor.jsonl")
        results["full"] = {
            "cases": args.cases, "bytes": cohort.get("bytes"), "parse_seconds": parse["seconds"],
            "sweeps": full,
            "ratio_1_worker": round(full["1"]["seconds"] / parse["seconds"], 2),
            "ratio_2_workers": round(full["2"]["seconds"] / parse["seconds"], 2),
            "speedup_2_workers": round(full["1"]["seconds"] / full["2"]["seconds"], 2),
            # what no sweep can go below under the findings contract: writing its output
            "write_findings_seconds": write_floor,
            "write_floor_ratio": round(write_floor / parse["seconds"], 2),
        }
        say("incremental: first night ...")
        inc_out = tmp / "inc"
        first = run_sweep(path, inc_out, 1, AS_OF, incremental=True)
        night2 = tmp / "night2.jsonl"
        changed = changed_copy(path, night2, args.changed)
        parse2 = time_parse(night2)
        say(f"incremental: second night ({changed} records changed, as-of + 1) ...")
        second = run_sweep(night2, inc_out, 1, AS_OF + timedelta(days=1), incremental=True)
        check = run_sweep(night2, tmp / "check", 1, AS_OF + timedelta(days=1))
        same = ((inc_out / "findings.jsonl").read_bytes()
                == (tmp / "check" / "findings.jsonl").read_bytes())
        say("incremental with a history database (--db): first and second night ...")
        db = tmp / "history.sqlite"
        run_sweep(path, tmp / "inc-db", 1, AS_OF, incremental=True, db=db)
        with_db = run_sweep(night2, tmp / "inc-db", 1, AS_OF + timedelta(days=1),
                            incremental=True, db=db)
        hashing = time_hash(night2)
        evaluated = (second.get("incremental") or {}).get("evaluated", 0)
        per_case = full["1"]["seconds"] / args.cases
        # the least the second night can cost: hash the input, evaluate what must be evaluated
        # (at the full sweep's cost per case), write the whole findings.jsonl
        floor = hashing + evaluated * per_case + write_floor
        results["incremental"] = {
            "cases": args.cases, "changed": changed, "first_night": first,
            "hash_seconds": hashing, "evaluate_share_seconds": round(evaluated * per_case, 3),
            "write_findings_seconds": write_floor, "floor_seconds": round(floor, 3),
            "floor_ratio": round(floor / parse2["seconds"], 2),
            "second_night": second, "full_sweep_same_night": check,
            "parse_seconds": parse2["seconds"],
            "ratio_second_night": round(second["seconds"] / parse2["seconds"], 2),
            "identical_to_full_sweep": same,
            # the QA lead's nightly command: the same night, also recorded in a history database
            "second_night_with_history": with_db,
            "ratio_second_night_with_history": round(with_db["seconds"] / parse2["seconds"], 2),
        }
        shutil.rmtree(tmp / "full-1", ignore_errors=True)
        shutil.rmtree(tmp / "full-2", ignore_errors=True)
        memory = {}
        for n in (args.small, args.big):
            ensure_cohort(n, 1, AS_OF, args.data)
            say(f"memory: sweep of {n:,} cases ...")
            memory[str(n)] = run_sweep(args.data / f"cohort-{n}.jsonl", tmp / f"mem-{n}", 1, AS_OF)
            shutil.rmtree(tmp / f"mem-{n}", ignore_errors=True)
        results["memory"] = {
            "sweeps": memory,
            "growth_mb": round(memory[str(args.big)]["peak_rss_mb"]
                               - memory[str(args.small)]["peak_rss_mb"], 1),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    f, i, m = results["full"], results["incremental"], results["memory"]
    results["targets"] = [
        {"name": "full sweep / parse, 1 worker", "target": "<= 12x",
         "measured": f["ratio_1_worker"], "met": f["ratio_1_worker"] <= 12},
        {"name": "2 workers speed-up over 1", "target": ">= 1.8x",
         "measured": f["speedup_2_workers"], "met": f["speedup_2_workers"] >= 1.8},
        {"name": "incremental second night / parse", "target": "<= 0.5x",
         "measured": i["ratio_second_night"], "met": i["ratio_second_night"] <= 0.5},
        {"name": f"peak RSS {args.big:,} - {args.small:,} cases", "target": "<= 50 MB",
         "measured": m["growth_mb"], "met": m["growth_mb"] <= 50},
    ]
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    for t in results["targets"]:
        print(f"{t['name']:<36} {t['target']:>8} {t['measured']:>8}  "
              f"{'yes' if t['met'] else 'NO'}")
    print(f"floors: writing findings.jsonl alone is {f['write_floor_ratio']}x the parse time; "
          f"the incremental night cannot go below {i['floor_ratio']}x")
    print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
