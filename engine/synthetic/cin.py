"""Children in need: the child in need plan (visits and reviews) and the cohort's cases."""

from __future__ import annotations

from .case import IV_M3, IV_WD20, WD10, _Case, _first_then, _months_on, _schedule, _walk
from .intake import _intake
from .rules import CIN_REVIEW, CIN_VISIT, PLAN_AFTER


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
