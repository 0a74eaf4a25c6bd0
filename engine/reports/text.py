"""One case as a manager reads it before supervision: what is overdue (and how late), what falls
due within the warning window, what comes up in the next weeks, then what was done.

Plain text (coloured by the caller on a terminal) and Markdown for pasting into a supervision
record.  A reporter: it reads findings only, never rules or YAML.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from engine.evaluate.findings import CaseResult, Finding

HORIZON = timedelta(weeks=6)  # "coming up": pending deadlines this close are listed one by one


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    colour: str | None


SECTIONS = (
    Section("overdue", "Overdue", "red"),
    Section("not_met", "Not met", "red"),
    Section("due_soon", "Due soon (within the warning window)", "yellow"),
    Section("coming_up", "Coming up (next 6 weeks)", "cyan"),
    Section("later", "Later", None),
    Section("late", "Done late", "magenta"),
    Section("insufficient_data", "Cannot decide (data missing)", "yellow"),
    Section("met", "Met", "green"),
)


def group(result: CaseResult) -> dict[str, list[Finding]]:
    """Findings by section, each in the order a manager would work through them."""
    horizon = result.as_of + HORIZON
    out: dict[str, list[Finding]] = {s.key: [] for s in SECTIONS}
    for f in result.findings:
        key = f.status
        if f.status == "pending":
            key = "coming_up" if f.due is not None and f.due <= horizon else "later"
        out[key].append(f)
    far = date.max
    out["overdue"].sort(key=lambda f: (-(f.days_late or 0), f.due or far, f.rule))
    for key in ("due_soon", "coming_up", "later"):
        out[key].sort(key=lambda f: (f.due or far, f.rule))
    for key in ("late", "met", "not_met", "insufficient_data"):
        out[key].sort(key=lambda f: (f.anchor_date, f.rule), reverse=key in ("late", "met"))
    return out


def _when(f: Finding, as_of: date) -> str:
    if f.status == "overdue":
        return f"due {f.due}, {f.days_late} {_late_unit(f)} overdue"
    if f.status == "late":
        return f"due {f.due}, done {f.done_date} ({f.days_late} {_late_unit(f)} late)"
    if f.status == "met":
        if f.done_date is None:
            return ""
        return f"done {f.done_date}" + (f", due {f.due}" if f.due else "")
    if f.due is not None:
        days = (f.due - as_of).days
        when = {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")
        return f"due {f.due} ({when})"
    return ""


def _late_unit(f: Finding) -> str:
    word = "working days" if f.unit == "working_days" else "days"
    return word[:-1] if f.days_late == 1 else word


def case_text(result: CaseResult, style: Callable[..., str] | None = None,
              show_met: bool = True) -> str:
    """``style(text, fg=colour, bold=...)`` colours headings (e.g. ``click.style``)."""
    paint = style or (lambda text, **_: text)
    team = f", team {result.team}" if result.team else ""
    lines = [paint(f"Case {result.case_id}", bold=True)
             + f" as of {result.as_of.isoformat()} (profile {result.profile}{team})"]
    for problem in result.errors:
        lines.append(paint(f"  ERROR {problem.pointer or '/'}: {problem.message}", fg="red"))
    groups = group(result)
    for section in SECTIONS:
        items = groups[section.key]
        if not items or (section.key == "met" and not show_met):
            continue
        lines.append("")
        lines.append(paint(f"{section.heading} ({len(items)})", fg=section.colour, bold=True))
        for f in items:
            when = _when(f, result.as_of)
            lines.append(f"  {f.rule}" + (f"  {when}" if when else ""))
            lines.append(f"      {f.message}")
    if result.not_assessable:
        lines.append("")
        lines.append(paint(not_assessable_line(result), fg="yellow"))
    if not result.findings and not result.errors:
        lines.append("  no obligations under this profile")
    counts = {s.key: len(groups[s.key]) for s in SECTIONS}
    lines.append("")
    lines.append(f"{counts['overdue']} overdue, {counts['not_met']} not met, "
                 f"{counts['due_soon']} due soon, {counts['coming_up']} coming up, "
                 f"{counts['met']} met")
    return "\n".join(lines)


def not_assessable_line(result: CaseResult) -> str:
    """One line naming the rules the record's source cannot assess (no obligations raised)."""
    sources = sorted({n.source for n in result.not_assessable})
    rules = ", ".join(sorted(n.rule for n in result.not_assessable))
    return (f"Not assessable from this source ({', '.join(sources)}; "
            f"{len(result.not_assessable)} rules): {rules}")


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def case_markdown(result: CaseResult) -> str:
    """The same view as Markdown tables, for a supervision record."""
    team = f" · team {_md(result.team)}" if result.team else ""
    lines = [f"### Case {_md(result.case_id)}: compliance as of {result.as_of.isoformat()}",
             "", f"Profile `{_md(result.profile)}`{team}. Generated by casecheck.", ""]
    for problem in result.errors:
        lines.append(f"- **Error** `{_md(problem.pointer or '/')}`: {_md(problem.message)}")
    groups = group(result)
    for section in SECTIONS:
        items = groups[section.key]
        if not items:
            continue
        lines += [f"#### {section.heading} ({len(items)})", "",
                  "| rule | due | done | detail |", "|---|---|---|---|"]
        for f in items:
            done = f"{f.done_date} ({_md(f.done_id)})" if f.done_date else ""
            lines.append(f"| {f.rule} | {f.due or ''} | {done} | {_md(f.message)} |")
        lines.append("")
    if result.not_assessable:
        lines.append(f"_{_md(not_assessable_line(result))}_")
        lines.append("")
    if not result.findings and not result.errors:
        lines.append("No obligations under this profile.")
    return "\n".join(lines).rstrip() + "\n"
