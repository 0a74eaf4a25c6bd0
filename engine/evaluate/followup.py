"""Follow-up rules: each anchor must be followed by a target within a timescale."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from engine.calendar import Duration, WorkingCalendar, age_on, birthday
from engine.records.caseview import CaseView, Item, instant, local_day

from .obligation import (
    Clock,
    CompiledRule,
    Obligation,
    Source,
    before,
    deadline_from,
    named_ids,
)
from .schedule import Schedule


@dataclass
class FollowUp(CompiledRule):
    """Each anchor must be followed by a target within a timescale."""

    rule_id: str
    anchor: Source
    target: Source | None
    target_field: str | None
    clock: Clock
    limit: Duration | None
    schedule_ref: tuple[Schedule, int] | None = None
    superseded: bool = False
    allow_before: Duration | None = None
    cancel_event: Source | None = None
    cancel_on_episode_end: bool = False
    member_min_age: int | None = None
    member_field: str | None = None
    for_each_member: bool = False
    member_turning: bool = False
    strictly_after: bool = False
    kind: str = "follow-up"

    def _anchors(self, view: CaseView) -> Iterator[tuple[Item, str | None, date | None]]:
        for item in self.anchor.items(view):
            if not self.for_each_member:
                yield item, None, None
                continue
            for member in item.fields.get("household") or []:
                yield item, member["id"], member.get("date_of_birth")

    def evaluate(self, view: CaseView, cal: WorkingCalendar) -> list[Obligation]:
        anchors = list(self._anchors(view))
        if not anchors:
            return []
        targets = self.target.items(view) if self.target is not None else []
        # Ruling 2: a ref binds only when it names an anchor of this rule (for a period, any
        # of its episodes); a ref to anything else is ignored and the target matched by date
        owner = {name: a.id for a, _, _ in anchors for name in named_ids(a)}
        by_ref: dict[str, list[Item]] = {}
        loose: list[Item] = []
        for t in targets:
            bound = owner.get(t.ref) if t.ref is not None else None
            if bound is not None:
                by_ref.setdefault(bound, []).append(t)
            else:
                loose.append(t)
        used: set[int] = set()
        cancels = self.cancel_event.items(view) if self.cancel_event is not None else []
        out: list[Obligation] = []

        for i, (anchor, member, member_dob) in enumerate(anchors):
            unit = self.limit.unit if self.limit else "days"
            ob = Obligation(self.rule_id, anchor, None, unit=unit, member=member, limit=self.limit)
            clock_from: Item | None = None
            if member is not None and self.member_min_age is not None:
                if member_dob is None:
                    ob.fixed_status = "insufficient_data"
                    ob.reason = f"household member {member} has no date of birth"
                    out.append(ob)
                    continue
                if age_on(member_dob, anchor.day) < self.member_min_age:
                    turns = birthday(member_dob, self.member_min_age)
                    if not self.member_turning or turns > (anchor.end or view.as_of):
                        if self.member_turning and anchor.end is None:
                            view.notice(turns)  # the clock starts on that birthday
                        continue
                    # turning the age during the episode: the clock starts at that birthday,
                    # the finding's anchor stays the episode (with the member)
                    clock_from = Item(anchor.id, anchor.type, turns, None, None, {},
                                      anchor.pointer, end=anchor.end)
            if self.target_field is not None:
                if not self._set_deadline(ob, anchor, view, cal):
                    continue
                value = anchor.fields.get(self.target_field)
                # a date before its own anchor satisfies nothing (a decision dated years before
                # the referral is a data error, not a decision in time), unless allow_before
                if isinstance(value, date) and local_day(value) >= self._earliest(anchor, cal):
                    ob.done_id, ob.done_day = anchor.id, local_day(value)
                    ob.done_at = instant(value)
                out.append(ob)
                continue

            start = clock_from or anchor
            earliest = self._earliest(start, cal)
            chosen = self._pick(anchor, start, member, earliest, by_ref, loose, used)

            if self.superseded and i + 1 < len(anchors):
                nxt = anchors[i + 1][0]
                if chosen is None or before(nxt, chosen):
                    # a new anchor before this one was satisfied replaces it; targets that
                    # named the old anchor now count for the new one
                    by_ref.setdefault(nxt.id, [])[:0] = by_ref.pop(anchor.id, [])
                    continue
            if not self._set_deadline(ob, start, view, cal):
                continue
            if ob.fixed_status is None and ob.due is not None:
                cancel = self._cancel(anchor, ob.due, cancels)
                # Ruling 3: an obligation satisfied on or before the cancellation stays
                if cancel is not None and (chosen is None or before(cancel, chosen)):
                    continue
            if chosen is not None:
                used.add(id(chosen))
                ob.satisfy(chosen)
            out.append(ob)
        return out

    def _earliest(self, start: Item, cal: WorkingCalendar) -> date:
        """The first day a target may fall on: the clock's day, or earlier by allow_before."""
        if self.allow_before is not None:
            return cal.subtract(start.day, self.allow_before)
        return start.day

    def _pick(self, anchor: Item, start: Item, member: str | None, earliest: date,
              by_ref: dict[str, list[Item]], loose: list[Item], used: set[int]) -> Item | None:
        def fits(t: Item, dated: bool) -> bool:
            if id(t) in used or t is anchor or t.id == anchor.id:
                return False
            if dated and not self._on_or_after(t, start, earliest):
                return False
            return member is None or t.fields.get(self.member_field or "") == member

        # semantics.md: a target that names the obligation by ref satisfies it, whatever its
        # date; only targets matched by date must be dated on or after the anchor
        for t in by_ref.get(anchor.id, ()):
            if fits(t, dated=False):
                return t
        for t in loose:
            if fits(t, dated=True):
                return t
        return None

    def _on_or_after(self, t: Item, start: Item, earliest: date) -> bool:
        """Ruling 1: on or after the anchor compares times when both carry one, else dates;
        ``strictly_after`` wants a later day, or a later time the same day."""
        if self.strictly_after:
            return before(start, t)
        if t.day != earliest:
            return t.day > earliest
        if earliest != start.day or t.at is None or start.at is None:
            return True
        return t.at >= start.at

    def _set_deadline(self, ob: Obligation, anchor: Item, view: CaseView,
                      cal: WorkingCalendar) -> bool:
        """Fill in the clock and deadline; False when the obligation does not arise."""
        if self.schedule_ref is not None:
            schedule, n = self.schedule_ref
            step = schedule.occurrence_deadline(view, cal, anchor, n)
            if step is None:
                return False
            if isinstance(step, str):
                ob.fixed_status, ob.reason = "insufficient_data", step
                return True
            ob.due, ob.clock_day = step, anchor.day
            return True
        started = self.clock.start(anchor, view)
        if started is None:
            return False
        assert self.limit is not None
        ob.clock_day = started[0]
        ob.due, ob.due_at = deadline_from(cal, started[0], started[1], self.limit)
        return True

    def _cancel(self, anchor: Item, due: date, cancels: list[Item]) -> Item | None:
        """The first cancellation: on or after the anchor and strictly before the deadline
        (semantics.md: "before the deadline"); on the deadline day the act was still due."""
        found: list[Item] = []
        if self.cancel_on_episode_end and anchor.end is not None and anchor.end < due:
            found.append(Item(anchor.id, "end", anchor.end, None, None, {}, anchor.pointer))
        for c in cancels:
            if anchor.day <= c.day < due:
                found.append(c)
                break
        return min(found, key=lambda c: c.day) if found else None
