"""Schedule rules: a repeating act, each occurrence due an interval after the previous one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from engine.calendar import Duration, WorkingCalendar, age_on
from engine.records.caseview import CaseView, Item

from .obligation import CompiledRule, Obligation, Predicate, Source

if TYPE_CHECKING:
    from .followup import FollowUp


@dataclass
class IntervalChoice:
    """One line of a schedule's interval table: conditions, then the interval."""

    interval: Duration
    occurrence: int | None = None
    occurrence_at_least: int | None = None
    age_under: int | None = None
    age_at_least: int | None = None
    previous_in_first: Duration | None = None
    previous_after_first: Duration | None = None
    episode: Predicate | None = None

    @property
    def needs_age(self) -> bool:
        return self.age_under is not None or self.age_at_least is not None

    @property
    def unconditional(self) -> bool:
        """No condition at all: the line always applies (most schedules have just this one)."""
        return (self.occurrence is None and self.occurrence_at_least is None
                and self.episode is None and self.previous_in_first is None
                and self.previous_after_first is None and not self.needs_age)

    def matches(self, n: int, previous: date, episode: Item, dob: date | None,
                cal: WorkingCalendar) -> bool | None:
        """True/False; None when it needs a date of birth the record lacks."""
        if self.occurrence is not None and n != self.occurrence:
            return False
        if self.occurrence_at_least is not None and n < self.occurrence_at_least:
            return False
        if self.episode is not None and not self.episode(episode):
            return False
        first = self.previous_in_first
        if first is not None and previous >= cal.add(episode.day, first):
            return False
        after = self.previous_after_first
        if after is not None and previous < cal.add(episode.day, after):
            return False
        if self.needs_age:
            if dob is None:
                return None
            age = age_on(dob, previous)
            if self.age_under is not None and age >= self.age_under:
                return False
            if self.age_at_least is not None and age < self.age_at_least:
                return False
        return True


@dataclass
class Schedule(CompiledRule):
    """While an episode is open, a target recurs within an interval of the previous one."""

    rule_id: str
    over: Source
    target: Source
    intervals: list[IntervalChoice]
    start_event: Source | None = None
    start_rule: FollowUp | None = None  # the start is the target that satisfied it, if any
    kind: str = "schedule"

    def _interval(self, n: int, previous: date, episode: Item, dob: date | None,
                  cal: WorkingCalendar) -> Duration | str | None:
        for choice in self.intervals:
            ok = choice.matches(n, previous, episode, dob, cal)
            if ok is None:
                return "the child's date of birth is not recorded"
            if ok:
                return choice.interval
        return None

    def _satisfied_starts(self, view: CaseView, cal: WorkingCalendar) -> dict[str, str]:
        """Episode id -> id of the start event that satisfied ``start_rule`` for it."""
        if self.start_rule is None:
            return {}
        return {ob.anchor.id: ob.done_id for ob in self.start_rule.evaluate(view, cal)
                if ob.done_id is not None}

    def _walk(self, view: CaseView, cal: WorkingCalendar, episode: Item,
              project_to: int | None = None,
              starts: dict[str, str] | None = None) -> Iterator[Obligation]:
        """The obligations of one episode in order.  With ``project_to``, carry on past an
        unmet occurrence as if it were held on its due date, up to that occurrence, and count
        occurrences held within the episode even when their deadline fell after it ended."""
        last_day = episode.end
        start: Item = episode
        if self.start_event is not None:
            events = self.start_event.items(view)
            chosen = (starts or {}).get(episode.id)
            held = [e for e in events if e.id == chosen]
            firsts = [e for e in events
                      if e.day >= episode.day and (last_day is None or e.day <= last_day)]
            if not (held or firsts):
                return
            start = (held or firsts)[0]
        start_day = start.day
        targets = [t for t in self.target.items(view)
                   if t.day >= start_day and (last_day is None or t.day <= last_day)
                   and t is not start]
        dob = view.date_of_birth
        choices = self.intervals
        # a single line without conditions (most schedules): no table to consult each time
        fixed = choices[0].interval if len(choices) == 1 and choices[0].unconditional else None
        rule_id, add, n_targets = self.rule_id, cal.add, len(targets)
        previous, prev_id, n, idx = start_day, start, 1, 0
        # positional construction below: this loop makes most of a sweep's obligations
        while True:
            interval = fixed or self._interval(n, previous, episode, dob, cal)
            if interval is None:
                return
            anchor = Item(prev_id.id, prev_id.type, previous, prev_id.at, None, {},
                          prev_id.pointer, last_day)
            if isinstance(interval, str):
                yield Obligation(rule_id, anchor, None, occurrence=n,
                                 fixed_status="insufficient_data", reason=interval)
                return
            due = add(previous, interval)
            if last_day is not None and due > last_day and (project_to is None
                                                            or idx >= n_targets):
                return  # the episode ended before this one fell due
            if idx < n_targets:
                done = targets[idx]
                yield Obligation(rule_id, anchor, due, interval.unit, None, done.id, done.day,
                                 done.at, n, None, None, None, previous, interval, [], last_day)
                previous, prev_id = done.day, done
                idx += 1
            else:
                yield Obligation(rule_id, anchor, due, interval.unit, None, None, None, None, n,
                                 None, None, None, previous, interval, [], last_day)
                if project_to is None or n >= project_to:
                    return
                previous = due
                prev_id = Item(f"{episode.id}#projected-{n}", "projected", due, None, None, {},
                               episode.pointer)
            n += 1

    def evaluate(self, view: CaseView, cal: WorkingCalendar) -> list[Obligation]:
        out: list[Obligation] = []
        episodes = self.over.items(view)
        starts = self._satisfied_starts(view, cal) if episodes else {}
        for episode in episodes:
            out.extend(self._walk(view, cal, episode, starts=starts))
        return out

    def occurrence_deadline(self, view: CaseView, cal: WorkingCalendar, episode: Item,
                            n: int) -> date | str | None:
        """The date occurrence n was held if it has been, else its (projected) due date;
        a reason string when it cannot be decided; None when the episode ended first."""
        starts = self._satisfied_starts(view, cal)
        for ob in self._walk(view, cal, episode, project_to=n, starts=starts):
            if ob.fixed_status == "insufficient_data":
                return ob.reason or "insufficient data"
            if ob.occurrence == n:
                return ob.done_day if ob.done_day is not None else ob.due
        return None
