"""The auditor's pre-filled compliance section for one case (issue #4), as HTML or Markdown.

A reporter: it reads a ``CaseResult``, the standards catalogue and the rule set's metadata
(``RuleSet.meta``: which rules the profile applies).  It knows nothing of YAML or of how rules
are evaluated, and the evaluator knows nothing of it.

Layout.  A header (case, child, team, as-of date, profile and a note that the section is
pre-filled by casecheck and must be checked by the auditor), a summary of the standards, then
one section per area in catalogue order (``engine.standards.AREAS``: assessment, child
protection, looked after, missing, private fostering, care leaving, recording and supervision).
Each standard the profile applies and that applies to this case gets a block: title and id,
plain-English summary, sources, an overall status, the table of findings with the dates that
prove them, and an empty box for the auditor's judgement.  The standards of the profile that
do not apply to the case are listed at the end.

A standard *applies to the case* when at least one of its rules produced a finding, or when
one of its rules could not be evaluated (an error naming the rule): such a standard cannot be
called not applicable.

Overall status of a standard (the roll-up), from the statuses of its findings, the first that
matches:

1. **not met**: at least one breach (``late``, ``overdue`` or ``not_met``).  Work done late
   still means the standard was not met for this child, so a breach outweighs everything else.
2. **not assessable from this source**: no breach, but the record came from an extract that
   cannot hold what one of the standard's rules needs (``CaseResult.not_assessable``: the 903
   return has no visits), so the standard is neither met nor not met.
3. **cannot decide**: no breach, but at least one finding is ``insufficient_data`` (or a rule
   of the standard could not be evaluated).  The record lacks what is needed to say "met".
4. **in progress**: no breach and nothing undecided, but at least one obligation is still open
   and not yet late (``due_soon`` or ``pending``); everything else is ``met``.
5. **met**: every finding is ``met``.

The HTML is one self-contained document: inline CSS only, no scripts, no fonts or images to
fetch, no links out (source URLs are printed as text), A4 print styles, and no page break
inside a standard's block where the block fits on a page.  Every value from the record, the
catalogue or a message is escaped (``html.escape`` in HTML; Markdown escapes its own syntax and
``<``/``>``/``&`` so that no renderer passes markup through).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from engine.evaluate.coverage import NotAssessable
from engine.evaluate.evaluator import RuleMeta
from engine.evaluate.findings import CaseResult, Finding
from engine.records.problems import Problem
from engine.rules.standards import AREAS, SourceRef, Standard, StandardsCatalogue

AREA_HEADINGS = {
    "assessment": "Assessment",
    "child_protection": "Child protection",
    "looked_after": "Looked after",
    "missing": "Missing",
    "private_fostering": "Private fostering",
    "care_leaving": "Care leaving",
    "recording_and_supervision": "Recording and supervision",
}

BREACH = frozenset({"late", "overdue", "not_met"})
OPEN = frozenset({"due_soon", "pending"})

# overall statuses of a standard, worst first
OVERALL = ("not_met", "not_assessable", "cannot_decide", "in_progress", "met")
OVERALL_LABELS = {
    "not_met": "not met",
    "not_assessable": "not assessable from this source",
    "cannot_decide": "cannot decide",
    "in_progress": "in progress",
    "met": "met",
}
OVERALL_MEANINGS = {
    "not_met": "at least one finding is late, overdue or not_met",
    "not_assessable": "no breach, but the record's source cannot hold what a rule of the "
                      "standard needs, so met or not met cannot be said",
    "cannot_decide": "no breach, but the record lacks what a rule needs (insufficient_data)",
    "in_progress": "no breach; something is still due (due_soon or pending), the rest met",
    "met": "every finding is met",
}
FINDING_STATUSES = ("met", "late", "overdue", "not_met", "due_soon", "pending",
                    "insufficient_data")
FINDING_MEANINGS = {
    "met": "done on or before the deadline",
    "late": "done, but after the deadline",
    "overdue": "not done and the deadline has passed",
    "not_met": "a condition on the record does not hold",
    "due_soon": "not done yet; due within the warning window",
    "pending": "not done yet; deadline further away",
    "insufficient_data": "the record lacks what the rule needs to decide",
}

NOTICE = ("This compliance section was pre-filled by {generator} from the case record as it "
          "stood on {as_of}. It is a starting point, not a judgement: the auditor must check "
          "every finding against the record and complete the judgement box for each standard.")


def roll_up(statuses: Iterable[str], undecidable: bool = False) -> str:
    """The overall status of a standard (see the module docstring): one of ``OVERALL``.

    ``undecidable`` is true when one of the standard's rules could not be evaluated."""
    seen = set(statuses)
    if seen & BREACH:
        return "not_met"
    if undecidable or "insufficient_data" in seen:
        return "cannot_decide"
    if seen & OPEN:
        return "in_progress"
    return "met"


@dataclass
class StandardBlock:
    """One applicable standard: its findings (in rule order, then by anchor) and roll-up."""

    standard: Standard
    findings: list[Finding]
    status: str
    problems: list[Problem] = field(default_factory=list)
    unchecked_rules: list[str] = field(default_factory=list)  # in the standard, not the profile
    not_assessable: list[NotAssessable] = field(default_factory=list)  # rules the source lacks


@dataclass
class AreaSection:
    area: str
    heading: str
    blocks: list[StandardBlock]
    in_profile: int  # standards of this area the profile applies (applicable or not)


@dataclass
class AuditReport:
    case_id: str | None
    child_id: str | None
    team: str | None
    as_of: date
    profile: str
    profile_title: str | None
    generated_on: date
    generator: str
    areas: list[AreaSection]
    not_applicable: list[Standard]
    unlinked: list[Finding]  # findings of rules no standard claims (an unsound catalogue)
    problems: list[Problem]  # errors that name no rule
    warnings: list[Problem]

    @property
    def blocks(self) -> list[StandardBlock]:
        return [b for a in self.areas for b in a.blocks]

    @property
    def notice(self) -> str:
        return NOTICE.format(generator=self.generator, as_of=self.as_of.isoformat())


def build_report(result: CaseResult, catalogue: StandardsCatalogue,
                 rules: Mapping[str, RuleMeta], *, child_id: str | None = None,
                 profile_title: str | None = None, generated_on: date | None = None,
                 generator: str = "casecheck") -> AuditReport:
    """Group a case's findings by standard and area.  ``rules`` is ``RuleSet.meta``."""
    owner: dict[str, Standard] = {}
    in_profile: dict[str, Standard] = {}
    for rid, meta in rules.items():
        std = catalogue.standard_for(rid)
        if std is None and meta.standard:
            std = catalogue.get(meta.standard)
        if std is not None:
            owner[rid] = std
            in_profile.setdefault(std.id, std)

    by_standard: dict[str, list[Finding]] = {}
    unlinked: list[Finding] = []
    for f in result.findings:
        std = owner.get(f.rule)
        if std is None:
            unlinked.append(f)
        else:
            by_standard.setdefault(std.id, []).append(f)
    rule_problems: dict[str, list[Problem]] = {}
    general: list[Problem] = []
    for p in result.errors:
        std = owner.get(p.rule) if p.rule else None
        if std is None:
            general.append(p)
        else:
            rule_problems.setdefault(std.id, []).append(p)

    skipped = {n.rule: n for n in result.not_assessable}
    areas: list[AreaSection] = []
    not_applicable: list[Standard] = []
    for area in AREAS:
        stds = sorted((s for s in in_profile.values() if s.area == area), key=lambda s: s.id)
        blocks: list[StandardBlock] = []
        for std in stds:
            found = by_standard.get(std.id, [])
            problems = rule_problems.get(std.id, [])
            lacking = [skipped[rid] for rid in std.rules if rid in skipped and rid in rules]
            if not found and not problems and not lacking:
                not_applicable.append(std)
                continue
            order = {rid: i for i, rid in enumerate(std.rules)}
            found = sorted(found, key=lambda f: order.get(f.rule, len(order)))  # stable
            status = roll_up((f.status for f in found), undecidable=bool(problems))
            if lacking and status != "not_met":
                status = "not_assessable"
            blocks.append(StandardBlock(
                std, found, status, problems, [rid for rid in std.rules if rid not in rules],
                lacking))
        areas.append(AreaSection(area, AREA_HEADINGS.get(area, area.replace("_", " ")
                                                         .capitalize()), blocks, len(stds)))
    return AuditReport(
        case_id=result.case_id, child_id=child_id, team=result.team, as_of=result.as_of,
        profile=result.profile, profile_title=profile_title,
        generated_on=generated_on or date.today(), generator=generator, areas=areas,
        not_applicable=not_applicable, unlinked=unlinked, problems=general,
        warnings=list(result.warnings))


# ---------------------------------------------------------------------------------------------
# shared wording


def _days_late(f: Finding) -> str:
    if f.days_late is None:
        return ""
    word = "working days" if f.unit == "working_days" else "days"
    text = f"{f.days_late} {word[:-1] if f.days_late == 1 else word}"
    return f"{text} so far" if f.status == "overdue" else text


def _source_line(src: SourceRef) -> list[tuple[str, str]]:
    """(label, value) parts of a source: document (publisher), section, effective, URL."""
    parts = [("document", f"{src.document} ({src.publisher})"), ("section", src.section),
             ("effective", src.effective)]
    if src.url:
        parts.append(("url", src.url))
    return parts


def _problem_text(p: Problem) -> str:
    text = f"{p.pointer or '/'}: {p.message}" if p.pointer else p.message
    if p.rule:
        text = f"{p.rule}: {text}"
    if p.expected:
        text += f" (expected {p.expected})"
    return text


def _counts(report: AuditReport) -> dict[str, int]:
    counts = dict.fromkeys(OVERALL, 0)
    for b in report.blocks:
        counts[b.status] += 1
    return counts


# ---------------------------------------------------------------------------------------------
# HTML


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _css_string(value: object) -> str:
    """A CSS string literal for ``content:``; everything but plain letters is hex-escaped, so a
    value can neither end the string nor the ``<style>`` element."""
    out = []
    for ch in str(value):
        out.append(ch if ch.isascii() and (ch.isalnum() or ch in " -.,:") else
                   f"\\{ord(ch):06x} ")  # the space ends the escape and is consumed
    return '"' + "".join(out) + '"'


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-") or "x"


CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-left { content: @FOOTER@; font: 7.5pt Arial, Helvetica, sans-serif; color: #555; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages);
                  font: 7.5pt Arial, Helvetica, sans-serif; color: #555; } }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: Arial, Helvetica, "Liberation Sans", sans-serif; font-size: 10pt;
  line-height: 1.35; color: #111; margin: 0 auto; max-width: 190mm; padding: 6mm; }
h1 { font-size: 16pt; margin: 0 0 3mm; }
h2 { font-size: 13pt; margin: 7mm 0 3mm; padding: 1.5mm 2.5mm; background: #e8edf3;
  border-left: 4px solid #2a4d74; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 0; flex: 1; }
.std-head { display: flex; align-items: baseline; gap: 3mm; margin: 0 0 1.5mm; }
p { margin: 0 0 2mm; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 1mm 1.5mm; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
.meta { width: auto; margin-bottom: 3mm; }
.meta th { font-weight: normal; color: #444; padding-left: 0; white-space: nowrap; }
.meta td { font-weight: bold; }
.notice { border: 1px solid #b58900; background: #fdf6e3; padding: 2mm 3mm; margin: 0 0 4mm; }
.problems { border: 1px solid #b00020; background: #fdecee; padding: 2mm 3mm; margin: 0 0 4mm; }
.problems ul { margin: 1mm 0 0; padding-left: 5mm; }
.summary-table { margin-bottom: 3mm; font-size: 9pt; }
.summary-table th, .summary-table td { border-bottom: 1px solid #ccc; }
.summary-table td.area { color: #444; white-space: nowrap; }
.summary-table a { color: inherit; text-decoration: none; }
.key { display: flex; gap: 4mm; font-size: 8pt; margin-bottom: 2mm;
  break-inside: avoid; page-break-inside: avoid; }
.key > div { flex: 1; }
.key table td { padding: 0.4mm 1mm; }
.key h4 { font-size: 8.5pt; margin: 0 0 1mm; }
.standard { border: 1px solid #9aa7b4; padding: 2.5mm 3.5mm; margin: 0 0 4mm;
  break-inside: avoid; page-break-inside: avoid; }
.std-id { font-family: "DejaVu Sans Mono", "Courier New", monospace; font-size: 9pt;
  font-weight: normal; color: #444; white-space: nowrap; }
.overall { margin: 0; white-space: nowrap; }
.std-summary { font-size: 9.5pt; margin-bottom: 1.5mm; }
.std-note { font-size: 8.5pt; color: #333; font-style: italic; }
.sources { font-size: 8.5pt; margin: 0 0 2mm; color: #222; }
.sources ul { margin: 0.5mm 0 0; padding-left: 5mm; }
.sources .url { font-family: "DejaVu Sans Mono", "Courier New", monospace; font-size: 7.5pt;
  word-break: break-all; color: #333; }
.unchecked { font-size: 8.5pt; color: #444; }
.findings { font-size: 8.5pt; margin: 1mm 0 2.5mm; table-layout: fixed; }
.findings th { background: #eef1f4; border: 1px solid #b9c2cb; font-size: 8pt;
  padding: 0.6mm 1.5mm; }
.findings td { border-left: 1px solid #cfd6dd; border-right: 1px solid #cfd6dd;
  overflow-wrap: anywhere; padding: 0.8mm 1.5mm; }
.findings tbody { break-inside: avoid; page-break-inside: avoid; }
.findings tr.ids td { border-top: 1px solid #b9c2cb; }
.findings tr.what td { border-bottom: 1px solid #b9c2cb; color: #222; padding: 0 1.5mm 1mm 4mm; }
.findings .rule { font-family: "DejaVu Sans Mono", "Courier New", monospace; font-size: 7.5pt; }
.findings .sub { color: #555; font-size: 7.5pt; }
.findings .none { color: #888; }
.date { white-space: nowrap; }
.pill { display: inline-block; padding: 0.2mm 1.5mm; border-radius: 2mm; font-weight: bold;
  font-size: 8pt; white-space: nowrap; border: 1px solid transparent; }
.s-met { background: #dff0d8; color: #1d5b1d; border-color: #9cc99c; }
.s-late { background: #fde3c8; color: #8a3b00; border-color: #e8a86b; }
.s-overdue, .s-not_met { background: #f8d3d6; color: #8b0012; border-color: #e08a93; }
.s-due_soon { background: #fff2bf; color: #6b5200; border-color: #e0c35c; }
.s-pending { background: #e3ebf5; color: #23466d; border-color: #9fb5d0; }
.s-insufficient_data, .s-cannot_decide, .s-not_assessable { background: #ebe3f3; color: #4b2a6b;
  border-color: #b39cc9; }
.s-in_progress { background: #e3ebf5; color: #23466d; border-color: #9fb5d0; }
.overall .pill { font-size: 9.5pt; padding: 0.4mm 2.5mm; }
.judgement { border: 1.5px solid #333; padding: 1.5mm 3mm 2.5mm; font-size: 9pt;
  break-inside: avoid; page-break-inside: avoid; }
.judgement .j-title { font-weight: bold; margin-bottom: 1mm; }
.judgement .line { display: flex; align-items: flex-end; margin: 0 0 1mm; }
.judgement .line .label { white-space: nowrap; margin-right: 2mm; }
.judgement .line .blank { flex: 1; border-bottom: 1px solid #555; height: 6.5mm; }
.judgement .blank-line { border-bottom: 1px solid #555; height: 6.5mm; margin: 0 0 1mm; }
.judgement .line.last { margin-bottom: 0; }
.none-apply { color: #555; font-style: italic; }
.na-table { font-size: 9pt; }
.na-table th, .na-table td { border-bottom: 1px solid #ccc; }
.na-table td.id { font-family: "DejaVu Sans Mono", "Courier New", monospace; font-size: 8pt;
  white-space: nowrap; }
footer { margin-top: 6mm; font-size: 8pt; color: #555; border-top: 1px solid #ccc;
  padding-top: 2mm; }
@media print {
  body { max-width: none; padding: 0; }
  h2 { margin-top: 5mm; }
}
"""


def _pill(status: str, label: str | None = None) -> str:
    return f'<span class="pill s-{_e(status)}">{_e(label or status)}</span>'


def _date(d: date | None) -> str:
    return f'<span class="date">{_e(d.isoformat())}</span>' if d else ""


def _finding_rows(findings: list[Finding]) -> list[str]:
    """One ``<tbody>`` per finding: the ids and dates on one row, the message under them."""
    out = ['<table class="findings">',
           '<colgroup><col style="width:27%"><col style="width:13%"><col style="width:16%">'
           '<col style="width:11%"><col style="width:16%"><col style="width:17%"></colgroup>',
           "<thead><tr><th>Rule</th><th>Status</th><th>Anchor</th><th>Due</th><th>Done</th>"
           "<th>Days late</th></tr></thead>"]
    for f in findings:
        anchor = f"{_e(f.anchor_id)} {_date(f.anchor_date)}"
        if f.member:
            anchor += f'<br><span class="sub">member {_e(f.member)}</span>'
        if f.occurrence is not None:
            anchor += f'<br><span class="sub">occurrence {_e(f.occurrence)}</span>'
        if f.done_id is None and f.done_date is None:
            done = '<span class="none">none</span>'
        else:
            done = f"{_e(f.done_id or '')} {_date(f.done_date)}"
        due = _date(f.due) if f.due else '<span class="none">none</span>'
        msg = _e(f.message)
        if f.evidence:
            msg += f' <span class="sub">(counted: {_e(", ".join(f.evidence))})</span>'
        late = _e(_days_late(f)) or '<span class="none">-</span>'
        out += [f'<tbody class="finding" data-rule="{_e(f.rule)}" data-status="{_e(f.status)}">',
                f'<tr class="ids"><td class="rule">{_e(f.rule)}</td>'
                f'<td class="status">{_pill(f.status)}</td><td class="anchor">{anchor}</td>'
                f'<td class="due">{due}</td><td class="done">{done}</td>'
                f'<td class="late">{late}</td></tr>',
                f'<tr class="what"><td class="msg" colspan="6">{msg}</td></tr>', "</tbody>"]
    out.append("</table>")
    return out


def _judgement_html() -> str:
    def line(label: str, extra: str = "") -> str:
        return (f'<div class="line{extra}"><span class="label">{label}</span>'
                '<span class="blank"></span></div>')

    return ('<div class="judgement">'
            '<p class="j-title">Auditor\'s judgement:</p>'
            + line("Agreed / Not agreed") + line("Comments")
            + '<div class="blank-line"></div>'
            + line("Auditor, date", " last") + "</div>")


def _block_html(block: StandardBlock) -> list[str]:
    std = block.standard
    out = [f'<article class="standard" id="{_e(_slug(std.id))}" data-standard="{_e(std.id)}" '
           f'data-overall="{_e(block.status)}">',
           '<div class="std-head">',
           f'<h3><span class="std-title">{_e(std.title)}</span> '
           f'<span class="std-id">{_e(std.id)}</span></h3>',
           f'<p class="overall">Overall: {_pill(block.status, OVERALL_LABELS[block.status])}</p>',
           "</div>",
           f'<p class="std-summary">{_e(std.summary)}</p>']
    if std.note:
        out.append(f'<p class="std-note">Note: {_e(std.note)}</p>')
    label = "Source" if len(std.sources) == 1 else "Sources"
    out.append(f'<div class="sources"><strong>{label}:</strong><ul>')
    for src in std.sources:
        items = []
        for key, value in _source_line(src):
            if key == "document":
                items.append(f"<em>{_e(value)}</em>")
            elif key == "effective":
                items.append(f'effective <span class="date">{_e(value)}</span>')
            elif key == "url":
                items.append(f'<span class="url">{_e(value)}</span>')
            else:
                items.append(_e(value))
        out.append("<li>" + "; ".join(items) + "</li>")
    out.append("</ul></div>")
    if block.unchecked_rules:
        out.append(f'<p class="unchecked">Not checked under this profile: '
                   f'{_e(", ".join(block.unchecked_rules))}</p>')
    if block.not_assessable:
        out.append('<div class="problems"><strong>Not assessable from this source:</strong><ul>')
        out += [f"<li>{_e(n.rule)} ({_e(n.source)}: {_e(n.reason)})</li>"
                for n in block.not_assessable]
        out.append("</ul></div>")
    if block.problems:
        out.append('<div class="problems"><strong>Could not be evaluated:</strong><ul>')
        out += [f"<li>{_e(_problem_text(p))}</li>" for p in block.problems]
        out.append("</ul></div>")
    if block.findings:
        out += _finding_rows(block.findings)
    out.append(_judgement_html())
    out.append("</article>")
    return out


def _key_html() -> list[str]:
    out = ['<div class="key"><div><h4>Finding status</h4><table>']
    out += [f"<tr><td>{_pill(s)}</td><td>{_e(FINDING_MEANINGS[s])}</td></tr>"
            for s in FINDING_STATUSES]
    out.append('</table></div><div><h4>Overall status of a standard</h4><table>')
    out += [f"<tr><td>{_pill(s, OVERALL_LABELS[s])}</td><td>{_e(OVERALL_MEANINGS[s])}</td></tr>"
            for s in OVERALL]
    out.append("</table></div></div>")
    return out


def render_html(report: AuditReport) -> str:
    """One self-contained HTML document (inline CSS, no scripts, nothing fetched)."""
    title = f"Case audit: compliance section, case {report.case_id or '(no id)'}"
    footer = (f"Case {report.case_id or '(no id)'} - compliance as of "
              f"{report.as_of.isoformat()} - pre-filled by casecheck, to be checked by the "
              f"auditor")
    profile = report.profile + (f" ({report.profile_title})" if report.profile_title else "")
    out = ["<!DOCTYPE html>", '<html lang="en-GB">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(title)}</title>",
           "<style>" + CSS.replace("@FOOTER@", _css_string(footer)) + "</style>",
           "</head>", "<body>",
           '<header class="report-head">',
           "<h1>Case audit: compliance with standards</h1>", '<table class="meta"><tbody>']
    for label, value in (("Case", report.case_id), ("Child", report.child_id),
                         ("Team", report.team or "(unallocated)"),
                         ("As of", report.as_of.isoformat()), ("Profile", profile),
                         ("Generated", f"{report.generated_on.isoformat()} by "
                                       f"{report.generator}")):
        out.append(f"<tr><th>{_e(label)}</th><td>{_e(value if value is not None else '')}</td>"
                   "</tr>")
    out.append("</tbody></table>")
    out.append(f'<p class="notice"><strong>Pre-filled by casecheck: to be checked by the '
               f"auditor.</strong> {_e(report.notice)}</p>")
    if report.problems or report.warnings:
        out.append('<div class="problems"><strong>Problems with this evaluation</strong> '
                   "(findings may be missing; standards listed as not applicable may be "
                   "affected):<ul>")
        out += [f"<li>error: {_e(_problem_text(p))}</li>" for p in report.problems]
        out += [f"<li>warning: {_e(_problem_text(p))}</li>" for p in report.warnings]
        out.append("</ul></div>")
    out.append("</header>")

    counts = _counts(report)
    blocks = report.blocks
    out.append('<section class="overview" id="summary"><h2>Summary</h2>')
    parts = ", ".join(f"{counts[s]} {OVERALL_LABELS[s]}" for s in OVERALL)
    out.append(f"<p>{len(blocks)} standard(s) of this profile apply to this case ({_e(parts)}); "
               f"{len(report.not_applicable)} do not apply.</p>")
    if blocks:
        out.append('<table class="summary-table"><thead><tr><th>Area</th><th>Standard</th>'
                   "<th>Overall</th></tr></thead><tbody>")
        for area in report.areas:
            for b in area.blocks:
                out.append(f'<tr><td class="area">{_e(area.heading)}</td>'
                           f'<td><a href="#{_e(_slug(b.standard.id))}">{_e(b.standard.title)}'
                           f'</a> <span class="std-id">{_e(b.standard.id)}</span></td>'
                           f"<td>{_pill(b.status, OVERALL_LABELS[b.status])}</td></tr>")
        out.append("</tbody></table>")
    out += _key_html()
    out.append("</section>")

    for area in report.areas:
        out.append(f'<section class="area" id="area-{_e(area.area)}" data-area="{_e(area.area)}">'
                   f"<h2>{_e(area.heading)}</h2>")
        if not area.blocks:
            why = ("No standard of this profile in this area applies to this case."
                   if area.in_profile else "This profile applies no standards in this area.")
            out.append(f'<p class="none-apply">{_e(why)}</p>')
        for block in area.blocks:
            out += _block_html(block)
        out.append("</section>")

    if report.unlinked:
        out.append('<section class="area" id="unlinked"><h2>Findings not linked to a standard'
                   "</h2>")
        out += _finding_rows(report.unlinked)
        out.append("</section>")

    out.append('<section class="not-applicable" id="not-applicable">'
               "<h2>Standards not applicable to this case</h2>")
    if report.not_applicable:
        out.append("<p>The profile applies these standards, but nothing in the record brings "
                   "them into play as of the as-of date (no finding).</p>")
        out.append('<table class="na-table"><thead><tr><th>Standard</th><th>Title</th>'
                   "<th>Area</th></tr></thead><tbody>")
        for std in report.not_applicable:
            out.append(f'<tr data-standard="{_e(std.id)}"><td class="id">{_e(std.id)}</td>'
                       f"<td>{_e(std.title)}</td>"
                       f"<td>{_e(AREA_HEADINGS.get(std.area, std.area))}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append('<p class="none-apply">Every standard of this profile applies to this case.'
                   "</p>")
    out.append("</section>")
    out.append(f"<footer>{_e(report.notice)}</footer>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Markdown

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!|~&])")
_MD_LEADING = re.compile(r"^(\s*)([-=]|\d+[.)])")


def _m(value: object, line_start: bool = False) -> str:
    """Text safe in Markdown, inline or in a table cell: one line, syntax and HTML escaped.
    ``line_start``: the text begins a line, so a leading list or heading marker is escaped."""
    text = " ".join(("" if value is None else str(value)).split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    if line_start:
        text = _MD_LEADING.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return text


def _code(value: object) -> str:
    """A Markdown code span (shown literally; no HTML inside is interpreted)."""
    text = " ".join(str(value).split())
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_findings(findings: list[Finding]) -> list[str]:
    out = ["| Rule | Status | Anchor | Due | Done | Days late | What the record shows |",
           "|---|---|---|---|---|---|---|"]
    for f in findings:
        anchor = f"{_m(f.anchor_id)} ({f.anchor_date.isoformat()})"
        if f.member:
            anchor += f", member {_m(f.member)}"
        if f.occurrence is not None:
            anchor += f", occurrence {f.occurrence}"
        if f.done_id is None and f.done_date is None:
            done = "none"
        else:
            done = f"{_m(f.done_id or '')} ({f.done_date.isoformat() if f.done_date else ''})"
        msg = _m(f.message)
        if f.evidence:
            msg += f" (counted: {_m(', '.join(f.evidence))})"
        out.append(f"| {_m(f.rule)} | {_code(f.status)} | {anchor} | "
                   f"{f.due.isoformat() if f.due else 'none'} | {done} | "
                   f"{_m(_days_late(f))} | {msg} |")
    return out


JUDGEMENT_MD = [
    "> **Auditor's judgement:**",
    ">",
    "> Agreed / Not agreed: ____________________________",
    ">",
    "> Comments: ____________________________________________________________",
    ">",
    "> \\______________________________________________________________________",
    ">",
    "> \\______________________________________________________________________",
    ">",
    "> Auditor, date: ______________________________________________",
]


def render_markdown(report: AuditReport) -> str:
    """The same content as ``render_html``, in (GitHub-flavoured) Markdown."""
    profile = _m(report.profile) + (f" ({_m(report.profile_title)})"
                                    if report.profile_title else "")
    out = ["# Case audit: compliance with standards", "",
           "| | |", "|---|---|",
           f"| Case | {_m(report.case_id)} |",
           f"| Child | {_m(report.child_id)} |",
           f"| Team | {_m(report.team or '(unallocated)')} |",
           f"| As of | {report.as_of.isoformat()} |",
           f"| Profile | {profile} |",
           f"| Generated | {report.generated_on.isoformat()} by {_m(report.generator)} |",
           "",
           f"> **Pre-filled by casecheck: to be checked by the auditor.** {_m(report.notice)}",
           ""]
    if report.problems or report.warnings:
        out += ["**Problems with this evaluation** (findings may be missing; standards listed "
                "as not applicable may be affected):", ""]
        out += [f"- error: {_m(_problem_text(p))}" for p in report.problems]
        out += [f"- warning: {_m(_problem_text(p))}" for p in report.warnings]
        out.append("")

    counts = _counts(report)
    blocks = report.blocks
    parts = ", ".join(f"{counts[s]} {OVERALL_LABELS[s]}" for s in OVERALL)
    out += ["## Summary", "",
            f"{len(blocks)} standard(s) of this profile apply to this case ({parts}); "
            f"{len(report.not_applicable)} do not apply.", ""]
    if blocks:
        out += ["| Area | Standard | Overall |", "|---|---|---|"]
        for area in report.areas:
            for b in area.blocks:
                out.append(f"| {_m(area.heading)} | {_m(b.standard.title)} "
                           f"({_m(b.standard.id)}) | **{OVERALL_LABELS[b.status]}** |")
        out.append("")
    out += ["Finding status: " + "; ".join(f"{_code(s)} {FINDING_MEANINGS[s]}"
                                          for s in FINDING_STATUSES) + ".", "",
            "Overall status of a standard: " + "; ".join(
                f"**{OVERALL_LABELS[s]}** {_m(OVERALL_MEANINGS[s])}" for s in OVERALL) + ".",
            ""]

    for area in report.areas:
        out += [f"## {_m(area.heading)}", ""]
        if not area.blocks:
            why = ("No standard of this profile in this area applies to this case."
                   if area.in_profile else "This profile applies no standards in this area.")
            out += [f"*{_m(why)}*", ""]
        for block in area.blocks:
            std = block.standard
            out += [f"### {_m(std.title)} ({_m(std.id)})", "",
                    f"**Overall: {OVERALL_LABELS[block.status]}**", "",
                    _m(std.summary, line_start=True), ""]
            if std.note:
                out += [f"*Note:* {_m(std.note)}", ""]
            out += ["Source:" if len(std.sources) == 1 else "Sources:", ""]
            for src in std.sources:
                items = []
                for key, value in _source_line(src):
                    if key == "document":
                        items.append(f"*{_m(value)}*")
                    elif key == "effective":
                        items.append(f"effective {_m(value)}")
                    elif key == "url":
                        items.append(_code(value))
                    else:
                        items.append(_m(value))
                out.append("- " + "; ".join(items))
            out.append("")
            if block.unchecked_rules:
                out += [f"Not checked under this profile: {_m(', '.join(block.unchecked_rules))}",
                        ""]
            if block.not_assessable:
                out += ["**Not assessable from this source:**", ""]
                out += [f"- {_m(n.rule)} ({_m(n.source)}: {_m(n.reason)})"
                        for n in block.not_assessable]
                out.append("")
            if block.problems:
                out += ["**Could not be evaluated:**", ""]
                out += [f"- {_m(_problem_text(p))}" for p in block.problems]
                out.append("")
            if block.findings:
                out += _md_findings(block.findings)
                out.append("")
            out += JUDGEMENT_MD
            out.append("")

    if report.unlinked:
        out += ["## Findings not linked to a standard", ""]
        out += _md_findings(report.unlinked)
        out.append("")

    out += ["## Standards not applicable to this case", ""]
    if report.not_applicable:
        out += ["The profile applies these standards, but nothing in the record brings them into "
                "play as of the as-of date (no finding).", "",
                "| Standard | Title | Area |", "|---|---|---|"]
        for std in report.not_applicable:
            out.append(f"| {_m(std.id)} | {_m(std.title)} | "
                       f"{_m(AREA_HEADINGS.get(std.area, std.area))} |")
    else:
        out.append("*Every standard of this profile applies to this case.*")
    return "\n".join(out).rstrip() + "\n"

