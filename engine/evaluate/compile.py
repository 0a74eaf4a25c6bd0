"""Compile validated rule files into rule objects, and a profile into a rule set.

This is where the rule language meets evaluation: the rule room validates what a rule file
says; this module turns it into the follow-up, schedule, threshold and check objects that
compute obligations, once per profile, so nothing is parsed per case.
"""

from __future__ import annotations

from typing import Any

from engine.calendar import Duration, calendar_for
from engine.evaluate.evaluator import RuleMeta, RuleSet
from engine.rules.profiles import Profile, library_for
from engine.rules.rulebook import LoadedRule, RuleError, RuleLibrary, resolve_params
from engine.rules.schema import PARAM_RE, Selector

from .check import Check
from .coverage import rule_needs
from .followup import FollowUp
from .obligation import Clock, CompiledRule, Source, compile_where
from .schedule import IntervalChoice, Schedule
from .threshold import Threshold


def _duration(text: str | None, params: dict[str, Any]) -> Duration | None:
    if text is None:
        return None
    m = PARAM_RE.match(text)
    if m:
        text = params[m.group(1)]
    return Duration.parse(text)  # type: ignore[arg-type]


def _source(sel: Selector) -> Source:
    episodes = tuple(sel.episode_types)
    return Source(event=sel.event, episodes=episodes, period=bool(sel.period),
                  where=compile_where(sel.where))


def _default_clock(sel: Selector) -> Clock:
    if sel.clock:
        return Clock(tuple(sel.clock))
    return Clock(("date",) if sel.event else ("start",))


def compile_rule(loaded: LoadedRule, library: RuleLibrary,
                 overrides: dict[str, dict[str, Any]] | None = None) -> CompiledRule:
    """A rule ready to evaluate, with parameters from ``overrides[rule_id]`` over defaults."""
    r = loaded.rule
    params = resolve_params(loaded, (overrides or {}).get(r.id))
    events: set[str] = set()
    episodes: set[str] = set()

    def note(sel: Selector | None) -> None:
        if sel is None:
            return
        if sel.event:
            events.add(sel.event)
        episodes.update(sel.episode_types)

    compiled: CompiledRule
    if r.kind == "follow-up":
        assert r.anchor is not None and r.target is not None
        note(r.anchor)
        note(r.target if not r.target.field else None)
        schedule_ref = None
        if r.deadline is not None:
            sched = compile_rule(library.rules[r.deadline.schedule], library, overrides)
            assert isinstance(sched, Schedule)
            schedule_ref = (sched, r.deadline.occurrence)
            events |= sched.event_types
            episodes |= sched.episode_types
        cancel_src = None
        if r.cancelled_by and r.cancelled_by.event:
            cancel_src = Source(event=r.cancelled_by.event,
                                where=compile_where(r.cancelled_by.where))
            events.add(r.cancelled_by.event)
        min_age = (r.anchor.member_where or {}).get("age_at_least")
        compiled = FollowUp(
            rule_id=r.id,
            anchor=_source(r.anchor),
            target=None if r.target.field else _source(r.target),
            target_field=r.target.field,
            clock=_default_clock(r.anchor),
            limit=_duration(r.timescale, params),
            schedule_ref=schedule_ref,
            superseded=r.superseded,
            allow_before=_duration(r.target.allow_before, params),
            cancel_event=cancel_src,
            cancel_on_episode_end=bool(r.cancelled_by and r.cancelled_by.episode_end),
            member_min_age=min_age,
            member_field=r.target.member_field,
            for_each_member=r.anchor.for_each == "household",
            member_turning=r.anchor.member_turning,
            strictly_after=r.target.strictly_after,
        )
        produce = {"met", "late", "overdue", "due_soon", "pending"}
        if compiled.for_each_member and min_age is not None:
            produce.add("insufficient_data")
        if schedule_ref is not None and any(c.needs_age for c in schedule_ref[0].intervals):
            produce.add("insufficient_data")
    elif r.kind == "schedule":
        assert r.over is not None and r.target is not None and r.intervals is not None
        note(r.over)
        note(r.target)
        note(r.start)
        choices = []
        for case in r.intervals:
            w = case.when
            interval = _duration(case.interval, params)
            assert interval is not None
            choices.append(IntervalChoice(
                interval=interval,
                occurrence=w.occurrence if w else None,
                occurrence_at_least=w.occurrence_at_least if w else None,
                age_under=w.age_under if w else None,
                age_at_least=w.age_at_least if w else None,
                previous_in_first=_duration(w.previous_in_first, params) if w else None,
                previous_after_first=_duration(w.previous_after_first, params) if w else None,
                episode=compile_where(w.episode) if w else None,
            ))
        start_rule = None
        if r.start_from is not None:
            start_rule = compile_rule(library.rules[r.start_from], library, overrides)
            assert isinstance(start_rule, FollowUp)
            events |= start_rule.event_types
            episodes |= start_rule.episode_types
        compiled = Schedule(rule_id=r.id, over=_source(r.over), target=_source(r.target),
                            intervals=choices,
                            start_event=_source(r.start) if r.start else None,
                            start_rule=start_rule)
        produce = {"met", "late", "overdue", "due_soon", "pending"}
        if any(c.needs_age for c in choices):
            produce.add("insufficient_data")
    elif r.kind == "threshold":
        assert r.anchor and r.target and r.count and r.window and r.timescale
        note(r.anchor)
        note(r.target)
        window = _duration(r.window, params)
        limit = _duration(r.timescale, params)
        assert window is not None and limit is not None
        compiled = Threshold(rule_id=r.id, anchor=_source(r.anchor), target=_source(r.target),
                             count=r.count, window=window, limit=limit,
                             clock=_default_clock(r.anchor))
        produce = {"met", "late", "overdue", "due_soon", "pending"}
    else:
        assert r.subject is not None and r.require is not None
        child_req: dict[str, Any] = {}
        event_req: dict[str, Any] = {}
        for key, cond in r.require.items():
            if r.subject.case_with_open:
                if not key.startswith("child."):
                    raise RuleError(f"{loaded.where('require', key)}: a case check requires "
                                    f"child fields, written child.<field>")
                child_req[key[len("child."):]] = cond
            else:
                event_req[key] = cond
        subject = None
        if r.subject.event:
            subject = Source(event=r.subject.event, where=compile_where(r.subject.where))
            events.add(r.subject.event)
        episodes.update(r.subject.case_with_open or [])
        compiled = Check(rule_id=r.id, subject=subject,
                         open_episodes=tuple(r.subject.case_with_open or ()),
                         require=compile_where(event_req) or (lambda it: True),
                         require_child=child_req)
        produce = {"met", "not_met"}
    compiled.anchor_types = _anchor_types(r)
    compiled.event_types = frozenset(events)
    compiled.episode_types = frozenset(episodes)
    compiled.can_produce = frozenset(produce)
    anchors, targets = rule_needs(loaded, library)
    compiled.needs = (tuple(anchors), tuple(targets))
    return compiled


def _anchor_types(r: Any) -> frozenset[str] | None:
    """What can start a rule's clock: a follow-up's or threshold's anchor, a schedule's episode,
    a check's subject event or the episodes a case check needs open.  Without an item of one of
    these types in the case view the rule raises no obligation, so it is not evaluated."""
    sel = r.over if r.kind == "schedule" else r.anchor
    if r.kind == "check":
        if r.subject is None:
            return None
        if r.subject.event:
            return frozenset({r.subject.event})
        return frozenset(r.subject.case_with_open or ()) or None
    if sel is None:
        return None
    if sel.event:
        return frozenset({sel.event})
    return frozenset(sel.episode_types) or None


def _label(name: str) -> str:
    return name.replace("_", " ")


def build_ruleset(profile: Profile, library: RuleLibrary | None = None,
                  warn: int | None = None) -> RuleSet:
    """Compile the profile's rules once; errors name the profile or rule file and line."""
    if library is None:
        library = library_for(profile)
    if library.errors:
        raise RuleError("rule files have errors (run 'casecheck rules lint'):\n"
                        + "\n".join(library.errors))
    ids = profile.rule_ids(library)
    profile.check_params(library)
    compiled = []
    for rid in ids:
        loaded = library.rules[rid]
        compiled.append((compile_rule(loaded, library, profile.params), rule_meta(loaded)))
    cal = calendar_for(frozenset(profile.closure_days))
    return RuleSet(compiled, cal, warn=profile.warn if warn is None else warn,
                   profile=profile.name, known_event_types=profile.vocabulary.event_types)


def rule_meta(loaded: Any) -> RuleMeta:
    r = loaded.rule
    target = r.target
    if target is not None and target.label:
        target_label = target.label
    elif target is not None and target.event:
        target_label = _label(target.event)
    elif target is not None and target.field:
        target_label = _label(target.field)
    elif target is not None:
        target_label = " or ".join(_label(t) for t in target.episode_types) + " start"
    else:
        target_label = "requirement"
    sel = r.anchor or r.start or r.over
    if sel is not None and sel.label:
        anchor_label = sel.label
    elif r.kind == "schedule" and r.start is None and r.over is not None:
        anchor_label = "the start of the " + " or ".join(_label(t) for t in r.over.episode_types)
    elif sel is not None and sel.event:
        anchor_label = "the " + _label(sel.event)
    elif sel is not None:
        anchor_label = "the start of the " + " or ".join(_label(t) for t in sel.episode_types)
    else:
        anchor_label = "the " + _label(r.subject.event or "case")
    source = f"{r.source.document}, {r.source.section}"
    return RuleMeta(r.id, r.title, loaded.pack, r.kind, source, target_label, anchor_label,
                    dict(r.messages), r.standard)
