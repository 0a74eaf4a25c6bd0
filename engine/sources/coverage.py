"""Which rules a source can assess, from each adapter's ``SUPPLIES`` declaration.

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

Need = str
RuleNeeds = tuple[str, Sequence[Need], Sequence[Need]]


def all_supplies() -> dict[str, Mapping[str, Any]]:
    """Every adapter's declaration, by source name."""
    from . import cin, ssd, ssda903

    return {"ssd": ssd.SUPPLIES, "ssda903": ssda903.SUPPLIES, "cin": cin.SUPPLIES}


def supplied(need: Need, supplies: Mapping[str, Any]) -> bool:
    """Whether one need (no ``|``) is in a declaration."""
    kind, _, field = need.partition(".")
    if kind == "child":
        return field in supplies.get("child", ())
    fields = supplies.get("events", {}).get(kind)
    if fields is None:
        fields = supplies.get("episodes", {}).get(kind)
    if fields is None:
        return False
    return not field or field in fields


def _missing(group: Need, supplies: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """(any alternative supplied, the alternatives that are not)."""
    alts = group.split("|")
    gaps = [a for a in alts if not supplied(a, supplies)]
    return len(gaps) < len(alts), gaps


def assess(anchors: Sequence[Need], targets: Sequence[Need], supplies: Mapping[str, Any]
           ) -> tuple[str, str]:
    """(level, reason) for one rule against one declaration."""
    gaps: list[str] = []
    for group in anchors:
        ok, missing = _missing(group, supplies)
        if not ok:
            return "none", f"no {' or '.join(missing)} in this source"
        gaps += missing
    for group in targets:
        _, missing = _missing(group, supplies)
        gaps += missing
    if gaps:
        return "partial", "lacks " + ", ".join(dict.fromkeys(gaps))
    return "full", "everything the rule reads is supplied"


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
