"""Which rules a record's source can assess ("not assessable from this source").

A record built from an extract says what its source can hold (``source.supplies``).  A rule
whose anchor or target needs something outside that declaration would raise obligations the
source could never show as met (the SSDA903 return has no visits: every ENG-CLA-VISIT
obligation would look overdue), or could not even start its clock.  Such a rule yields no
obligations for the record and is reported as not assessable, with the reason.

What each rule needs is read from the rule file once, when the rule set is compiled
(``rule_needs``); per case the declaration becomes a set of names and the answer for that set
is cached, so a sweep of one extract computes it once.  A record without ``source`` (or without
``supplies``) is taken as supplying everything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.records.supplies import Need, assess_names, supplied_names, unique
from engine.rules.rulebook import LoadedRule, RuleLibrary
from engine.rules.schema import Selector


@dataclass(frozen=True, slots=True)
class NotAssessable:
    """A rule the record's source cannot assess, and why."""

    rule: str
    source: str
    reason: str


def _fields(kinds: Sequence[str], where: Mapping[str, Any] | None) -> list[Need]:
    return [f"{kind}.{name}" for kind in kinds for name in (where or {})]


def _side(sel: Selector | None) -> tuple[list[Need], list[Need]]:
    """(types, alternatives joined by '|'; fields its ``where`` reads) of one selector."""
    if sel is None:
        return [], []
    if sel.event:
        return [sel.event], _fields([sel.event], sel.where)
    kinds = sel.episode_types
    if not kinds:
        return [], []
    return ["|".join(kinds)], [] if sel.period else _fields(kinds, sel.where)


def rule_needs(loaded: LoadedRule, library: RuleLibrary) -> tuple[list[Need], list[Need]]:
    """(anchor needs, target needs) of a rule: what starts its clock, and what it needs to be
    met, filtered or cancelled."""
    r = loaded.rule
    anchors: list[Need] = []
    targets: list[Need] = []
    for sel in (r.anchor, r.over, r.start):
        kinds, fields = _side(sel)
        anchors += kinds + fields
        if sel is not None and sel.event:
            # a clock read through a ref (ref.date, ref.<type>.date) falls back to the
            # anchor's own date when the ref is absent, so it asks nothing of the source
            anchors += [f"{sel.event}.{c}" for c in sel.clock or ()
                        if c != "date" and not c.startswith("ref.")]
        if sel is not None and sel.for_each:
            anchors += [f"{kind}.{sel.for_each}" for kind in sel.episode_types]
    if r.subject is not None:
        if r.subject.event:
            anchors += [r.subject.event, *_fields([r.subject.event], r.subject.where)]
        else:
            anchors.append("|".join(r.subject.case_with_open or ()))
    target = r.target
    if target is not None and target.field:
        main = r.anchor.event if r.anchor is not None else None
        targets.append(f"{main}.{target.field}")
    elif target is not None:
        kinds, fields = _side(target)
        targets += kinds + fields
        if target.member_field and target.event:
            targets.append(f"{target.event}.{target.member_field}")
    for case in r.intervals or ():  # an interval chosen by a field of the episode
        if case.when is not None and case.when.episode and r.over is not None:
            targets += _fields(r.over.episode_types, case.when.episode)
    if r.cancelled_by is not None and r.cancelled_by.event:
        event = r.cancelled_by.event
        targets += [event, *_fields([event], r.cancelled_by.where)]
    if r.deadline is not None:
        other = library.rules[r.deadline.schedule].rule
        kinds, fields = _side(other.target)
        targets += kinds + fields
    for name in r.require or {}:
        if name.startswith("child."):
            targets.append(name)
        elif r.subject is not None and r.subject.event:
            targets.append(f"{r.subject.event}.{name}")
    return unique(anchors), unique(targets)


class Coverage:
    """The rule set's needs, and per declaration the rules it cannot assess (cached)."""

    def __init__(self, needs: Mapping[str, tuple[Sequence[Need], Sequence[Need]]]) -> None:
        self.needs = dict(needs)
        self._cache: dict[tuple[str, frozenset[str]], list[NotAssessable]] = {}

    def assess(self, rule_id: str, names: frozenset[str]) -> tuple[str, str]:
        anchors, targets = self.needs.get(rule_id, ((), ()))
        return assess_names(anchors, targets, names)

    def not_assessable(self, record: Mapping[str, Any]) -> list[NotAssessable]:
        """The rules this record's source cannot assess (empty without a declaration)."""
        source = record.get("source")
        if not isinstance(source, Mapping):
            return []
        supplies = source.get("supplies")
        if not isinstance(supplies, Mapping):
            return []
        fmt = str(source.get("format") or "unknown")
        key = (fmt, supplied_names(supplies))
        found = self._cache.get(key)
        if found is None:
            found = []
            for rule_id in self.needs:
                level, reason = self.assess(rule_id, key[1])
                if level != "full":
                    found.append(NotAssessable(rule_id, fmt, reason))
            self._cache[key] = found
        return found
