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

    def as_dict(self) -> dict[str, str]:
        out = {"pointer": self.pointer, "message": self.message}
        for key in ("source", "rule", "expected", "value"):
            v = getattr(self, key)
            if v is not None:
                out[key] = v
        return out
