"""What a source can supply (a record's ``source.supplies``) against what a rule needs.

A rule's needs are strings: an episode or event type (``cp_plan``, ``visit``), a field of one
(``visit.seen_alone``, ``child.ethnicity``), or alternatives joined by ``|`` (``cin_plan|cp_plan``:
any one will do).  Levels:

- **full**: every target need and one alternative of each anchor need is supplied;
- **partial**: the rule's clock can start, but something it needs to be met (or to be filtered or
  cancelled) is missing: every alternative of a target is needed, since a target the source
  cannot hold would make obligations look overdue;
- **none**: nothing in the source starts the rule's clock.

A rule that is not *full* is **not assessable from this source**.  Shared by the adapters'
coverage matrix (``engine.sources.coverage``) and by evaluation (``engine.evaluate.coverage``),
so that the documented matrix and what the engine does are the same computation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Need = str


def supplied_names(supplies: Mapping[str, Any]) -> frozenset[str]:
    """The declaration as a set of need strings: ``child.<field>``, ``<type>``,
    ``<type>.<field>``."""
    names: set[str] = {f"child.{f}" for f in supplies.get("child") or ()}
    for part in ("episodes", "events"):
        for kind, fields in (supplies.get(part) or {}).items():
            names.add(kind)
            names.update(f"{kind}.{f}" for f in fields or ())
    return frozenset(names)


def assess_names(anchors: Sequence[Need], targets: Sequence[Need],
                 names: frozenset[str]) -> tuple[str, str]:
    """(level, reason) for one rule against a declaration given as ``supplied_names``."""
    gaps: list[str] = []
    for group in anchors:
        # an anchor needs one of its alternatives: a source without the others can only miss
        # some clocks, never start one that it could not show as met
        alts = group.split("|")
        missing = [a for a in alts if a not in names]
        if len(missing) == len(alts):
            return "none", f"no {' or '.join(missing)} in this source"
    for group in targets:
        gaps += [a for a in group.split("|") if a not in names]
    if gaps:
        return "partial", "lacks " + ", ".join(dict.fromkeys(gaps))
    return "full", "everything the rule reads is supplied"


def assess(anchors: Sequence[Need], targets: Sequence[Need], supplies: Mapping[str, Any]
           ) -> tuple[str, str]:
    """(level, reason) for one rule against one declaration."""
    return assess_names(anchors, targets, supplied_names(supplies))


def unique(needs: Iterable[Need]) -> list[Need]:
    return list(dict.fromkeys(needs))
