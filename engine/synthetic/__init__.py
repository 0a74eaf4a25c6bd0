"""Synthetic cohorts: case records that look like a real extract, with a ledger of the breaches
planted in them, for demos, tests and benchmarks.  This room owns the generator and nothing
else: it may import only ``engine.calendar`` and the case-record format constant (kept here as
a literal, ``cohort.FORMAT``), and never the rules, evaluation, sweeps, reports or the CLI, so
that what it plants is checked by the engine rather than derived from it.
"""

from .case import _months, _wd
from .cohort import TEAMS, generate_cohort, generate_cohort_with_ledger
from .rules import RULES, PlantedBreach

__all__ = [
    "RULES",
    "TEAMS",
    "PlantedBreach",
    "_months",
    "_wd",
    "generate_cohort",
    "generate_cohort_with_ledger",
]
