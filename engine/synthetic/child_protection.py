"""Child protection: strategy discussions and agency checks, the section 47 enquiry, the ICPC,
the child protection plan (core groups, reviews, visits, the child seen alone, the safety plan),
and the cohort's cases (some escalated from child in need, some stepping down or into care)."""

from __future__ import annotations

from typing import Any

from .case import (
    IV_M3,
    IV_M6,
    IV_WD10,
    IV_WD15,
    QH,
    SAME_DAY_SHARE,
    W6,
    WD10,
    WD15,
    _Case,
    _first_then,
    _months_on,
    _schedule,
    _walk,
)
from .cin import _cin
from .intake import _intake
from .looked_after import LEGAL_STATUS, _looked_after
from .rules import (
    AGENCY_CHECKS,
    CHILD_SAFETY_PLAN,
    CORE_GROUP,
    CP_REVIEW,
    CP_VISIT,
    HOME_AGREEMENT,
    ICPC,
    PLAN_AFTER,
    SEEN_ALONE,
)

ICPC_ODD_REF = 0.25  # one ICPC a case: its share of refs that bind nothing (Ruling 2)
CP_CATEGORY = ("neglect", "neglect", "neglect", "emotional", "emotional", "physical", "sexual",
               "multiple")
# partner agencies (also drawn for the filler checks of other cohorts)
AGENCY = ("health", "police", "education", "gp", "probation", "housing")


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


def _cp(c: _Case, s: int, plan_until: int = -1) -> tuple[str, int, str | None]:
    """Strategy discussion, s47 enquiry, ICPC and (usually) a child protection plan.
    Returns what happened next ('plan', 'cin' or 'none'), from which day, and the ICPC's id.

    The rulings on matching show here (semantics.md).  Ruling 1: with a share of ICPC breaches
    the last discussion gets a time and an ICPC is recorded earlier that day, which does not
    satisfy it; with a share of ICPCs in time the ICPC is held the day of the (timed)
    discussion, later that day or with a date only, which does.  Ruling 2: with a share, the
    ICPC names a discussion that is not section 47, the enquiry, or an id not in the record:
    matched by date all the same.  ``plan_until``: the last day of a child in need plan before
    (no plan may start then, or visits would count in both)."""
    rand = c.rand
    reason = "significant_harm" if rand() < 0.85 else "exploitation"
    other: str | None = None
    if rand() < 0.4:  # an earlier discussion that did not start section 47 enquiries
        other = c.add(s - 1 - int(rand() * 20), "sd-", "strategy_discussion",
                      {"s47": False, "reason": reason})
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
    enquiry = c.add(e, "s47-", "s47_enquiry", extra)
    if no_icpc:
        # cancelled by the enquiry's outcome if recorded (dated on or after the discussion and
        # before the deadline); otherwise nothing satisfies it
        if last is not None and not (extra and last[0] <= e
                                     and not c.after(last[0], IV_WD15, None, e + 1)):
            c.field(ICPC, last[1], last[0], IV_WD15, None)
        return "cin", finish + int(rand() * 10), None
    d = c.act(ICPC, WD15, 6)
    ref = c.odd_ref([other or enquiry], "sd-", ICPC_ODD_REF)
    plan = rand() < 0.92
    held: str | None = None
    if len(recorded) == 1 and (d is None or d > WD15[0]) and rand() < SAME_DAY_SHARE:
        # Ruling 1: the discussion at 14:00 or later, an ICPC that morning does not satisfy it
        # (with two discussions it would satisfy the first, which it comes after)
        assert last is not None
        a = last[0] * QH
        c.retime(last[1], a + 56 + int(rand() * 32))
        c.add_at(a + 32 + int(rand() * 20), "icpc-", "icpc", {"cp_plan": False, **ref})
        ref = c.odd_ref([other or enquiry], "sd-", ICPC_ODD_REF)
    elif (last is not None and last[0] > plan_until and d is not None and d <= WD15[0]
          and rand() < SAME_DAY_SHARE):
        # Ruling 1: the ICPC the day of the discussion, later that day or with a date only
        s, d, a = last[0], 0, last[0] * QH
        c.retime(last[1], a + 32 + int(rand() * 20))
        if rand() < 0.5 or len(recorded) == 2:
            held = c.add_at(a + 56 + int(rand() * 32), "icpc-", "icpc", {"cp_plan": plan, **ref})
        else:  # (a date-only ICPC would come before a second discussion and meet the first)
            held = c.add(s, "icpc-", "icpc", {"cp_plan": plan, **ref})
    if d is None:
        if last is not None:
            c.field(ICPC, last[1], last[0], IV_WD15, None)
        return "none", s, None
    p = s + d
    if held is None:
        held = c.add(p, "icpc-", "icpc", {"cp_plan": plan, **ref})
    if last is not None:
        c.field(ICPC, last[1], last[0], IV_WD15, None if held is None else p)
    if not plan:
        return "cin", p + int(rand() * 10), held
    return "plan", p, held


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


def _cp_plan(c: _Case, p: int, icpc: str | None) -> int:
    """A child protection plan from the ICPC; returns its planned end.  With a share, a core
    group names the ICPC or an id not in the record (Ruling 2: matched by date)."""
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
        c.add_target(CORE_GROUP, o, "cg-", "core_group", c.odd_ref([icpc], "cpp-"))
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
        nxt, day, icpc = _cp(c, s, s)
    else:
        _intake(c, t, "s47")
        s = t + (rand() < 0.4) + int(rand() * 3)
        nxt, day, icpc = _cp(c, s)
    if nxt == "cin":
        _cin(c, day, _months_on(c, day, (2, 10)))
        return
    if nxt == "none":
        return
    end = _cp_plan(c, day, icpc)
    r = rand()
    if r < 0.45:  # stepped down to a child in need plan (from the next day)
        _cin(c, end + 1, _months_on(c, end + 1, (3, 12)))
    elif r < 0.6:  # came into care
        _looked_after(c, end + 1, end + 1 + 90 + int(rand() * 800), rand() < 0.5,
                      LEGAL_STATUS[4 + int(rand() * 5)])
