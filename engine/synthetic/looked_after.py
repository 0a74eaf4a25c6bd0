"""Looked-after children and care leavers: the period of care with its placements, placement
visits, care plan, reviews, permanence plan, health assessments and practice acts; the care
leaver's pathway plan and reviews; and the two cohorts' cases."""

from __future__ import annotations

from datetime import date

from engine.calendar import add_months

from .case import (
    IV_M1,
    IV_M3,
    IV_M6,
    IV_M12,
    IV_W1,
    IV_W6,
    IV_WD10,
    IV_WD20,
    M3,
    MISSING_SHARE,
    W6,
    W8,
    WD10,
    WD20,
    Gap,
    _Case,
    _Iv,
    _months_on,
    _schedule,
    _walk,
)
from .cin import _cin
from .intake import _intake
from .missing import _missing
from .rules import (
    CAMHS,
    CARE_PLAN,
    CLA_REVIEW,
    CLA_VISIT,
    HOME_AGREEMENT,
    IHA,
    LIFE_STORY,
    PATHWAY_QUALITY,
    PATHWAY_REVIEW,
    PERMANENCE,
    PPM,
    RHA,
)

LEGAL_STATUS = ("V2", "V2", "V2", "V2", "C2", "C2", "C2", "C1", "C1", "E1", "L1", "J2")
LONG_TERM_TYPES = ("U1", "U4")  # long-term fostering: what makes a placement long-term
PLACEMENT_TYPE = ("U1", "U3", "U4", "U4", "U5", "U6", "U6", "K2", "R1", "H5", "S1", "P1")
PERMANENCE_OPTION = ("return_home", "adoption", "long_term_foster", "long_term_foster", "sgo",
                     "residential")


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
        if long_term != (ptype in LONG_TERM_TYPES):  # the code says it, as in the 903 return
            ptype = "U1" if long_term else "U3"
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

    # permanence plan by the second review: held within the episode (even where ENG-CLA-REVIEW
    # dropped it), or else as due (from the first review's due date if it was not held); none
    # needed if the episode ended before the second fell due
    due1 = c.due(start, IV_WD20)
    by: int | None = None
    if len(days) >= 2:
        by = days[1]
    elif days or e is None or due1 <= e:
        due2 = c.due(days[0] if days else due1, IV_M3)
        if e is None or due2 <= e:
            by = due2
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


def _visits(c: _Case, start: int, limit: int, first: Gap, then: Gap, alone: float) -> None:
    """Visits at a practice cadence that no rule checks (care leavers)."""
    rand = c.rand
    o = start + c.gap(first, first[0] // 3)
    lo = max(1, then[0] // 2)
    while o < limit:
        c.add(o, "v-", "visit", {"seen": True, "seen_alone": rand() < alone})
        o += c.gap(then, lo)


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
