"""Contact, referral and assessment: how every cohort's involvement begins."""

from __future__ import annotations

from typing import Any

from .case import IV_WD1, IV_WD10, IV_WD45, WD1, WD45, _Case
from .rules import ASSESSMENT, PLAN_AFTER, REFERRAL


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
