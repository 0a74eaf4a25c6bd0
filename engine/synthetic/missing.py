"""Children who go missing: missing and absent episodes, return home interviews (72 real hours,
UK time) and strategy discussions after repeated episodes, and the cohort's cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .case import IV_WD5, MISSING_SHARE, QH, SAME_DAY_SHARE, WD5, WD10, _Case, _months_on
from .cin import _cin
from .intake import _intake
from .rules import MISSING_STRATEGY, PLAN_AFTER, RHI, RHI_SAFETY_PLAN

UK = ZoneInfo("Europe/London")

# a wall-clock gap of up to 70 hours is under 72 real hours even across a clock change
RHI_SAFE, RHI_LATE = 70 * 4, 74 * 4

RHI_OUTCOME = ("completed", "completed", "completed", "completed", "completed", "declined",
               "declined", "offered")
SEEN_BY = ("return_home_worker", "social_worker", "police", "carer")


def _rhi_due(end_q: int) -> int:
    """The UK date 72 real hours after a return at wall-clock quarter-hour ``end_q``."""
    o, q = divmod(end_q, QH)
    back = datetime.combine(date.fromordinal(o), datetime.min.time()).replace(
        hour=q // 4, minute=(q % 4) * 15, tzinfo=UK)
    return (back.astimezone(UTC) + timedelta(hours=72)).astimezone(UK).date().toordinal()


def _missing(c: _Case, start: int, limit: int, count: int) -> None:
    """Repeated missing (or absent) episodes with return home interviews, and a strategy
    discussion when three missing episodes fall within 90 days (practice).

    Interviews name their episode by ``ref``, except a share whose ``ref`` binds nothing
    (Ruling 2: an absence, a strategy discussion, or an id not in the record), matched by date;
    and with a share of interviews never held, one is recorded the morning of the day the
    episode began that evening (Ruling 1: it does not count).  Such loose interviews are
    planted only where the engine must give them to the episode meant: after every earlier
    obligation was answered, and after every earlier loose interview (``floor``, None once an
    obligation is left unanswered, which would take any later loose interview)."""
    rand = c.rand
    rhi_rate, plan_rate = c.rate(RHI), c.rate(RHI_SAFETY_PLAN)
    span = max(1, limit - start)
    starts = sorted(start * QH + int(rand() * span * QH) for _ in range(count))
    prev_end = 0
    recent: list[int] = []
    awaiting: int | None = None  # a strategy discussion is awaited until this day
    floor: int | None = 0  # loose interviews may fall only after this quarter-hour
    others: list[str] = []  # ids an interview's ref may name without binding
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
        if not missing:
            others.append(mid)
        if ended and missing:
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
                ref = {"ref": mid}
                room = QH - 9 - end_q % QH  # quarter-hours left that day for an interview
                if (floor is not None and r >= rhi_rate and end_q // QH == o and room > 0
                        and end_q + 8 > floor and rand() < SAME_DAY_SHARE):
                    # back the day the episode began, interviewed later that day, the interview
                    # naming no episode: Ruling 1 counts it (a time after the episode began)
                    rq = end_q + 8 + int(rand() * room)
                    ref = c.odd_ref(others, "mis-", 1.0)
                elif floor is not None and rq > floor:
                    ref = c.odd_ref(others, "mis-") or ref
                rhi: dict[str, Any] = {**ref, "outcome": outcome}
                if outcome == "completed":
                    rhi["safety_plan"] = rand() >= plan_rate
                    rhi["first_seen_by"] = SEEN_BY[int(rand() * len(SEEN_BY))]
                held = c.add_at(rq, "rhi-", "return_home_interview", rhi)
                if held is not None and rhi.get("safety_plan") is False:
                    c.plant(RHI_SAFETY_PLAN, held, "not_met")
                if held is not None and rhi["ref"] != mid:
                    floor = rq
            elif (floor is not None and q % QH >= 56 and q - q % QH + 32 > floor
                  and rand() < SAME_DAY_SHARE):
                # an interview that morning, before the episode began: it does not count
                c.add_at(q - q % QH + 32 + int(rand() * (q % QH - 36)), "rhi-",
                         "return_home_interview", {**c.odd_ref(others, "mis-", 0.5),
                                                   "outcome": "declined"})
            if held is None:
                floor = None
            if held is not None:
                if rq is not None and rq - end_q >= RHI_LATE:
                    c.plant(RHI, mid, "late")
            elif _rhi_due(end_q) < c.end:
                c.plant(RHI, mid, "overdue")
        if missing and (awaiting is None or o > awaiting):
            # episodes up to the discussion are not counted (the open obligation absorbs them),
            # and after it the count restarts; with no discussion, the obligation absorbs only
            # episodes within one window (90 days) of its own, then a new count starts
            # (Ruling 6: a later cluster opens its own obligation)
            if awaiting is not None:
                recent, awaiting = [], None
            recent = [d for d in recent if d >= o - 90]
            recent.append(o)
            if len(recent) >= 3:
                d = c.act(MISSING_STRATEGY, WD5, 0)
                awaiting = o + 90 if d is None else o + d
                done = None
                sid = None if d is None else c.add(o + d, "sd-", "strategy_discussion",
                                                   {"s47": False, "reason": "missing"})
                if sid is not None:
                    done = o + d
                    others.append(sid)
                c.field(MISSING_STRATEGY, mid, o, IV_WD5, done)
                recent = []


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
