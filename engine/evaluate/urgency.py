"""What a manager should do first: findings put in the order of urgency, with plain labels.

The manager's view (``engine.reports.text``) and the auditor's section (``engine.reports.audit``)
both need the same three things, and they belong to evaluation rather than to a reporter:

- **which findings are to-dos**: ``Finding.actionable`` (an outstanding obligation whose episode
  is still open). An outstanding finding on a closed episode is *historic*: it is counted, never
  listed as something to do;
- **the ordering key**: statutory (the ``england`` pack, ``ENG-*``) before local (``PRC-*``),
  then by how overdue in **calendar days** (``days_late`` counts in the rule's own unit, so
  5 working days and 5 days are not the same lateness and must not be compared as numbers),
  then by due date and rule id;
- **a plain-English label** for each finding, from the rule's target label ("Review
  conference"), with the plan it belongs to where two rules share a target ("Visit (child
  seen), child protection plan").

``case_overview`` summarises the record for a view's header: the child's age, allocation and
the episodes open and closed at the as-of date (ids, types and dates only: never free text).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from engine.calendar import age_on
from engine.evaluate.evaluator import RuleMeta
from engine.evaluate.findings import CaseResult, Finding

HORIZON = timedelta(weeks=6)  # "next 6 weeks": pending deadlines this close are listed
OUTSTANDING = frozenset({"overdue", "not_met", "due_soon", "pending"})
STATUTORY_PACK = "england"

EPISODE_LABELS = {
    "cin_plan": "child in need plan",
    "cp_plan": "child protection plan",
    "looked_after": "looked after",
    "placement": "placement",
    "care_proceedings": "care proceedings",
    "care_leaver": "care leaver",
    "private_fostering": "private fostering",
    "early_help": "early help",
    "pre_proceedings": "pre-proceedings",
    "cin_episode": "child in need episode",
}

# the order of the buckets in a view; "todo" is overdue or not met, and still actionable
BUCKETS = ("todo", "due_soon", "coming_up", "later", "late", "historic", "undecided", "met")


def is_statutory(rule: str, meta: Mapping[str, RuleMeta] | None = None) -> bool:
    """A statutory timescale (the england pack) rather than a local practice standard."""
    m = meta.get(rule) if meta else None
    if m is not None:
        return m.pack == STATUTORY_PACK
    return rule.startswith("ENG-")


def calendar_days_overdue(f: Finding, as_of: date) -> int:
    """How far past its deadline an outstanding finding is, in calendar days, counted to the
    as-of date or to the end of its episode if that came first; 0 when not past due."""
    if f.due is None or f.status not in ("overdue", "not_met"):
        return 0
    stop = min(as_of, f.episode_end) if f.episode_end else as_of
    return max(0, (stop - f.due).days)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def labels_for(meta: Mapping[str, RuleMeta]) -> dict[str, str]:
    """A plain label per rule: its target ("Case supervision"); a check rule's title; where two
    rules share a target, the plan its clock runs from is added."""
    base: dict[str, str] = {}
    for rid, m in meta.items():
        target = m.target_label.strip()
        base[rid] = m.title if m.kind == "check" or target in ("", "requirement") else target
    shared = Counter(base.values())
    out: dict[str, str] = {}
    for rid, text in base.items():
        m = meta[rid]
        if shared[text] > 1:
            plan = m.anchor_label.removesuffix(" start").removeprefix("start of ").strip()
            text = f"{text}, {plan}" if plan else text
        out[rid] = _capital(text)
    return out


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class Item:
    """One finding as a view shows it."""

    finding: Finding
    bucket: str
    label: str
    statutory: bool
    overdue_days: int  # calendar days past due (0 if not past due)

    @property
    def key(self) -> tuple[Any, ...]:
        """The ordering key: statutory first, most overdue (calendar days) first, then due."""
        f = self.finding
        return (not self.statutory, -self.overdue_days, f.due or date.max, f.rule,
                f.anchor_date, f.occurrence or 0)


@dataclass
class Triage:
    """A case's findings in buckets (``BUCKETS``), each in the order a manager works through."""

    as_of: date
    buckets: dict[str, list[Item]] = field(default_factory=dict)

    def __getitem__(self, bucket: str) -> list[Item]:
        return self.buckets.get(bucket, [])

    @property
    def actionable(self) -> list[Item]:
        return self["todo"] + self["due_soon"] + self["coming_up"] + self["later"]

    def counts(self) -> dict[str, int]:
        return {b: len(self[b]) for b in BUCKETS}


def bucket_of(f: Finding, as_of: date, horizon: timedelta = HORIZON) -> str:
    if f.status in OUTSTANDING and not f.actionable:
        return "historic"
    if f.status in ("overdue", "not_met"):
        return "todo"
    if f.status == "due_soon":
        return "due_soon"
    if f.status == "pending":
        return "coming_up" if f.due is not None and f.due <= as_of + horizon else "later"
    if f.status == "insufficient_data":
        return "undecided"
    return f.status  # met, late


def triage(result: CaseResult, meta: Mapping[str, RuleMeta] | None = None,
           horizon: timedelta = HORIZON) -> Triage:
    """The case's findings put in buckets and ordered; ``meta`` is ``RuleSet.meta`` (labels and
    packs); without it the finding's title is the label and ``ENG-`` marks a statutory rule."""
    labels = labels_for(meta) if meta else {}
    out = Triage(result.as_of, {b: [] for b in BUCKETS})
    for f in result.findings:
        bucket = bucket_of(f, result.as_of, horizon)
        out.buckets[bucket].append(Item(f, bucket, labels.get(f.rule, f.title),
                                        is_statutory(f.rule, meta),
                                        calendar_days_overdue(f, result.as_of)))
    for bucket in ("todo", "due_soon", "coming_up", "later", "historic"):
        out.buckets[bucket].sort(key=lambda i: i.key)
    for bucket in ("late", "met", "undecided"):
        out.buckets[bucket].sort(key=lambda i: (i.finding.anchor_date, i.finding.rule),
                                 reverse=True)
    return out


# ---------------------------------------------------------------------------------------------
# the header: who the child is and which plans are open


@dataclass(frozen=True)
class EpisodeLine:
    id: str
    type: str
    label: str
    start: date
    end: date | None  # None, or an end after the as-of date: open
    legal_status: str | None = None

    @property
    def open(self) -> bool:
        return self.end is None


@dataclass
class CaseOverview:
    """What a view's header says about a case: ids, age, allocation, episodes. No free text."""

    case_id: str | None
    child_id: str | None
    age: int | None
    team: str | None
    worker: str | None
    manager: str | None
    legal_status: str | None  # the current legal status of an open looked-after episode
    open: list[EpisodeLine] = field(default_factory=list)
    closed: list[EpisodeLine] = field(default_factory=list)


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _legal_status(ep: Mapping[str, Any], as_of: date) -> str | None:
    current = None
    for ls in ep.get("legal_statuses") or []:
        start, end = _day(ls.get("start")), _day(ls.get("end"))
        if start and start <= as_of and (end is None or end >= as_of):
            current = ls.get("code")
    return current or ep.get("legal_status")


def case_overview(record: Mapping[str, Any], as_of: date) -> CaseOverview:
    """The header of a view from a validated record (``casecheck/case-record@1``)."""
    child = record.get("child") or {}
    alloc = record.get("allocation") or {}
    dob = _day(child.get("date_of_birth"))
    age = age_on(dob, as_of) if dob and dob <= as_of else None
    overview = CaseOverview(record.get("case_id"), child.get("id"), age, alloc.get("team"),
                            alloc.get("worker"), alloc.get("manager"), None)
    for ep in _episodes(record.get("episodes") or []):
        start = _day(ep.get("start"))
        if start is None or start > as_of:
            continue
        end = _day(ep.get("end"))
        kind = str(ep.get("type"))
        label = EPISODE_LABELS.get(kind, kind.replace("_", " "))
        line = EpisodeLine(str(ep.get("id")), kind, label,
                           start, end if end is not None and end <= as_of else None,
                           _legal_status(ep, as_of) if kind == "looked_after" else None)
        (overview.open if line.open else overview.closed).append(line)
        if line.open and line.legal_status and overview.legal_status is None:
            overview.legal_status = line.legal_status
    overview.open.sort(key=lambda e: (e.start, e.id))
    overview.closed.sort(key=lambda e: (e.end or e.start, e.id), reverse=True)
    return overview


def _episodes(items: Iterable[Any]) -> Iterable[Mapping[str, Any]]:
    return (e for e in items if isinstance(e, Mapping))
