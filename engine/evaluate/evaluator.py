"""Evaluate one case against a compiled rule set: obligations -> statuses -> findings.

Rules are compiled once per rule set; each case is turned into one as-of view (events sorted
once, bucketed by type) that every rule reads.  No I/O and no output formats here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from engine.calendar import CalendarRangeError, WorkingCalendar
from engine.evaluate.coverage import Coverage
from engine.evaluate.findings import CaseResult, Finding
from engine.evaluate.messages import CHECK_MET, DEFAULTS, render_by
from engine.evaluate.obligation import CompiledRule, Obligation
from engine.evaluate.status import OUTSTANDING, days_late, status_of, warn_until
from engine.records.caseview import CaseView
from engine.records.models import EPISODE_TYPES, EVENT_TYPES, team_of
from engine.records.problems import Problem, internal_problem
from engine.rules.templates import PLACEHOLDER


@dataclass
class RuleMeta:
    """What a finding needs to say about its rule."""

    id: str
    title: str
    pack: str
    kind: str
    source: str
    target_label: str
    anchor_label: str
    messages: dict[str, str]
    standard: str | None = None


class RuleNotEvaluated(Exception):
    """A rule an alternative obligation source could not evaluate for this case."""

    def __init__(self, message: str, expected: str) -> None:
        super().__init__(message)
        self.expected = expected


ObligationSource = Callable[[RuleMeta, CaseView], list[Obligation]]


_EPISODE_TYPES = frozenset(EPISODE_TYPES)


def involvement(record: dict[str, Any], as_of: date) -> list[tuple[date, date | None]]:
    """The record's periods of involvement as they stood at ``as_of``: episodes of every type
    joined where they overlap or touch (Ruling 5), each (start, end or None while open)."""
    far = date.max
    spans = sorted((ep["start"], ep["end"] if ep.get("end") is not None
                    and ep["end"] <= as_of else far)
                   for ep in record.get("episodes") or () if ep["start"] <= as_of)
    out: list[tuple[date, date | None]] = []
    for start, stop in spans:
        end = None if stop is far else stop
        if out:
            last_start, last_end = out[-1]
            if last_end is None or start <= last_end + timedelta(days=1):
                if last_end is not None and (end is None or end > last_end):
                    out[-1] = (last_start, end)
                continue
        out.append((start, end))
    return out


def governing_end(ob: Obligation, kind: str,
                  periods: list[tuple[date, date | None]]) -> date | None:
    """When the episode that governs ``ob`` closed (on or before as-of), or None while it is
    open or none is known (decision 0004): a schedule's episode; an anchor that is itself an
    episode or period; otherwise the period of involvement holding the anchor's date, or the
    first one after it."""
    if kind == "schedule":
        return ob.stops
    anchor = ob.anchor
    if anchor.type == "period" or anchor.type in _EPISODE_TYPES:
        return anchor.end
    for _start, end in periods:
        if end is None or end >= anchor.day:
            return end
    return None


def _unit_words(unit: str, n: int | None) -> str:
    word = "working days" if unit == "working_days" else "days"
    return word[:-1] if n == 1 else word


def after_death(found: list[Obligation], died: date) -> list[Obligation]:
    """No obligation falls due after the child's death: one due later is dropped unless it was
    already done; one due by then and not done stays as a historic breach whose lateness stops
    at the date of death (docs/decisions/0006-real-data-in.md)."""
    kept = []
    for ob in found:
        if ob.due is not None and ob.due > died and ob.done_day is None:
            continue
        if ob.due is not None and ob.done_day is None:
            ob.stops = died if ob.stops is None else min(ob.stops, died)
        kept.append(ob)
    return kept


class RuleSet:
    """Compiled rules plus the calendar and warning window of one profile."""

    def __init__(self, rules: list[tuple[CompiledRule, RuleMeta]], calendar: WorkingCalendar,
                 warn: int = 5, profile: str = "england",
                 known_event_types: frozenset[str] = EVENT_TYPES) -> None:
        self.rules = rules
        self.known_event_types = known_event_types
        self.calendar = calendar
        self.warn = warn
        self.profile = profile
        self.event_types = frozenset().union(*(r.event_types for r, _ in rules))
        self.episode_types = frozenset().union(*(r.episode_types for r, _ in rules))
        self.meta = {m.id: m for _, m in rules}
        self.renderer = Renderer(calendar)
        # due_soon_from by (due, window, as-of): a sweep asks for the same few hundred dates
        # thousands of times (a walk of the calendar each)
        self._due_soon: dict[tuple[date, int, date], date] = {}
        # what each rule needs of a source, once per rule set (coverage.py)
        self.coverage = Coverage({m.id: r.needs for r, m in rules})

    def evaluate(self, record: dict[str, Any], as_of: date, warn: int | None = None,
                 obligations: ObligationSource | None = None) -> CaseResult:
        """``record`` is a validated case record (``records.parse_record``).

        ``obligations`` replaces the compiled rules as the source of obligations (the durable
        engine uses it); statuses, lateness and messages stay the same."""
        allocation = record.get("allocation") or {}
        result = CaseResult(record["case_id"], as_of, self.profile, evaluated=True,
                            team=team_of(record), worker=allocation.get("worker"),
                            manager=allocation.get("manager"))
        view = CaseView(record, as_of, self.event_types, self.episode_types)
        for gap in view.short_breaks:
            result.warnings.append(Problem(
                "short-break care (legal status V3/V4) left out of the looked-after rules"
                + (f" until {gap.until.isoformat()}" if gap.until else "")
                + "; the catalogue has no short-break rules yet", pointer=gap.pointer,
                expected="short-break timescales (Care Planning Regulations 2010, reg. 48)"))
        result.short_breaks = len(view.short_breaks)
        skip: frozenset[str] = frozenset()
        if record.get("source") is not None:
            result.not_assessable = self.coverage.not_assessable(record)
            skip = frozenset(n.rule for n in result.not_assessable)
        died = record["child"].get("date_of_death")
        if died is not None and died > as_of:
            died = None  # as the case stood on the as-of date, the child was alive
        cal = self.calendar
        if not cal.first <= as_of <= cal.last:
            result.errors.append(Problem(
                f"as-of {as_of.isoformat()} is outside the working-day calendar "
                f"({cal.first.year}-{cal.last.year})",
                expected="an as-of date the calendar covers"))
            result.next_change = as_of + timedelta(days=1)
            return result
        window = self.warn if warn is None else warn
        try:
            until: date | None = warn_until(cal, as_of, window)
        except CalendarRangeError:
            until = None  # only obligations still open and not yet overdue need it
        periods = involvement(record, as_of)
        present = view.present
        findings = result.findings
        make = self._finding
        for rule, meta in self.rules:
            if meta.id in skip:
                continue  # not assessable from this source: listed, never breached
            if obligations is None and rule.anchor_types is not None \
                    and rule.anchor_types.isdisjoint(present):
                continue  # nothing in the record can start this rule's clock
            try:
                found = (obligations(meta, view) if obligations is not None
                         else rule.evaluate(view, cal))
                if not found:
                    continue
                if died is not None:
                    found = after_death(found, died)
                # all of a rule's findings or none: a rule that fails part-way reports an error
                findings.extend([make(ob, meta, as_of, until, periods) for ob in found])
            except CalendarRangeError as exc:
                result.errors.append(Problem(str(exc), rule=meta.id,
                                             expected="dates within the working-day calendar"))
            except RuleNotEvaluated as exc:
                result.errors.append(Problem(str(exc), rule=meta.id, expected=exc.expected))
            except Exception as exc:  # last resort: one rule never stops a case
                result.errors.append(internal_problem(exc, rule=meta.id))
        findings.sort(key=_finding_order)
        result.next_change = (as_of + timedelta(days=1) if result.errors
                              else self._next_change(findings, view.next_change, as_of, window))
        return result

    def _next_change(self, findings: list[Finding], nxt: date | None, as_of: date,
                     window: int) -> date | None:
        """The first day after ``as_of`` on which a finding's status could change by time
        alone: a due-soon deadline passing, a pending one entering the warning window; or
        ``nxt``, the case view's first dated item (or birthday) still to come."""
        cal = self.calendar
        slack = timedelta(days=3 * window + 30)  # the warning window never spans more
        for f in findings:
            status = f.status
            if status == "due_soon":
                day = f.due + timedelta(days=1)  # type: ignore[operator]
            elif status == "pending":
                due: date = f.due  # type: ignore[assignment]
                if nxt is not None and due - slack >= nxt:
                    continue
                key = (due, window, as_of)
                cached = self._due_soon.get(key)
                if cached is not None:
                    day = cached
                else:
                    try:
                        day = due_soon_from(cal, due, window, as_of)
                    except CalendarRangeError:
                        day = as_of + timedelta(days=1)
                    else:
                        if len(self._due_soon) > 100_000:
                            self._due_soon.clear()
                        self._due_soon[key] = day
            else:
                continue
            if nxt is None or day < nxt:
                nxt = day
        return nxt

    def _finding(self, ob: Obligation, meta: RuleMeta, as_of: date,
                 warn_until: date | None,
                 periods: list[tuple[date, date | None]] | None = None) -> Finding:
        status = status_of(ob, as_of, warn_until)
        ended = governing_end(ob, meta.kind, periods or [])
        late = (None if ob.due is None or status not in _LATENESS
                else days_late(ob, status, as_of, self.calendar, ended))
        outstanding = status in OUTSTANDING
        return Finding(meta.id, status, ob.anchor.id, ob.anchor.day, ob.due, ob.done_id,
                       ob.done_day, late, None, meta.source, meta.title, ob.occurrence,
                       ob.member, ob.evidence,
                       "working_days" if ob.unit == "working_days" else "days",
                       ob.clock_day, outstanding and ended is None, ended,
                       (self.renderer, ob, meta, as_of, status, late, ended))


_LATENESS = frozenset({"late", "overdue"})
_DYNAMIC = ("days_late", "unit", "as_of")


def _finding_order(f: Finding) -> tuple[Any, ...]:
    return (f.rule, f.anchor_date, f.occurrence or 0, f.anchor_id, f.member or "")


def due_soon_from(cal: WorkingCalendar, due: date, warn: int, as_of: date) -> date:
    """The first as-of date after ``as_of`` on which a deadline of ``due`` is due soon (Ruling
    7: within ``warn`` working days, counted in (as-of, due])."""
    day = due - timedelta(days=warn)  # warn_until(d) >= d + warn, so due soon from here
    while day - timedelta(days=1) > as_of and warn_until(cal, day - timedelta(days=1),
                                                         warn) >= due:
        day -= timedelta(days=1)
    return max(day, as_of + timedelta(days=1))


class Renderer:
    """Finding messages from their templates, rendered only when a message is read."""

    def __init__(self, cal: WorkingCalendar) -> None:
        self.cal = cal

    @staticmethod
    def template(meta: RuleMeta, status: str) -> str:
        template = meta.messages.get(status)
        if template is None:
            template = CHECK_MET if (status == "met" and meta.kind == "check") else DEFAULTS[status]
        return template

    def value(self, ctx: tuple[Any, ...], name: str) -> object:
        _, ob, meta, as_of, _status, late, _ended = ctx
        # computed only for the placeholders the template uses
        get = _VALUES.get(name)
        return None if get is None else get(self, ob, meta, as_of, late)

    def message(self, ctx: tuple[Any, ...]) -> str:
        _, ob, meta, as_of, status, late, ended = ctx
        message = render_by(self.template(meta, status), _VALUES, self, ob, meta, as_of, late)
        if ended is not None and status in OUTSTANDING:
            message += f" (closed {ended.isoformat()}: no longer actionable)"
        return message

    def growth(self, ctx: tuple[Any, ...]) -> dict[str, Any] | None:
        """For an overdue finding still growing (its episode open, no stop): the due date,
        unit and message with everything but lateness and as-of filled in (``regrow``)."""
        _, ob, meta, _as_of, status, _late, ended = ctx
        if status != "overdue" or ended is not None or ob.stops is not None or ob.due is None:
            return None
        segments: list[Any] = []
        for i, piece in enumerate(PLACEHOLDER.split(self.template(meta, status))):
            if i % 2 == 0:
                segments.append(piece)
            elif piece in _DYNAMIC:
                segments.append([piece])
            else:
                v = self.value(ctx, piece)
                segments.append("{" + piece + "}" if v is None else str(v))
        return {"due": ob.due.isoformat(),
                "unit": "working_days" if ob.unit == "working_days" else "days",
                "segments": segments}


def _anchor_words(r: Renderer, ob: Obligation, meta: RuleMeta, as_of: date,
                  late: int | None) -> str:
    first = ob.occurrence in (None, 1)
    return meta.anchor_label if first else f"the previous {meta.target_label}"


def _elapsed(r: Renderer, ob: Obligation, meta: RuleMeta, as_of: date,
             late: int | None) -> int | None:
    if ob.done_day is None or ob.clock_day is None:
        return None
    unit = "working_days" if ob.unit == "working_days" else "days"
    return r.cal.lateness(ob.clock_day, ob.done_day, unit)


# What each placeholder says, from (renderer, obligation, rule, as-of, days late): one call
# per placeholder (messages are a good part of a sweep's time); an unknown name gives None.
_VALUES: dict[str, Callable[[Renderer, Obligation, RuleMeta, date, int | None], object]] = {
    "target": lambda r, ob, meta, as_of, late: meta.target_label,
    "anchor": _anchor_words,
    "anchor_date": lambda r, ob, meta, as_of, late: ob.anchor.day.isoformat(),
    "clock_date": lambda r, ob, meta, as_of, late:
        ob.clock_day.isoformat() if ob.clock_day else None,
    "due": lambda r, ob, meta, as_of, late: ob.due.isoformat() if ob.due else None,
    "done_date": lambda r, ob, meta, as_of, late:
        ob.done_day.isoformat() if ob.done_day else None,
    "limit": lambda r, ob, meta, as_of, late: str(ob.limit) if ob.limit else "the deadline",
    "days_late": lambda r, ob, meta, as_of, late: late,
    "unit": lambda r, ob, meta, as_of, late: _unit_words(ob.unit, late),
    "elapsed": _elapsed,
    "as_of": lambda r, ob, meta, as_of, late: as_of.isoformat(),
    "title": lambda r, ob, meta, as_of, late: meta.title,
    "anchor_id": lambda r, ob, meta, as_of, late: ob.anchor.id,
    "done_id": lambda r, ob, meta, as_of, late: ob.done_id,
    "occurrence": lambda r, ob, meta, as_of, late: ob.occurrence,
    "member": lambda r, ob, meta, as_of, late: ob.member,
    "reason": lambda r, ob, meta, as_of, late: ob.reason,
}


def regrow(growth: dict[str, Any], as_of: date, cal: WorkingCalendar) -> tuple[int, str]:
    """A growing overdue finding (``Renderer.growth``) stated at a later ``as_of`` on which its
    status has not changed: (days late, message)."""
    late = cal.lateness(date.fromisoformat(growth["due"]), as_of, growth["unit"])
    words = {"days_late": str(late), "unit": _unit_words(growth["unit"], late),
             "as_of": as_of.isoformat()}
    return late, "".join(s if isinstance(s, str) else words[s[0]]
                         for s in growth["segments"])
