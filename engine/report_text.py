"""A short plain-text view of one case's findings, for a person at a terminal."""

from __future__ import annotations

from .findings import CaseResult

ORDER = ("overdue", "late", "not_met", "due_soon", "pending", "insufficient_data", "met")
HEADINGS = {
    "overdue": "Overdue",
    "late": "Done late",
    "not_met": "Not met",
    "due_soon": "Due soon",
    "pending": "Coming up",
    "insufficient_data": "Cannot decide (data missing)",
    "met": "Met",
}


def case_text(result: CaseResult) -> str:
    lines = [f"Case {result.case_id} as of {result.as_of.isoformat()} "
             f"(profile {result.profile})"]
    for problem in result.errors:
        lines.append(f"  ERROR {problem.pointer or '/'}: {problem.message}")
    for status in ORDER:
        group = [f for f in result.findings if f.status == status]
        if not group:
            continue
        if status == "pending":
            group.sort(key=lambda f: f.due or result.as_of)
        lines.append("")
        lines.append(f"{HEADINGS[status]} ({len(group)})")
        for f in group:
            due = f" due {f.due.isoformat()}" if f.due else ""
            lines.append(f"  {f.rule}{due}: {f.message}")
    if not result.findings and not result.errors:
        lines.append("  no obligations under this profile")
    return "\n".join(lines)
