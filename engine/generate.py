"""Synthetic cohorts of case records, for demos, tests and benchmarks, with a ledger of the
breaches planted in them.

Real case records are personal data and never leave an authority, so the project needs a
stand-in that looks like a real extract: the same cohorts (child in need, child protection,
looked after, care leavers, private fostering, children who go missing), the same acts at
realistic intervals, and a controlled share of late or missing acts.  There is no free text and
no name anywhere: ids, codes, booleans and dates only.

Breach rates.  ``breach_rate`` is the chance that an obligation (for a schedule, an occurrence)
is breached: its act is late, or (for one-off acts, a share of breaches) never done.
``breach_rates`` overrides it for named rules (``{"PRC-CP-VISIT": 0.3}``).  Rates are per rule
and independent: at 0 a rule reports no breach whatever the other rules' rates, and at 1 every
obligation of the rule that arises is breached (or not yet due).

The ledger.  ``generate_cohort_with_ledger`` yields, with each record, the breaches planted in it
(``PlantedBreach``: case, rule, anchor id, ``late``/``overdue``/``not_met``, and the occurrence
for schedules or the household member for PRC-PF-DBS), which are exactly the breaches the
engine should report with the ``practice`` profile (the ``england`` profile reports the ENG-
subset).  Every rule of both packs is planted exactly; none is restricted to zero.  How:

* Acts are placed with bounds that are independent of the engine's calendar: an act meant to be
  on time falls inside a conservative lower bound of its limit and a late one beyond a
  conservative upper bound.
* Where the outcome turns on the exact deadline (an act not done by the as-of date is overdue
  only if the deadline has passed; a schedule occurrence due after its episode ended is
  dropped; the second looked-after review's date; a return home interview due 72 real hours
  after the return), the generator computes the deadline with ``engine/calendar.py`` (the one
  module with its own exhaustive tests) or, for hours, with the same time-zone arithmetic.
* Follow-up obligations are settled the way semantics.md words it: each anchor, in anchor
  order, takes the earliest unused target dated on or after it.  So a missing act whose
  obligation another act satisfies late is recorded as the ``late`` it then is.
* Schedules are walked as the spec describes: occurrence 1 is anchored on the episode (or
  period, named by its first episode, or the initial health assessment for ENG-CLA-RHA), later
  ones on the previous target; a late act is the next target, and a schedule ends at its
  first unmet occurrence or at an occurrence due after the episode ended.
* Episodes that share targets never touch: a plan that follows another starts the day after,
  so no visit counts in two plans.  One visit can still breach two rules (a late child
  protection visit that is also the late "seen alone" visit), and the ledger lists both.
* The age-dependent rules (PRC-PPM, ENG-CLA-RHA) plant nothing in the few records whose date
  of birth is withheld, where the engine can only say ``insufficient_data``.

The ledger assumes the rules' default parameters and no closure days (the ``practice`` and
``england`` profiles), and dates within the calendar's years (an as-of date in late 2030 can
push a deadline out of range, where the engine reports an error instead).

Speed matters (100k cases feed the sweep benchmark), so the work is done on date ordinals and
quarter-hours, date strings come from a precomputed table, exact deadlines are computed only
where the bounds cannot decide, and random numbers come from one ``random.Random(seed)`` (never
the global generator) so a seed always gives the same cohort.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from .calendar import CalendarRangeError, add_months, age_on, calendar_for
from .records.models import FORMAT

Gap = tuple[int, int]
"""(latest offset in days that is surely in time, earliest offset that is surely late)."""

Event = dict[str, Any]


def _wd(n: int) -> Gap:
    """N working days: at least N plus a weekend per five after the first, at most N plus a
    weekend per five begun plus bank holidays (Christmas and New Year add three)."""
    return n + 2 * ((n - 1) // 5), n + 2 * ((n + 4) // 5) + 8


def _months(m: int) -> Gap:
    """M calendar months: 1 month is 28 to 31 days, 3 months 89 to 92, 6 months 181 to 184."""
    return int(m * 30.4) - 3, math.ceil(m * 31) + 2


def _weeks(w: int) -> Gap:
    return 7 * w, 7 * w + 1


WD1, WD5, WD7, WD10, WD15, WD20, WD45 = (_wd(n) for n in (1, 5, 7, 10, 15, 20, 45))
W1, W6, W8, W12 = (_weeks(n) for n in (1, 6, 8, 12))
M1, M3, M6, M12 = (_months(n) for n in (1, 3, 6, 12))


class _Iv(NamedTuple):
    """A rule's interval: its exact unit and amount (for deadlines) and its bounds (to place
    acts).  Units: ``wd`` working days, ``d`` calendar days, ``m`` months."""

    unit: str
    n: int
    gap: Gap


IV_WD1, IV_WD5, IV_WD7, IV_WD10, IV_WD15, IV_WD20, IV_WD45 = (
    _Iv("wd", n, _wd(n)) for n in (1, 5, 7, 10, 15, 20, 45))
IV_W1, IV_W6, IV_W12 = (_Iv("d", 7 * n, _weeks(n)) for n in (1, 6, 12))
IV_M1, IV_M3, IV_M6, IV_M12 = (_Iv("m", n, _months(n)) for n in (1, 3, 6, 12))

QH = 96  # quarter-hours per day: date-times are kept as ordinal * 96 + quarter
# a wall-clock gap of up to 70 hours is under 72 real hours even across a clock change
RHI_SAFE, RHI_LATE = 70 * 4, 74 * 4
MISSING_SHARE = 0.3  # of breaches, the share where the act never happens (the rest are late)

MIN_EVENTS, MAX_EVENTS = 20, 200
FIRST_DAY = date(2001, 1, 1).toordinal()
LAST_DAY = date(2030, 12, 31).toordinal()
WINDOW_DAYS = 3 * 365
_NEVER = date.max.toordinal()  # a deadline beyond the calendar: never before as-of
UK = ZoneInfo("Europe/London")

# -- the rules whose breaches are planted ----------------------------------------------------

REFERRAL = "ENG-REFERRAL-DECISION-1WD"
ASSESSMENT = "ENG-ASSESSMENT-45WD"
ICPC = "ENG-ICPC-15WD"
CORE_GROUP = "ENG-CP-CORE-GROUP-10WD"
CP_REVIEW = "ENG-CP-REVIEW"
CARE_PLAN = "ENG-CLA-CARE-PLAN-10WD"
CLA_REVIEW = "ENG-CLA-REVIEW"
CLA_VISIT = "ENG-CLA-VISIT"
PERMANENCE = "ENG-CLA-PERMANENCE-PLAN"
IHA = "ENG-CLA-IHA-20WD"
RHA = "ENG-CLA-RHA"
RHI = "ENG-MISSING-RHI-72H"
PF_VISIT = "ENG-PF-VISIT"
PATHWAY_REVIEW = "ENG-CL-PATHWAY-REVIEW"
PPM = "PRC-PPM"
MISSING_STRATEGY = "PRC-MISSING-STRATEGY"
SUPERVISION = "PRC-SUPERVISION"
CP_VISIT = "PRC-CP-VISIT"
CIN_VISIT = "PRC-CIN-VISIT"
CIN_REVIEW = "PRC-CIN-REVIEW"
SEEN_ALONE = "PRC-CP-SEEN-ALONE"
CHRONOLOGY = "PRC-CHRONOLOGY"
CASE_SUMMARY = "PRC-CASE-SUMMARY"
GENOGRAM = "PRC-GENOGRAM"
PLAN_AFTER = "PRC-PLAN-AFTER-ASSESSMENT"
AGENCY_CHECKS = "PRC-CP-AGENCY-CHECKS"
CHILD_SAFETY_PLAN = "PRC-CP-CHILD-SAFETY-PLAN"
LIFE_STORY = "PRC-CLA-LIFE-STORY"
CAMHS = "PRC-CLA-CAMHS-OFFER"
HOME_AGREEMENT = "PRC-HOME-WITH-PARENTS-AGREEMENT"
PF_DBS = "PRC-PF-DBS"
RHI_SAFETY_PLAN = "PRC-RHI-SAFETY-PLAN"
PATHWAY_QUALITY = "PRC-PATHWAY-PLAN-QUALITY"
ETHNICITY_RECORDED = "PRC-ETHNICITY-RECORDED"
REAUDIT = "PRC-REAUDIT-INADEQUATE"

RULES: tuple[str, ...] = (
    REFERRAL, ASSESSMENT, ICPC, CORE_GROUP, CP_REVIEW, CARE_PLAN, CLA_REVIEW, CLA_VISIT,
    PERMANENCE, IHA, RHA, RHI, PF_VISIT, PATHWAY_REVIEW,
    PPM, MISSING_STRATEGY, SUPERVISION, CP_VISIT, CIN_VISIT, CIN_REVIEW, SEEN_ALONE, CHRONOLOGY,
    CASE_SUMMARY, GENOGRAM, PLAN_AFTER, AGENCY_CHECKS, CHILD_SAFETY_PLAN, LIFE_STORY, CAMHS,
    HOME_AGREEMENT, PF_DBS, RHI_SAFETY_PLAN, PATHWAY_QUALITY, ETHNICITY_RECORDED, REAUDIT,
)
"""Every rule the ledger covers: the england and practice packs."""

_AGE_RULES = (PPM, RHA)  # insufficient_data, not a breach, when the date of birth is withheld
_PLAN_TYPES = ("cin_plan", "cp_plan", "looked_after")  # what PRC-PLAN-AFTER-ASSESSMENT accepts
_OPEN_TYPES = ("early_help", "cin_plan", "cp_plan", "looked_after", "placement",
               "private_fostering", "care_leaver", "pre_proceedings", "care_proceedings")


class PlantedBreach(NamedTuple):
    """A breach the generator planted, keyed as the engine's finding would be."""

    case_id: str
    rule: str
    anchor_id: str
    status: str  # late, overdue or not_met
    occurrence: int | None = None  # schedules
    member: str | None = None  # PRC-PF-DBS: the household member


# -- cohorts and codes -----------------------------------------------------------------------

COHORTS: tuple[str, ...] = ("cin", "cp", "cla", "care_leaver", "private_fostering", "missing")
COHORT_WEIGHTS: tuple[float, ...] = (0.30, 0.20, 0.24, 0.10, 0.06, 0.10)
_CUM_WEIGHTS = tuple(sum(COHORT_WEIGHTS[: k + 1]) for k in range(len(COHORT_WEIGHTS)))

TEAMS: dict[str, tuple[str, ...]] = {
    "cin": ("Assessment East", "Assessment West", "Children in Need North"),
    "cp": ("Assessment East", "Assessment West", "Child Protection South"),
    "cla": ("Children in Care",),
    "care_leaver": ("Leaving Care",),
    "private_fostering": ("Children in Need North", "Fostering Support"),
    "missing": ("Adolescent Support", "Children in Need North"),
}
ETHNICITY = ("WBRI", "WBRI", "WBRI", "WBRI", "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC",
             "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN", "AOTH", "BCRB", "BAFR", "BOTH",
             "CHNE", "OOTH", "REFU", "NOBT")
CP_CATEGORY = ("neglect", "neglect", "neglect", "emotional", "emotional", "physical", "sexual",
               "multiple")
LEGAL_STATUS = ("V2", "V2", "V2", "V2", "C2", "C2", "C2", "C1", "C1", "E1", "L1", "J2")
PLACEMENT_TYPE = ("U1", "U3", "U4", "U4", "U5", "U6", "U6", "K2", "R1", "H5", "S1", "P1")
PERMANENCE_OPTION = ("return_home", "adoption", "long_term_foster", "long_term_foster", "sgo",
                     "residential")
AGENCY = ("health", "police", "education", "gp", "probation", "housing")
RHI_OUTCOME = ("completed", "completed", "completed", "completed", "completed", "declined",
               "declined", "offered")
SEEN_BY = ("return_home_worker", "social_worker", "police", "carer")
GRADE = ("outstanding", "good", "good", "good", "requires_improvement", "requires_improvement",
         "requires_improvement", "inadequate", "inadequate")
DOCUMENT = ("birth_certificate", "passport", "ni_number")

# Fillers: acts no rule counts towards (agency checks only count after a section 47 strategy
# discussion, so child protection cases get none as fillers).
# (prefix, type, extra-field maker or None, weight)
_FILL_COMMON: tuple[tuple[str, str, str | None, float], ...] = (
    ("dw-", "direct_work", None, 7.0),
    ("cont-", "contingency_plan", None, 0.6),
    ("adv-", "advocacy_offer", None, 0.5),
    ("ac-", "agency_check", "agency", 1.5),
    ("idd-", "identity_document", "document", 0.3),
)
_FILL_CLA: tuple[tuple[str, str, str | None, float], ...] = (
    ("pep-", "pep", None, 2.0),
    ("sdq-", "sdq", None, 0.7),
    ("dent-", "dental_check", None, 0.7),
)


class _FollowUp(NamedTuple):
    """A follow-up obligation waiting to be settled against the targets of its rule: its
    deadline is ``iv`` after ``day``, or the exact ``due`` when given."""

    day: int
    id: str
    iv: _Iv | None
    due: int | None
    earliest: int
    member: str | None
    cancel: int | None  # the episode end that cancels it (if before the deadline)


Walk = tuple[list[int], list[tuple[int, int, str]]]
"""A schedule's act days and its breaches (index of the anchoring act or -1 for the start,
occurrence, status)."""


class _Case:
    """One case being built: events as (day ordinal, dict), episodes likewise, and the ledger."""

    __slots__ = ("breach", "dob", "end", "episodes", "events", "first", "follow", "iso",
                 "iso_base", "n", "planted", "rand", "rates", "rng")

    def __init__(self, rng: random.Random, iso: list[str], iso_base: int, first: int, end: int,
                 breach: float, rates: Mapping[str, float]) -> None:
        self.rng = rng
        self.rand: Callable[[], float] = rng.random
        self.iso = iso
        self.iso_base = iso_base
        self.first = first  # earliest day any event may have (the case's first contact)
        self.end = end  # events and episode boundaries fall strictly before this day (as-of)
        self.breach = breach
        self.rates = rates
        self.events: list[tuple[int, Event]] = []
        self.episodes: list[tuple[int, int | None, dict[str, Any]]] = []
        self.n = 0
        self.dob: int | None = None
        # ledger: (rule, anchor id, status, occurrence, member)
        self.planted: list[tuple[str, str, str, int | None, str | None]] = []
        self.follow: dict[str, tuple[list[_FollowUp], list[tuple[int, str, str | None]]]] = {}

    # -- recording -------------------------------------------------------------------------

    def day(self, o: int) -> str:
        return self.iso[o - self.iso_base]

    def when(self, q: int) -> str:
        """A date-time ``YYYY-MM-DDTHH:MM`` from quarter-hours."""
        return self.iso[q // QH - self.iso_base] + _TIMES[q % QH]

    def add(self, o: int, prefix: str, kind: str,
            extra: dict[str, Any] | None = None) -> str | None:
        """Record an event on day o; None (and nothing recorded) if it falls on or after as-of."""
        if o >= self.end:
            return None
        if o < self.first:
            o = self.first
        self.n += 1
        eid = f"{prefix}{self.n}"
        ev: Event = {"id": eid, "type": kind, "date": self.iso[o - self.iso_base]}
        if extra:
            ev.update(extra)
        self.events.append((o, ev))
        return eid

    def add_target(self, rule: str, o: int, prefix: str, kind: str,
                   extra: dict[str, Any] | None = None, member: str | None = None) -> str | None:
        """Record an event that is a target of a follow-up rule, and register it as one."""
        eid = self.add(o, prefix, kind, extra)
        if eid is not None:
            self.target(rule, max(o, self.first), eid, member)
        return eid

    def add_at(self, q: int, prefix: str, kind: str, extra: dict[str, Any]) -> str | None:
        """Record an event at a date-time (quarter-hours)."""
        o = q // QH
        if o >= self.end:
            return None
        self.n += 1
        eid = f"{prefix}{self.n}"
        ev: Event = {"id": eid, "type": kind, "date": self.when(q)}
        ev.update(extra)
        self.events.append((o, ev))
        return eid

    def episode(self, prefix: str, kind: str, start: int, end: int | None,
                extra: dict[str, Any] | None = None) -> tuple[str, int, int | None] | None:
        """Record an episode: (id, start, end as the engine will see it: None while open on the
        as-of date); None if it starts on or after as-of."""
        if start >= self.end:
            return None
        start = max(start, self.first)
        self.n += 1
        eid = f"{prefix}{self.n}"
        if end is not None and end >= self.end:
            end = None
        elif end is not None:
            end = max(end, start)
        ep: dict[str, Any] = {"id": eid, "type": kind, "start": self.day(start),
                              "end": None if end is None else self.day(end)}
        if extra:
            ep.update(extra)
        self.episodes.append((start, end, ep))
        if kind in _PLAN_TYPES:
            self.target(PLAN_AFTER, start, eid)
        return eid, start, end

    # -- rates and timing --------------------------------------------------------------------

    def rate(self, rule: str | None) -> float:
        return self.breach if rule is None else self.rates.get(rule, self.breach)

    def gap(self, g: Gap, lo: int) -> int:
        """Days to the next act of a schedule no rule checks: in time or late."""
        rand = self.rand
        if rand() >= self.breach:
            return lo + int(rand() * (g[0] - lo + 1))
        return g[1] + int(rand() * (g[1] // 2 + 5))

    def act(self, rule: str | None, g: Gap, lo: int = 0) -> int | None:
        """Days to a one-off act: in time, late, or (a share of breaches) never done."""
        rand = self.rand
        rate = self.rate(rule)
        r = rand()
        if r >= rate:
            return lo + int(rand() * (g[0] - lo + 1))
        if r < rate * MISSING_SHARE:
            return None
        return g[1] + int(rand() * (g[1] // 2 + 5))

    def due(self, o: int, iv: _Iv) -> int:
        """The exact deadline ``iv`` after day o (engine/calendar.py arithmetic)."""
        if o >= _NEVER - 400:
            return _NEVER  # from a deadline already beyond the calendar
        if iv.unit == "d":
            return o + iv.n
        d = date.fromordinal(o)
        if iv.unit == "m":
            return add_months(d, iv.n).toordinal()
        try:
            return calendar_for().add_working_days(d, iv.n).toordinal()
        except CalendarRangeError:
            return _NEVER

    def age(self, o: int) -> int:
        assert self.dob is not None
        return age_on(date.fromordinal(self.dob), date.fromordinal(o))

    def age_days(self, o: int) -> int | None:
        return None if self.dob is None else o - self.dob

    # -- the ledger ------------------------------------------------------------------------

    def plant(self, rule: str, anchor: str, status: str, occurrence: int | None = None,
              member: str | None = None) -> None:
        self.planted.append((rule, anchor, status, occurrence, member))

    def plant_walk(self, rule: str, anchor: str, ids: list[str],
                   breaches: list[tuple[int, int, str]]) -> None:
        """Resolve a schedule's breaches once its acts have ids."""
        for idx, n, status in breaches:
            self.plant(rule, anchor if idx < 0 else ids[idx], status, n)

    def after(self, a: int, iv: _Iv | None, due: int | None, t: int) -> bool:
        """Whether day t is after the deadline: ``due``, or ``iv`` after day a (the bounds
        decide most cases, the calendar the rest).  Day ``self.end`` (the as-of date) is after
        it exactly when an obligation not yet satisfied is overdue."""
        if due is None:
            assert iv is not None
            g0, g1 = iv.gap
            if t - a <= g0:
                return False
            if t - a >= g1:
                return True
            due = self.due(a, iv)
        return t > due

    def field(self, rule: str, anchor: str, a: int, iv: _Iv, done: int | None) -> None:
        """A follow-up due ``iv`` after day a whose target is a date field on the anchor, or
        one act made for it (``done``: the day it was recorded, None if not recorded)."""
        if done is not None:
            if self.after(a, iv, None, done):
                self.plant(rule, anchor, "late")
        elif self.after(a, iv, None, self.end):
            self.plant(rule, anchor, "overdue")

    def oblige(self, rule: str, anchor: str, day: int, iv: _Iv | None = None,
               due: int | None = None, earliest: int | None = None, member: str | None = None,
               cancel: int | None = None) -> None:
        """A follow-up obligation on a recorded anchor, settled when the case is complete."""
        self.follow.setdefault(rule, ([], []))[0].append(
            _FollowUp(day, anchor, iv, due, day if earliest is None else earliest, member,
                      cancel))

    def target(self, rule: str, day: int, tid: str, member: str | None = None) -> None:
        self.follow.setdefault(rule, ([], []))[1].append((day, tid, member))

    def settle(self) -> None:
        """Settle follow-ups as semantics.md words it: taking obligations in anchor order, each
        takes the earliest unused target dated on or after its anchor (or its ``earliest``)."""
        stop = self.end
        for rule, (obligations, targets) in self.follow.items():
            if not obligations:
                continue
            targets.sort()
            used = [False] * len(targets)
            for ob in sorted(obligations, key=lambda f: (f.day, f.id)):
                k = next((k for k, (day, tid, member) in enumerate(targets)
                          if not used[k] and day >= ob.earliest and tid != ob.id
                          and member == ob.member), None)
                if ob.cancel is not None and (k is None or ob.cancel < targets[k][0]) and (
                        not self.after(ob.day, ob.iv, ob.due, ob.cancel + 1)):
                    continue  # cancelled before the deadline, and before any target
                if k is None:
                    if self.after(ob.day, ob.iv, ob.due, stop):
                        self.plant(rule, ob.id, "overdue", member=ob.member)
                    continue
                used[k] = True
                if self.after(ob.day, ob.iv, ob.due, targets[k][0]):
                    self.plant(rule, ob.id, "late", member=ob.member)


def _build_times() -> tuple[str, ...]:
    return tuple(f"T{q // 4:02d}:{(q % 4) * 15:02d}" for q in range(QH))


_TIMES = _build_times()


def _walk(c: _Case, rule: str, start: int, end: int | None,
          plan: Callable[[int, int], tuple[_Iv, int]]) -> Walk:
    """A schedule from ``start`` over an episode ending ``end`` (None: open on the as-of date).
    ``plan(n, previous day)`` gives occurrence n's interval and the earliest offset for its act.
    Returns the days of the acts to record (all within the episode and before as-of) and the
    breaches, as the engine walks the schedule."""
    limit = c.end if end is None else min(end + 1, c.end)
    rate = c.rate(rule)
    rand = c.rand
    days: list[int] = []
    out: list[tuple[int, int, str]] = []
    prev, n, live = start, 1, True  # live: the engine's walk has not stopped
    while True:
        iv, lo = plan(n, prev)
        g0, g1 = iv.gap
        late = live and rand() < rate
        if late:
            o = prev + g1 + int(rand() * (g1 // 2 + 5))
        else:
            o = prev + lo + int(rand() * (g0 - lo + 1))
        if o >= limit:
            # not recorded: the schedule ends here, overdue if it arose and fell due
            if late:
                due = c.due(prev, iv)
                if (end is None or due <= end) and due < c.end:
                    out.append((len(days) - 1, n, "overdue"))
            return days, out
        if late:
            out.append((len(days) - 1, n, "late"))  # due before the act, so within the episode
        elif live and end is not None and prev + g1 > end and c.due(prev, iv) > end:
            live = False  # due after the episode ended: dropped, and the engine stops here
        days.append(o)
        prev, n = o, n + 1


def _schedule(c: _Case, rule: str, anchor: str, start: int, end: int | None,
              plan: Callable[[int, int], tuple[_Iv, int]], prefix: str, kind: str,
              extra: Callable[[], dict[str, Any] | None] | None = None) -> list[str]:
    """Walk a schedule and record its acts (plain events, or with ``extra()`` fields)."""
    days, out = _walk(c, rule, start, end, plan)
    ids = [c.add(o, prefix, kind, extra() if extra else None) or "" for o in days]
    c.plant_walk(rule, anchor, ids, out)
    return ids


def _first_then(first: _Iv, then: _Iv) -> Callable[[int, int], tuple[_Iv, int]]:
    lo1, lo2 = max(1, first.gap[0] // 2), max(1, then.gap[0] // 2)
    return lambda n, prev: (first, lo1) if n == 1 else (then, lo2)


# -- cohort pieces ---------------------------------------------------------------------------


def _intake(c: _Case, t: int, outcome: str) -> int:
    """Contact, referral and assessment; returns the day the assessment was (or is planned to
    be) completed, from which the next step follows."""
    rand = c.rand
    c.add(t, "con-", "contact")
    r = t if rand() < 0.7 else t + 1
    extra: dict[str, Any] = {}
    d = c.act(REFERRAL, WD1, 0)
    decided = None if d is None or r + d >= c.end else r + d
    if decided is not None:
        extra["decision_date"] = c.day(decided)
    rid = c.add(r, "ref-", "referral", extra)
    start = r + int(rand() * 4)
    done = c.act(ASSESSMENT, WD45, 12)
    planned = r + (done if done is not None else WD45[1] + 20)
    if rid is None:
        return planned
    c.field(REFERRAL, rid, r, IV_WD1, decided)
    extra = {"ref": rid}
    completed = None
    if done is not None and r + done < c.end:
        completed = max(r + done, start)
        extra["completed"] = c.day(completed)
        extra["outcome"] = outcome
    aid = c.add(start, "asm-", "assessment", extra)
    if aid is not None:
        c.field(ASSESSMENT, aid, r, IV_WD45, completed)
        if outcome == "cin_plan" and completed is not None:
            c.oblige(PLAN_AFTER, aid, start, due=c.due(completed, IV_WD10))
    return max(planned, start)


def _visits(c: _Case, start: int, limit: int, first: Gap, then: Gap, alone: float) -> None:
    """Visits at a practice cadence that no rule checks (care leavers)."""
    rand = c.rand
    o = start + c.gap(first, first[0] // 3)
    lo = max(1, then[0] // 2)
    while o < limit:
        c.add(o, "v-", "visit", {"seen": True, "seen_alone": rand() < alone})
        o += c.gap(then, lo)


def _months_on(c: _Case, start: int, months: tuple[int, int]) -> int:
    """A planned end between ``months[0]`` and ``months[1]`` months after start."""
    return start + months[0] * 30 + int(c.rand() * (months[1] - months[0]) * 30)


def _cin(c: _Case, start: int, end: int) -> int:
    """A child in need plan with visits and reviews; returns its planned end."""
    ep = c.episode("cin-", "cin_plan", start, end)
    if ep is None:
        return end
    cid, s, e = ep
    rand = c.rand
    days, out = _walk(c, CIN_VISIT, s, e, lambda n, prev: (IV_WD20, 8 if n == 1 else 13))
    ids = [c.add(o, "v-", "visit", {"seen": True, "seen_alone": rand() < 0.6}) or ""
           for o in days]
    c.plant_walk(CIN_VISIT, cid, ids, out)
    _schedule(c, CIN_REVIEW, cid, s, e, _first_then(IV_M3, IV_M3), "cinr-", "cin_review")
    return end


def _agency_checks(c: _Case, discussions: list[tuple[int, str | None]]) -> None:
    """Checks with partner agencies after each section 47 strategy discussion (practice: 15
    working days).  The first check settles the obligation; 0 to 2 more follow it.  With a
    second discussion, the first one's checks come before it when in time; when late, the
    second's are late too (each obligation takes the earliest unused check after it)."""
    rand = c.rand
    for s, sid in discussions:
        if sid is not None:
            c.oblige(AGENCY_CHECKS, sid, s, IV_WD15)

    def check(o: int) -> None:
        c.add_target(AGENCY_CHECKS, o, "ac-", "agency_check",
                     {"agency": AGENCY[int(rand() * len(AGENCY))]})

    s1 = discussions[0][0]
    d1 = c.act(AGENCY_CHECKS, WD15, 0)
    extra1 = int(rand() * 3)
    if len(discussions) == 1:
        if d1 is not None:
            check(s1 + d1)
            for _ in range(extra1):
                check(s1 + d1 + 1 + int(rand() * 20))
        return
    s2 = discussions[1][0]
    d2 = c.act(AGENCY_CHECKS, WD15, 0)
    extra2 = int(rand() * 3)
    if d1 is not None and d1 <= WD15[0]:  # in time, before the second discussion
        o = s1 + min(d1, s2 - s1 - 1)
        check(o)
        for _ in range(extra1):
            check(o + int(rand() * (s2 - o)))
    elif d1 is not None:  # late: then the second discussion's checks are late too
        check(s1 + d1)
        if d2 is not None:
            d2 = max(d2, WD15[1])
    else:  # never done: nor are the second's
        d2 = None
    if d2 is not None:
        check(s2 + d2)
        for _ in range(extra2):
            check(s2 + d2 + 1 + int(rand() * 20))


def _cp(c: _Case, s: int) -> tuple[str, int]:
    """Strategy discussion, s47 enquiry, ICPC and (usually) a child protection plan.
    Returns what happened next ('plan', 'cin' or 'none') and from which day."""
    rand = c.rand
    reason = "significant_harm" if rand() < 0.85 else "exploitation"
    discussions = [(s, c.add(s, "sd-", "strategy_discussion", {"s47": True, "reason": reason}))]
    if rand() < 0.1:  # a second discussion supersedes the first (for the ICPC)
        s += 2 + int(rand() * 6)
        discussions.append(
            (s, c.add(s, "sd-", "strategy_discussion", {"s47": True, "reason": reason})))
    _agency_checks(c, discussions)
    recorded = [(day, sid) for day, sid in discussions if sid is not None]
    # the ICPC obligation that is not superseded: the last recorded discussion's (an ICPC
    # always comes after the second discussion, so the first is superseded when both are)
    last: tuple[int, str] | None = recorded[-1] if recorded else None

    no_icpc = rand() < 0.1
    e = s + (rand() < 0.3)
    extra: dict[str, Any] = {}
    finish = e + 5 + int(rand() * 9)
    if finish < c.end:
        extra = {"completed": c.day(finish), "outcome": "no_icpc" if no_icpc else "icpc"}
    c.add(e, "s47-", "s47_enquiry", extra)
    if no_icpc:
        # cancelled by the enquiry's outcome if recorded (dated on or after the discussion and
        # before the deadline); otherwise nothing satisfies it
        if last is not None and not (extra and last[0] <= e
                                     and not c.after(last[0], IV_WD15, None, e + 1)):
            c.field(ICPC, last[1], last[0], IV_WD15, None)
        return "cin", finish + int(rand() * 10)
    d = c.act(ICPC, WD15, 6)
    if d is None:
        if last is not None:
            c.field(ICPC, last[1], last[0], IV_WD15, None)
        return "none", s
    p = s + d
    plan = rand() < 0.92
    held = c.add(p, "icpc-", "icpc", {"cp_plan": plan})
    if last is not None:
        c.field(ICPC, last[1], last[0], IV_WD15, None if held is None else p)
    if not plan:
        return "cin", p + int(rand() * 10)
    return "plan", p


def _cp_visits(c: _Case, cid: str, p: int, e: int | None) -> None:
    """Visits on a child protection plan: every 10 working days (PRC-CP-VISIT), and the child
    seen alone every 6 weeks (PRC-CP-SEEN-ALONE), each rule at its own rate."""
    rand = c.rand
    days, out = _walk(c, CP_VISIT, p, e, lambda n, prev: (IV_WD10, 4 if n == 1 else 6))
    alone = [False] * len(days)
    decided = [False] * len(days)
    sa_out: list[tuple[int, int, str]] = []
    rate = c.rate(SEEN_ALONE)
    prev, pidx, n, k = p, -1, 1, 0
    while True:
        due = prev + W6[0]
        if e is not None and due > e:
            break  # due after the plan ended: dropped, and the engine stops here
        j = k
        while j < len(days) and days[j] <= due:
            j += 1
        if rand() < rate or j == k:
            # nobody sees the child alone by the deadline; the next visit does, late
            for m in range(k, j):
                decided[m] = True
            if j == len(days):
                if due < c.end:
                    sa_out.append((pidx, n, "overdue"))
                break
            m = j
            sa_out.append((pidx, n, "late"))
        else:
            m = k
            while m < j - 1 and rand() >= 0.7:
                decided[m] = True
                m += 1
        alone[m] = decided[m] = True
        prev, pidx, n, k = days[m], m, n + 1, m + 1
    ids = []
    for m, o in enumerate(days):
        seen_alone = alone[m] if decided[m] else rand() < 0.7
        ids.append(c.add(o, "v-", "visit", {"seen": True, "seen_alone": seen_alone}) or "")
    c.plant_walk(CP_VISIT, cid, ids, out)
    c.plant_walk(SEEN_ALONE, cid, ids, sa_out)


def _cp_plan(c: _Case, p: int) -> int:
    """A child protection plan from the ICPC; returns its planned end."""
    rand = c.rand
    end = p + 90 + int(rand() * 450)
    if rand() < 0.04:  # ended within days (the family moved away): the core group may lapse
        end = p + 2 + int(rand() * 12)
    category = CP_CATEGORY[int(rand() * len(CP_CATEGORY))]
    ep = c.episode("cpp-", "cp_plan", p, end, {"category": category})
    if ep is None:
        return end
    cid, p, e = ep
    limit = c.end if e is None else min(e + 1, c.end)
    c.oblige(CORE_GROUP, cid, p, IV_WD10, cancel=e)
    d = c.act(CORE_GROUP, WD10, 1)
    o = limit if d is None else p + d  # missing: the core group never meets
    while o < limit:
        c.add_target(CORE_GROUP, o, "cg-", "core_group")
        o += 21 + int(rand() * 22)
    _schedule(c, CP_REVIEW, cid, p, e, _first_then(IV_M3, IV_M6), "rcpc-", "rcpc")
    _cp_visits(c, cid, p, e)
    c.oblige(CHILD_SAFETY_PLAN, cid, p, IV_WD10)
    d = c.act(CHILD_SAFETY_PLAN, WD10, 0)
    if d is not None:
        c.add_target(CHILD_SAFETY_PLAN, p + d, "sp-", "safety_plan", {"child_version": True})
    elif rand() < 0.5:  # a safety plan, but not the child's own version
        c.add(p + int(rand() * 10), "sp-", "safety_plan", {"child_version": False})
    if rand() < 0.3:
        c.add_target(HOME_AGREEMENT, p + 5 + int(rand() * 20), "wa-", "written_agreement")
    return end


def _looked_after(c: _Case, start: int, end: int, eligible: bool, legal: str) -> None:
    """A period of care with its placements and statutory acts."""
    rand = c.rand
    ep = c.episode("la-", "looked_after", start, end, {"legal_status": legal,
                                                         "eligible": eligible})
    if ep is None:
        return
    la, start, e = ep
    limit = c.end if e is None else min(e + 1, c.end)

    # placements, one after another (from the next day), each with its own visiting schedule
    p = start
    while True:
        p_end = p + 45 + int(rand() * 500)
        last = p_end >= end or p_end >= c.end
        if last:
            p_end = end
        ptype = PLACEMENT_TYPE[int(rand() * len(PLACEMENT_TYPE))]
        with_parents = ptype == "P1"
        long_term = not with_parents and p > start + 120 and rand() < 0.5
        pl = c.episode("pl-", "placement", p, p_end,
                       {"placement_type": ptype, "long_term": long_term,
                        "with_parents": with_parents, "parent": la})
        if pl is None:
            break
        _placement_visits(c, pl, long_term)
        if with_parents:
            c.oblige(HOME_AGREEMENT, pl[0], pl[1], IV_WD10)
            d = c.act(HOME_AGREEMENT, WD10, 0)
            if d is not None:
                c.add_target(HOME_AGREEMENT, p + d, "wa-", "written_agreement")
        if last:
            break
        p = p_end + 1

    # care plan: up to a week before (planned admissions) or within 10 working days; updates
    # after reviews only once there is one
    c.oblige(CARE_PLAN, la, start, IV_WD10,
             earliest=c.due(start, _Iv("wd", -10, (0, 0))))
    d = c.act(CARE_PLAN, WD10, -7 if rand() < 0.25 else 0)
    planned = None if d is None else max(start + d, c.first)
    if planned is not None:
        c.add_target(CARE_PLAN, planned, "cpl-", "care_plan")

    # looked-after reviews: 20 working days, 3 months, then 6 months
    def review_plan(n: int, prev: int) -> tuple[_Iv, int]:
        return (IV_WD20, 8) if n == 1 else (IV_M3, 40) if n == 2 else (IV_M6, 100)

    days, out = _walk(c, CLA_REVIEW, start, e, review_plan)
    ids = []
    for o in days:
        ids.append(c.add(o, "rev-", "cla_review") or "")
        if rand() < 0.7 and planned is not None and o >= planned:
            c.add_target(CARE_PLAN, o + int(rand() * 5), "cpl-", "care_plan")
    c.plant_walk(CLA_REVIEW, la, ids, out)

    # permanence plan by the second review: held, or else as due (from the first review's due
    # date if it was not held); none needed if the episode ended before the second fell due
    due1 = c.due(start, IV_WD20)
    by: int | None = None
    if e is None or due1 <= e:
        due2 = c.due(days[0] if days else due1, IV_M3)
        if e is None or due2 <= e:
            by = days[1] if len(days) >= 2 else due2
    if by is not None:
        c.oblige(PERMANENCE, la, start, due=by)
    else:
        by = start + WD20[0] + M3[0]
    r = rand()
    rate = c.rate(PERMANENCE)
    if r >= rate:
        pp: int | None = start + 10 + int(rand() * max(1, by - start - 9))
    elif r < rate * MISSING_SHARE:
        pp = None
    else:
        pp = by + 1 + int(rand() * 60)
    if pp is not None and pp < limit:
        c.add_target(PERMANENCE, pp, "pp-", "permanence_plan",
                     {"option": PERMANENCE_OPTION[int(rand() * len(PERMANENCE_OPTION))]})

    # health: initial within 20 working days, reviews every 6 or 12 months by age
    c.oblige(IHA, la, start, IV_WD20)
    d = c.act(IHA, WD20, 4)
    if d is not None:
        o = start + d
        hid = c.add_target(IHA, o, "ha-", "health_assessment", {"kind": "initial"})
        if hid is not None and o < limit:

            def health_plan(n: int, prev: int) -> tuple[_Iv, int]:
                iv = IV_M6 if c.age(prev) < 5 else IV_M12
                return iv, iv.gap[0] * 2 // 3

            _schedule(c, RHA, hid, o, e, health_plan, "ha-", "health_assessment",
                      lambda: {"kind": "review"})

    # permanency planning meetings (practice): monthly for under-5s, else 3-monthly
    def ppm_plan(n: int, prev: int) -> tuple[_Iv, int]:
        iv = IV_M1 if c.age(prev) < 5 else IV_M3
        return iv, max(1, iv.gap[0] // 2)

    _schedule(c, PPM, la, start, e, ppm_plan, "ppm-", "ppm")
    c.oblige(LIFE_STORY, la, start, IV_M3)
    d = c.act(LIFE_STORY, M3, 10)
    if d is not None:
        c.add_target(LIFE_STORY, start + d, "ls-", "life_story_work")
    c.oblige(CAMHS, la, start, IV_WD20)
    d = c.act(CAMHS, WD20, 3)
    if d is not None:
        c.add_target(CAMHS, start + d, "camhs-", "camhs_offer")


def _placement_visits(c: _Case, placement: tuple[str, int, int | None], long_term: bool) -> None:
    """Visits within a week, then every 6 weeks in the first year, then 3 months if long-term;
    now and then a visit where the child was not seen (which does not count)."""
    rand = c.rand
    pid, p, e = placement
    year = add_months(date.fromordinal(p), 12).toordinal()

    def plan(n: int, prev: int) -> tuple[_Iv, int]:
        if n == 1:
            return IV_W1, 1
        if prev < year or not long_term:
            return IV_W6, W6[0] // 2
        return IV_M3, M3[0] // 2

    days, out = _walk(c, CLA_VISIT, p, e, plan)
    ids = []
    for o in days:
        if rand() < 0.04:
            c.add(o - 1 - int(rand() * 3), "v-", "visit", {"seen": False, "seen_alone": False})
        ids.append(c.add(o, "v-", "visit", {"seen": True, "seen_alone": rand() < 0.6}) or "")
    c.plant_walk(CLA_VISIT, pid, ids, out)


def _rhi_due(end_q: int) -> int:
    """The UK date 72 real hours after a return at wall-clock quarter-hour ``end_q``."""
    o, q = divmod(end_q, QH)
    back = datetime.combine(date.fromordinal(o), datetime.min.time()).replace(
        hour=q // 4, minute=(q % 4) * 15, tzinfo=UK)
    return (back.astimezone(UTC) + timedelta(hours=72)).astimezone(UK).date().toordinal()


def _missing(c: _Case, start: int, limit: int, count: int) -> None:
    """Repeated missing (or absent) episodes with return home interviews, and a strategy
    discussion when three missing episodes fall within 90 days (practice)."""
    rand = c.rand
    rhi_rate, plan_rate = c.rate(RHI), c.rate(RHI_SAFETY_PLAN)
    span = max(1, limit - start)
    starts = sorted(start * QH + int(rand() * span * QH) for _ in range(count))
    prev_end = 0
    recent: list[int] = []
    awaiting: int | None = None  # a strategy discussion is awaited until this day
    for q in starts:
        # mostly evenings and nights
        q = q - q % QH + (64 + int(rand() * 48)) % QH if rand() < 0.8 else q
        if q < prev_end + 8:
            q = prev_end + 8
        o = q // QH
        if o >= limit:
            break
        missing = rand() < 0.85
        end_q = q + 8 + int(rand() * rand() * 380)
        extra: dict[str, Any] = {"episode_type": "missing" if missing else "absent"}
        ended = end_q // QH < c.end
        if ended:
            extra["end"] = c.when(end_q)
        mid = c.add_at(q, "mis-", "missing_episode", extra)
        prev_end = end_q
        if mid is None:
            break
        if ended and (missing or rand() < 0.3):
            r = rand()
            if r >= rhi_rate:
                rq: int | None = end_q + 8 + int(rand() * (RHI_SAFE - 8))
            elif r < rhi_rate * MISSING_SHARE:
                rq = None
            else:
                rq = end_q + RHI_LATE + int(rand() * 600)
            held = None
            if rq is not None:
                outcome = RHI_OUTCOME[int(rand() * len(RHI_OUTCOME))]
                rhi: dict[str, Any] = {"ref": mid, "outcome": outcome}
                if outcome == "completed":
                    rhi["safety_plan"] = rand() >= plan_rate
                    rhi["first_seen_by"] = SEEN_BY[int(rand() * len(SEEN_BY))]
                held = c.add_at(rq, "rhi-", "return_home_interview", rhi)
                if held is not None and rhi.get("safety_plan") is False:
                    c.plant(RHI_SAFETY_PLAN, held, "not_met")
            if missing:
                if held is not None:
                    if rq is not None and rq - end_q >= RHI_LATE:
                        c.plant(RHI, mid, "late")
                elif _rhi_due(end_q) < c.end:
                    c.plant(RHI, mid, "overdue")
        if missing and (awaiting is None or o > awaiting):
            # episodes before the awaited discussion are not counted; after it the count restarts
            if awaiting is not None:
                recent, awaiting = [], None
            recent = [d for d in recent if d >= o - 90]
            recent.append(o)
            if len(recent) >= 3:
                d = c.act(MISSING_STRATEGY, WD5, 0)
                awaiting = LAST_DAY if d is None else o + d
                done = None
                if d is not None and c.add(o + d, "sd-", "strategy_discussion",
                                           {"s47": False, "reason": "missing"}) is not None:
                    done = o + d
                c.field(MISSING_STRATEGY, mid, o, IV_WD5, done)
                recent = []


def _involvement(c: _Case) -> int:
    """Supervision, chronology, case summary and genogram over each period of involvement
    (practice), and now and then a case file audit; returns the last active day of the case."""
    kinds = ("cin_plan", "cp_plan", "looked_after", "care_leaver", "private_fostering")
    spans = sorted(((s, e, ep["id"]) for s, e, ep in c.episodes if ep["type"] in kinds),
                   key=lambda sei: (sei[0], sei[2]))
    # periods join overlapping or touching episodes and take the first episode's id
    periods: list[tuple[int, int | None, str]] = []
    for s, e, eid in spans:
        if periods:
            ps, pe, pid = periods[-1]
            if pe is None or s <= pe + 1:
                periods[-1] = (ps, None if (pe is None or e is None) else max(pe, e), pid)
                continue
        periods.append((s, e, eid))
    last = 0
    audited = -10_000  # the last audit: at most one every 200 days, so re-audits stay exact
    for s, e, pid in periods:
        limit = c.end if e is None else min(e + 1, c.end)
        last = max(last, limit - 1)
        _schedule(c, SUPERVISION, pid, s, e, _first_then(IV_M1, IV_M1), "sup-", "supervision")
        _schedule(c, CHRONOLOGY, pid, s, e, _first_then(IV_WD20, IV_M3), "chr-",
                  "chronology_update")
        _schedule(c, CASE_SUMMARY, pid, s, e, _first_then(IV_WD20, IV_M3), "sum-",
                  "case_summary_update")
        c.oblige(GENOGRAM, pid, s, IV_WD20)
        d = c.act(GENOGRAM, WD20, 2)
        if d is not None:
            c.add_target(GENOGRAM, s + d, "gen-", "genogram_update")
        if c.rand() < 0.12:  # a case file audit, re-audited if inadequate
            a = s + 20 + int(c.rand() * max(1, limit - s - 20))
            grade = GRADE[int(c.rand() * len(GRADE))]
            if a < audited + 200:
                continue
            aid = c.add_target(REAUDIT, a, "aud-", "audit", {"grade": grade})
            if aid is None:
                continue
            audited = a
            if grade == "inadequate":
                c.oblige(REAUDIT, aid, a, IV_M3)
                d = c.act(REAUDIT, M3, 20)
                if d is not None:
                    c.add_target(REAUDIT, a + d, "aud-", "audit", {"grade": "requires_improvement"})
    return last


# -- cohorts: each builder takes the case and its first day and fills it in ------------------


def _case_cin(c: _Case, t: int) -> None:
    done = _intake(c, t, "cin_plan")
    d = c.act(PLAN_AFTER, WD10, 0)
    if d is None:  # open with no plan: the case drifts and is closed months later
        _intake(c, done + 120 + int(c.rand() * 200), "nfa")
        return
    start = done + d
    end = _cin(c, start, _months_on(c, start, (3, 18)))
    if c.rand() < 0.2:  # re-referred after closure
        _intake(c, end + 60 + int(c.rand() * 200), "nfa")


def _case_cp(c: _Case, t: int) -> None:
    rand = c.rand
    if rand() < 0.3:  # known as a child in need first, then escalated
        done = _intake(c, t, "cin_plan")
        if rand() < c.rate(PLAN_AFTER):
            start = done + WD10[1] + int(rand() * 20)
        else:
            start = done + 3 + int(rand() * 10)
        s = start + 30 + int(rand() * 150)
        _cin(c, start, s)
    else:
        _intake(c, t, "s47")
        s = t + (rand() < 0.4) + int(rand() * 3)
    nxt, day = _cp(c, s)
    if nxt == "cin":
        _cin(c, day, _months_on(c, day, (2, 10)))
        return
    if nxt == "none":
        return
    end = _cp_plan(c, day)
    r = rand()
    if r < 0.45:  # stepped down to a child in need plan (from the next day)
        _cin(c, end + 1, _months_on(c, end + 1, (3, 12)))
    elif r < 0.6:  # came into care
        _looked_after(c, end + 1, end + 1 + 90 + int(rand() * 800), rand() < 0.5,
                      LEGAL_STATUS[4 + int(rand() * 5)])


def _case_cla(c: _Case, t: int) -> None:
    rand = c.rand
    done = _intake(c, t, "other" if rand() < 0.6 else "s47")
    start = t + int(rand() * 40) if rand() < 0.6 else done + int(rand() * 30)
    age = c.age_days(start)
    legal = LEGAL_STATUS[int(rand() * len(LEGAL_STATUS))]
    end = start + 60 + int(rand() * 1000)
    _looked_after(c, start, end, age is not None and age > 14 * 365 and rand() < 0.7, legal)
    if age is not None and age > 11 * 365 and rand() < 0.3:
        _missing(c, start, min(end, c.end), 2 + int(rand() * 8))
    if end < c.end and rand() < 0.4:  # home to parents with a child in need plan
        _cin(c, end + 1, _months_on(c, end + 1, (3, 9)))


def _case_care_leaver(c: _Case, t: int, birthday18: int) -> None:
    """In care until 18 (or, for 'relevant' young people, left care at 16 or 17), then a care
    leaver with a pathway plan reviewed every 6 months."""
    rand = c.rand
    _intake(c, t, "other")
    relevant = rand() < 0.1
    leave = birthday18 - (30 + int(rand() * 300) if relevant else 0)
    start = max(t, min(t + int(rand() * 30), leave - 30))
    _looked_after(c, start, leave, True, "V2" if rand() < 0.5 else "C2")
    cl_start = leave + 1 if relevant else birthday18
    d = c.act(None, M3, 10)
    if d is not None:
        c.add(max(start, cl_start - 100 + d), "na-", "needs_assessment",
              {"shared_with_young_person": True, "contingency": True})
    d = c.act(None, M3, 0)
    if d is not None:
        shared = contingency = True
        if rand() < c.rate(PATHWAY_QUALITY):
            r = rand()
            shared, contingency = r >= 0.6, r < 0.4
        plan = c.add(max(start, cl_start - 60 + d), "ppl-", "pathway_plan",
                     {"shared_with_young_person": shared, "contingency": contingency})
        if plan is not None and not (shared and contingency):
            c.plant(PATHWAY_QUALITY, plan, "not_met")
    cl_end = cl_start + 300 + int(rand() * 1200)
    ep = c.episode("cl-", "care_leaver", cl_start, cl_end,
                   {"eligibility": "relevant" if relevant else "former_relevant"})
    if ep is None:
        return
    clid, cl_start, e = ep
    _schedule(c, PATHWAY_REVIEW, clid, cl_start, e, lambda n, prev: (IV_M6, 100),
              "ppr-", "pathway_plan_review",
              lambda: {"shared_with_young_person": rand() >= c.breach / 2,
                       "contingency": rand() >= c.breach / 2})
    _visits(c, cl_start, c.end if e is None else min(e + 1, c.end), W8, W8, 0.3)


def _case_private_fostering(c: _Case, t: int) -> None:
    """Notification, a household whose members 16 and over need DBS checks, and visits."""
    rand = c.rand
    _intake(c, t, "other")
    p = t + int(rand() * 3)
    household: list[dict[str, Any]] = []
    members: list[tuple[str, int | None]] = []
    for i in range(2 + int(rand() * 3)):
        if i < 2:
            years = 25 + int(rand() * 40)
        elif rand() < 0.5:
            years = 16 + int(rand() * 4)  # an older child of the household
        else:
            years = 3 + int(rand() * 12)
        member = f"hh-{i + 1}"
        known = rand() >= 0.04
        dob = p - _years_days(years) - int(rand() * 360)
        household.append({"id": member,
                          "date_of_birth": date.fromordinal(dob).isoformat() if known else None})
        members.append((member, dob if known else None))
    end = p + 90 + int(rand() * 800)
    ep = c.episode("pf-", "private_fostering", p, end, {"household": household})
    if ep is None:
        return
    pid, p, e = ep
    year = add_months(date.fromordinal(p), 12).toordinal()

    def plan(n: int, prev: int) -> tuple[_Iv, int]:
        if n == 1:
            return IV_WD7, 1
        iv = IV_W6 if prev < year else IV_W12
        return iv, iv.gap[0] // 2

    _schedule(c, PF_VISIT, pid, p, e, plan, "pfv-", "pf_visit",
              lambda: {"seen_alone": rand() < 0.7})
    for member, dob in members:
        if dob is not None and age_on(date.fromordinal(dob), date.fromordinal(p)) < 16:
            continue  # no check needed (one with no date of birth is checked all the same)
        if dob is not None:
            c.oblige(PF_DBS, pid, p, IV_WD20, member=member)
        d = c.act(PF_DBS, WD20, 2)
        if d is not None:
            c.add_target(PF_DBS, p + d, "dbs-", "dbs_check", {"subject": member}, member=member)


def _case_missing(c: _Case, t: int) -> None:
    rand = c.rand
    if rand() < 0.7:
        done = _intake(c, t, "cin_plan")
        d = c.act(PLAN_AFTER, WD10, 0)
        start = done + (d if d is not None else 30)
        end = _cin(c, start, _months_on(c, start, (6, 24)))
    else:
        done = _intake(c, t, "early_help")
        start = done + int(rand() * 10)
        end = start + 120 + int(rand() * 500)
        c.episode("eh-", "early_help", start, end)
    _missing(c, t + 5, min(max(end, t + 200), c.end), 3 + int(rand() * 18))


_BUILDERS: dict[str, Callable[[_Case, int], None]] = {
    "cin": _case_cin, "cp": _case_cp, "cla": _case_cla, "missing": _case_missing,
    "private_fostering": _case_private_fostering,
}
# child's age in whole years at the start of involvement, by cohort
_AGES: dict[str, tuple[int, int]] = {"cin": (0, 17), "cp": (0, 14), "cla": (0, 17),
                                     "missing": (11, 16), "private_fostering": (5, 15)}


# -- the cohort ------------------------------------------------------------------------------


def _fill(c: _Case, start: int, last: int, count: int, cla: bool, cp: bool) -> None:
    """Add everyday acts that no rule counts, to reach the case's size."""
    if count <= 0:
        return
    pool = [f for f in _FILL_COMMON if not (cp and f[1] == "agency_check")]
    if cla:
        pool += _FILL_CLA
    cum: list[float] = []
    total = 0.0
    for f in pool:
        total += f[3]
        cum.append(total)
    rand = c.rand
    span = max(1, last - start + 1)
    for k in c.rng.choices(range(len(pool)), cum_weights=cum, k=count):
        prefix, kind, maker, _ = pool[k]
        extra: dict[str, Any] | None = None
        if maker == "agency":
            extra = {"agency": AGENCY[int(rand() * len(AGENCY))]}
        elif maker == "document":
            extra = {"kind": DOCUMENT[int(rand() * len(DOCUMENT))]}
        c.add(start + int(rand() * span), prefix, kind, extra)


def _years_days(years: int) -> int:
    """Days that surely make ``years`` completed years (leap days included)."""
    return 365 * years + (years + 3) // 4


def _eighteen_years_before(o: int) -> int:
    """The date of birth of someone who turns 18 on day o (29 February becomes the 28th)."""
    d = date.fromordinal(o)
    return d.replace(year=d.year - 18, day=min(d.day, 28) if d.month == 2 else d.day).toordinal()


def _check_rates(breach_rate: float, breach_rates: Mapping[str, float] | None) -> dict[str, float]:
    if not 0.0 <= breach_rate <= 1.0:
        raise ValueError("breach_rate must be between 0 and 1")
    rates = dict(breach_rates or {})
    for rule, rate in rates.items():
        if rule not in RULES:
            raise ValueError(f"no planted breaches for unknown rule {rule!r}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"breach rate for {rule} must be between 0 and 1")
    return rates


def generate_cohort(n: int, seed: int, as_of: date, breach_rate: float = 0.15,
                    breach_rates: Mapping[str, float] | None = None) -> Iterator[dict[str, Any]]:
    """Yield ``n`` JSON-ready case records as they stood on ``as_of``; the same seed always
    gives the same records.  About ``breach_rate`` of timed acts (or, per rule id,
    ``breach_rates[rule]``) are late or never done."""
    for record, _ in generate_cohort_with_ledger(n, seed, as_of, breach_rate, breach_rates):
        yield record


def generate_cohort_with_ledger(
        n: int, seed: int, as_of: date, breach_rate: float = 0.15,
        breach_rates: Mapping[str, float] | None = None,
) -> Iterator[tuple[dict[str, Any], list[PlantedBreach]]]:
    """Like ``generate_cohort``, with each record the breaches planted in it: exactly what the
    engine reports as ``late``, ``overdue`` or ``not_met`` at ``as_of`` with the practice
    profile (see the module docstring)."""
    rates = _check_rates(breach_rate, breach_rates)
    stop = min(as_of.toordinal(), LAST_DAY + 1)  # every date falls strictly before this day
    first = max(stop - WINDOW_DAYS, FIRST_DAY)
    if stop - first < 90:
        raise ValueError(f"as-of date {as_of.isoformat()} leaves no room for a cohort "
                         "between 2001 and 2030")
    rng = random.Random(seed)
    rand = rng.random
    iso_base = first - 400
    iso = [date.fromordinal(o).isoformat() for o in range(iso_base, stop + 400)]
    for i in range(1, n + 1):
        cohort = rng.choices(COHORTS, cum_weights=_CUM_WEIGHTS)[0]
        attempt = 0
        while True:
            c, t, last = _build(rng, iso, iso_base, first, stop, breach_rate, rates, cohort,
                                0.5 ** attempt)
            if len(c.events) <= MAX_EVENTS:
                break
            # a very busy case: build it again with a shorter history (rarely needed)
            attempt += 1
        assert c.dob is not None
        dob = c.dob
        uasc = cohort == "cla" and t - dob > 14 * 365 and rand() < 0.15
        size = min(MAX_EVENTS, max(MIN_EVENTS, int(rng.lognormvariate(3.5, 0.65))))
        _fill(c, t, last, size - len(c.events), cohort in ("cla", "care_leaver"), cohort == "cp")
        c.settle()

        events = c.events
        events.sort(key=itemgetter(0))
        c.episodes.sort(key=itemgetter(0))
        missing_ethnicity = rand() < c.rate(ETHNICITY_RECORDED)
        ethnicity = None if missing_ethnicity else ETHNICITY[int(rand() * len(ETHNICITY))]
        dob_known = rand() >= 0.03
        case_id = f"GEN-{i:06d}"
        ledger = [PlantedBreach(case_id, *p) for p in c.planted
                  if dob_known or p[0] not in _AGE_RULES]
        if missing_ethnicity:
            open_now = [(s, ep["id"]) for s, e, ep in c.episodes
                        if e is None and ep["type"] in _OPEN_TYPES]
            if open_now:
                ledger.append(PlantedBreach(case_id, ETHNICITY_RECORDED, min(open_now)[1],
                                            "not_met"))
        record = {
            "format": FORMAT,
            "case_id": case_id,
            "child": {
                "id": f"CH-{i:06d}",
                "date_of_birth": date.fromordinal(dob).isoformat() if dob_known else None,
                "sex": "F" if rand() < 0.48 else ("M" if rand() < 0.99 else "U"),
                "ethnicity": ethnicity,
                "disability": rand() < 0.09,
                "uasc": uasc,
            },
            "allocation": {
                "team": TEAMS[cohort][int(rand() * len(TEAMS[cohort]))],
                "worker": f"SW-{100 + int(rand() * 300)}",
                "manager": f"TM-{1 + int(rand() * 40)}",
            },
            "episodes": [ep for _, _, ep in c.episodes],
            "events": [ev for _, ev in events],
        }
        yield record, ledger


def _build(rng: random.Random, iso: list[str], iso_base: int, first: int, stop: int,
           breach: float, rates: Mapping[str, float], cohort: str,
           history: float) -> tuple[_Case, int, int]:
    """The statutory and practice acts of one case (no fillers yet), its first day and its
    last active day.  ``history`` below 1 shortens how far back the case may start."""
    rand = rng.random
    c = _Case(rng, iso, iso_base, first, stop, breach, rates)
    room = stop - first - 180
    if cohort == "care_leaver":
        birthday18 = stop - 30 - int(rand() * room * history)
        c.dob = _eighteen_years_before(birthday18)
        t = c.first = max(first, birthday18 - 120 - int(rand() * 700 * history))
        _case_care_leaver(c, t, birthday18)
    else:
        # more cases started long ago than recently: open cases accumulate
        t = c.first = stop - 25 - int((stop - first - 25) * math.sqrt(rand()) * history)
        lo, hi = _AGES[cohort]
        c.dob = t - _years_days(lo + int(rand() * (hi - lo + 1))) - int(rand() * 360)
        _BUILDERS[cohort](c, t)
    last = min(max(_involvement(c), t + 60, max(o for o, _ in c.events)), stop - 1)
    return c, t, last
