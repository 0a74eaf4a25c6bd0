"""The auditor's compliance section as a Word document, with content controls to fill in.

The same ``AuditReport`` as the HTML (``engine.reports.audit``): header, summary table, the
standards that apply with their evidence, then the auditor's judgement. Every part the auditor
completes is a Word *content control* (``w:sdt``) with a stable tag, so a completed document can
be read back by a program (``read_fields``):

- ``agree-<STANDARD-ID>``: a drop-down (agreed / not agreed) in each summary row;
- ``grade``: a drop-down of the four grades (outstanding, good, requires improvement,
  inadequate);
- ``comments``: multi-line plain text;
- ``action-N``, ``owner-N``, ``timescale-N``: plain text, one row per action;
- ``auditor``: plain text; ``audit-date``: a date picker (``yyyy-MM-dd``).

python-docx (pinned in ``pyproject.toml``, extra ``docx``) writes the document; it has no API for
content controls, so they are built from their WordprocessingML elements here.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from engine.reports.audit import (
    ACTION_ROWS,
    GRADES,
    JUDGEMENT_LABELS,
    JUDGEMENT_RULES,
    JUDGEMENTS,
    SUMMARISED,
    AuditReport,
    StandardBlock,
    citation,
    header_rows,
    met_item,
    met_runs,
    n_of_m,
    result_text,
    what,
)

AGREE = ("agreed", "not agreed")
PLACEHOLDER = "Click or tap to enter"


def _set(el: Any, name: str, **attrs: str) -> Any:
    child = OxmlElement(name)
    for key, value in attrs.items():
        child.set(qn(f"w:{key}"), value)
    el.append(child)
    return child


def content_control(paragraph: Any, tag: str, alias: str, *, kind: str = "text",
                    items: Iterable[str] = (), multiline: bool = False) -> Any:
    """Append an inline content control to ``paragraph``: ``kind`` is ``text``, ``dropdown``
    or ``date``. It shows a placeholder until filled."""
    sdt = OxmlElement("w:sdt")
    pr = _set(sdt, "w:sdtPr")
    _set(pr, "w:alias", val=alias)
    _set(pr, "w:tag", val=tag)
    _set(pr, "w:showingPlcHdr")
    if kind == "dropdown":
        dd = _set(pr, "w:dropDownList")
        for item in items:
            _set(dd, "w:listItem", displayText=item, value=item)
        prompt = f"Choose: {' / '.join(items)}"
    elif kind == "date":
        d = _set(pr, "w:date")
        _set(d, "w:dateFormat", val="yyyy-MM-dd")
        _set(d, "w:lid", val="en-GB")
        prompt = "Choose a date"
    else:
        _set(pr, "w:text", **({"multiLine": "1"} if multiline else {}))
        prompt = PLACEHOLDER
    content = _set(sdt, "w:sdtContent")
    run = _set(content, "w:r")
    rpr = _set(run, "w:rPr")
    _set(rpr, "w:color", val="595959")
    t = _set(run, "w:t")
    t.text = prompt
    paragraph._p.append(sdt)
    return sdt


def _controls(doc: Any) -> Iterable[tuple[str, Any]]:
    for sdt in doc.element.body.iter(qn("w:sdt")):
        tag = sdt.find(f"{qn('w:sdtPr')}/{qn('w:tag')}")
        if tag is not None:
            yield tag.get(qn("w:val")), sdt


def _open(source: Path | bytes | Any) -> Any:
    if isinstance(source, bytes):
        return Document(io.BytesIO(source))
    if isinstance(source, (str, Path)):
        return Document(str(source))
    return source


def read_fields(source: Path | bytes | Any) -> dict[str, str]:
    """Every content control's value by tag ("" where it still shows its placeholder)."""
    doc = _open(source)
    out: dict[str, str] = {}
    for tag, sdt in _controls(doc):
        pr = sdt.find(qn("w:sdtPr"))
        if pr.find(qn("w:showingPlcHdr")) is not None:
            out[tag] = ""
            continue
        content = sdt.find(qn("w:sdtContent"))
        paras = content.findall(f".//{qn('w:p')}") or [content]
        out[tag] = "\n".join(_text(p) for p in paras)
    return out


def _text(el: Any) -> str:
    parts = []
    for node in el.iter(qn("w:t"), qn("w:br"), qn("w:tab")):
        parts.append(node.text or "" if node.tag == qn("w:t") else
                     "\n" if node.tag == qn("w:br") else "\t")
    return "".join(parts)


def fill_fields(source: Path | bytes | Any, values: Mapping[str, str]) -> Any:
    """Set content controls by tag (as Word would when a user fills them in); a drop-down only
    takes one of its items. Returns the python-docx document."""
    doc = _open(source)
    found = dict(_controls(doc))
    for tag, value in values.items():
        if tag not in found:
            raise KeyError(f"no content control tagged {tag!r}")
        sdt = found[tag]
        pr = sdt.find(qn("w:sdtPr"))
        dd = pr.find(qn("w:dropDownList"))
        if dd is not None:
            items = [i.get(qn("w:value")) for i in dd.findall(qn("w:listItem"))]
            if value not in items:
                raise ValueError(f"{tag}: {value!r} is not one of {items}")
        date = pr.find(qn("w:date"))
        if date is not None:
            date.set(qn("w:fullDate"), f"{value}T00:00:00Z")
        placeholder = pr.find(qn("w:showingPlcHdr"))
        if placeholder is not None:
            pr.remove(placeholder)
        content = sdt.find(qn("w:sdtContent"))
        runs = content.findall(qn("w:r"))
        for run in runs[1:]:
            content.remove(run)
        run = runs[0]
        for child in list(run):
            if child.tag != qn("w:rPr"):
                run.remove(child)
        rpr = run.find(qn("w:rPr"))
        if rpr is not None:
            run.remove(rpr)
        for i, line in enumerate(value.split("\n")):
            if i:
                run.append(OxmlElement("w:br"))
            t = OxmlElement("w:t")
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            t.text = line
            run.append(t)
    return doc


# ---------------------------------------------------------------------------------------------
# the document


def _table(doc: Any, header: list[str], rows: list[list[str]], widths: list[int]) -> Any:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
    # repeat the header row on each page
    trpr = table.rows[0]._tr.get_or_add_trPr()
    _set(trpr, "w:tblHeader")
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = Mm(w)
            for p in cell.paragraphs:
                for r in p.runs:
                    r.font.size = Pt(8)
    return table


def _evidence_rows(block: StandardBlock, labels: Mapping[str, str]) -> list[list[str]]:
    rows = []
    for kind, group in met_runs(block.findings):
        f = group[0]
        if kind == "met":
            rows.append([f"{labels.get(f.rule) or f.title}: {len(group)} met in time", "", "",
                         "; ".join(met_item(x) for x in group), "met in time"])
            continue
        done = ("none" if f.done_id is None and f.done_date is None else
                f"{f.done_id or ''} {f.done_date.isoformat() if f.done_date else ''}".strip())
        rows.append([what(f, labels), f"{f.anchor_id} {f.anchor_date.isoformat()}",
                     f.due.isoformat() if f.due else "none", done, result_text(f)])
    return rows


def render_docx(report: AuditReport) -> bytes:
    """The compliance section as the bytes of a ``.docx`` file."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(9.5)

    doc.add_heading("Case audit: compliance with standards", level=1)
    _table(doc, ["", ""], [[k, v] for k, v in header_rows(report)], [35, 145])
    doc.add_paragraph().add_run(f"To be checked by the auditor. {report.notice}").italic = True

    doc.add_heading("Summary", level=2)
    blocks = report.blocks
    doc.add_paragraph(f"{len(blocks)} standard(s) of this profile apply to this case; "
                      f"{len(report.not_applicable)} do not.")
    if blocks:
        table = _table(doc, ["Standard", "Kind", "Met in time", "Late", "Outstanding",
                             "Historic", "Judgement", "Auditor"],
                       [[b.standard.title, "statutory" if b.statutory else "local",
                         n_of_m(b.tally), str(b.tally.late), str(b.tally.outstanding),
                         str(b.tally.historic), b.judgement_label, ""] for b in blocks],
                       [60, 16, 16, 10, 18, 14, 26, 20])
        for row, b in zip(table.rows[1:], blocks, strict=True):
            content_control(row.cells[7].paragraphs[0], f"agree-{b.standard.id}",
                            f"Auditor on {b.standard.id}", kind="dropdown", items=AGREE)
    if report.not_applicable:
        doc.add_paragraph("Not applicable to this case: "
                          + "; ".join(s.title for s in report.not_applicable) + ".")
    doc.add_paragraph("Key (the first that applies): " + "; ".join(
        f"{JUDGEMENT_LABELS[j]}: {JUDGEMENT_RULES[j]}" for j in JUDGEMENTS) + ".")

    for area in report.areas:
        if not area.blocks:
            continue
        doc.add_heading(area.heading, level=2)
        for block in area.blocks:
            std = block.standard
            doc.add_heading(f"{std.title} - {block.judgement_label}", level=3)
            if block.judgement in SUMMARISED:
                doc.add_paragraph(" ".join(std.summary.split()))
            cited, background = citation(block, report.local)
            kind = "Statutory" if block.statutory else "Local"
            doc.add_paragraph(
                f"{kind}: {cited}." + (f" Background: {'; '.join(background)}."
                                       if background else "")
                + f" Standard {std.id}; rules {', '.join(block.rules)}. Met in time: "
                  f"{n_of_m(block.tally)}.")
            for n in block.not_assessable:
                doc.add_paragraph(f"Not assessable from this source: {n.rule} ({n.source}: "
                                  f"{n.reason})")
            for p in block.problems:
                doc.add_paragraph(f"Could not be evaluated: {p.rule}: {p.message}")
            if block.findings:
                _table(doc, ["What", "Started by", "Due", "Done", "Result"],
                       _evidence_rows(block, report.labels), [45, 30, 22, 45, 38])

    doc.add_heading("Auditor's judgement", level=2)
    p = doc.add_paragraph("Overall grade: ")
    content_control(p, "grade", "Overall grade", kind="dropdown", items=GRADES)
    p = doc.add_paragraph("Comments: ")
    content_control(p, "comments", "Comments", multiline=True)
    table = _table(doc, ["Action", "Owner", "Timescale"], [["", "", ""]] * ACTION_ROWS,
                   [100, 40, 40])
    for i, row in enumerate(table.rows[1:], start=1):
        for col, cell in zip(("action", "owner", "timescale"), row.cells, strict=True):
            content_control(cell.paragraphs[0], f"{col}-{i}", f"{col.capitalize()} {i}")
    p = doc.add_paragraph("Auditor: ")
    content_control(p, "auditor", "Auditor")
    p.add_run("    Date: ")
    content_control(p, "audit-date", "Date", kind="date")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
