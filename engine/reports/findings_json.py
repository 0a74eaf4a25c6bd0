"""Case results as the JSON findings contract (semantics.md, "Findings: the JSON contract")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from engine.evaluate.findings import CaseResult, Finding
from engine.reports.cells import json_line_safe


def finding_dict(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": f.rule,
        "status": f.status,
        "anchor": {"id": f.anchor_id, "date": f.anchor_date.isoformat()},
        "due": f.due.isoformat() if f.due else None,
        "done": {"id": f.done_id, "date": f.done_date.isoformat()} if f.done_id else None,
        "days_late": f.days_late,
        "days_late_unit": f.unit,
        "message": f.message,
        "source": f.source,
        "title": f.title,
        "actionable": f.actionable,
        "episode_end": f.episode_end.isoformat() if f.episode_end else None,
    }
    if f.clock_date is not None and f.clock_date != f.anchor_date:
        out["clock_start"] = f.clock_date.isoformat()  # the due date counts from here
    if f.occurrence is not None:
        out["occurrence"] = f.occurrence
    if f.member is not None:
        out["anchor"]["member"] = f.member
    if f.evidence:
        out["evidence"] = list(f.evidence)
    return out


def case_dict(result: CaseResult,
              finding: Callable[[Finding], dict[str, Any]] = finding_dict) -> dict[str, Any]:
    out: dict[str, Any] = {
        "case_id": result.case_id,
        "as_of": result.as_of.isoformat(),
        "profile": result.profile,
        "findings": [finding(f) for f in result.findings],
        "errors": [e.as_dict() for e in result.errors],
    }
    if result.warnings:
        out["warnings"] = [w.as_dict() for w in result.warnings]
    if result.not_assessable:
        out["not_assessable"] = [{"rule": n.rule, "source": n.source, "reason": n.reason}
                                 for n in result.not_assessable]
    if result.team is not None:
        out["team"] = result.team
    if result.worker is not None:
        out["worker"] = result.worker
    if result.manager is not None:
        out["manager"] = result.manager
    if result.source is not None:
        out["source"] = result.source
    return out


def case_json(result: CaseResult, indent: bool = False) -> bytes:
    option = orjson.OPT_INDENT_2 if indent else 0
    return json_line_safe(orjson.dumps(case_dict(result), option=option))


# ---------------------------------------------------------------------------------------------
# findings.jsonl: the same contract, written straight to text (no dictionary per finding), and
# compact: a ``met`` finding carries no ``message``, ``title`` or ``source`` (semantics.md,
# "findings.jsonl"); summary.json gives each rule's title and source once.



def _sweep_finding(f: Finding) -> dict[str, Any]:
    """``finding_dict`` for findings.jsonl: dates left to orjson, no texts on a met finding."""
    anchor: dict[str, Any] = {"id": f.anchor_id, "date": f.anchor_date}
    if f.member is not None:
        anchor["member"] = f.member
    if f.status == "met":
        out = {"rule": f.rule, "status": "met", "anchor": anchor, "due": f.due,
               "done": {"id": f.done_id, "date": f.done_date} if f.done_id else None,
               "days_late": f.days_late, "days_late_unit": f.unit,
               "actionable": f.actionable, "episode_end": f.episode_end}
    else:
        out = {"rule": f.rule, "status": f.status, "anchor": anchor, "due": f.due,
               "done": {"id": f.done_id, "date": f.done_date} if f.done_id else None,
               "days_late": f.days_late, "days_late_unit": f.unit, "message": f.message,
               "source": f.source, "title": f.title, "actionable": f.actionable,
               "episode_end": f.episode_end}
    if f.clock_date is not None and f.clock_date != f.anchor_date:
        out["clock_start"] = f.clock_date
    if f.occurrence is not None:
        out["occurrence"] = f.occurrence
    if f.evidence:
        out["evidence"] = f.evidence
    return out


def sweep_json(result: CaseResult) -> bytes:
    """A case's line in findings.jsonl: ``case_json`` without the texts of met findings
    (semantics.md, "findings.jsonl"); summary.json gives each rule's title and source once."""
    out = case_dict(result, _sweep_finding)
    return json_line_safe(orjson.dumps(out))
