"""Practice acts over each period of involvement, whatever the cohort: supervision, chronology,
case summary, genogram, and now and then a case file audit."""

from __future__ import annotations

from .case import IV_M1, IV_M3, IV_WD20, M3, WD20, _Case, _first_then, _schedule
from .rules import CASE_SUMMARY, CHRONOLOGY, GENOGRAM, REAUDIT, SUPERVISION

GRADE = ("outstanding", "good", "good", "good", "requires_improvement", "requires_improvement",
         "requires_improvement", "inadequate", "inadequate")


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
