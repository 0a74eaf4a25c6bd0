"""Core vs durable-rules on the same generated cases, for the follow-up rules both can evaluate.

    .venv/bin/python bench/durable_vs_core.py [--cases 2000] [--seed 1]

Three timings over the same validated records: the core evaluator restricted to the rules the
durable engine supports; the durable engine in this process (engine cost only); and the durable
engine as the command line runs it, in its child process (adds pickling and a pipe round trip
per case).  It also counts findings that differ, which should be none.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.crosscheck.durable import DurableEngine, DurableRuleSet
from engine.evaluate.compile import build_ruleset
from engine.evaluate.evaluator import RuleSet
from engine.records.intake import RawRecord, validate
from engine.reports.findings_json import finding_dict
from engine.rules.profiles import load_profile
from engine.rules.rulebook import load_library
from engine.synthetic import generate_cohort


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", default="practice")
    ap.add_argument("--as-of", default="2024-06-28")
    args = ap.parse_args()
    as_of = date.fromisoformat(args.as_of)

    prof = load_profile(args.profile)
    library = load_library(vocabulary=prof.vocabulary)
    full = build_ruleset(prof, library)
    durable = DurableEngine(full, library, prof.params)
    subset = [(r, m) for r, m in full.rules if m.id in durable.specs]
    core = RuleSet(subset, full.calendar, warn=full.warn, profile=full.profile,
                   known_event_types=full.known_event_types)

    records = []
    facts = 0
    for raw in generate_cohort(args.cases, args.seed, as_of):
        intake = validate(RawRecord("bench", orjson.dumps(raw)))
        assert intake.record is not None
        records.append(intake.record)
        facts += len(intake.record.events) + len(intake.record.episodes)

    def run(evaluate) -> tuple[float, list]:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        out = [evaluate(r, as_of) for r in records]
        return time.perf_counter() - start, out

    run(core.evaluate)  # warm up (calendar, caches)
    t_core, core_out = run(core.evaluate)
    t_durable, durable_out = run(durable.evaluate)
    with DurableRuleSet(full, args.profile) as child:
        child.evaluate(records[0], as_of)  # start the child outside the timing
        t_child, child_out = run(child.evaluate)

    findings = sum(len(r.findings) for r in core_out)
    differ = 0
    for a, b, c in zip(core_out, durable_out, child_out, strict=True):
        want = [finding_dict(f) for f in a.findings]
        if want != [finding_dict(f) for f in b.findings] or \
                want != [finding_dict(f) for f in c.findings]:
            differ += 1

    n = len(records)
    print(f"{n} cases (seed {args.seed}, {facts / n:.0f} events+episodes per case on average), "
          f"{len(subset)} follow-up rules, {findings} findings, profile {args.profile}")
    print(f"  core                    {t_core:8.2f} s  {1e3 * t_core / n:7.3f} ms/case")
    print(f"  durable, in process     {t_durable:8.2f} s  {1e3 * t_durable / n:7.3f} ms/case"
          f"  ratio {t_durable / t_core:5.1f}x")
    print(f"  durable, child process  {t_child:8.2f} s  {1e3 * t_child / n:7.3f} ms/case"
          f"  ratio {t_child / t_core:5.1f}x")
    print(f"  cases whose findings differ: {differ}")
    if differ:
        sys.exit(1)


if __name__ == "__main__":
    main()
