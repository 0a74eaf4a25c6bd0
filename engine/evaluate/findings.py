"""What evaluation produces for one case: findings and errors, as plain data.

The evaluator fills these in; reporters (``engine.reports``) turn them into output.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from engine.evaluate.coverage import NotAssessable
from engine.records.problems import Problem


@dataclass(slots=True)
class Finding:
    rule: str
    status: str
    anchor_id: str
    anchor_date: date
    due: date | None
    done_id: str | None
    done_date: date | None
    days_late: int | None
    # the message is rendered when first read (``message``): a sweep writes none for ``met``
    # findings, and rendering every one was a third of a sweep's time (issue 14)
    text: str | None
    source: str
    title: str
    occurrence: int | None = None
    member: str | None = None
    evidence: list[str] = field(default_factory=list)
    unit: str = "days"  # what days_late counts: "working_days" or "days"
    clock_date: date | None = None  # when the clock started, if not the anchor's own date
    # whether the obligation can still be acted on: True only for an open finding (overdue,
    # not_met, due_soon, pending) whose governing episode or period of involvement is open at
    # the as-of date; an open finding whose episode has closed is a historic one
    actionable: bool = False
    episode_end: date | None = None  # when the governing episode closed, if on or before as-of
    # what the evaluator needs to render the message later: (renderer, *its arguments)
    ctx: tuple[Any, ...] | None = None

    @property
    def message(self) -> str:
        if self.text is None:
            assert self.ctx is not None
            self.text = self.ctx[0].message(self.ctx)
        return self.text

    def growth(self) -> dict[str, Any] | None:
        """For an overdue finding whose lateness still grows with the as-of date: what is
        needed to state it at a later as-of date without evaluating again (``regrow``)."""
        if self.ctx is None:
            return None
        return self.ctx[0].growth(self.ctx)

    def __reduce__(self) -> tuple[Any, ...]:
        # crossing a process boundary (the durable engine's child): the message goes rendered
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["text"], values["ctx"] = self.message, None
        return (_finding, (values,))


def _finding(values: dict[str, Any]) -> Finding:
    return Finding(**values)


@dataclass(slots=True)
class CaseResult:
    case_id: str | None
    as_of: date
    profile: str
    team: str | None = None
    worker: str | None = None  # the record's allocation, for drill-down views
    manager: str | None = None
    findings: list[Finding] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    source: str | None = None
    evaluated: bool = False  # False: unreadable or invalid, so rejected
    # rules the record's source cannot assess (no obligations were raised for them)
    not_assessable: list[NotAssessable] = field(default_factory=list)
    short_breaks: int = 0  # periods of short-break care left out of the rules
    # the first date after as-of on which some finding could change by the passing of time
    # alone (a deadline passing, a warning window opening, a dated item coming into view, a
    # birthday); None when nothing would.  Overdue lateness still grows daily (see ``Growth``)
    next_change: date | None = None
