"""casecheck: check children's social care case records against timescales and standards.

The command line only: it reads options, calls the engine and prints.  Errors are one line on
stderr and a non-zero exit, never a traceback.  Exit codes: 0 every record evaluated, 1 some
records rejected, 2 a usage or environment error, 3 an internal error.
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import date
from pathlib import Path

import click
import orjson

from engine.app.errors import CommandError
from engine.rules.rulebook import load_library


class AsOf(click.ParamType):
    name = "date"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value)
        try:  # exactly YYYY-MM-DD: Python would also take 20240105 and 2024-W01-1
            if len(text) == 10 and text[4] == text[7] == "-":
                return date.fromisoformat(text)
        except ValueError:
            pass
        self.fail("expected a date YYYY-MM-DD", param, ctx)


AS_OF = click.option("--as-of", "as_of", type=AsOf(), default=None,
                     help="Evaluate as the case stood on this date (default: today).")
PROFILE = click.option("--profile", default="england", show_default=True,
                       help="Built-in profile name or path to a profile YAML file.")
ENGINE = click.option("--engine", "engine_name", type=click.Choice(["core", "durable"]),
                      default="core",
                      show_default=True, help="durable: the durable-rules cross-check engine "
                      "(follow-up rules only; others are listed as errors). Needs .[durable].")


def _die(message: str, code: int = 2) -> None:
    click.echo(f"casecheck: {message}", err=True)
    sys.exit(code)


def _run(call, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Call the application layer; its ``CommandError`` becomes one line and an exit code."""
    try:
        return call(*args, **kwargs)
    except CommandError as exc:
        _die(exc.message, exc.code)


class _Guarded(click.Group):
    """Any unexpected exception is one line and exit 3, never a traceback (which could quote
    a record)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            click.echo(f"casecheck: internal error ({type(exc).__name__}); please report it",
                       err=True)
            sys.exit(3)


@click.group(cls=_Guarded)
@click.version_option(package_name="casecheck")
def main() -> None:
    """Check case records against statutory timescales and practice standards."""


@main.command()
@click.argument("case", type=click.Path(path_type=Path))
@AS_OF
@PROFILE
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True)
@click.option("--warn", type=click.IntRange(0, 60), default=None,
              help="Warning window in working days for 'due soon' (default: the profile's).")
@click.option("--all", "show_all", is_flag=True,
              help="Text format: also list what is due later, done late, historic and met.")
@click.option("--hide-met", is_flag=True, hidden=True,
              help="Kept for old scripts: the default view already leaves out what was met.")
@ENGINE
def check(case: Path, as_of: date | None, profile: str, fmt: str, warn: int | None,
          show_all: bool, hide_met: bool, engine_name: str = "core") -> None:
    """Check one case: what to do now, due soon and in the next 6 weeks, then a count of the
    rest (--all lists it). Wraps to the terminal width; NO_COLOR turns colour off."""
    from engine.app.casework import manager_view, rejection

    style = None if os.environ.get("NO_COLOR") else click.style
    width = shutil.get_terminal_size((100, 50)).columns
    raw, result, text = _run(manager_view, case, profile, as_of or date.today(), warn,
                             engine_name, fmt, width=width, style=style,
                             show_all=show_all and not hide_met)
    # colour only on a terminal: click.echo strips the styles when piped
    click.echo(text, nl=False)
    if not result.evaluated:
        _run(_raise, rejection(raw, result))
    if any(p.internal for p in result.errors):
        _die("internal error while evaluating this case (see errors); please report it", 3)


def _raise(exc: Exception) -> None:
    raise exc


@main.command()
@click.argument("case", type=click.Path(path_type=Path))
@AS_OF
@PROFILE
@click.option("--format", "fmt", type=click.Choice(["html", "markdown", "docx"]),
              default="html", show_default=True,
              help="docx: a Word document with form fields (content controls); needs --out.")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the report to this file (default: standard output).")
def report(case: Path, as_of: date | None, profile: str, fmt: str, out: Path | None) -> None:
    """The auditor's pre-filled compliance section for one case, standard by standard."""
    from engine.app.casework import audit_section

    if fmt == "docx" and out is None:
        _die("--format docx writes a file: give --out FILE.docx")
    text = _run(audit_section, case, profile, as_of or date.today(), fmt)
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        if isinstance(text, bytes):
            out.write_bytes(text)
        else:
            out.write_text(text, encoding="utf-8")
    except OSError as exc:
        _die(f"{out}: cannot write ({exc.strerror})")
    click.echo(f"wrote {out}", err=True)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Folder for findings.jsonl and summary.json.")
@AS_OF
@PROFILE
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--warn", type=click.IntRange(0, 60), default=None)
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also record this run in a sweep history database (SQLite, created if "
                   "missing); see docs/history.md.")
@ENGINE
@click.option("--from", "from_source", type=click.Choice(["ssd", "ssda903", "cin"]),
              default=None, help="INPUT is an extract of this kind: sweep it as it is "
              "imported (import-report.json is written beside the findings).")
@click.option("--incremental", is_flag=True, default=False,
              help="Evaluate only records changed since the last sweep into --out (same "
                   "profile and rules), or whose findings may have changed with the date; "
                   "carry the rest over. The results are the same as a full sweep's.")
def sweep(input_path: Path, out_dir: Path, as_of: date | None, profile: str, workers: int,
          warn: int | None, db: Path | None = None, engine_name: str = "core",
          from_source: str | None = None, incremental: bool = False) -> None:
    """Check every record in a folder of *.json files or a .jsonl file (or an extract)."""
    from engine.app.casework import load_ruleset
    from engine.app.runs import sweep as run_sweep

    ruleset = _run(load_ruleset, profile, warn, engine_name)
    if engine_name == "durable" and workers > 1:
        click.echo("casecheck: --engine durable evaluates in one child process; ignoring "
                   "--workers", err=True)
        workers = 1
    if from_source is not None:
        from engine.app.extracts import sweep_source

        if db is not None:
            _die("--db records sweeps of case records; import the extract first")
        if incremental:
            _die("--incremental sweeps case records; import the extract first")
        summary, report = _run(sweep_source, from_source, input_path, out_dir, ruleset,
                               as_of or date.today(), workers)
        click.echo(report.summary(), err=True)
        db_note = None
    else:
        if incremental and engine_name != "core":
            _die("--incremental works with the core engine only")
        summary, db_note = _run(run_sweep, input_path, out_dir, ruleset,
                                as_of or date.today(), workers, profile, db, engine_name,
                                incremental)
    if sys.stderr.isatty():
        click.echo("", err=True)
    rec = summary["records"]
    click.echo(f"read {rec['read']}, evaluated {rec['evaluated']}, rejected {rec['rejected']}"
               f" -> {out_dir / 'findings.jsonl'}, {out_dir / 'summary.json'}")
    st = summary["statuses"]
    parts = [f"{k} {st[k]}" for k in ("met", "late", "overdue", "due_soon", "pending",
                                       "not_met", "insufficient_data") if st.get(k)]
    click.echo("findings: " + (", ".join(parts) or "none"))
    if summary.get("not_assessable"):
        click.echo(f"not assessable from this source: {len(summary['not_assessable'])} rules "
                   "(see not_assessable in summary.json)")
    if summary.get("short_breaks", {}).get("cases"):
        click.echo(f"short-break care left out: {summary['short_breaks']['cases']} cases")
    if summary.get("incremental"):
        inc = summary["incremental"]
        click.echo(f"incremental: {inc['carried']} carried over, {inc['evaluated']} evaluated")
    if db_note:
        click.echo(db_note)
    skipped = summary["files"]["skipped"]
    if skipped:
        click.echo(f"skipped {len(skipped)} folder entr{'y' if len(skipped) == 1 else 'ies'} "
                   f"(see 'files' in {out_dir / 'summary.json'})")
    from engine.app.runs import exit_code

    code = exit_code(summary)
    if code == 3:
        click.echo(f"casecheck: {summary['records']['internal_errors']} record(s) hit an "
                   "internal error (kind 'internal' in findings.jsonl); please report it",
                   err=True)
    sys.exit(code)


DB = click.option("--db", type=click.Path(path_type=Path, dir_okay=False), required=True,
                  help="Sweep history database written by 'sweep --db'.")


@main.group(invoke_without_command=True)
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Sweep history database written by 'sweep --db'.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--profile", "profile", default=None, help="Only runs of this profile (name).")
@click.pass_context
def history(ctx: click.Context, db: Path | None, fmt: str, profile: str | None) -> None:
    """List the recorded sweep runs, oldest first (or: history prune)."""
    if ctx.invoked_subcommand is not None:
        return
    if db is None:
        _die("Missing option '--db'.")
    from engine.app.runs import open_history
    from engine.batch.history import list_runs
    from engine.reports.history import runs_json, runs_text

    conn = _run(open_history, db)
    runs = list_runs(conn, profile)
    click.echo(runs_json(runs) if fmt == "json" else runs_text(runs))


@history.command("prune")
@DB
@click.option("--keep", required=True, metavar="DAYSd",
              help="Keep the runs of the last N days of each profile, e.g. 400d.")
def history_prune(db: Path, keep: str) -> None:
    """Forget old runs (keeping every finding's state from then on) and VACUUM the file."""
    from engine.app.runs import prune

    click.echo(_run(prune, db, keep))


@main.command()
@DB
@click.option("--run", "run_id", type=int, default=None,
              help="The run to look at (default: the latest).")
@click.option("--against", "against_id", type=int, default=None,
              help="The earlier run (default: the one before --run with the same profile).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text",
              show_default=True)
def diff(db: Path, run_id: int | None, against_id: int | None, fmt: str) -> None:
    """Breaches new, resolved and still open between two runs (see docs/history.md)."""
    from engine.app.runs import diff as diff_runs
    from engine.reports.history import diff_csv, diff_json, diff_text

    result = _run(diff_runs, db, run_id, against_id)
    text = {"json": diff_json, "csv": diff_csv}.get(fmt, diff_text)(result)
    click.echo(text, nl=not text.endswith("\n"))


@main.command()
@DB
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="The HTML file to write, or with --format csv a folder for the CSV files.")
@click.option("--format", "fmt", type=click.Choice(["html", "csv"]), default="html",
              show_default=True)
@click.option("--run", "run_id", type=int, default=None,
              help="The run to show (default: the latest).")
@click.option("--runs", "runs", type=click.IntRange(1, 1000), default=30, show_default=True,
              help="How many runs of the profile the trend covers, ending with --run.")
@click.option("--period", type=click.Choice(["month", "quarter", "year"]), default="month",
              show_default=True, help="Reporting period of the period measures.")
@click.option("--periods", type=click.IntRange(2, 60), default=6, show_default=True,
              help="How many periods the measures' trend covers.")
@click.option("--from", "start", type=AsOf(), default=None,
              help="A reporting period's first day.")
@click.option("--to", "end", type=AsOf(), default=None, help="A reporting period's last day.")
def dashboard(db: Path, out: Path, fmt: str, run_id: int | None, runs: int, period: str,
              periods: int, start: date | None, end: date | None) -> None:
    """A self-contained HTML compliance dashboard (or its tables as CSV files)."""
    from engine.app.runs import dashboard as write_dashboard

    click.echo(_run(write_dashboard, db, out, fmt, run_id, runs, period, periods, start, end))


@main.command()
@DB
@click.option("--xlsx", "out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The workbook to write (.xlsx): a sheet per view of the dashboard.")
@click.option("--run", "run_id", type=int, default=None,
              help="The run to export (default: the latest).")
@click.option("--period", type=click.Choice(["month", "quarter", "year"]), default="month",
              show_default=True, help="Reporting period of the period measures.")
@click.option("--periods", type=click.IntRange(2, 60), default=6, show_default=True,
              help="How many periods the measures cover.")
@click.option("--from", "start", type=AsOf(), default=None,
              help="A reporting period's first day.")
@click.option("--to", "end", type=AsOf(), default=None, help="A reporting period's last day.")
def export(db: Path, out: Path, run_id: int | None, period: str, periods: int,
           start: date | None, end: date | None) -> None:
    """The nightly results as a spreadsheet workbook (see docs/history.md)."""
    from engine.app.runs import export as write_workbook

    click.echo(_run(write_workbook, db, out, run_id, period, periods, start, end))


@main.group()
def reason() -> None:
    """Recorded reasons for late or missed acts, kept in the history database."""


@reason.command("add")
@click.argument("finding_id")
@DB
@click.option("--code", required=True, help="A reason code of the profile (reason_codes).")
@click.option("--note", required=True, help="Free text; stored, never printed back.")
@click.option("--by", "by", required=True, help="Who records it.")
def reason_add(finding_id: str, db: Path, code: str, note: str, by: str) -> None:
    """Record why a finding is late or missed; it stays with the finding across runs."""
    from engine.app.runs import add_reason

    click.echo(_run(add_reason, db, finding_id, code, note, by))


@reason.command("remove")
@click.argument("finding_id")
@DB
@click.option("--note", default="", help="Why it no longer stands (free text).")
@click.option("--by", "by", required=True, help="Who records the removal.")
def reason_remove(finding_id: str, db: Path, note: str, by: str) -> None:
    """Record that a finding's reason no longer stands (the history is never deleted)."""
    from engine.app.runs import remove_reason

    click.echo(_run(remove_reason, db, finding_id, note, by))


@main.group()
def rules() -> None:
    """List, lint, test and explain the rules."""


def _library():  # type: ignore[no-untyped-def]
    library = load_library()
    return library


@rules.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--profile", default=None, help="Only the rules this profile applies.")
def rules_list(fmt: str, profile: str | None) -> None:
    """Every rule: id, title, kind, pack and source."""
    from engine.app.ruletools import rule_rows

    library = _library()
    rows = _run(rule_rows, library, profile)
    if fmt == "json":
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    for row in rows:
        click.echo(f"{row['id']:<34} {row['pack']:<9} {row['kind']:<10} {row['title']}")
        click.echo(f"{'':<34} source: {row['source']}")
    for err in library.errors:
        click.echo(f"ERROR {err}", err=True)


@rules.command("lint")
def rules_lint() -> None:
    """Validate every rule file and profile; check each rule's tests cover its statuses."""
    from engine.app.ruletools import lint

    library = _library()
    problems, tally = lint(library)
    for p in problems:
        click.echo(p, err=True)
    if problems:
        _die(f"{len(problems)} problem(s) in rule files or profiles", 1)
    click.echo(tally)


@rules.command("test")
@click.argument("rule_ids", nargs=-1)
@click.option("-v", "--verbose", is_flag=True, help="List every case, not only failures.")
def rules_test(rule_ids: tuple[str, ...], verbose: bool) -> None:
    """Run the test cases written beside each rule."""
    from engine.authoring.ruletests import run_rule_tests

    library = _library()
    if library.errors:
        for err in library.errors:
            click.echo(err, err=True)
        _die("rule files have errors", 1)
    unknown = [r for r in rule_ids if r not in library.rules]
    if unknown:
        _die(f"unknown rule(s): {', '.join(unknown)}")
    outcomes = run_rule_tests(library, list(rule_ids) or None)
    failed = [o for o in outcomes if not o.passed]
    for o in outcomes:
        if verbose or not o.passed:
            mark = "ok  " if o.passed else "FAIL"
            click.echo(f"{mark} {o.rule} {o.name}" + ("" if o.passed else f"\n     {o.where}: "
                                                        f"{o.detail}"))
    rules_n = len({o.rule for o in outcomes})
    click.echo(f"rules: {len(outcomes) - len(failed)} passed, {len(failed)} failed "
               f"({rules_n} rules)")
    if failed:
        sys.exit(1)


@rules.command("explain")
@click.argument("rule_id")
@click.option("--case", "case", type=click.Path(path_type=Path), default=None,
              help="Show the exact date ranges checked in this case.")
@AS_OF
@PROFILE
def rules_explain(rule_id: str, case: Path | None, as_of: date | None, profile: str) -> None:
    """A rule in plain English, with the exact date range it checks."""
    from engine.app.ruletools import explain

    click.echo(_run(explain, _library(), rule_id, profile, case, as_of or date.today()))


@rules.command("docs")
@click.option("--check", is_flag=True, help="Only check that docs/rules/ is up to date.")
def rules_docs(check: bool) -> None:
    """Generate docs/rules/ from the rules, their standards and their test cases."""
    from engine.authoring.ruledocs import DOCS_DIR, render_all, stale_pages, write_pages
    from engine.rules.standards import load_standards

    library = _library()
    if library.errors:
        _die("rule files have errors (run 'casecheck rules lint')", 1)
    pages = render_all(library, load_standards())
    stale = stale_pages(pages)
    if check:
        if stale:
            _die(f"docs/rules/ is stale ({', '.join(stale[:5])}...); run 'casecheck rules docs'",
                 1)
        click.echo(f"docs/rules/: {len(pages)} pages up to date")
        return
    write_pages(pages)
    click.echo(f"wrote {len(pages)} pages to {DOCS_DIR} ({len(stale)} changed)")


@main.command()
def schema() -> None:
    """Print the JSON Schema of case records (format casecheck/case-record@1)."""
    from engine.records.models import json_schema

    click.echo(orjson.dumps(json_schema(), option=orjson.OPT_INDENT_2).decode())


def _rule_rates(ctx: click.Context, param: click.Parameter,
                values: tuple[str, ...]) -> dict[str, float]:
    """``RULE=RATE`` pairs (repeatable) for ``generate --rule-breach-rate``."""
    rates: dict[str, float] = {}
    if not values:
        return rates
    from engine.rules.schema import did_you_mean
    from engine.synthetic import RULES

    for text in values:
        rule, sep, number = text.partition("=")
        rule = rule.strip()
        try:
            rate = float(number)
        except ValueError:
            rate = -1.0
        if not sep or not 0.0 <= rate <= 1.0:
            raise click.BadParameter(f"{text!r}: expected RULE=RATE with a rate from 0 to 1",
                                     ctx, param)
        if rule not in RULES:
            raise click.BadParameter(f"unknown rule {rule!r}{did_you_mean(rule, set(RULES))}",
                                     ctx, param)
        rates[rule] = rate
    return rates


@main.command()
@click.option("--cases", type=click.IntRange(1), default=100, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@AS_OF
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="Write JSONL here (default: standard output).")
@click.option("--breach-rate", type=click.FloatRange(0.0, 1.0), default=0.15,
              show_default=True,
              help="Chance that an obligation (a schedule's occurrence) is late or missed.")
@click.option("--rule-breach-rate", "rule_rates", metavar="RULE=RATE", multiple=True,
              callback=_rule_rates,
              help="The breach rate for one rule, e.g. PRC-CP-VISIT=0.3 (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["json", "ssd", "ssda903", "cin"]),
              default="json", show_default=True,
              help="json: JSONL case records; ssd, ssda903: a folder of CSV files; cin: the "
              "census XML (these need --out).")
def generate(cases: int, seed: int, as_of: date | None, out: Path | None, breach_rate: float,
             rule_rates: dict[str, float], fmt: str = "json") -> None:
    """Write a realistic synthetic cohort as JSONL (or as an extract), for demos and
    benchmarks."""
    from engine.app.extracts import generate as write_cohort
    from engine.app.extracts import stream_cohort

    as_of = as_of or date.today()
    if out is None:
        if fmt != "json":
            _die(f"--format {fmt} writes files: give --out")
        _run(stream_cohort, cases, seed, as_of, breach_rate, rule_rates, sys.stdout.buffer)
        return
    click.echo(_run(write_cohort, cases, seed, as_of, breach_rate, rule_rates, fmt, out),
               err=True)


# --- import: extracts -> case records (engine.sources) --------------------------------------

@main.command("import")
@click.argument("kind", type=click.Choice(["ssd", "ssda903", "cin"]))
@click.argument("source", required=False, type=click.Path(path_type=Path, exists=True))
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Write case records here, one JSON object a line.")
@click.option("--report", "report_out", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Write the import report (JSON) here.")
@click.option("--db", "from_db", is_flag=True,
              help="ssd only: read the database whose SQLAlchemy URL is in $CASECHECK_SSD_URL.")
@click.option("--url-env", default=None, help="ssd --db: read the URL from this variable.")
@click.option("--schema", default=None, help="ssd --db: the schema holding the SSD tables.")
def import_(kind: str, source: Path | None, out: Path, report_out: Path | None,
            from_db: bool, url_env: str | None, schema: str | None) -> None:
    """Turn an authority's extract (SSD, SSDA903 or CIN census) into case records."""
    from engine.sources.report import SourceError
    from engine.sources.run import run_import

    if from_db and kind != "ssd":
        _die("--db is for ssd only")
    if (source is None) != from_db:
        _die("give SOURCE (a folder or file), or --db for an SSD database, not both")
    try:
        report = run_import(kind, source, out, report_out, schema=schema, url_env=url_env)
    except SourceError as exc:
        _die(str(exc))
    click.echo(report.summary(), err=True)


if __name__ == "__main__":
    main()
