"""casecheck: check children's social care case records against timescales and standards.

The command line only: it reads options, calls the engine and prints.  Errors are one line on
stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
import orjson

from engine.calendar import CalendarRangeError
from engine.findings import CaseResult
from engine.intake import InputError, RawRecord, read_records
from engine.profiles import (
    ProfileError,
    build_ruleset,
    builtin_profiles,
    library_for,
    load_profile,
)
from engine.rulebook import RuleError, load_library


class AsOf(click.ParamType):
    name = "date"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date YYYY-MM-DD", param, ctx)


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


def _ruleset(profile: str, warn: int | None = None,  # type: ignore[no-untyped-def]
             engine_name: str = "core"):
    try:
        prof = load_profile(profile)
        ruleset = build_ruleset(prof, library_for(prof), warn=warn)
    except (ProfileError, RuleError) as exc:
        _die(str(exc))
    if engine_name == "durable":
        from engine.durable_engine import DurableUnavailable, build

        try:
            return build(ruleset, profile, warn)
        except DurableUnavailable as exc:
            _die(str(exc))
    return ruleset


def _evaluate_one(case: Path, ruleset, as_of: date,  # type: ignore[no-untyped-def]
                  command: str) -> tuple[RawRecord, CaseResult]:
    """Read exactly one case and evaluate it; any failure is a one-line error."""
    from engine.sweep import evaluate_raw

    try:
        raws = list(read_records(case))
    except InputError as exc:
        _die(str(exc))
    if len(raws) != 1:
        _die(f"{case}: '{command}' takes one case; found {len(raws)} (use 'sweep' for many)")
    try:
        return raws[0], evaluate_raw(raws[0], ruleset, as_of)[0]
    except CalendarRangeError as exc:
        _die(str(exc))
    raise AssertionError("unreachable")


@click.group()
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
@click.option("--hide-met", is_flag=True, help="Text format: leave out what was met.")
@ENGINE
def check(case: Path, as_of: date | None, profile: str, fmt: str, warn: int | None,
          hide_met: bool, engine_name: str = "core") -> None:
    """Check one case: overdue first, then due soon, coming up, and what was done."""
    from engine.report_json import case_json
    from engine.report_text import case_markdown, case_text

    ruleset = _ruleset(profile, warn, engine_name)
    raw, result = _evaluate_one(case, ruleset, as_of or date.today(), "check")
    if fmt == "json":
        click.echo(case_json(result, indent=True).decode())
    elif fmt == "markdown":
        click.echo(case_markdown(result), nl=False)
    else:
        # colour only on a terminal: click.echo strips the styles when piped
        click.echo(case_text(result, style=click.style, show_met=not hide_met))
    if not result.evaluated:
        first = result.errors[0]
        _die(f"{raw.source}: {first.pointer or '/'}: {first.message}"
             + (f" (got {first.value!r})" if first.value else ""), 1)


@main.command()
@click.argument("case", type=click.Path(path_type=Path))
@AS_OF
@PROFILE
@click.option("--format", "fmt", type=click.Choice(["html", "markdown"]), default="html",
              show_default=True)
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the report to this file (default: standard output).")
def report(case: Path, as_of: date | None, profile: str, fmt: str, out: Path | None) -> None:
    """The auditor's pre-filled compliance section for one case, standard by standard."""
    from importlib.metadata import PackageNotFoundError, version

    from engine.report_audit import build_report, render_html, render_markdown
    from engine.standards import load_standards

    ruleset = _ruleset(profile)
    catalogue = load_standards()
    if catalogue.errors:
        _die(f"{len(catalogue.errors)} problem(s) in the standards catalogue (run 'casecheck "
             f"rules lint'), first: {catalogue.errors[0]}")
    as_of = as_of or date.today()
    raw, result = _evaluate_one(case, ruleset, as_of, "report")
    if not result.evaluated:
        first = result.errors[0]
        _die(f"{raw.source}: {first.pointer or '/'}: {first.message}"
             + (f" (got {first.value!r})" if first.value else ""), 1)
    unevaluated = [p for p in result.errors if p.rule is None]
    if unevaluated:  # nothing was checked: every standard would wrongly read "not applicable"
        _die(f"{raw.source}: {unevaluated[0].message}", 1)
    try:
        child_id = orjson.loads(raw.data)["child"]["id"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        child_id = None
    try:
        generator = f"casecheck {version('casecheck')}"
    except PackageNotFoundError:
        generator = "casecheck"
    try:
        profile_title: str | None = load_profile(profile).title
    except ProfileError:
        profile_title = None
    audit = build_report(result, catalogue, ruleset.meta, child_id=child_id,
                         profile_title=profile_title, generator=generator)
    text = render_html(audit) if fmt == "html" else render_markdown(audit)
    if out is None:
        click.echo(text, nl=False)
        return
    try:
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
def sweep(input_path: Path, out_dir: Path, as_of: date | None, profile: str, workers: int,
          warn: int | None, db: Path | None = None, engine_name: str = "core") -> None:
    """Check every record in a folder of *.json files or a .jsonl file."""
    from engine.sweep import TerminalProgress, input_size
    from engine.sweep import sweep as run_sweep

    ruleset = _ruleset(profile, warn, engine_name)
    if engine_name == "durable" and workers > 1:
        click.echo("casecheck: --engine durable evaluates in one child process; ignoring "
                   "--workers", err=True)
        workers = 1
    db_note = None
    try:
        if db is None:
            summary = run_sweep(input_path, out_dir, ruleset, as_of or date.today(), workers,
                                progress=TerminalProgress(input_size(input_path)))
        else:
            summary, db_note = _recorded_sweep(db, profile, input_path, out_dir, ruleset,
                                               as_of or date.today(), workers, engine_name)
    except (InputError, CalendarRangeError) as exc:
        _die(str(exc))
    if sys.stderr.isatty():
        click.echo("", err=True)
    rec = summary["records"]
    click.echo(f"read {rec['read']}, evaluated {rec['evaluated']}, rejected {rec['rejected']}"
               f" -> {out_dir / 'findings.jsonl'}, {out_dir / 'summary.json'}")
    st = summary["statuses"]
    parts = [f"{k} {st[k]}" for k in ("met", "late", "overdue", "due_soon", "pending",
                                       "not_met", "insufficient_data") if st.get(k)]
    click.echo("findings: " + (", ".join(parts) or "none"))
    if db_note:
        click.echo(db_note)


def _recorded_sweep(  # type: ignore[no-untyped-def]
        db: Path, profile: str, input_path: Path, out_dir: Path, ruleset, as_of: date,
        workers: int, engine_name: str = "core"):
    """``sweep --db``: the sweep inside one history transaction (engine/history.py)."""
    import sqlite3
    from importlib.metadata import PackageNotFoundError, version

    from engine.history import HistoryError, RunMeta, record_run, ruleset_identity
    from engine.sweep import TerminalProgress, input_size
    from engine.sweep import sweep as run_sweep

    try:
        prof = load_profile(profile)
        engine_version: str | None = version("casecheck")
    except ProfileError as exc:
        _die(str(exc))
    except PackageNotFoundError:
        engine_version = None
    digest, described = ruleset_identity(ruleset, prof.params, prof.events, engine_name)
    meta = RunMeta(as_of, ruleset.profile, digest, described, str(input_path.resolve()),
                   engine_version)
    try:
        with record_run(db, meta) as rec:
            summary = run_sweep(input_path, out_dir, ruleset, as_of, workers,
                                progress=TerminalProgress(input_size(input_path)),
                                sink=rec.add)
            run_id = rec.finish(summary)
    except (HistoryError, sqlite3.Error) as exc:
        _die(f"{db}: {exc}" if isinstance(exc, sqlite3.Error) else str(exc))
    again = " (replacing the earlier recording of the same run)" if rec.replaced else ""
    return summary, f"recorded run {run_id} in {db}{again}"


DB = click.option("--db", type=click.Path(path_type=Path, dir_okay=False), required=True,
                  help="Sweep history database written by 'sweep --db'.")


def _open_db(db: Path):  # type: ignore[no-untyped-def]
    from engine.history import HistoryError, connect

    try:
        return connect(db)
    except HistoryError as exc:
        _die(str(exc))


@main.command()
@DB
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--profile", "profile", default=None, help="Only runs of this profile (name).")
def history(db: Path, fmt: str, profile: str | None) -> None:
    """List the recorded sweep runs, oldest first."""
    from engine.history import list_runs
    from engine.report_history import runs_json, runs_text

    conn = _open_db(db)
    runs = list_runs(conn, profile)
    click.echo(runs_json(runs) if fmt == "json" else runs_text(runs))


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
    from engine.history import HistoryError, diff_runs, get_run, previous_run
    from engine.report_history import diff_csv, diff_json, diff_text

    conn = _open_db(db)
    try:
        run = get_run(conn, run_id)
        against = get_run(conn, against_id) if against_id is not None else previous_run(conn, run)
    except HistoryError as exc:
        _die(str(exc))
    if against is None:
        _die(f"run {run['id']} is the first run of profile {run['profile']!r}: nothing to "
             "compare it with (give --against)")
    if against["id"] == run["id"]:
        _die("--run and --against name the same run")
    result = diff_runs(conn, run, against)
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
def dashboard(db: Path, out: Path, fmt: str, run_id: int | None, runs: int) -> None:
    """A self-contained HTML compliance dashboard (or its tables as CSV files)."""
    from engine.dashboard import dashboard_data, render_html, write_csv
    from engine.history import HistoryError

    conn = _open_db(db)
    try:
        data = dashboard_data(conn, run_id, runs)
    except HistoryError as exc:
        _die(str(exc))
    try:
        if fmt == "csv":
            paths = write_csv(data, out)
            click.echo(f"wrote {len(paths)} CSV files to {out}: "
                       + ", ".join(p.name for p in paths))
            return
        out.write_text(render_html(data), encoding="utf-8")
    except OSError as exc:
        _die(f"{out}: cannot write ({exc.strerror})")
    click.echo(f"wrote dashboard of run {data['run']['id']} to {out}")


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
    library = _library()
    ids = sorted(library.rules)
    if profile:
        try:
            ids = load_profile(profile).rule_ids(library)
        except ProfileError as exc:
            _die(str(exc))
    rows = []
    for rid in ids:
        r = library.rules[rid]
        rows.append({"id": rid, "title": r.rule.title, "kind": r.rule.kind, "pack": r.pack,
                     "source": f"{r.rule.source.document}, {r.rule.source.section}",
                     "standard": r.rule.standard})
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
    from engine.ruletests import coverage_problems
    from engine.standards import load_standards

    library = _library()
    standards = load_standards()
    problems = list(library.errors) + list(standards.errors)
    if not library.errors:
        problems += coverage_problems(library)
        problems += standards.check_against(library)
        for name in builtin_profiles():
            try:
                prof = load_profile(name)
                build_ruleset(prof, library)
            except (ProfileError, RuleError) as exc:
                problems.append(str(exc))
    for p in problems:
        click.echo(p, err=True)
    if problems:
        _die(f"{len(problems)} problem(s) in rule files or profiles", 1)
    click.echo(f"{len(library.rules)} rules in {len(library.packs)} packs, "
               f"{len(standards)} standards, {len(builtin_profiles())} profiles: ok")


@rules.command("test")
@click.argument("rule_ids", nargs=-1)
@click.option("-v", "--verbose", is_flag=True, help="List every case, not only failures.")
def rules_test(rule_ids: tuple[str, ...], verbose: bool) -> None:
    """Run the test cases written beside each rule."""
    from engine.ruletests import run_rule_tests

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
    from engine.explain import explain_rule

    library = _library()
    if rule_id not in library.rules:
        from engine.ruleschema import did_you_mean

        _die(f"unknown rule {rule_id!r}{did_you_mean(rule_id, set(library.rules))}")
    try:
        prof = load_profile(profile)
        text = explain_rule(library, rule_id, prof, case, as_of or date.today())
    except (ProfileError, RuleError, InputError) as exc:
        _die(str(exc))
    click.echo(text)


@rules.command("docs")
@click.option("--check", is_flag=True, help="Only check that docs/rules/ is up to date.")
def rules_docs(check: bool) -> None:
    """Generate docs/rules/ from the rules, their standards and their test cases."""
    from engine.ruledocs import DOCS_DIR, render_all, stale_pages, write_pages
    from engine.standards import load_standards

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
    from engine.records import json_schema

    click.echo(orjson.dumps(json_schema(), option=orjson.OPT_INDENT_2).decode())


def _rule_rates(ctx: click.Context, param: click.Parameter,
                values: tuple[str, ...]) -> dict[str, float]:
    """``RULE=RATE`` pairs (repeatable) for ``generate --rule-breach-rate``."""
    rates: dict[str, float] = {}
    if not values:
        return rates
    from engine.generate import RULES
    from engine.ruleschema import did_you_mean

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
def generate(cases: int, seed: int, as_of: date | None, out: Path | None, breach_rate: float,
             rule_rates: dict[str, float]) -> None:
    """Write a realistic synthetic cohort as JSONL, for demos and benchmarks."""
    from engine.generate import generate_cohort

    as_of = as_of or date.today()
    try:
        records = generate_cohort(cases, seed, as_of, breach_rate, rule_rates)
        first = next(records)
    except ValueError as exc:
        _die(str(exc))
    if out is None:
        stream = sys.stdout.buffer
        stream.write(orjson.dumps(first) + b"\n")
        for record in records:
            stream.write(orjson.dumps(record) + b"\n")
        return
    with out.open("wb") as fh:
        fh.write(orjson.dumps(first) + b"\n")
        for record in records:
            fh.write(orjson.dumps(record) + b"\n")
    click.echo(f"wrote {cases} cases to {out}", err=True)


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
