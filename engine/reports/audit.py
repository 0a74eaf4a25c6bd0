"""The auditor's pre-filled compliance section for one case, as HTML or Markdown (and, through
``engine.reports.audit_docx``, Word).

A reporter: it reads a ``CaseResult``, the standards catalogue, the rule set's metadata
(``RuleSet.meta``: which rules the profile applies, their packs and labels), the case overview
(``engine.evaluate.urgency.CaseOverview``: age, allocation, legal status, episodes) and where
the profile's local standards come from (``LocalSource``). It knows nothing of YAML, profiles or
how rules are evaluated, and prints no free text from the record.

Layout (each fixture's section prints on at most 4 A4 pages):

1. a header (case, child and age, team, worker, manager, legal status, episodes open and
   closed, as-of date, profile and where its local standards come from) and a notice that the
   section is pre-filled and must be checked;
2. a summary table, one row per standard that applies: statutory or local, *n of m met in
   time*, late, outstanding now, historic, and the judgement in auditor words, with a key;
3. one block per standard that applies, grouped by area: summary, citation, the rule ids once,
   evidence rows (plain labels like "2nd looked-after review", the ids and dates that prove
   them) and a line for the auditor to agree or not;
4. the standards of the profile that do not apply, in one line;
5. the auditor's judgement: a grade (outstanding, good, requires improvement, inadequate),
   comments, actions with owner and timescale, auditor and date. In HTML these are real form
   controls; a small inline script copies each value into a print-only twin, so the printed
   page shows what was chosen or typed (and a blank line to write on where nothing was).

Counting (per standard, over its findings):

- *m* counts the obligations that came due and were decided (``met``, ``late``, ``overdue``,
  ``not_met``); *n* the ``met`` ones;
- *outstanding now*: ``overdue`` or ``not_met`` and actionable (the episode is open);
- *historic*: ``overdue`` or ``not_met`` on an episode that has closed (not actionable).

The judgement of a standard, the first that matches (``JUDGEMENT_RULES`` is the printed key):
not met - outstanding now; not met - historic; not assessable from this source; cannot decide;
met with some delay (something was late); met throughout; not yet due.

``roll_up`` (the earlier single-word status) stays for callers that want it.
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
from engine.evaluate.urgency import CaseOverview, is_statutory, labels_for, ordinal
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
DECIDED = frozenset({"met", "late", "overdue", "not_met"})

# overall statuses of a standard (the earlier roll-up), worst first
OVERALL = ("not_met", "not_assessable", "cannot_decide", "in_progress", "met")

JUDGEMENTS = ("outstanding", "historic", "not_assessable", "cannot_decide", "delay",
              "throughout", "not_yet_due")
JUDGEMENT_LABELS = {
    "outstanding": "not met - outstanding now",
    "historic": "not met - historic",
    "not_assessable": "not assessable from this source",
    "cannot_decide": "cannot decide",
    "delay": "met with some delay",
    "throughout": "met throughout",
    "not_yet_due": "not yet due",
}
JUDGEMENT_RULES = {
    "outstanding": "something is overdue or not met and the plan is still open",
    "historic": "something was never done, but the plan it belonged to has closed",
    "not_assessable": "the record's source cannot hold what a rule needs",
    "cannot_decide": "the record lacks what a rule needs to decide",
    "delay": "everything due was done, at least one thing late",
    "throughout": "everything due was done in time",
    "not_yet_due": "nothing has fallen due yet",
}
GRADES = ("Outstanding", "Good", "Requires improvement", "Inadequate")
ACTION_ROWS = 3

NOTICE = ("Pre-filled by {generator} from the case record as it stood on {as_of}. It is a "
          "starting point, not a judgement: the auditor must check every finding against the "
          "record.")
PRACTICE_PACK = "casecheck practice pack"


def roll_up(statuses: Iterable[str], undecidable: bool = False) -> str:
    """The overall status of a standard: one of ``OVERALL`` (breach first)."""
    seen = set(statuses)
    if seen & BREACH:
        return "not_met"
    if undecidable or "insufficient_data" in seen:
        return "cannot_decide"
    if seen & OPEN:
        return "in_progress"
    return "met"


@dataclass(frozen=True)
class LocalSource:
    """Where the profile's local standards come from: the authority's own document, or (for
    the built-in ``practice``/``england`` profiles) the casecheck practice pack."""

    profile: str
    title: str | None = None
    document: str | None = None
    publisher: str | None = None
    date: str | None = None

    @property
    def citation(self) -> str:
        if self.document:
            return (f"{self.document} ({self.publisher}, {self.date}), as set in the "
                    f"{self.profile} profile")
        return f"{PRACTICE_PACK} (default timescales; the reports below are background)"


@dataclass
class Tally:
    in_time: int = 0
    decided: int = 0
    late: int = 0
    outstanding: int = 0
    historic: int = 0
    upcoming: int = 0
    undecided: int = 0


def tally(findings: Iterable[Finding]) -> Tally:
    t = Tally()
    for f in findings:
        if f.status in DECIDED:
            t.decided += 1
        if f.status == "met":
            t.in_time += 1
        elif f.status == "late":
            t.late += 1
        elif f.status in ("overdue", "not_met"):
            if f.actionable:
                t.outstanding += 1
            else:
                t.historic += 1
        elif f.status in OPEN:
            t.upcoming += 1
        elif f.status == "insufficient_data":
            t.undecided += 1
    return t


def judge(t: Tally, undecidable: bool = False, lacking: bool = False) -> str:
    """The judgement of a standard from its tally: one of ``JUDGEMENTS``."""
    if t.outstanding:
        return "outstanding"
    if t.historic:
        return "historic"
    if lacking:
        return "not_assessable"
    if undecidable or t.undecided:
        return "cannot_decide"
    if t.late:
        return "delay"
    if t.decided:
        return "throughout"
    return "not_yet_due"


@dataclass
class StandardBlock:
    """One applicable standard: its findings (in rule order, then by anchor) and judgement."""

    standard: Standard
    findings: list[Finding]
    status: str
    problems: list[Problem] = field(default_factory=list)
    unchecked_rules: list[str] = field(default_factory=list)  # in the standard, not the profile
    not_assessable: list[NotAssessable] = field(default_factory=list)  # rules the source lacks
    statutory: bool = True
    tally: Tally = field(default_factory=Tally)
    judgement: str = "throughout"
    rules: list[str] = field(default_factory=list)  # the standard's rules the profile applies

    @property
    def judgement_label(self) -> str:
        return JUDGEMENT_LABELS[self.judgement]


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
    overview: CaseOverview | None = None
    worker: str | None = None
    manager: str | None = None
    local: LocalSource | None = None
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def blocks(self) -> list[StandardBlock]:
        return [b for a in self.areas for b in a.blocks]

    @property
    def notice(self) -> str:
        return NOTICE.format(generator=self.generator, as_of=self.as_of.isoformat())


def build_report(result: CaseResult, catalogue: StandardsCatalogue,
                 rules: Mapping[str, RuleMeta], *, child_id: str | None = None,
                 profile_title: str | None = None, generated_on: date | None = None,
                 generator: str = "casecheck", overview: CaseOverview | None = None,
                 local: LocalSource | None = None) -> AuditReport:
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
            found = sorted(found, key=lambda f: (order.get(f.rule, len(order)), f.anchor_date,
                                                 f.occurrence or 0))
            status = roll_up((f.status for f in found), undecidable=bool(problems))
            if lacking and status != "not_met":
                status = "not_assessable"
            counted = tally(found)
            applied = [rid for rid in std.rules if rid in rules]
            blocks.append(StandardBlock(
                std, found, status, problems, [rid for rid in std.rules if rid not in rules],
                lacking, statutory=all(is_statutory(r, rules) for r in applied or std.rules),
                tally=counted, judgement=judge(counted, bool(problems), bool(lacking)),
                rules=applied))
        areas.append(AreaSection(area, AREA_HEADINGS.get(area, area.replace("_", " ")
                                                         .capitalize()), blocks, len(stds)))
    return AuditReport(
        case_id=result.case_id, child_id=child_id, team=result.team, as_of=result.as_of,
        profile=result.profile, profile_title=profile_title,
        generated_on=generated_on or date.today(), generator=generator, areas=areas,
        not_applicable=not_applicable, unlinked=unlinked, problems=general,
        warnings=list(result.warnings), overview=overview,
        worker=result.worker or (overview.worker if overview else None),
        manager=result.manager or (overview.manager if overview else None),
        local=local or LocalSource(result.profile, profile_title),
        labels=labels_for(rules))


# ---------------------------------------------------------------------------------------------
# shared wording


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def what(f: Finding, labels: Mapping[str, str]) -> str:
    """A plain label for one evidence row: "2nd looked-after review", "DBS check, member m1"."""
    label = labels.get(f.rule) or f.title
    if f.occurrence is not None:
        label = f"{ordinal(f.occurrence)} {_lower_first(label)}"
    if f.member:
        label += f", member {f.member}"
    return label


def result_text(f: Finding) -> str:
    """What the record shows for one obligation, in words."""
    unit = "working day" if f.unit == "working_days" else "day"
    n = f.days_late or 0
    late = f"{n} {unit}" + ("" if n == 1 else "s")
    if f.status == "met":
        return "met in time"
    if f.status == "late":
        return f"late by {late}"
    if f.status in ("overdue", "not_met"):
        word = "not met" if f.status == "not_met" else f"not done, {late} overdue"
        if not f.actionable:
            closed = f.episode_end.isoformat() if f.episode_end else "?"
            return f"historic: {word.replace(' overdue', ' late')}; plan closed {closed}"
        return f"outstanding now: {word}"
    if f.status == "due_soon":
        return "not yet due (due soon)"
    if f.status == "pending":
        return "not yet due"
    return "cannot decide: the record lacks what the rule needs"


def result_class(f: Finding) -> str:
    if f.status in ("overdue", "not_met"):
        return "outstanding" if f.actionable else "historic"
    return {"met": "throughout", "late": "delay", "insufficient_data": "cannot_decide"}.get(
        f.status, "not_yet_due")


def n_of_m(t: Tally) -> str:
    return f"{t.in_time} of {t.decided}" if t.decided else "none due"


def _source_line(src: SourceRef) -> str:
    section = re.sub(r"\s*\([^)]*\)", "", src.section).strip(" ,")
    return f"{src.document}, {section}"


def _problem_text(p: Problem) -> str:
    text = f"{p.pointer or '/'}: {p.message}" if p.pointer else p.message
    if p.rule:
        text = f"{p.rule}: {text}"
    if p.expected:
        text += f" (expected {p.expected})"
    return text


def header_rows(report: AuditReport) -> list[tuple[str, str]]:
    """(label, value) rows of the header: ids, age, allocation, legal status, episodes."""
    ov = report.overview
    child = report.child_id or (ov.child_id if ov else None) or ""
    if ov is not None and ov.age is not None:
        child += f", aged {ov.age}"
    rows = [("Case", report.case_id or ""), ("Child", child),
            ("Team", report.team or "(unallocated)"),
            ("Worker", report.worker or "(unallocated)"), ("Manager", report.manager or "(none)")]
    if ov is not None:
        rows.append(("Legal status", ov.legal_status or "(not looked after)"))
        rows.append(("Open", "; ".join(f"{e.label} {e.id} from {e.start.isoformat()}"
                                       for e in ov.open) or "none"))
        rows.append(("Closed", "; ".join(f"{e.label} {e.id} {e.start.isoformat()} to "
                                         f"{e.end.isoformat() if e.end else ''}"
                                         for e in ov.closed) or "none"))
    profile = report.profile + (f" ({report.profile_title})" if report.profile_title else "")
    rows += [("As of", report.as_of.isoformat()), ("Profile", profile)]
    if report.local is not None:
        rows.append(("Local standards", report.local.citation))
    rows.append(("Generated", f"{report.generated_on.isoformat()} by {report.generator}"))
    return rows


def citation(block: StandardBlock, local: LocalSource | None) -> tuple[str, list[str]]:
    """(the source the standard is judged against, background sources)."""
    srcs = [_source_line(s) for s in block.standard.sources]
    if block.statutory:
        return "; ".join(srcs), []
    if local is not None and local.document:
        return f"{local.document} ({local.publisher}, {local.date})", []
    return PRACTICE_PACK, [
        f"{s.publisher} {s.effective[:4]}" for s in block.standard.sources]


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
@page { size: A4; margin: 12mm 12mm 14mm 12mm;
  @bottom-left { content: @FOOTER@; font: 7.5pt Arial, Helvetica, sans-serif; color: #333; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages);
                  font: 7.5pt Arial, Helvetica, sans-serif; color: #333; } }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: Arial, Helvetica, "Liberation Sans", sans-serif; font-size: 9pt;
  line-height: 1.25; color: #111; margin: 0 auto; max-width: 190mm; padding: 5mm; }
h1 { font-size: 15pt; margin: 0 0 2mm; }
h2 { font-size: 11.5pt; margin: 3mm 0 1.5mm; padding: 0.6mm 2mm; background: #e8edf3;
  border-left: 4px solid #2a4d74; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 9.5pt; margin: 0; flex: 1; }
p { margin: 0 0 1.5mm; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 0.6mm 1.2mm; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
.meta { font-size: 8.5pt; margin-bottom: 2mm; }
.meta th { font-weight: normal; color: #333; padding-left: 0; white-space: nowrap; width: 26mm; }
.meta td { font-weight: bold; }
.notice { border: 1px solid #8a6d00; background: #fdf6e3; padding: 1.5mm 2.5mm;
  font-size: 8.5pt; }
.problems { border: 1px solid #b00020; background: #fdecee; padding: 1.5mm 2.5mm;
  margin: 0 0 2mm; font-size: 8.5pt; }
.problems ul { margin: 1mm 0 0; padding-left: 5mm; }
.summary-table { font-size: 7.5pt; margin-bottom: 1.5mm; }
.summary-table td, .summary-table th { padding: 0.2mm 1mm; line-height: 1.15; }
.summary-table th, .summary-table td { border-bottom: 1px solid #bbb; }
.summary-table th[scope=row] { font-weight: normal; }
.summary-table thead th { background: #eef1f4; }
.summary-table .n { text-align: right; white-space: nowrap; }
.summary-table a { color: #0b3d6e; }
.key { font-size: 7.5pt; margin: 0 0 1mm; line-height: 1.5; }
h3.key-title { font-size: 9pt; margin: 1mm 0 0.5mm; }
.summary-table { table-layout: fixed; }
.summary-table select { width: 100%; }
.summary-table .pill { padding: 0 0.8mm; font-size: 7pt; }
.standard { border: 1px solid #8a97a4; padding: 1.2mm 2.5mm; margin: 0 0 2mm; }
.std-head { break-after: avoid; page-break-after: avoid; }
.met-list { font-size: 7.5pt; color: #222; }
.std-head { display: flex; align-items: baseline; gap: 2mm; margin: 0 0 0.5mm; }
.std-id, .rule { font-family: "DejaVu Sans Mono", "Courier New", monospace; font-size: 8pt;
  font-weight: normal; color: #333; }
.overall { margin: 0; white-space: nowrap; }
.std-summary { font-size: 8pt; }
.cite { font-size: 7.5pt; color: #222; margin: 0 0 0.5mm; }
.findings { font-size: 7.5pt; margin: 0.5mm 0 1mm; table-layout: fixed; }
.findings col.c-what { width: 27%; } .findings col.c-rule { width: 15%; }
.findings col.c-anchor, .findings col.c-done { width: 17%; }
.findings col.c-due { width: 10%; } .findings col.c-result { width: 24%; }
.findings th { background: #eef1f4; border: 1px solid #b9c2cb; padding: 0.4mm 1.2mm; }
.findings td { border: 1px solid #cfd6dd; padding: 0.4mm 1.2mm; }
.date { white-space: nowrap; }
.pill { display: inline-block; padding: 0 1.2mm; border-radius: 2mm; font-weight: bold;
  font-size: 7.5pt; border: 1px solid transparent; }
.j-throughout { background: #dff0d8; color: #174d17; border-color: #8fbf8f; }
.j-delay { background: #fde3c8; color: #6e2f00; border-color: #d9955a; }
.j-outstanding { background: #f8d3d6; color: #7a0010; border-color: #d9808a; }
.j-historic { background: #ece4f4; color: #40245c; border-color: #a88fc2; }
.j-not_yet_due { background: #e3ebf5; color: #1d3b5c; border-color: #9fb5d0; }
.j-cannot_decide, .j-not_assessable { background: #fff2bf; color: #5a4500;
  border-color: #d6b84a; }
.evidence { color: #222; }
select, input, textarea { font: inherit; font-size: 9pt; color: #111; background: #fff;
  border: 1px solid #555; padding: 0.5mm 1mm; }
textarea { width: 100%; min-height: 18mm; }
.judgement { border: 1.5px solid #333; padding: 0 3mm 2mm; margin-top: 3mm;
  break-inside: avoid; page-break-inside: avoid; }
.judgement h2 { margin: 0 -3mm 2mm; }
.judgement .row { display: flex; gap: 2mm; align-items: baseline; margin: 0 0 1.5mm; }
.judgement .row.stack { display: block; }
.judgement .row input { flex: 1; }
.actions input { width: 100%; }
.actions th, .actions td { border: 1px solid #b9c2cb; }
.actions thead th { background: #eef1f4; }
.pv { display: none; }
.na { font-size: 8.5pt; color: #333; }
footer { margin-top: 4mm; font-size: 8pt; color: #333; border-top: 1px solid #ccc;
  padding-top: 1.5mm; }
@media print {
  body { max-width: none; padding: 0; }
  select, input, textarea { display: none !important; }
  .pv { display: inline-block; flex: 1; min-width: 30mm; min-height: 4.5mm;
    border-bottom: 1px solid #555; white-space: pre-wrap; }
  .summary-table .pv { display: block; min-width: 0; min-height: 3.5mm; }
  .pv.block { display: block; width: 100%; min-height: 10mm; }
  .actions .pv { display: block; min-width: 0; }
}
"""

# keeps each control's print-only twin in step with its value (typed, chosen or restored)
SCRIPT = """
(function () {
  function text(el) {
    if (el.tagName === "SELECT") {
      return el.selectedIndex > 0 ? el.options[el.selectedIndex].text : "";
    }
    return el.value;
  }
  function sync(el) {
    if (!el || !el.id) { return; }
    var twin = document.getElementById(el.id + "-pv");
    if (twin) { twin.textContent = text(el); }
  }
  function all() {
    var els = document.querySelectorAll("select, input, textarea");
    for (var i = 0; i < els.length; i++) { sync(els[i]); }
  }
  document.addEventListener("input", function (e) { sync(e.target); });
  document.addEventListener("change", function (e) { sync(e.target); });
  window.addEventListener("beforeprint", all);
  window.addEventListener("load", all);
  all();
})();
"""


def _pill(judgement: str, label: str | None = None) -> str:
    text = label or JUDGEMENT_LABELS[judgement]
    return f'<span class="pill j-{_e(judgement)}">{_e(text)}</span>'


def _date(d: date | None) -> str:
    return f'<span class="date">{_e(d.isoformat())}</span>' if d else ""


def _control(kind: str, cid: str, label: str, *, options: Iterable[str] = (),
             block: bool = False, visible_label: bool = True, prompt: str = "(choose)") -> str:
    """A labelled form control and its print-only twin (``<id>-pv``)."""
    lab = f'<label for="{_e(cid)}">{_e(label)}</label>' if visible_label else ""
    aria = "" if visible_label else f' aria-label="{_e(label)}"'
    if kind == "select":
        opts = f'<option value="">{_e(prompt)}</option>' + "".join(
            f'<option value="{_e(o)}">{_e(o)}</option>' for o in options)
        ctl = f'<select id="{_e(cid)}" name="{_e(cid)}"{aria}>{opts}</select>'
    elif kind == "textarea":
        ctl = f'<textarea id="{_e(cid)}" name="{_e(cid)}" rows="3"{aria}></textarea>'
    else:
        ctl = f'<input type="{kind}" id="{_e(cid)}" name="{_e(cid)}"{aria}>'
    twin = f'<span class="pv{" block" if block else ""}" id="{_e(cid)}-pv"></span>'
    return lab + ctl + twin


def met_runs(findings: list[Finding]) -> list[tuple[str, list[Finding]]]:
    """The findings as rows: per rule, the ones met in time together (``("met", [...])``),
    then every other one on its own (``("one", [f])``), in the order given."""
    rows: list[tuple[str, list[Finding]]] = []
    met: dict[str, list[Finding]] = {}
    for f in findings:
        if f.status == "met" and f.due is not None:
            if f.rule not in met:
                met[f.rule] = []
                rows.append(("met", met[f.rule]))
            met[f.rule].append(f)
        else:
            rows.append(("one", [f]))
    return [(k, fs) if k == "one" or len(fs) > 1 else ("one", fs) for k, fs in rows]


def met_item(f: Finding, numbered: bool = True) -> str:
    n = f"{ordinal(f.occurrence)}: " if f.occurrence is not None and numbered else ""
    member = f" (member {f.member})" if f.member else ""
    done = f.done_date.isoformat() if f.done_date else "?"
    return f"{n}{f.done_id or ''} {done}{member}, due {f.due.isoformat() if f.due else ''}"


def _finding_rows(findings: list[Finding], labels: Mapping[str, str],
                  show_rule: bool = False) -> list[str]:
    rule_col = '<th scope="col">Rule</th>' if show_rule else ""
    cols = ("what", "rule", "anchor", "due", "done", "result") if show_rule else (
        "what", "anchor", "due", "done", "result")
    out = ['<table class="findings"><colgroup>'
           + "".join(f'<col class="c-{c}">' for c in cols) + "</colgroup>",
           f'<thead><tr><th scope="col">What</th>{rule_col}<th scope="col">Started by</th>'
           '<th scope="col">Due</th><th scope="col">Done</th><th scope="col">Result</th>'
           "</tr></thead><tbody>"]
    for kind, group in met_runs(findings):
        f = group[0]
        rule = f'<td class="rule">{_e(f.rule)}</td>' if show_rule else ""
        if kind == "met":
            label = labels.get(f.rule) or f.title
            out.append(f'<tr class="met-run" data-rule="{_e(f.rule)}" data-status="met" '
                       f'data-count="{len(group)}"><td class="what">{_e(label)}: '
                       f"{len(group)} met in time</td>{rule}"
                       f'<td colspan="4" class="met-list">'
                       f"{_e('; '.join(met_item(x) for x in group))}</td></tr>")
            continue
        started = f"{_e(f.anchor_id)} {_date(f.anchor_date)}"
        done = (f"{_e(f.done_id or '')} {_date(f.done_date)}"
                if f.done_id is not None or f.done_date is not None else "none")
        result = f'<span class="pill j-{result_class(f)}">{_e(result_text(f))}</span>'
        if f.due is None and f.status in ("met", "not_met"):
            result += f" {_e(f.message)}"
        out.append(f'<tr class="finding" data-rule="{_e(f.rule)}" data-status="{_e(f.status)}">'
                   f'<td class="what">{_e(what(f, labels))}</td>{rule}'
                   f'<td class="anchor">{started}</td>'
                   f'<td class="due">{_date(f.due) if f.due else "none"}</td>'
                   f'<td class="done">{done}</td><td class="result">{result}</td></tr>')
    out.append("</tbody></table>")
    return out


QUIET = frozenset({"throughout", "not_yet_due"})  # blocks with evidence in one paragraph
SUMMARISED = frozenset({"outstanding", "historic", "cannot_decide", "not_assessable"})


def _evidence_line(block: StandardBlock, labels: Mapping[str, str]) -> str:
    """A quiet block's evidence in one paragraph: what was met (ids, dates) and what is next."""
    parts = []
    for kind, group in met_runs(block.findings):
        f = group[0]
        if kind == "met":
            parts.append(f"{labels.get(f.rule) or f.title}: " + "; ".join(map(met_item, group)))
        elif f.status == "met":
            parts.append(f"{what(f, labels)}: " + (met_item(f, False) if f.due else f.message))
        else:
            parts.append(f"{what(f, labels)}: due {f.due.isoformat() if f.due else '?'}, "
                         f"{result_text(f)}")
    return ". ".join(parts)


def _block_html(block: StandardBlock, report: AuditReport) -> list[str]:
    std = block.standard
    kind = "statutory" if block.statutory else "local"
    cited, background = citation(block, report.local)
    sid = _slug(std.id)
    quiet = block.judgement in QUIET and not block.problems and not block.not_assessable
    cite = f'<p class="cite"><strong>{kind.capitalize()}:</strong> {_e(cited)}.'
    if background:
        cite += f" Background: {_e('; '.join(background))}."
    cite += (f' Standard <span class="std-id">{_e(std.id)}</span>; '
             f'rule{"s" if len(block.rules) > 1 else ""} '
             f'<span class="rule">{_e(", ".join(block.rules))}</span>. '
             f"Met in time: {_e(n_of_m(block.tally))}.")
    if quiet and block.findings:
        cite += (f' <span class="evidence">Evidence: '
                 f"{_e(_evidence_line(block, report.labels))}.</span>")
    cite += "</p>"
    out = [f'<article class="standard{" quiet" if quiet else ""}" id="{_e(sid)}" '
           f'data-standard="{_e(std.id)}" data-judgement="{_e(block.judgement)}" '
           f'data-kind="{kind}">',
           '<div class="std-head">',
           f'<h3><span class="std-title">{_e(std.title)}</span></h3>',
           f'<p class="overall">{_pill(block.judgement)}</p>', "</div>"]
    if block.judgement in SUMMARISED:  # the standard's words where the auditor must judge
        out.append(f'<p class="std-summary">{_e(std.summary)}</p>')
    out.append(cite)
    if block.unchecked_rules:
        out.append(f'<p class="cite">Not checked under this profile: '
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
    if block.findings and not quiet:  # the labels tell the rules apart; the ids are cited above
        out += _finding_rows(block.findings, report.labels)
    out.append("</article>")
    return out


def _summary_html(report: AuditReport) -> list[str]:
    blocks = report.blocks
    out = ['<section class="overview" id="summary" aria-labelledby="summary-h">',
           '<h2 id="summary-h">Summary</h2>',
           f"<p>{len(blocks)} standard(s) of this profile apply to this case; "
           f"{len(report.not_applicable)} do not.</p>"]
    if blocks:
        widths = (43, 7, 9, 5, 9, 7, 13, 7)
        out.append('<table class="summary-table"><colgroup>'
                   + "".join(f'<col style="width:{w}%">' for w in widths) + "</colgroup>"
                   '<thead><tr>'
                   '<th scope="col">Standard</th><th scope="col">Kind</th>'
                   '<th scope="col" class="n">Met in time</th><th scope="col" class="n">Late</th>'
                   '<th scope="col" class="n">Outstanding</th>'
                   '<th scope="col" class="n">Historic</th><th scope="col">Judgement</th>'
                   '<th scope="col">Auditor</th></tr></thead><tbody>')
        for b in blocks:
            t = b.tally
            out.append(f'<tr data-standard="{_e(b.standard.id)}">'
                       f'<th scope="row"><a href="#{_e(_slug(b.standard.id))}">'
                       f"{_e(b.standard.title)}</a></th>"
                       f"<td>{'statutory' if b.statutory else 'local'}</td>"
                       f'<td class="n">{_e(n_of_m(t))}</td><td class="n">{t.late}</td>'
                       f'<td class="n">{t.outstanding}</td><td class="n">{t.historic}</td>'
                       f"<td>{_pill(b.judgement)}</td><td>"
                       + _control("select", f"agree-{_slug(b.standard.id)}",
                                  f"Auditor on {b.standard.title}",
                                  options=("agreed", "not agreed"), visible_label=False,
                                  prompt="-")
                       + "</td></tr>")
        out.append("</tbody></table>")
    if report.not_applicable:
        out.append('<p class="na" id="not-applicable">Not applicable to this case (the profile '
                   "applies them, but nothing in the record brings them into play by the as-of "
                   "date): " + "; ".join(f'<span data-standard="{_e(s.id)}">{_e(s.title)}</span>'
                                         for s in report.not_applicable) + ".</p>")
    out.append('<h3 class="key-title">Key</h3><p class="key">The judgement of a standard is '
               "the first of these that applies: "
               + "; ".join(f"{_pill(j)} {_e(JUDGEMENT_RULES[j])}" for j in JUDGEMENTS)
               + ". Met in time is n of m: of the m things that fell due, n were done by their "
               "deadline. Outstanding now: not done and the plan is still open. Historic: not "
               "done, and the plan has since closed.</p>")
    out.append("</section>")
    return out


def _judgement_html() -> list[str]:
    out = ['<section class="judgement" id="judgement" aria-labelledby="judgement-h">',
           "<h2 id=\"judgement-h\">Auditor's judgement</h2>",
           '<div class="row">' + _control("select", "grade", "Overall grade", options=GRADES)
           + _control("text", "auditor", "Auditor") + _control("date", "audit-date", "Date")
           + "</div>",
           '<div class="row stack">' + _control("textarea", "comments", "Comments", block=True)
           + "</div>",
           '<table class="actions"><thead><tr><th scope="col">Action</th>'
           '<th scope="col">Owner</th><th scope="col">Timescale</th></tr></thead><tbody>']
    for i in range(1, ACTION_ROWS + 1):
        cells = "".join(
            f"<td>{_control('text', f'{col}-{i}', f'{col.capitalize()} {i}', visible_label=False)}"
            "</td>" for col in ("action", "owner", "timescale"))
        out.append(f"<tr>{cells}</tr>")
    out.append("</tbody></table>")
    out.append("</section>")
    return out


def render_html(report: AuditReport) -> str:
    """One self-contained HTML document (inline CSS and script, nothing fetched)."""
    title = f"Case audit: compliance section, case {report.case_id or '(no id)'}"
    footer = (f"Case {report.case_id or '(no id)'} - compliance as of "
              f"{report.as_of.isoformat()} - pre-filled by casecheck, to be checked by the "
              f"auditor")
    out = ["<!DOCTYPE html>", '<html lang="en-GB">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(title)}</title>",
           "<style>" + CSS.replace("@FOOTER@", _css_string(footer)) + "</style>",
           "</head>", "<body>", '<header class="report-head">',
           "<h1>Case audit: compliance with standards</h1>", "</header>", "<main>",
           '<section class="case" aria-label="The case"><table class="meta"><tbody>']
    for label, value in header_rows(report):
        out.append(f'<tr><th scope="row">{_e(label)}</th><td>{_e(value)}</td></tr>')
    out.append("</tbody></table>")
    out.append(f'<p class="notice"><strong>To be checked by the auditor.</strong> '
               f"{_e(report.notice)}</p>")
    if report.problems or report.warnings:
        out.append('<div class="problems"><strong>Problems with this evaluation</strong> '
                   "(findings may be missing; standards listed as not applicable may be "
                   "affected):<ul>")
        out += [f"<li>error: {_e(_problem_text(p))}</li>" for p in report.problems]
        out += [f"<li>warning: {_e(_problem_text(p))}</li>" for p in report.warnings]
        out.append("</ul></div>")
    out.append("</section>")
    out += _summary_html(report)

    for area in report.areas:
        if not area.blocks:
            continue
        out.append(f'<section class="area" id="area-{_e(area.area)}" '
                   f'data-area="{_e(area.area)}" aria-labelledby="h-{_e(area.area)}">'
                   f'<h2 id="h-{_e(area.area)}">{_e(area.heading)}</h2>')
        for block in area.blocks:
            out += _block_html(block, report)
        out.append("</section>")

    if report.unlinked:
        out.append('<section class="area" id="unlinked" aria-labelledby="h-unlinked">'
                   '<h2 id="h-unlinked">Findings not linked to a standard</h2>')
        out += _finding_rows(report.unlinked, report.labels, show_rule=True)
        out.append("</section>")

    out += _judgement_html()
    out.append("</main>")
    out += ["<script>" + SCRIPT + "</script>", "</body>", "</html>"]
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


def _md_findings(findings: list[Finding], labels: Mapping[str, str],
                 show_rule: bool) -> list[str]:
    rule = " Rule |" if show_rule else ""
    out = [f"| What |{rule} Started by | Due | Done | Result |",
           "|---|" + ("---|" if show_rule else "") + "---|---|---|---|"]
    for f in findings:
        done = ("none" if f.done_id is None and f.done_date is None else
                f"{_m(f.done_id or '')} ({f.done_date.isoformat() if f.done_date else ''})")
        cell = f" {_m(f.rule)} |" if show_rule else ""
        out.append(f"| {_m(what(f, labels))} |{cell} {_m(f.anchor_id)} "
                   f"({f.anchor_date.isoformat()}) | {f.due.isoformat() if f.due else 'none'} | "
                   f"{done} | {_m(result_text(f))} |")
    return out


def render_markdown(report: AuditReport) -> str:
    """The same content as ``render_html``, in (GitHub-flavoured) Markdown."""
    out = ["# Case audit: compliance with standards", "", "| | |", "|---|---|"]
    out += [f"| {_m(k)} | {_m(v)} |" for k, v in header_rows(report)]
    out += ["", f"> **To be checked by the auditor.** {_m(report.notice)}", ""]
    if report.problems or report.warnings:
        out += ["**Problems with this evaluation** (findings may be missing; standards listed "
                "as not applicable may be affected):", ""]
        out += [f"- error: {_m(_problem_text(p))}" for p in report.problems]
        out += [f"- warning: {_m(_problem_text(p))}" for p in report.warnings]
        out.append("")
    blocks = report.blocks
    out += ["## Summary", "", f"{len(blocks)} standard(s) of this profile apply to this case; "
            f"{len(report.not_applicable)} do not.", ""]
    if blocks:
        out += ["| Standard | Kind | Met in time | Late | Outstanding now | Historic | Judgement |",
                "|---|---|---|---|---|---|---|"]
        for b in blocks:
            t = b.tally
            out.append(f"| {_m(b.standard.title)} | {'statutory' if b.statutory else 'local'} | "
                       f"{n_of_m(t)} | {t.late} | {t.outstanding} | {t.historic} | "
                       f"**{b.judgement_label}** |")
        out.append("")
    out += ["Key (the first that applies): " + "; ".join(
        f"**{JUDGEMENT_LABELS[j]}**: {JUDGEMENT_RULES[j]}" for j in JUDGEMENTS) + ".", ""]
    for area in report.areas:
        if not area.blocks:
            continue
        out += [f"## {_m(area.heading)}", ""]
        for block in area.blocks:
            out += _md_block(block, report)
    if report.unlinked:
        out += ["## Findings not linked to a standard", ""]
        out += _md_findings(report.unlinked, report.labels, True)
        out.append("")
    out += ["## Standards not applicable to this case", ""]
    if report.not_applicable:
        out.append("The profile applies these, but nothing in the record brings them into play "
                   "by the as-of date: " + "; ".join(f"{_m(s.title)} ({_m(s.id)})"
                                                     for s in report.not_applicable) + ".")
    else:
        out.append("*Every standard of this profile applies to this case.*")
    out += ["", "## Auditor's judgement", "",
            "Grade (" + " / ".join(GRADES) + "): ____________________", "",
            "Comments: ______________________________________________________________", "",
            "| Action | Owner | Timescale |", "|---|---|---|"]
    out += ["|  |  |  |"] * ACTION_ROWS
    out += ["", "Auditor: ______________________  Date: ____________"]
    return "\n".join(out).rstrip() + "\n"


def _md_block(block: StandardBlock, report: AuditReport) -> list[str]:
    std = block.standard
    kind = "statutory" if block.statutory else "local"
    cited, background = citation(block, report.local)
    out = [f"### {_m(std.title)} ({_m(std.id)})", "",
           f"**Judgement: {block.judgement_label}**", "",
           _m(std.summary, line_start=True), "",
           f"*{kind.capitalize()} standard.* Source: {_m(cited)}."
           + (f" Background: {_m('; '.join(background))}." if background else "")
           + f" Rules: {_m(', '.join(block.rules))}. Met in time: {n_of_m(block.tally)}.", ""]
    if block.unchecked_rules:
        out += [f"Not checked under this profile: {_m(', '.join(block.unchecked_rules))}", ""]
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
        out += _md_findings(block.findings, report.labels, False)
        out.append("")
    out += ["Auditor: agreed / not agreed: ________  Note: ______________________", ""]
    return out
