"""Threshold rules: when N anchors fall within a window, a target is due."""

from __future__ import annotations

from dataclasses import dataclass

from engine.calendar import Duration, WorkingCalendar
from engine.records.caseview import CaseView, Item

from .obligation import Clock, CompiledRule, Obligation, Source, deadline_from


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
        anchors = self.anchor.items(view)
        if len(anchors) < self.count:
            return []
        targets = self.target.items(view)
        out: list[Obligation] = []
        counted: list[Item] = []
        pending: Obligation | None = None
        ti = 0
        for a in anchors:
            while ti < len(targets) and targets[ti].day < a.day:
                if pending is not None:
                    pending.satisfy(targets[ti])
                    out.append(pending)
                    pending = None
                counted = []  # after a target the count starts again
                ti += 1
            if pending is not None:
                continue  # one open obligation at a time
            counted.append(a)
            counted = [x for x in counted if a.day <= cal.add(x.day, self.window)]
            if len(counted) >= self.count:
                started = self.clock.start(a, view) or (a.day, a.at)
                due, due_at = deadline_from(cal, started[0], started[1], self.limit)
                pending = Obligation(self.rule_id, a, due, unit=self.limit.unit, due_at=due_at,
                                     clock_day=started[0], limit=self.limit,
                                     evidence=[x.id for x in counted])
                counted = []
        if pending is not None:
            if ti < len(targets):
                pending.satisfy(targets[ti])
            out.append(pending)
        return out
