"""The cohort: its mix of cases, each case's record as it stood on the as-of date, and the
ledger of the breaches planted in it (``generate_cohort``, ``generate_cohort_with_ledger``).

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
  after the return), the generator computes the deadline with ``engine.calendar`` (the one
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
* The rulings on matching (semantics.md) are planted at modest shares: same-day timed ICPCs
  and return home interviews, before their anchor (not counted, Ruling 1) or after it
  (counted), and refs that bind nothing (Ruling 2: to an item of another kind or a non-anchor,
  or to an id not in the record, which ends in ``-0`` and gives a warning), each placed only
  where the engine's matching by date must give it to the obligation meant.
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
from datetime import date
from operator import itemgetter
from typing import Any

from .case import FIRST_DAY, LAST_DAY, _Case, _years_days
from .child_protection import AGENCY, _case_cp
from .cin import _case_cin
from .involvement import _involvement
from .looked_after import _case_care_leaver, _case_cla
from .missing import _case_missing
from .private_fostering import _case_private_fostering
from .rules import _AGE_RULES, ETHNICITY_RECORDED, RULES, PlantedBreach

# must equal engine.records.FORMAT (the case-record format); kept literal so that this package
# depends on nothing of the engine but its calendar
FORMAT = "casecheck/case-record@1"

MIN_EVENTS, MAX_EVENTS = 20, 200
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

# episodes that, open on the as-of date, anchor PRC-ETHNICITY-RECORDED
_OPEN_TYPES = ("early_help", "cin_plan", "cp_plan", "looked_after", "placement",
               "private_fostering", "care_leaver", "pre_proceedings", "care_proceedings")

_BUILDERS: dict[str, Callable[[_Case, int], None]] = {
    "cin": _case_cin, "cp": _case_cp, "cla": _case_cla, "missing": _case_missing,
    "private_fostering": _case_private_fostering,
}
# child's age in whole years at the start of involvement, by cohort
_AGES: dict[str, tuple[int, int]] = {"cin": (0, 17), "cp": (0, 14), "cla": (0, 17),
                                     "missing": (11, 16), "private_fostering": (5, 15)}


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
