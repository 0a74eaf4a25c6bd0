"""One case at a time: the rule set for a profile, reading and evaluating exactly one record,
and the auditor's compliance section for it (``check``, ``report``, ``rules explain``)."""

from __future__ import annotations

from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import orjson

from engine.batch.sweep import evaluate_raw
from engine.calendar import CalendarRangeError
from engine.evaluate.compile import build_ruleset
from engine.evaluate.evaluator import RuleSet
from engine.evaluate.findings import CaseResult
from engine.evaluate.urgency import CaseOverview, case_overview
from engine.records.intake import InputError, RawRecord, read_records, validate
from engine.rules.profiles import ProfileError, library_for, load_profile
from engine.rules.rulebook import RuleError

from .errors import CommandError


def engine_version() -> str | None:
    try:
        return version("casecheck")
    except PackageNotFoundError:
        return None


def load_ruleset(profile: str, warn: int | None = None, engine_name: str = "core") -> Any:
    """The compiled rule set of a profile, or the durable-rules engine wrapping it."""
    try:
        prof = load_profile(profile)
        ruleset = build_ruleset(prof, library_for(prof), warn=warn)
    except (ProfileError, RuleError) as exc:
        raise CommandError(str(exc)) from None
    if engine_name == "durable":
        from engine.crosscheck.durable import DurableUnavailable, build

        try:
            return build(ruleset, profile, warn)
        except DurableUnavailable as exc:
            raise CommandError(str(exc)) from None
    return ruleset


def check_as_of(ruleset: Any, as_of: date) -> None:
    """An as-of date the working-day calendar cannot serve is the command's error, never an
    empty result: "no findings" would read as "nothing due" (and a recorded run as every
    breach resolved)."""
    cal = ruleset.calendar
    if not cal.first <= as_of <= cal.last:
        raise CommandError(f"--as-of {as_of.isoformat()} is outside the working-day calendar "
                           f"({cal.first.isoformat()} to {cal.last.isoformat()}); nothing was "
                           "evaluated or recorded")


def evaluate_one(case: Path, ruleset: RuleSet, as_of: date,
                 command: str) -> tuple[RawRecord, CaseResult]:
    """Read exactly one case and evaluate it; any failure is a one-line ``CommandError``."""
    check_as_of(ruleset, as_of)
    try:
        raws = list(read_records(case))
    except InputError as exc:
        raise CommandError(str(exc)) from None
    if raws and raws[0].problem is not None:
        raise CommandError(f"{raws[0].source}: {raws[0].problem.message}")
    if len(raws) != 1:
        raise CommandError(f"{case}: '{command}' takes one case; found {len(raws)} "
                           "(use 'sweep' for many)")
    try:
        return raws[0], evaluate_raw(raws[0], ruleset, as_of)[0]
    except CalendarRangeError as exc:
        raise CommandError(str(exc)) from None


def rejection(raw: RawRecord, result: CaseResult) -> CommandError:
    """Why a record was not evaluated, as the one-line error ``check`` and ``report`` end with."""
    first = result.errors[0]
    return CommandError(f"{raw.source}: {first.pointer or '/'}: {first.message}"
                        + (f" (got {first.value!r})" if first.value else ""), 1)


def overview_of(raw: RawRecord, ruleset: Any, as_of: date) -> CaseOverview | None:
    """The header of a view (age, allocation, plans open and closed), or ``None`` for a record
    that does not validate (its errors are what the view prints)."""
    intake = validate(raw, getattr(ruleset, "known_event_types", frozenset()) or
                      frozenset())
    if intake.record is None:
        return None
    return case_overview(intake.record, as_of)


def manager_view(case: Path, profile: str, as_of: date, warn: int | None, engine_name: str,
                 fmt: str, *, width: int = 100, style: Any = None,
                 show_all: bool = False) -> tuple[RawRecord, CaseResult, str]:
    """``casecheck check``: the record, its result and the view in ``fmt`` (text, markdown or
    json). A record that cannot be read or validated gives an empty view: its error is the
    command's (``rejection``), never an empty case."""
    from engine.reports.findings_json import case_json
    from engine.reports.text import case_markdown, case_text

    ruleset = load_ruleset(profile, warn, engine_name)
    raw, result = evaluate_one(case, ruleset, as_of, "check")
    if fmt == "json":
        return raw, result, case_json(result, indent=True).decode() + "\n"
    if not result.evaluated:
        return raw, result, ""
    overview = overview_of(raw, ruleset, as_of)
    meta = getattr(ruleset, "meta", None)
    if fmt == "markdown":
        return raw, result, case_markdown(result, meta=meta, overview=overview)
    return raw, result, case_text(result, style, meta=meta, overview=overview, width=width,
                                  show_all=show_all) + "\n"


def audit_section(case: Path, profile: str, as_of: date, fmt: str) -> str | bytes:
    """The auditor's pre-filled compliance section for one case: HTML, markdown or (``docx``)
    the bytes of a Word document."""
    from engine.reports.audit import LocalSource, build_report, render_html, render_markdown
    from engine.rules.standards import load_standards

    ruleset = load_ruleset(profile)
    catalogue = load_standards()
    if catalogue.errors:
        raise CommandError(f"{len(catalogue.errors)} problem(s) in the standards catalogue "
                           f"(run 'casecheck rules lint'), first: {catalogue.errors[0]}")
    raw, result = evaluate_one(case, ruleset, as_of, "report")
    if not result.evaluated:
        raise rejection(raw, result)
    unevaluated = [p for p in result.errors if p.rule is None]
    if unevaluated:  # nothing was checked: every standard would wrongly read "not applicable"
        raise CommandError(f"{raw.source}: {unevaluated[0].message}", 1)
    try:
        child_id = orjson.loads(raw.data)["child"]["id"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        child_id = None
    found = engine_version()
    generator = f"casecheck {found}" if found else "casecheck"
    try:
        prof = load_profile(profile)
    except ProfileError:
        prof = None
    local = LocalSource(prof.name if prof else profile, prof.title if prof else None)
    if prof is not None and prof.source is not None:
        local = LocalSource(prof.name, prof.title, prof.source.document, prof.source.publisher,
                            prof.source.date)
    audit = build_report(result, catalogue, ruleset.meta, child_id=child_id,
                         profile_title=prof.title if prof else None, generator=generator,
                         overview=overview_of(raw, ruleset, as_of), local=local)
    if fmt == "docx":
        try:
            from engine.reports.audit_docx import render_docx
        except ImportError:
            raise CommandError("--format docx needs python-docx: pip install "
                               "'casecheck[docx]'") from None
        return render_docx(audit)
    return render_html(audit) if fmt == "html" else render_markdown(audit)
