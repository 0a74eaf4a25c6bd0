"""A rule in plain English, generated from the rule itself, with the date ranges it checks."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

from engine.calendar import calendar_for
from engine.evaluate.compile import build_ruleset, compile_rule, rule_meta
from engine.records.intake import read_records, validate
from engine.rules.profiles import Profile
from engine.rules.rulebook import RuleLibrary, resolve_params
from engine.rules.schema import PARAM_RE, RuleFile, Selector

EXAMPLE_DAY = date(2024, 1, 8)  # a Monday, used to show a worked date range


def _what(sel: Selector) -> str:
    if sel.field:
        return f"its {sel.field.replace('_', ' ')}"
    if sel.event:
        base = f"{sel.event.replace('_', ' ')} event"
    elif sel.period:
        base = "period of involvement (" + ", ".join(sel.period) + " episodes joined up)"
    else:
        base = " or ".join(t.replace("_", " ") for t in sel.episode_types) + " episode start"
    if sel.where:
        base += " where " + ", ".join(f"{k} {_cond(v)}" for k, v in sel.where.items())
    return base


def _a(text: str) -> str:
    return ("an " if text[:1].lower() in "aeiou" else "a ") + text


def _cond(v: object) -> str:
    if isinstance(v, bool):
        return f"is {str(v).lower()}"
    if isinstance(v, dict):
        op, arg = next(iter(v.items()))
        return {"not": f"is not {arg}", "in": f"is one of {arg}",
                "present": "is recorded" if arg else "is not recorded"}[op]
    return f"is {v}"


def _dur(text: str | None, params: dict[str, object]) -> str:
    if text is None:
        return ""
    m = PARAM_RE.match(text)
    return str(params[m.group(1)]) if m else text


def describe(rule: RuleFile, params: dict[str, object]) -> list[str]:
    """Sentences saying what the rule checks, in the terms of semantics.md."""
    out: list[str] = []
    if rule.kind == "follow-up":
        assert rule.anchor and rule.target
        clock = ""
        if rule.anchor.clock:
            clock = " (clock from " + ", else ".join(rule.anchor.clock) + ")"
        if rule.deadline:
            when = (f"by occurrence {rule.deadline.occurrence} of {rule.deadline.schedule} "
                    "(its date if held, else its due date)")
        else:
            when = f"within {_dur(rule.timescale, params)}{clock}"
        target = _what(rule.target) if rule.target.field else _a(_what(rule.target))
        out.append(f"For each {_what(rule.anchor)}, there must be {target} {when}.")
        if rule.target.allow_before:
            out.append(f"A target up to {_dur(rule.target.allow_before, params)} before the "
                       "anchor also counts.")
        if rule.superseded:
            out.append("A new anchor before the obligation is satisfied replaces it; only the "
                       "latest counts.")
        if rule.cancelled_by:
            parts = []
            if rule.cancelled_by.event:
                parts.append(_a(rule.cancelled_by.event.replace('_', ' '))
                             + (f" where {', '.join(f'{k} {_cond(v)}' for k, v in (rule.cancelled_by.where or {}).items())}" if rule.cancelled_by.where else ""))  # noqa: E501
            if rule.cancelled_by.episode_end:
                parts.append("the end of the episode")
            out.append("The obligation falls away if " + " or ".join(parts)
                       + " comes before the deadline and before a target.")
    elif rule.kind == "schedule":
        assert rule.over and rule.target and rule.intervals
        start = f"from the first {_what(rule.start)}" if rule.start else "from the episode start"
        over = _what(rule.over).replace(" episode start", " episode")
        out.append(f"While {_a(over)} is open, {_a(_what(rule.target))} must recur, "
                   f"counting {start}:")
        for case in rule.intervals:
            cond = "otherwise"
            if case.when:
                bits = [f"{k.replace('_', ' ')} {v}" for k, v in
                        case.when.model_dump(exclude_none=True).items()]
                cond = "when " + " and ".join(bits)
            out.append(f"  - {cond}: within {_dur(case.interval, params)} of the previous one")
        out.append("An obligation whose deadline falls after the episode ended is dropped.")
    elif rule.kind == "threshold":
        assert rule.anchor and rule.target
        out.append(f"When {rule.count} of {_what(rule.anchor)} fall within "
                   f"{_dur(rule.window, params)}, {_a(_what(rule.target))} is due within "
                   f"{_dur(rule.timescale, params)} of the one that reached the threshold. "
                   "After a target, the count starts again.")
    else:
        assert rule.subject and rule.require
        subject = (f"each {rule.subject.event.replace('_', ' ')}" if rule.subject.event
                   else "each case with an open " + " or ".join(rule.subject.case_with_open or []))
        out.append(f"For {subject}: " + ", ".join(f"{k} {_cond(v)}"
                                                  for k, v in rule.require.items()) + ".")
    return out


def explain_rule(library: RuleLibrary, rule_id: str, profile: Profile, case: Path | None,
                 as_of: date) -> str:
    loaded = library.rules[rule_id]
    rule = loaded.rule
    params = resolve_params(loaded, profile.params.get(rule_id))
    lines = [f"{rule.id}: {rule.title}", f"  kind: {rule.kind}, pack: {loaded.pack}",
             f"  source: {rule.source.document}, {rule.source.section}"]
    lines.append("")
    lines += textwrap.wrap(" ".join(rule.summary.split()), 96)
    from engine.rules.standards import load_standards

    standard = load_standards().standard_for(rule_id)
    if standard is not None:
        lines.append("")
        lines.append(f"Standard {standard.id}: {standard.title}")
        lines += ["  " + x for x in textwrap.wrap(" ".join(standard.summary.split()), 94)]
        for src in standard.sources:
            lines.append(f"  source: {src.document}, {src.section}"
                         + (f" (effective {src.effective})" if src.effective else ""))
            if src.url:
                lines.append(f"          {src.url}")
    lines.append("")
    lines.append("Exactly:")
    lines += ["  " + s for s in describe(rule, params)]
    if params:
        lines.append("")
        lines.append("Parameters (profile " + profile.name + "):")
        for name, value in params.items():
            lines.append(f"  {name} = {value}  ({rule.params[name].description})")
    cal = calendar_for(frozenset(profile.closure_days))
    if rule.timescale:
        limit = _dur(rule.timescale, params)
        from engine.calendar import Duration

        due = cal.add(EXAMPLE_DAY, Duration.parse(limit))
        lines.append("")
        lines.append(f"Example: a clock starting on Monday {EXAMPLE_DAY.isoformat()} is met by a "
                     f"target from {EXAMPLE_DAY.isoformat()} to {due.isoformat()} inclusive; "
                     f"{due.isoformat()} is the deadline and the next day is late.")
    if case is not None:
        ruleset = build_ruleset(profile, library)
        compiled = compile_rule(loaded, library, profile.params)
        raws = list(read_records(case))
        lines.append("")
        for raw in raws:
            intake = validate(raw)
            if intake.record is None:
                lines.append(f"{raw.source}: record is invalid ({intake.errors[0].message})")
                continue
            from engine.evaluate.evaluator import RuleSet

            single = RuleSet([(compiled, rule_meta(loaded))], ruleset.calendar,
                             warn=ruleset.warn, profile=profile.name)
            result = single.evaluate(intake.record, as_of)
            lines.append(f"In case {result.case_id} as of {as_of.isoformat()}:")
            if not result.findings:
                lines.append("  no obligations")
            for f in result.findings:
                rng = (f"{f.anchor_date.isoformat()} .. {f.due.isoformat()}" if f.due
                       else f"from {f.anchor_date.isoformat()}")
                done = f", done {f.done_id} on {f.done_date.isoformat()}" if f.done_date else ""
                lines.append(f"  anchor {f.anchor_id}: checks {rng}{done} -> {f.status}")
    return "\n".join(lines)
