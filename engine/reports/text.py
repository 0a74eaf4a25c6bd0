"""One case as a manager reads it before supervision: the manager's minute.

The default view fits one screen: a header (the child's age, team, worker, manager, the plans
open with their start dates and the plans closed), then only what someone can still act on,
statutory timescales first and the most overdue first (``engine.evaluate.urgency`` owns the
order, the labels and which findings are historic), then what is due soon and in the next six
weeks, and one line counting everything else. ``show_all`` lists the rest too (due later, done
late, historic breaches on closed plans, undecided, met).

Plain text (coloured by the caller's ``style`` on a terminal, wrapped to ``width`` without
splitting words) and Markdown for a supervision record (what, due, status, and blank action,
owner and by-when columns). A reporter: it reads findings and rule metadata only, never rules or
YAML, and prints no free text from a record.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from datetime import date

from engine.evaluate.evaluator import RuleMeta
from engine.evaluate.findings import CaseResult, Finding
from engine.evaluate.urgency import CaseOverview, EpisodeLine, Item, Triage, triage

DEFAULT_WIDTH = 100
Style = Callable[..., str]

# the sections listed with --all, after the default view
MORE = (
    ("later", "Due later", None),
    ("late", "Done late", "magenta"),
    ("historic", "Historic: not done, plan now closed (not actionable)", "magenta"),
    ("undecided", "Cannot decide (data missing)", "yellow"),
    ("met", "Met", "green"),
)


def day(d: date, as_of: date | None = None) -> str:
    """``12 Mar`` in the as-of year, ``12 Mar 2023`` otherwise."""
    text = f"{d.day} {d:%b}"
    return text if as_of is not None and d.year == as_of.year else f"{text} {d.year}"


def _units(n: int, unit: str) -> str:
    word = "working day" if unit == "working_days" else "day"
    return f"{n} {word}" + ("" if n == 1 else "s")


def when(f: Finding, as_of: date) -> str:
    """The finding's dates and status in a few words: "due 12 Mar, 5 working days overdue"."""
    due = f"due {day(f.due, as_of)}" if f.due else ""
    if f.status == "overdue":
        late = _units(f.days_late or 0, f.unit)
        if f.episode_end:
            return f"{due}, not done; plan closed {day(f.episode_end, as_of)} ({late} late then)"
        return f"{due}, {late} overdue"
    if f.status == "not_met":
        closed = f"; plan closed {day(f.episode_end, as_of)}" if f.episode_end else ""
        return (f"{due}, not met" if due else "not met") + closed
    if f.status == "late":
        return (f"{due}, done {day(f.done_date, as_of) if f.done_date else '?'} "
                f"({_units(f.days_late or 0, f.unit)} late)")
    if f.status == "met":
        done = f"done {day(f.done_date, as_of)}" if f.done_date else "met"
        return f"{done}" + (f", {due}" if due else "")
    if f.status == "insufficient_data":
        return "the record lacks what the rule needs"
    if f.due is not None:
        days = (f.due - as_of).days
        rel = {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")
        closed = f"; plan closed {day(f.episode_end, as_of)}" if f.episode_end else ""
        return f"{due} ({rel}){closed}"
    return ""


def _plans(overview: CaseOverview, as_of: date) -> tuple[str, str]:
    def opened(e: EpisodeLine) -> str:
        legal = f", {e.legal_status}" if e.legal_status else ""
        return f"{e.label} since {day(e.start, as_of)}{legal}"

    open_text = "; ".join(opened(e) for e in overview.open) or "none"
    by_type: dict[str, list[EpisodeLine]] = {}
    for e in overview.closed:
        by_type.setdefault(e.label, []).append(e)
    parts = []
    for label, eps in by_type.items():
        last = eps[0]  # closed episodes are latest first
        span = f"{day(last.start, as_of)} to {day(last.end or last.start, as_of)}"
        parts.append(f"{label} {span}" if len(eps) == 1 else
                     f"{len(eps)} {label}s (last closed {day(last.end or last.start, as_of)})")
    return open_text, "; ".join(parts) or "none"


def header_lines(result: CaseResult, overview: CaseOverview | None) -> list[str]:
    as_of = result.as_of
    child = ""
    if overview is not None and overview.child_id:
        child = f", child {overview.child_id}"
    if overview is not None and overview.age is not None:
        child += f" aged {overview.age}"
    first = (f"Case {result.case_id}{child}, as of {day(as_of)} (profile {result.profile})")
    team = result.team or (overview.team if overview else None)
    worker = result.worker or (overview.worker if overview else None)
    manager = result.manager or (overview.manager if overview else None)
    second = (f"Team {team or '(none)'}; worker {worker or '(unallocated)'}; "
              f"manager {manager or '(none)'}")
    lines = [first, second]
    if overview is not None:
        open_text, closed_text = _plans(overview, as_of)
        lines += [f"Open: {open_text}", f"Closed: {closed_text}"]
    return lines


class _Out:
    def __init__(self, width: int, style: Style | None) -> None:
        self.width = max(40, width)
        self.paint: Style = style or (lambda text, **_: text)
        self.lines: list[str] = []

    def para(self, text: str, indent: str = "", hang: str = "  ", **paint: object) -> None:
        wrapped = textwrap.wrap(text, self.width - 1, initial_indent=indent,
                                subsequent_indent=indent + hang, break_long_words=False,
                                break_on_hyphens=False) or [""]
        self.lines += [self.paint(w, **paint) if paint else w for w in wrapped]

    def item(self, item: Item, as_of: date, show_rule: bool = True) -> None:
        tag = "statutory" if item.statutory else "local"
        prefix = f"  {tag:<9}  "
        text = f"{item.label} - {when(item.finding, as_of)}"
        if show_rule:
            text += f" [{item.finding.rule}]"
        wrapped = textwrap.wrap(text, self.width - 1 - len(prefix), break_long_words=False,
                                break_on_hyphens=False)
        first = prefix.replace(tag, self.paint(tag, bold=True)) if item.statutory else prefix
        self.lines.append(first + wrapped[0])
        self.lines += [" " * len(prefix) + w for w in wrapped[1:]]

    def heading(self, text: str, colour: str | None) -> None:
        self.lines.append("")
        self.lines.append(self.paint(text, fg=colour, bold=True))


def case_text(result: CaseResult, style: Style | None = None, *,
              meta: Mapping[str, RuleMeta] | None = None, overview: CaseOverview | None = None,
              width: int = DEFAULT_WIDTH, show_all: bool = False) -> str:
    """The manager's minute. ``style(text, fg=colour, bold=...)`` colours (e.g. ``click.style``;
    ``None`` for plain text, as under ``NO_COLOR``); ``meta`` is ``RuleSet.meta`` (labels)."""
    out = _Out(width, style)
    for line in header_lines(result, overview):
        out.para(line, bold=True) if line.startswith("Case ") else out.para(line)
    for problem in result.errors:
        out.para(f"ERROR {problem.pointer or '/'}: {problem.message}", fg="red")
    if not result.evaluated:
        return "\n".join(out.lines)
    t = triage(result, meta)
    as_of = result.as_of
    sections = (("todo", "To do now: overdue or not met", "red"),
                ("due_soon", "Due soon (within the warning window)", "yellow"),
                ("coming_up", "Next 6 weeks", "cyan"))
    for key, heading, colour in sections:
        items = t[key]
        if not items:
            continue
        out.heading(f"{heading} ({len(items)})", colour)
        for item in items:
            out.item(item, as_of)
    if not t.actionable and result.findings:
        out.heading("Nothing to do now or in the next 6 weeks", "green")
    if show_all:
        for key, heading, colour in MORE:
            if t[key]:
                out.heading(f"{heading} ({len(t[key])})", colour)
                for item in t[key]:
                    out.item(item, as_of)
    if result.not_assessable:
        out.lines.append("")
        if show_all:
            out.para(not_assessable_line(result), fg="yellow")
        else:
            sources = ", ".join(sorted({n.source for n in result.not_assessable}))
            out.para(f"Not assessable from this source ({sources}): "
                     f"{len(result.not_assessable)} rules; --all lists them.", fg="yellow")
    out.lines.append("")
    if not result.findings:
        out.para("No obligations under this profile.")
    else:
        out.para(count_line(t, listed=show_all))
    return "\n".join(out.lines)


def count_line(t: Triage, listed: bool = False) -> str:
    c = t.counts()
    parts = [f"{c['met']} met", f"{c['late']} done late",
             f"{c['historic']} historic (not done, plan closed)"]
    if c["later"]:
        parts.append(f"{c['later']} due later")
    if c["undecided"]:
        parts.append(f"{c['undecided']} cannot decide")
    tail = "" if listed else "; --all lists them"
    return (f"{c['todo']} to do now, {c['due_soon']} due soon, {c['coming_up']} in the next "
            f"6 weeks. Also: " + ", ".join(parts) + tail + ".")


def not_assessable_line(result: CaseResult) -> str:
    """One line naming the rules the record's source cannot assess (no obligations raised)."""
    sources = sorted({n.source for n in result.not_assessable})
    rules = ", ".join(sorted(n.rule for n in result.not_assessable))
    return (f"Not assessable from this source ({', '.join(sources)}; "
            f"{len(result.not_assessable)} rules): {rules}")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _md(text: object) -> str:
    return (str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
            .replace("<", "&lt;").replace(">", "&gt;"))


def case_markdown(result: CaseResult, *, meta: Mapping[str, RuleMeta] | None = None,
                  overview: CaseOverview | None = None) -> str:
    """The supervision record: what, due, status, and blank action / owner / by-when columns."""
    as_of = result.as_of
    lines = [f"### Case {_md(result.case_id)}: supervision record, as of {day(as_of)}", ""]
    head = header_lines(result, overview)
    child = head[0].split(", as of ")[0].removeprefix(f"Case {result.case_id}").strip(", ")
    if child:
        lines.append(f"- {_md(_capital(child))}")
    lines += [f"- {_md(line)}" for line in head[1:]]
    lines += [f"- Profile `{_md(result.profile)}`; generated by casecheck.", ""]
    for problem in result.errors:
        lines.append(f"- **Error** `{_md(problem.pointer or '/')}`: {_md(problem.message)}")
    if not result.evaluated:
        return "\n".join(lines).rstrip() + "\n"
    t = triage(result, meta)
    items = t.actionable[: len(t["todo"]) + len(t["due_soon"]) + len(t["coming_up"])]
    if items:
        lines += ["| What | Kind | Due | Status | Action | Owner | By when |",
                  "|---|---|---|---|---|---|---|"]
        for item in items:
            f = item.finding
            status = {"todo": "overdue" if f.status == "overdue" else "not met",
                      "due_soon": "due soon", "coming_up": "next 6 weeks"}[item.bucket]
            if f.status == "overdue":
                status = f"{_units(f.days_late or 0, f.unit)} overdue"
            lines.append(f"| {_md(item.label)} ({_md(f.rule)}) | "
                         f"{'statutory' if item.statutory else 'local'} | "
                         f"{day(f.due) if f.due else ''} | {_md(status)} |  |  |  |")
        lines.append("")
    elif result.findings:
        lines += ["Nothing to do now or in the next 6 weeks.", ""]
    if result.not_assessable:
        lines += [f"_{_md(not_assessable_line(result))}_", ""]
    if not result.findings:
        lines.append("No obligations under this profile.")
    else:
        lines.append(_md(count_line(t, listed=True)))
        lines.append("")
        lines.append("Discussed with: ______________________  Date: ____________")
    return "\n".join(lines).rstrip() + "\n"
