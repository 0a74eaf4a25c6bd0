"""The dashboard screenshots in this folder, from a 30-night generated cohort (as
tests/batch/test_nightly.py sweeps it: the breach rate rises on 1 July).

    .venv/bin/python docs/screenshots/make_screenshots.py [--chromium /usr/bin/chromium]

Writes out/screenshots/sweeps.sqlite and dashboard.html and, with headless Chromium,
docs/screenshots/dashboard-top.png (the top of the page), and dashboard-measures.png,
dashboard-drilldown.png (the first two teams, workers and cases opened) and
dashboard-rates.png, each of a copy of the page showing only those sections.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import engine.batch.history as history  # noqa: E402
import engine.batch.sweep as sweep_mod  # noqa: E402
from engine.batch.measures import periods_ending  # noqa: E402
from engine.evaluate.compile import build_ruleset  # noqa: E402
from engine.reports.dashboard import dashboard_data, render_html  # noqa: E402
from engine.reports.findings_json import case_json  # noqa: E402
from engine.rules.profiles import load_profile  # noqa: E402
from engine.rules.rulebook import load_library  # noqa: E402
from engine.synthetic import generate_cohort  # noqa: E402

LAST, SWITCH = date(2024, 7, 15), date(2024, 7, 1)
DEMO_TARGETS = {"ENG-ASSESSMENT-45WD": 0.85, "ENG-ICPC-15WD": 0.8, "ENG-CLA-VISIT": 0.9,
                "ENG-CP-VISIT": 0.9}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def build(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    sources = {}
    for name, rate in (("good", 0.05), ("bad", 0.6)):
        path = out / f"{name}.jsonl"
        with path.open("wb") as fh:
            for rec in generate_cohort(150, 7, LAST, breach_rate=rate):
                fh.write(orjson.dumps(rec) + b"\n")
        sources[name] = path
    profile = load_profile("practice")
    ruleset = build_ruleset(profile, load_library())
    digest, described = history.ruleset_identity(ruleset, profile.params, profile.events)
    described["targets"] = DEMO_TARGETS  # as a profile's targets: would give them
    db = out / "sweeps.sqlite"
    db.unlink(missing_ok=True)
    for n in range(30):
        night = LAST - timedelta(days=29 - n)
        src = sources["good" if night < SWITCH else "bad"]
        meta = history.RunMeta(night, "practice", digest, described, f"generated/{src.name}")
        with history.record_run(db, meta) as rec:
            rec.finish(sweep_mod.sweep(src, out / "sweep", ruleset, night, sink=rec.add,
                                       serialise=case_json))
        if n == 0:
            conn = history.connect(db)
            late = next(f for f in history.run_findings(conn, history.get_run(conn))
                        if f["status"] == "overdue" and f["actionable"])
            history.add_reason(conn, late["finding_id"], "family_request",
                               "Family asked to move the visit", "QA lead")
            conn.close()
    return db


def shoot(chromium: str, html: Path, png: Path, height: int) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
                        f"--window-size=1400,{height}", f"file://{html.resolve()}"],
                       check=True, capture_output=True, timeout=300)


def only(html: str, sections: str, open_first: int = 0) -> str:
    """The page with only some sections shown (headless screenshots do not scroll reliably),
    and the drill-down's first ``open_first`` teams, each one's first worker and case, open."""
    keep = ",".join(f"section#{s}" for s in sections.split())
    style = f"<style>section,.tiles,.note,nav{{display:none}}{keep}{{display:block}}</style>"
    out = html.replace("</head>", style + "</head>", 1)
    for _ in range(open_first):
        for cls in ('details class="team"', 'details class="worker"', "details class=case"):
            out = out.replace(f"<{cls}>", f"<{cls} open>", 1).replace(
                f'<{cls} data', f'<{cls} open data', 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "screenshots")
    ap.add_argument("--reuse", action="store_true", help="Keep an existing sweeps.sqlite.")
    args = ap.parse_args()
    db = args.out / "sweeps.sqlite"
    if not (args.reuse and db.exists()):
        db = build(args.out)
    conn = history.connect(db)
    html = render_html(dashboard_data(conn, periods=periods_ending("month", LAST, 6)))
    page = args.out / "dashboard.html"
    page.write_text(html, encoding="utf-8")
    here = Path(__file__).resolve().parent
    shoot(args.chromium, page, here / "dashboard-top.png", 2200)
    for name, sections, opened, height in (("measures", "measures", 0, 2200),
                                           ("drilldown", "work", 2, 1400),
                                           ("rates", "by-rule by-team trend overdue", 0, 2200)):
        view = args.out / f"dashboard-{name}.html"
        view.write_text(only(html, sections, opened), encoding="utf-8")
        shoot(args.chromium, view, here / f"dashboard-{name}.png", height)
    print(f"wrote {page} and the screenshots in {here}")


if __name__ == "__main__":
    main()
