"""What every kind of rule shares: the obligation, item selection, clocks and deadlines.

The four kinds (``followup.py``, ``schedule.py``, ``threshold.py``, ``check.py``) turn a case
view into obligations.  Plain Python, deterministic, no I/O; statuses are assigned elsewhere
(``status.py``) so that these classes only decide anchor, deadline and what satisfied it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from engine.calendar import Duration, WorkingCalendar
from engine.records.caseview import CaseView, Item, instant, local_day

Predicate = Callable[[Item], bool]


@dataclass(slots=True)
class Obligation:
    """One thing a case must do (or have), with the evidence for its status."""

    rule: str
    anchor: Item
    due: date | None
    unit: str = "days"
    due_at: datetime | None = None
    done_id: str | None = None
    done_day: date | None = None
    done_at: datetime | None = None
    occurrence: int | None = None
    member: str | None = None
    fixed_status: str | None = None  # met / not_met (checks) or insufficient_data
    reason: str | None = None
    clock_day: date | None = None
    limit: Duration | None = None
    evidence: list[str] = field(default_factory=list)
    stops: date | None = None  # schedules: the episode end, after which lateness stops growing

    def satisfy(self, target: Item) -> None:
        self.done_id, self.done_day, self.done_at = target.id, target.day, target.at


# ---------------------------------------------------------------------------------------------
# selection


def recorded(value: Any) -> Any:
    """A field's value, or None when it is not recorded (Ruling 8: blank text is absent)."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def compile_where(where: dict[str, Any] | None) -> Predicate | None:
    """A filter on item fields: equality, ``{not: v}``, ``{in: [...]}``, ``{present: bool}``.

    Blank text counts as not recorded (Ruling 8) in every condition."""
    if not where:
        return None
    tests: list[Predicate] = []
    for name, cond in where.items():
        if isinstance(cond, dict):
            op, arg = next(iter(cond.items()))
            if op == "not":
                tests.append(lambda it, n=name, a=arg: recorded(it.fields.get(n)) != a)
            elif op == "in":
                allowed = tuple(arg)
                tests.append(lambda it, n=name, a=allowed: recorded(it.fields.get(n)) in a)
            else:
                tests.append(
                    lambda it, n=name, a=arg: (recorded(it.fields.get(n)) is not None) == a)
        else:
            tests.append(lambda it, n=name, v=cond: recorded(it.fields.get(n)) == v)
    if len(tests) == 1:
        return tests[0]
    return lambda it: all(t(it) for t in tests)


@dataclass(frozen=True)
class Source:
    """Where items come from: events of a type, starts of episodes, or periods of involvement."""

    event: str | None = None
    episodes: tuple[str, ...] = ()
    period: bool = False
    where: Predicate | None = None

    def items(self, view: CaseView) -> list[Item]:
        """The items, in order; shared, not to be changed. Filtered or merged lists are made
        once per case view, since several rules (and each episode of a schedule) ask again."""
        if self.where is None and not self.period and self.event is not None:
            return view.events(self.event)  # already a list the view keeps
        memo = view.memo
        found = memo.get(self)
        if found is None:
            found = memo[self] = self._select(view)
        return found

    def _select(self, view: CaseView) -> list[Item]:
        if self.event is not None:
            found = view.events(self.event)
        else:
            found = []
            for kind in self.episodes:
                found.extend(view.episodes(kind))
            if len(self.episodes) > 1:
                found.sort(key=lambda it: (it.day, it.id))
        if self.where is not None:
            found = [it for it in found if self.where(it)]
        if self.period:
            found = merge_periods(found)
        return found


def merge_periods(episodes: list[Item]) -> list[Item]:
    """Union of overlapping or touching episodes (next start no later than the day after the
    previous end) as periods of involvement (Ruling 5); each period takes its first episode's
    id, and lists the ids of all its episodes in ``fields["episodes"]`` (for ``ref``)."""
    periods: list[Item] = []
    current: Item | None = None
    for ep in sorted(episodes, key=lambda it: (it.day, it.id)):
        if current is not None and (current.end is None or ep.day <= current.end + timedelta(1)):
            if current.end is not None and (ep.end is None or ep.end > current.end):
                current.end = ep.end
            current.fields["episodes"].append(ep.id)
            continue
        current = Item(ep.id, "period", ep.day, None, None,
                       {"types": ep.type, "episodes": [ep.id]}, ep.pointer,
                       end=ep.end, order=ep.order)
        periods.append(current)
    return periods


def before(a: Item, b: Item) -> bool:
    """Ruling 1: ``a`` comes strictly before ``b``: an earlier day, or the same day at an
    earlier time when both carry a time."""
    if a.day != b.day:
        return a.day < b.day
    return a.at is not None and b.at is not None and a.at < b.at


def named_ids(anchor: Item) -> tuple[str, ...]:
    """The ids a target's ``ref`` may name to bind to this anchor (Ruling 2): the anchor itself
    or, for a period of involvement, any of its episodes."""
    if anchor.type == "period":
        return tuple(anchor.fields["episodes"])
    return (anchor.id,)


# ---------------------------------------------------------------------------------------------
# rule kinds


class CompiledRule:
    rule_id: str
    kind: str
    event_types: frozenset[str] = frozenset()
    episode_types: frozenset[str] = frozenset()
    can_produce: frozenset[str] = frozenset()
    # event or episode types one of which must be in the case view for the rule to raise any
    # obligation (what can start its clock); None: always evaluate
    anchor_types: frozenset[str] | None = None
    # (anchor needs, target needs) for "not assessable from this source" (coverage.py)
    needs: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())

    def evaluate(self, view: CaseView, cal: WorkingCalendar) -> list[Obligation]:
        raise NotImplementedError


@dataclass
class Clock:
    """Which date on an anchor starts its clock: the first present of a list of fields."""

    fields: tuple[str, ...]

    def start(self, anchor: Item, view: CaseView) -> tuple[date, datetime | None] | None:
        for name in self.fields:
            if name in ("date", "start"):
                return anchor.day, anchor.at
            if name.startswith("ref.") and name.endswith(".date"):
                # ref.date: whatever the ref names; ref.<type>.date: only an item of that type
                kind = name[len("ref."):-len(".date")]
                if anchor.ref:
                    ref = view.lookup(anchor.ref)
                    if ref is not None and (not kind or ref.type == kind):
                        return ref.day, ref.at
                continue
            if name == "end" and anchor.end is not None:
                return anchor.end, None
            value = anchor.fields.get(name)
            if isinstance(value, date):  # an undeclared field is never taken for a date
                return local_day(value), instant(value)
        return None


def deadline_from(cal: WorkingCalendar, start: date, start_at: datetime | None,
                  limit: Duration) -> tuple[date, datetime | None]:
    """The deadline for a clock started at ``start``; hours from a date-time run in real time."""
    if limit.unit == "hours" and start_at is not None:
        due_at = cal.add_to_datetime(start_at, limit)
        return local_day(due_at), due_at
    return cal.add(start, limit), None
