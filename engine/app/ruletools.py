"""The ``rules`` commands' work: the rule list, and lint over rule files, standards and every
built-in profile."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from engine.authoring.explain import explain_rule
from engine.authoring.ruletests import coverage_problems
from engine.evaluate.compile import build_ruleset
from engine.records.intake import InputError
from engine.rules.profiles import ProfileError, builtin_profiles, load_profile
from engine.rules.rulebook import RuleError, RuleLibrary
from engine.rules.schema import did_you_mean
from engine.rules.standards import load_standards

from .errors import CommandError


def rule_rows(library: RuleLibrary, profile: str | None = None) -> list[dict[str, Any]]:
    """Every rule (or the profile's): id, title, kind, pack, source and standard."""
    ids = sorted(library.rules)
    if profile:
        try:
            ids = load_profile(profile).rule_ids(library)
        except ProfileError as exc:
            raise CommandError(str(exc)) from None
    rows = []
    for rid in ids:
        r = library.rules[rid]
        rows.append({"id": rid, "title": r.rule.title, "kind": r.rule.kind, "pack": r.pack,
                     "source": f"{r.rule.source.document}, {r.rule.source.section}",
                     "standard": r.rule.standard})
    return rows


def lint(library: RuleLibrary) -> tuple[list[str], str]:
    """Every problem in rule files, standards and built-in profiles, and a one-line tally."""
    standards = load_standards()
    problems = list(library.errors) + list(standards.errors)
    if not library.errors:
        problems += coverage_problems(library)
        problems += standards.check_against(library)
        for name in builtin_profiles():
            try:
                build_ruleset(load_profile(name), library)
            except (ProfileError, RuleError) as exc:
                problems.append(str(exc))
    tally = (f"{len(library.rules)} rules in {len(library.packs)} packs, "
             f"{len(standards)} standards, {len(builtin_profiles())} profiles: ok")
    return problems, tally


def explain(library: RuleLibrary, rule_id: str, profile: str, case: Path | None,
            as_of: date) -> str:
    """A rule in plain English, with the date ranges it checks in ``case`` if given."""
    if rule_id not in library.rules:
        raise CommandError(f"unknown rule {rule_id!r}{did_you_mean(rule_id, set(library.rules))}")
    try:
        return explain_rule(library, rule_id, load_profile(profile), case, as_of)
    except (ProfileError, RuleError, InputError) as exc:
        raise CommandError(str(exc)) from None
