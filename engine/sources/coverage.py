"""Which rules a source can assess, from each adapter's ``SUPPLIES`` declaration.

The comparison itself lives in ``engine.records.supplies``, shared with evaluation, so that the
documented matrix and the engine's "not assessable from this source" are one computation.

A rule's needs are written as strings: an episode or event type (``cp_plan``, ``visit``), a
field of one (``visit.seen_alone``, ``child.ethnicity``), or alternatives joined by ``|``
(``cin_plan|cp_plan``: any one will do).  The levels:

- **full**: the source supplies every anchor and target need;
- **partial**: anchors exist, but some target or field is missing, so obligations would be
  raised that the source could never show as met: the engine should report the rule as not
  assessable from this source rather than as breached;
- **none**: the source has nothing that starts the rule's clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from engine.records.supplies import Need, assess, supplied_names

__all__ = ["Need", "RuleNeeds", "all_supplies", "assess", "coverage_matrix", "supplied"]
RuleNeeds = tuple[str, Sequence[Need], Sequence[Need]]


def all_supplies() -> dict[str, Mapping[str, Any]]:
    """Every adapter's declaration, by source name."""
    from . import cin, ssd, ssda903

    return {"ssd": ssd.SUPPLIES, "ssda903": ssda903.SUPPLIES, "cin": cin.SUPPLIES}


def supplied(need: Need, supplies: Mapping[str, Any]) -> bool:
    """Whether one need (no ``|``) is in a declaration."""
    return need in supplied_names(supplies)


def coverage_matrix(rules: Iterable[RuleNeeds],
                    sources: Mapping[str, Mapping[str, Any]] | None = None,
                    ) -> dict[str, dict[str, dict[str, str]]]:
    """``{rule_id: {source: {"level": full|partial|none, "reason": ...}}}``."""
    sources = sources if sources is not None else all_supplies()
    matrix: dict[str, dict[str, dict[str, str]]] = {}
    for rule_id, anchors, targets in rules:
        matrix[rule_id] = {}
        for name, supplies in sources.items():
            level, reason = assess(anchors, targets, supplies)
            matrix[rule_id][name] = {"level": level, "reason": reason}
    return matrix
