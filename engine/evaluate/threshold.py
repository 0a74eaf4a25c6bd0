"""Threshold rules: when N anchors fall within a window, a target is due."""

from __future__ import annotations

from dataclasses import dataclass

from engine.calendar import Duration, WorkingCalendar
from engine.records.caseview import CaseView, Item

from .obligation import Clock, CompiledRule, Obligation, Source, before, deadline_from


@dataclass
class Threshold(CompiledRule):
    """When N anchors fall within a window, a target is due within a timescale of the Nth."""

    rule_id: str
    anchor: Source
    target: Source
    count: int
    window: Duration
    limit: Duration
    clock: Clock
    kind: str = "threshold"

    def evaluate(self, view: CaseView, cal: WorkingCalendar) -> list[Obligation]:
        """Ruling 6: an unmet obligation absorbs anchors within one window of its own anchor; a
        later anchor starts a new count.  A target satisfies the most recent open obligation
        before it, and the count starts again from the anchors after it."""
        anchors = self.anchor.items(view)
        if len(anchors) < self.count:
            return []
        targets = self.target.items(view)
        out: list[Obligation] = []
        open_: list[Obligation] = []
        counted: list[Item] = []
        ti = 0

        def take_target(target: Item) -> None:
            nonlocal counted
            if open_:
                open_.pop().satisfy(target)
            counted = []  # after a target the count starts again

        for a in anchors:
            # a target on the same day as an anchor (at the same time, or without times) is
            # not before it, so it comes after it (Ruling 1)
            while ti < len(targets) and before(targets[ti], a):
                take_target(targets[ti])
                ti += 1
            if open_ and a.day <= cal.add(open_[-1].anchor.day, self.window):
                continue  # absorbed by the open obligation
            counted.append(a)
            counted = [x for x in counted if a.day <= cal.add(x.day, self.window)]
            if len(counted) >= self.count:
                started = self.clock.start(a, view) or (a.day, a.at)
                due, due_at = deadline_from(cal, started[0], started[1], self.limit)
                ob = Obligation(self.rule_id, a, due, unit=self.limit.unit, due_at=due_at,
                                clock_day=started[0], limit=self.limit,
                                evidence=[x.id for x in counted])
                out.append(ob)
                open_.append(ob)
                counted = []
        for target in targets[ti:]:
            if not open_:
                break
            take_target(target)
        return out
