"""What evaluation produces for one case: findings and errors, as plain data.

The evaluator fills these in; reporters (``report_json``, ``report_text``) turn them into output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


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
    message: str
    source: str
    title: str
    occurrence: int | None = None
    member: str | None = None
    evidence: list[str] = field(default_factory=list)
    unit: str = "days"  # what days_late counts: "working_days" or "days"
    clock_date: date | None = None  # when the clock started, if not the anchor's own date


@dataclass(slots=True)
class Problem:
    """A reason a record (or part of one) could not be evaluated: ids and pointers, no content."""

    message: str
    pointer: str = ""
    source: str | None = None
    rule: str | None = None
    expected: str | None = None
    value: str | None = None

    def as_dict(self) -> dict[str, str]:
        out = {"pointer": self.pointer, "message": self.message}
        for key in ("source", "rule", "expected", "value"):
            v = getattr(self, key)
            if v is not None:
                out[key] = v
        return out


@dataclass(slots=True)
class CaseResult:
    case_id: str | None
    as_of: date
    profile: str
    team: str | None = None
    findings: list[Finding] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    source: str | None = None
    evaluated: bool = False  # False: unreadable or invalid, so rejected
