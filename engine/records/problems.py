"""Problems: why a record, or part of one, could not be read, validated or evaluated.

They carry ids, JSON pointers and what was expected, never the content of a record, so they can
be written to logs and outputs that leave the team.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Problem:
    """A reason a record (or part of one) could not be evaluated: ids and pointers, no content."""

    message: str
    pointer: str = ""
    source: str | None = None
    rule: str | None = None
    expected: str | None = None
    value: str | None = None
    internal: bool = False  # a fault of casecheck's, not of the data: counted apart

    def as_dict(self) -> dict[str, str]:
        out = {"pointer": self.pointer, "message": self.message}
        for key in ("source", "rule", "expected", "value"):
            v = getattr(self, key)
            if v is not None:
                out[key] = v
        if self.internal:
            out["kind"] = "internal"
        return out


def internal_problem(exc: BaseException, source: str | None = None,
                     rule: str | None = None) -> Problem:
    """A last-resort guard's report: the exception's class only (its text may quote data)."""
    where = f" in rule {rule}" if rule else ""
    return Problem(f"internal error{where} ({type(exc).__name__}); the record's other results "
                   "stand, this part was not evaluated", source=source, rule=rule,
                   expected="no error: please report it", internal=True)
