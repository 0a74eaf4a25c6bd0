"""Synthetic cohorts of case records, for demos, tests and benchmarks.

Real case records are personal data and never leave an authority, so the project needs a
stand-in that looks like a real extract: the same cohorts (child in need, child protection,
looked after, care leavers, private fostering, children who go missing), the same acts at
realistic intervals, and a controlled share of late or missing acts.  There is no free text and
no name anywhere: ids, codes, booleans and dates only.

Timings are deliberately independent of the engine's calendar.  An act meant to be on time
falls inside a conservative lower bound of its limit and a late one beyond a conservative upper
bound, so the breaches the engine reports should track ``breach_rate``; a rule whose findings do
not is worth a look (in the generator or the engine).

Speed matters (100k cases feed the sweep benchmark), so the work is done on date ordinals and
quarter-hours, date strings come from a precomputed table, and random numbers come from one
``random.Random(seed)`` (never the global generator) so a seed always gives the same cohort.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from datetime import date
from operator import itemgetter
from typing import Any

from .records import FORMAT

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

QH = 96  # quarter-hours per day: date-times are kept as ordinal * 96 + quarter
# a wall-clock gap of up to 70 hours is under 72 real hours even across a clock change
RHI_SAFE, RHI_LATE = 70 * 4, 74 * 4
MISSING_SHARE = 0.3  # of breaches, the share where the act never happens (the rest are late)

MIN_EVENTS, MAX_EVENTS = 20, 200
FIRST_DAY = date(2001, 1, 1).toordinal()
LAST_DAY = date(2030, 12, 31).toordinal()
WINDOW_DAYS = 3 * 365

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
PERMANENCE = ("return_home", "adoption", "long_term_foster", "long_term_foster", "sgo",
              "residential")
AGENCY = ("health", "police", "education", "gp", "probation", "housing")
RHI_OUTCOME = ("completed", "completed", "completed", "completed", "completed", "declined",
               "declined", "offered")
SEEN_BY = ("return_home_worker", "social_worker", "police", "carer")
GRADE = ("outstanding", "good", "good", "good", "requires_improvement", "requires_improvement",
         "requires_improvement", "inadequate", "inadequate")
DOCUMENT = ("birth_certificate", "passport", "ni_number")

# Fillers: acts no england rule counts towards, so extra ones never hide a breach.
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


class _Case:
    """One case being built: events as (day ordinal, dict), episodes likewise."""

    __slots__ = ("breach", "dob", "end", "episodes", "events", "first", "iso", "iso_base", "n",
                 "rand", "rng")

    def __init__(self, rng: random.Random, iso: list[str], iso_base: int, first: int, end: int,
                 breach: float) -> None:
        self.rng = rng
        self.rand: Callable[[], float] = rng.random
        self.iso = iso
        self.iso_base = iso_base
        self.first = first  # earliest day any event may have (the case's first contact)
        self.end = end  # events and episode boundaries fall strictly before this day
        self.breach = breach
        self.events: list[tuple[int, Event]] = []
        self.episodes: list[tuple[int, int | None, dict[str, Any]]] = []
        self.n = 0
        self.dob: int | None = None

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
                extra: dict[str, Any] | None = None) -> str | None:
        """Record an episode; an end on or after as-of means it is still open."""
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
        return eid

    # -- timing ----------------------------------------------------------------------------

    def gap(self, g: Gap, lo: int) -> int:
        """Days to the next act of a schedule: in time unless it is one of the breaches."""
        rand = self.rand
        if rand() >= self.breach:
            return lo + int(rand() * (g[0] - lo + 1))
        return g[1] + int(rand() * (g[1] // 2 + 5))

    def act(self, g: Gap, lo: int = 0) -> int | None:
        """Days to a one-off act: in time, late, or (a share of breaches) never done."""
        rand = self.rand
        r = rand()
        if r >= self.breach:
            return lo + int(rand() * (g[0] - lo + 1))
        if r < self.breach * MISSING_SHARE:
            return None
        return g[1] + int(rand() * (g[1] // 2 + 5))

    def recur(self, start: int, limit: int, first: Gap, then: Gap, prefix: str,
              kind: str) -> None:
        """A schedule of plain events from ``start`` until ``limit`` (exclusive)."""
        o = start + self.gap(first, first[0] // 2)
        lo = max(1, then[0] // 2)
        while o < limit:
            self.add(o, prefix, kind)
            o += self.gap(then, lo)

    def age_days(self, o: int) -> int | None:
        return None if self.dob is None else o - self.dob


def _build_times() -> tuple[str, ...]:
    return tuple(f"T{q // 4:02d}:{(q % 4) * 15:02d}" for q in range(QH))


_TIMES = _build_times()


# -- cohort pieces ---------------------------------------------------------------------------


def _intake(c: _Case, t: int, outcome: str) -> int:
    """Contact, referral and assessment; returns the day the assessment was (or is planned to
    be) completed, from which the next step follows."""
    rand = c.rand
    c.add(t, "con-", "contact")
    r = t if rand() < 0.7 else t + 1
    extra: dict[str, Any] = {}
    d = c.act(WD1, 0)
    if d is not None and r + d < c.end:
        extra["decision_date"] = c.day(r + d)
    rid = c.add(r, "ref-", "referral", extra)
    start = r + int(rand() * 4)
    done = c.act(WD45, 12)
    planned = r + (done if done is not None else WD45[1] + 20)
    if rid is None:
        return planned
    extra = {"ref": rid}
    if done is not None and r + done < c.end:
        extra["completed"] = c.day(max(r + done, start))
        extra["outcome"] = outcome
    c.add(start, "asm-", "assessment", extra)
    return max(planned, start)


def _visits(c: _Case, start: int, limit: int, first: Gap, then: Gap, alone: float,
            alone_within: int | None = None) -> None:
    """Visits at a practice cadence (no england rule counts these); with ``alone_within``,
    the child is seen alone at least that often (days) unless that visit is a breach."""
    rand = c.rand
    o = start + c.gap(first, first[0] // 3)
    lo = max(1, then[0] // 2)
    last_alone = start
    while o < limit:
        seen_alone = rand() < alone
        if not seen_alone and alone_within is not None and o - last_alone >= alone_within:
            seen_alone = rand() >= c.breach
        if seen_alone:
            last_alone = o
        c.add(o, "v-", "visit", {"seen": True, "seen_alone": seen_alone})
        o += c.gap(then, lo)


def _months_on(c: _Case, start: int, months: tuple[int, int]) -> int:
    """A planned end between ``months[0]`` and ``months[1]`` months after start."""
    return start + months[0] * 30 + int(c.rand() * (months[1] - months[0]) * 30)


def _cin(c: _Case, start: int, end: int) -> int:
    """A child in need plan with visits and reviews; returns its planned end."""
    if c.episode("cin-", "cin_plan", start, end) is None:
        return end
    limit = min(end + 1, c.end)
    _visits(c, start, limit, WD20, WD20, 0.6)
    c.recur(start, limit, M3, M3, "cinr-", "cin_review")
    return end


def _agency_checks(c: _Case, s: int) -> None:
    """Checks with partner agencies after a strategy discussion (practice: 15 working days)."""
    rand = c.rand
    for _ in range(1 + int(rand() * 3)):
        d = c.act(WD15, 0)
        if d is not None:
            c.add(s + d, "ac-", "agency_check", {"agency": AGENCY[int(rand() * len(AGENCY))]})


def _cp(c: _Case, s: int) -> tuple[str, int]:
    """Strategy discussion, s47 enquiry, ICPC and (usually) a child protection plan.
    Returns what happened next ('plan', 'cin' or 'none') and from which day."""
    rand = c.rand
    reason = "significant_harm" if rand() < 0.85 else "exploitation"
    c.add(s, "sd-", "strategy_discussion", {"s47": True, "reason": reason})
    _agency_checks(c, s)
    if rand() < 0.1:  # a second discussion supersedes the first
        s += 2 + int(rand() * 6)
        c.add(s, "sd-", "strategy_discussion", {"s47": True, "reason": reason})
        _agency_checks(c, s)
    no_icpc = rand() < 0.1
    e = s + (rand() < 0.3)
    extra: dict[str, Any] = {}
    finish = e + 5 + int(rand() * 9)
    if finish < c.end:
        extra = {"completed": c.day(finish), "outcome": "no_icpc" if no_icpc else "icpc"}
    c.add(e, "s47-", "s47_enquiry", extra)
    if no_icpc:
        return "cin", finish + int(rand() * 10)
    d = c.act(WD15, 6)
    if d is None:
        return "none", s
    p = s + d
    plan = rand() < 0.92
    c.add(p, "icpc-", "icpc", {"cp_plan": plan})
    if not plan:
        return "cin", p + int(rand() * 10)
    return "plan", p


def _cp_plan(c: _Case, p: int) -> int:
    """A child protection plan from the ICPC; returns its planned end."""
    rand = c.rand
    end = p + 90 + int(rand() * 450)
    category = CP_CATEGORY[int(rand() * len(CP_CATEGORY))]
    if c.episode("cpp-", "cp_plan", p, end, {"category": category}) is None:
        return end
    limit = min(end + 1, c.end)
    d = c.act(WD10, 1)
    o = p + (d if d is not None else WD10[1] + 10 + int(rand() * 20))
    while o < limit:
        c.add(o, "cg-", "core_group")
        o += 21 + int(rand() * 22)
    c.recur(p, limit, M3, M6, "rcpc-", "rcpc")
    _visits(c, p, limit, WD10, WD10, 0.7, alone_within=W6[0] - WD10[0] - 2)
    d = c.act(WD10, 0)
    if d is not None:
        c.add(p + d, "sp-", "safety_plan", {"child_version": rand() >= c.breach / 2})
    if rand() < 0.3:
        c.add(p + 5 + int(rand() * 20), "wa-", "written_agreement")
    return end


def _looked_after(c: _Case, start: int, end: int, eligible: bool, legal: str) -> None:
    """A period of care with its placements and statutory acts."""
    rand = c.rand
    la = c.episode("la-", "looked_after", start, end, {"legal_status": legal, "eligible": eligible})
    if la is None:
        return
    limit = min(end + 1, c.end)

    # placements, one after another, each with its own visiting schedule
    p = start
    while True:
        p_end = p + 45 + int(rand() * 500)
        last = p_end >= end or p_end >= c.end
        if last:
            p_end = end
        ptype = PLACEMENT_TYPE[int(rand() * len(PLACEMENT_TYPE))]
        with_parents = ptype == "P1"
        long_term = not with_parents and p > start + 120 and rand() < 0.5
        c.episode("pl-", "placement", p, p_end,
                  {"placement_type": ptype, "long_term": long_term,
                   "with_parents": with_parents, "parent": la})
        _placement_visits(c, p, min(p_end + 1, c.end), long_term)
        if with_parents:
            d = c.act(WD10, 0)
            if d is not None:
                c.add(p + d, "wa-", "written_agreement")
        if last:
            break
        p = p_end

    # care plan: up to a week before (planned admissions) or within 10 working days
    d = c.act(WD10, -7 if rand() < 0.25 else 0)
    if d is not None:
        c.add(start + d, "cpl-", "care_plan")

    # looked-after reviews: 20 working days, 3 months, then 6 months
    reviews: list[int] = []
    o = start + c.gap(WD20, 8)
    n = 1
    while o < limit:
        c.add(o, "rev-", "cla_review")
        reviews.append(o)
        if rand() < 0.7:
            c.add(o + int(rand() * 5), "cpl-", "care_plan")  # plan updated after the review
        o += c.gap(M3, 40) if n == 1 else c.gap(M6, 100)
        n += 1

    # permanence plan by the second review (held, or else as projected)
    if len(reviews) >= 2:
        by = reviews[1]
    elif reviews:
        by = reviews[0] + M3[0]
    else:
        by = start + WD20[0] + M3[0]
    r = rand()
    if r >= c.breach:
        pp: int | None = start + 10 + int(rand() * max(1, by - start - 9))
    elif r < c.breach * MISSING_SHARE:
        pp = None
    else:
        pp = by + 5 + int(rand() * 60)
    if pp is not None and pp < limit:
        c.add(pp, "pp-", "permanence_plan", {"option": PERMANENCE[int(rand() * len(PERMANENCE))]})

    # health: initial within 20 working days, reviews every 6 or 12 months by age
    d = c.act(WD20, 4)
    if d is not None:
        o = start + d
        c.add(o, "ha-", "health_assessment", {"kind": "initial"})
        while True:
            age = c.age_days(o)
            g = M6 if age is not None and age < 5 * 365 + 3 else M12
            o += c.gap(g, g[0] * 2 // 3)
            if o >= limit:
                break
            c.add(o, "ha-", "health_assessment", {"kind": "review"})

    # permanency planning meetings (practice): monthly for under-5s, else 3-monthly
    age = c.age_days(start)
    young = age is not None and age < 5 * 365 + 3
    c.recur(start, limit, M1 if young else M3, M1 if young else M3, "ppm-", "ppm")
    d = c.act(M3, 10)
    if d is not None:
        c.add(start + d, "ls-", "life_story_work")
    d = c.act(WD20, 3)
    if d is not None:
        c.add(start + d, "camhs-", "camhs_offer")


def _placement_visits(c: _Case, p: int, limit: int, long_term: bool) -> None:
    """Visits within a week, then every 6 weeks in the first year, then 3 months if long-term."""
    rand = c.rand
    o = p + c.gap(W1, 1)
    year = p + 366  # conservative: a visit before this is always in the placement's first year
    while o < limit:
        if rand() < 0.04:  # a visit where the child was not seen (does not count)
            c.add(o - 1 - int(rand() * 3), "v-", "visit", {"seen": False, "seen_alone": False})
        c.add(o, "v-", "visit", {"seen": True, "seen_alone": rand() < 0.6})
        g = M3 if long_term and o >= year else W6
        o += c.gap(g, g[0] // 2)


def _missing(c: _Case, start: int, limit: int, count: int) -> None:
    """Repeated missing (or absent) episodes with return home interviews, and a strategy
    discussion when three missing episodes fall within 90 days (practice)."""
    rand = c.rand
    breach = c.breach
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
            if r >= breach:
                rq: int | None = end_q + 8 + int(rand() * (RHI_SAFE - 8))
            elif r < breach * MISSING_SHARE:
                rq = None
            else:
                rq = end_q + RHI_LATE + int(rand() * 600)
            if rq is not None:
                outcome = RHI_OUTCOME[int(rand() * len(RHI_OUTCOME))]
                rhi: dict[str, Any] = {"ref": mid, "outcome": outcome}
                if outcome == "completed":
                    rhi["safety_plan"] = rand() >= breach
                    rhi["first_seen_by"] = SEEN_BY[int(rand() * len(SEEN_BY))]
                c.add_at(rq, "rhi-", "return_home_interview", rhi)
        if missing and (awaiting is None or o > awaiting):
            # episodes before the awaited discussion are not counted; after it the count restarts
            if awaiting is not None:
                recent, awaiting = [], None
            recent = [d for d in recent if d >= o - 90]
            recent.append(o)
            if len(recent) >= 3:
                d = c.act(WD5, 0)
                awaiting = LAST_DAY if d is None else o + d
                if d is not None:
                    c.add(o + d, "sd-", "strategy_discussion", {"s47": False, "reason": "missing"})
                recent = []


def _involvement(c: _Case) -> int:
    """Supervision, chronology and case summary over each period of involvement (practice
    cadence); returns the last active day of the case."""
    kinds = ("cin_plan", "cp_plan", "looked_after", "care_leaver", "private_fostering")
    spans = sorted(((s, e) for s, e, ep in c.episodes if ep["type"] in kinds),
                   key=lambda se: (se[0], LAST_DAY if se[1] is None else se[1]))
    periods: list[tuple[int, int | None]] = []
    for s, e in spans:
        if periods:
            ps, pe = periods[-1]
            if pe is None or s <= pe + 1:
                periods[-1] = (ps, None if (pe is None or e is None) else max(pe, e))
                continue
        periods.append((s, e))
    last = 0
    for s, e in periods:
        limit = c.end if e is None else min(e + 1, c.end)
        last = max(last, limit - 1)
        c.recur(s, limit, M1, M1, "sup-", "supervision")
        c.recur(s, limit, WD20, M3, "chr-", "chronology_update")
        c.recur(s, limit, WD20, M3, "sum-", "case_summary_update")
        d = c.act(WD20, 2)
        if d is not None:
            c.add(s + d, "gen-", "genogram_update")
        if c.rand() < 0.12:  # a case file audit, re-audited if inadequate
            a = s + 20 + int(c.rand() * max(1, limit - s - 20))
            grade = GRADE[int(c.rand() * len(GRADE))]
            c.add(a, "aud-", "audit", {"grade": grade})
            if grade == "inadequate":
                d = c.act(M3, 20)
                if d is not None:
                    c.add(a + d, "aud-", "audit", {"grade": "requires_improvement"})
    return last


# -- cohorts: each builder takes the case and its first day and fills it in ------------------


def _case_cin(c: _Case, t: int) -> None:
    done = _intake(c, t, "cin_plan")
    d = c.act(WD10, 0)
    start = done + (d if d is not None else 30 + int(c.rand() * 30))
    end = _cin(c, start, _months_on(c, start, (3, 18)))
    if c.rand() < 0.2:  # re-referred after closure
        _intake(c, end + 60 + int(c.rand() * 200), "nfa")


def _case_cp(c: _Case, t: int) -> None:
    rand = c.rand
    if rand() < 0.3:  # known as a child in need first, then escalated
        done = _intake(c, t, "cin_plan")
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
    if r < 0.45:  # stepped down to a child in need plan
        _cin(c, end, _months_on(c, end, (3, 12)))
    elif r < 0.6:  # came into care
        _looked_after(c, end, end + 90 + int(rand() * 800), rand() < 0.5,
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
        _cin(c, end, _months_on(c, end, (3, 9)))


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
    d = c.act(M3, 10)
    if d is not None:
        c.add(max(start, cl_start - 100 + d), "na-", "needs_assessment",
              {"shared_with_young_person": True, "contingency": True})
    d = c.act(M3, 0)
    if d is not None:
        c.add(max(start, cl_start - 60 + d), "ppl-", "pathway_plan",
              {"shared_with_young_person": rand() >= c.breach / 2,
               "contingency": rand() >= c.breach / 2})
    cl_end = cl_start + 300 + int(rand() * 1200)
    if c.episode("cl-", "care_leaver", cl_start, cl_end,
                 {"eligibility": "relevant" if relevant else "former_relevant"}) is None:
        return
    limit = min(cl_end + 1, c.end)
    o = cl_start + c.gap(M6, 100)
    while o < limit:
        c.add(o, "ppr-", "pathway_plan_review",
              {"shared_with_young_person": rand() >= c.breach / 2,
               "contingency": rand() >= c.breach / 2})
        o += c.gap(M6, 100)
    _visits(c, cl_start, limit, W8, W8, 0.3)


def _case_private_fostering(c: _Case, t: int) -> None:
    """Notification, a household whose members 16 and over need DBS checks, and visits."""
    rand = c.rand
    _intake(c, t, "other")
    p = t + int(rand() * 3)
    household: list[dict[str, Any]] = []
    needs_dbs: list[str] = []
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
        if years >= 16:
            needs_dbs.append(member)
    end = p + 90 + int(rand() * 800)
    if c.episode("pf-", "private_fostering", p, end, {"household": household}) is None:
        return
    limit = min(end + 1, c.end)
    o = p + c.gap(WD7, 1)
    year = p + 366
    while o < limit:
        c.add(o, "pfv-", "pf_visit", {"seen_alone": rand() < 0.7})
        g = W6 if o < year else W12
        o += c.gap(g, g[0] // 2)
    for member in needs_dbs:
        d = c.act(WD20, 2)
        if d is not None:
            c.add(p + d, "dbs-", "dbs_check", {"subject": member})


def _case_missing(c: _Case, t: int) -> None:
    rand = c.rand
    if rand() < 0.7:
        done = _intake(c, t, "cin_plan")
        d = c.act(WD10, 0)
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
    """Add everyday acts that no england rule counts, to reach the case's size."""
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


def generate_cohort(n: int, seed: int, as_of: date,
                    breach_rate: float = 0.15) -> Iterator[dict[str, Any]]:
    """Yield ``n`` JSON-ready case records as they stood on ``as_of``; the same seed always
    gives the same records.  About ``breach_rate`` of timed acts are late or never done."""
    if not 0.0 <= breach_rate <= 1.0:
        raise ValueError("breach_rate must be between 0 and 1")
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
        for attempt in range(4):
            c, t, last = _build(rng, iso, iso_base, first, stop, breach_rate, cohort,
                                0.5 ** attempt)
            if len(c.events) <= MAX_EVENTS:
                break
            # a very busy case: build it again with a shorter history (rarely needed)
        assert c.dob is not None
        dob = c.dob
        uasc = cohort == "cla" and t - dob > 14 * 365 and rand() < 0.15
        size = min(MAX_EVENTS, max(MIN_EVENTS, int(rng.lognormvariate(3.5, 0.65))))
        _fill(c, t, last, size - len(c.events), cohort in ("cla", "care_leaver"), cohort == "cp")

        events = c.events
        events.sort(key=itemgetter(0))
        del events[MAX_EVENTS:]  # only if four tries were all too busy: keep the first acts
        c.episodes.sort(key=itemgetter(0))
        ethnicity = None if rand() < breach_rate / 3 else ETHNICITY[int(rand() * len(ETHNICITY))]
        yield {
            "format": FORMAT,
            "case_id": f"GEN-{i:06d}",
            "child": {
                "id": f"CH-{i:06d}",
                "date_of_birth": date.fromordinal(dob).isoformat() if rand() >= 0.03 else None,
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


def _build(rng: random.Random, iso: list[str], iso_base: int, first: int, stop: int,
           breach: float, cohort: str, history: float) -> tuple[_Case, int, int]:
    """The statutory and practice acts of one case (no fillers yet), its first day and its
    last active day.  ``history`` below 1 shortens how far back the case may start."""
    rand = rng.random
    c = _Case(rng, iso, iso_base, first, stop, breach)
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
