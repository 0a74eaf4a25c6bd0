"""Private fostering: the notification, the household (members 16 and over need DBS checks),
the visiting schedule, and the cohort's cases."""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.calendar import add_months, age_on, birthday

from .case import IV_W6, IV_W12, IV_WD7, IV_WD20, WD20, _Case, _Iv, _schedule, _years_days
from .intake import _intake
from .rules import PF_DBS, PF_VISIT


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
            years = 15 + int(rand() * 5)  # an older child (at 15, turning 16 during it)
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
        start = p
        if dob is not None and age_on(date.fromordinal(dob), date.fromordinal(p)) < 16:
            # owed a check from the 16th birthday if that falls within the arrangement (and by
            # the as-of date); the finding's anchor stays the arrangement
            start = birthday(date.fromordinal(dob), 16).toordinal()
            if start > (c.end if e is None else e):
                continue  # no check needed (one with no date of birth is checked all the same)
        if dob is not None:
            c.oblige(PF_DBS, pid, start, IV_WD20, member=member)
        d = c.act(PF_DBS, WD20, 2)
        if d is not None:
            c.add_target(PF_DBS, start + d, "dbs-", "dbs_check", {"subject": member},
                         member=member)
