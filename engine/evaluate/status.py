"""The seven statuses (semantics.md, "Statuses"), decided from an obligation and the as-of date."""

from __future__ import annotations

from datetime import date, timedelta

from engine.calendar import CalendarRangeError, WorkingCalendar
from engine.evaluate.obligation import Obligation

BREACHES = frozenset({"late", "overdue", "not_met"})
COUNTED = frozenset({"met", "late", "overdue", "not_met"})
# statuses of an obligation still outstanding at the as-of date; actionable only while the
# governing episode (or period of involvement) is open
OUTSTANDING = frozenset({"overdue", "not_met", "due_soon", "pending"})


def warn_until(cal: WorkingCalendar, as_of: date, warn: int) -> date:
    """The last deadline that is still 'due soon': one no more than ``warn`` working days away,
    counting working days in (as-of, deadline].  A deadline at a weekend counts as the working
    day before it, so the day before the (warn+1)th working day is the limit."""
    return cal.add_working_days(as_of, warn + 1) - timedelta(days=1)


def status_of(ob: Obligation, as_of: date, warn_until: date | None) -> str:
    """``warn_until`` is the last date that is still 'due soon' (as-of + the warning window);
    None when the calendar cannot tell (as-of at the very end of its range)."""
    if ob.fixed_status is not None:
        return ob.fixed_status
    assert ob.due is not None
    if ob.done_day is not None:
        if ob.due_at is not None and ob.done_at is not None:
            return "met" if ob.done_at <= ob.due_at else "late"
        return "met" if ob.done_day <= ob.due else "late"
    if ob.due < as_of:
        return "overdue"
    if warn_until is None:
        raise CalendarRangeError(
            f"the warning window after {as_of.isoformat()} leaves the working-day calendar")
    if ob.due <= warn_until:
        return "due_soon"
    return "pending"


def days_late(ob: Obligation, status: str, as_of: date, cal: WorkingCalendar,
              ended: date | None = None) -> int | None:
    """Lateness in the rule's unit: for ``late`` up to the act, for ``overdue`` up to as-of,
    or frozen at ``ended`` (the governing episode's end) when that came first; never below 0
    (an episode that closed before the deadline leaves an unmet obligation 0 late)."""
    if ob.due is None:
        return None
    unit = "working_days" if ob.unit == "working_days" else "days"
    if status == "late" and ob.done_day is not None:
        # can be 0: an hours deadline missed later the same day, or a working-day deadline
        # missed by an act at the weekend straight after it
        return cal.lateness(ob.due, ob.done_day, unit)
    if status == "overdue":
        # a recurring obligation stops growing when its episode ends
        until = as_of if ob.stops is None else min(as_of, ob.stops)
        if ended is not None:
            until = min(until, ended)
            return max(0, cal.lateness(ob.due, until, unit))
        return cal.lateness(ob.due, until, unit)
    return None


def compliance_rate(counts: dict[str, int]) -> float | None:
    """met / (met + late + overdue + not_met); None when nothing counted."""
    counted = sum(counts.get(s, 0) for s in COUNTED)
    return counts.get("met", 0) / counted if counted else None
