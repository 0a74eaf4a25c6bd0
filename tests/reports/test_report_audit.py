"""The auditor's pre-filled compliance section (``casecheck report``), HTML and Markdown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from cli import main
from engine.reports.audit import roll_up
from engine.rules.rulebook import RuleLibrary
from engine.rules.standards import load_standards
from tests.conftest import make_record

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "fixtures" / "cp-neglect.json"
ARGS = ("--as-of", "2024-03-28", "--profile", "practice")
AREA_HEADINGS = ["Assessment", "Child protection", "Looked after", "Missing", "Private fostering",
                 "Care leaving", "Recording and supervision"]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def iter(self, tag: str | None = None, **attrs: str):  # type: ignore[no-untyped-def]
        for c in self.children:
            if isinstance(c, Node):
                if (tag is None or c.tag == tag) and all(
                        (c.attrs.get(k.rstrip("_")) or "").split().count(v) if k == "class_"
                        else c.attrs.get(k) == v for k, v in attrs.items()):
                    yield c
                yield from c.iter(tag, **attrs)

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = next(self.iter(tag, **attrs), None)
        assert found is not None, f"no <{tag} {attrs}>"
        return found


class TreeBuilder(HTMLParser):
    """A small tree of the document, plus every start tag and declaration seen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.starts: list[tuple[str, dict[str, str]]] = []
        self.decls: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.decls.append(decl)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.starts.append((tag, node.attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        assert tag not in VOID, f"</{tag}>"
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(text: str) -> TreeBuilder:
    builder = TreeBuilder()
    builder.feed(text)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder


@pytest.fixture(scope="module")
def html_doc() -> TreeBuilder:
    result = CliRunner().invoke(main, ["report", str(EXAMPLE), *ARGS, "--format", "html"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return parse(result.stdout)


@pytest.fixture(scope="module")
def markdown_doc() -> str:
    result = CliRunner().invoke(main, ["report", str(EXAMPLE), *ARGS, "--format", "markdown"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def expected() -> dict[str, set[str]]:
    """Which standards apply, from the findings contract and the catalogue (not the report)."""
    result = CliRunner().invoke(main, ["check", str(EXAMPLE), *ARGS, "--format", "json"],
                                catch_exceptions=False)
    findings = orjson.loads(result.stdout)["findings"]
    listed = CliRunner().invoke(main, ["rules", "list", "--profile", "practice", "--format",
                                       "json"], catch_exceptions=False)
    catalogue = load_standards()

    def owner(rid: str) -> str:
        std = catalogue.standard_for(rid)
        assert std is not None, rid
        return std.id

    in_profile = {owner(r["id"]) for r in orjson.loads(listed.stdout)}
    applicable = {owner(f["rule"]) for f in findings}
    return {"applicable": applicable, "not_applicable": in_profile - applicable}


def test_html_is_one_self_contained_document(html_doc: TreeBuilder) -> None:
    from engine.reports.audit import SCRIPT

    tags = [t for t, _ in html_doc.starts]
    assert [d.lower() for d in html_doc.decls] == ["doctype html"]
    for tag in ("html", "head", "body", "title", "style", "main", "script"):
        assert tags.count(tag) == 1, tag
    assert html_doc.root.find("script").text() == " ".join(SCRIPT.split())  # only our own
    for tag in ("link", "img", "iframe", "object", "embed", "base", "font"):
        assert tag not in tags, tag
    for tag, attrs in html_doc.starts:
        for key in ("src", "href", "srcset", "action", "data"):
            value = attrs.get(key)
            if value is not None:
                assert key == "href" and value.startswith("#"), (tag, key, value)
    style = html_doc.root.find("style").text()
    assert "@import" not in style and "url(" not in style and "@font-face" not in style
    assert "@page" in style and "A4" in style
    # every table header says what it heads; headings never skip a level
    for tag, attrs in html_doc.starts:
        if tag == "th":
            assert attrs.get("scope") in ("col", "row"), attrs
    levels = [int(t[1]) for t, _ in html_doc.starts if re.fullmatch(r"h[1-6]", t)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in pairwise(levels))


def _header(doc: TreeBuilder) -> dict[str, str]:
    table = doc.root.find("table", class_="meta")
    return {tr.find("th").text(): tr.find("td").text() for tr in table.iter("tr")}


def test_header_names_case_child_allocation_episodes_and_profile(html_doc: TreeBuilder) -> None:
    rows = _header(html_doc)
    assert rows["Case"] == "EX-0001"
    assert rows["Child"] == "CH-0001, aged 7"
    assert rows["Team"] == "Assessment East"
    assert rows["Worker"] == "SW-104" and rows["Manager"] == "TM-12"
    assert rows["Legal status"] == "(not looked after)"
    assert rows["Open"] == "child protection plan cp-1 from 2024-03-14"
    assert rows["Closed"] == "child in need plan cin-1 2024-01-22 to 2024-03-14"
    assert rows["As of"] == "2024-03-28"
    assert rows["Profile"].startswith("practice")
    assert rows["Local standards"].startswith("casecheck practice pack")
    assert "casecheck" in rows["Generated"]
    notice = html_doc.root.find("p", class_="notice").text()
    assert "pre-filled by casecheck" in notice.lower()
    assert "auditor must check" in notice


def test_area_headings_in_order(html_doc: TreeBuilder) -> None:
    areas = [s.find("h2").text() for s in html_doc.root.iter("section", class_="area")]
    assert areas == [a for a in AREA_HEADINGS if a in areas]  # only areas that apply
    assert areas == ["Assessment", "Child protection", "Recording and supervision"]
    headings = [h.text() for h in html_doc.root.iter("h2")]
    assert headings[0] == "Summary" and headings[-1] == "Auditor's judgement"


def test_summary_counts_n_of_m_late_outstanding_and_historic(html_doc: TreeBuilder) -> None:
    table = html_doc.root.find("table", class_="summary-table")
    rows = {tr.attrs["data-standard"]: [td.text() for td in tr.iter("td")]
            for tr in table.iter("tr") if "data-standard" in tr.attrs}
    # kind, met in time, late, outstanding, historic, judgement, auditor
    assert rows["STD-ICPC-15WD"][:6] == ["statutory", "0 of 1", "1", "0", "0",
                                         "met with some delay"]
    # the CIN plan closed on 2024-03-14 with a visit never made: historic, not outstanding
    assert rows["STD-CIN-VISIT"][:6] == ["local", "0 of 1", "0", "0", "1", "not met - historic"]
    assert rows["STD-GENOGRAM"][3:6] == ["1", "0", "not met - outstanding now"]
    key = html_doc.root.find("p", class_="key").text()
    for words in ("met throughout", "met with some delay", "not met - outstanding now",
                  "not met - historic"):
        assert words in key


def test_icpc_standard_with_source_and_late_evidence(html_doc: TreeBuilder) -> None:
    std = load_standards().get("STD-ICPC-15WD")
    assert std is not None
    cp = next(s for s in html_doc.root.iter("section", class_="area")
              if s.find("h2").text() == "Child protection")
    block = cp.find("article", **{"data-standard": "STD-ICPC-15WD"})
    assert block.find("span", class_="std-title").text() == std.title
    assert block.find("p", class_="overall").text() == "met with some delay"
    cite = block.find("p", class_="cite").text()
    assert cite.startswith("Statutory: Working Together to Safeguard Children 2023, chapter 3")
    assert cite.count("ENG-ICPC-15WD") == 1 and "STD-ICPC-15WD" in cite
    row = block.find("tr", **{"data-rule": "ENG-ICPC-15WD"})
    cells = {td.attrs["class"]: td.text() for td in row.iter("td")}
    assert cells == {"what": "ICPC", "anchor": "sd-1 2024-02-21", "due": "2024-03-13",
                     "done": "icpc-1 2024-03-14", "result": "late by 1 working day"}


def test_evidence_uses_plain_labels(run) -> None:  # type: ignore[no-untyped-def]
    out = run("report", str(ROOT / "fixtures" / "looked-after.json"), "--as-of", "2024-06-30",
              "--profile", "practice").stdout
    doc = parse(out)
    block = doc.root.find("article", **{"data-standard": "STD-CLA-REVIEW"})
    whats = [td.text() for td in block.iter("td", class_="what")]
    assert "2nd looked-after review" in whats
    assert "occurrence" not in out
    assert block.find("p", class_="cite").text().count("ENG-CLA-REVIEW") == 1


def test_form_controls_for_the_judgement(html_doc: TreeBuilder,
                                         expected: dict[str, set[str]]) -> None:
    from engine.reports.audit import GRADES

    grade = html_doc.root.find("select", id="grade")
    assert [o.text() for o in grade.iter("option")][1:] == list(GRADES)
    assert html_doc.root.find("textarea", id="comments")
    for name in ("action-1", "owner-1", "timescale-1", "auditor", "audit-date"):
        html_doc.root.find("input", id=name)
    labelled = {lab.attrs["for"] for lab in html_doc.root.iter("label")}
    for tag, attrs in html_doc.starts:
        if tag in ("select", "textarea", "input"):
            assert attrs["id"] in labelled or attrs.get("aria-label"), attrs
            html_doc.root.find("span", id=attrs["id"] + "-pv")  # its print twin
    agree = {s.attrs["id"] for s in html_doc.root.iter("select") if s.attrs["id"] != "grade"}
    assert agree == {f"agree-{sid}" for sid in expected["applicable"]}


def test_standards_that_do_not_apply_are_listed(html_doc: TreeBuilder,
                                                expected: dict[str, set[str]]) -> None:
    para = html_doc.root.find("p", id="not-applicable")
    listed = {s.attrs["data-standard"] for s in para.iter("span")}
    assert listed == expected["not_applicable"]
    pf = load_standards().get("STD-PF-DBS")
    assert pf is not None and pf.title in para.text()
    articles = {a.attrs["data-standard"] for a in html_doc.root.iter("article")}
    assert not articles & listed


def test_no_maintainer_notes_in_any_report(run) -> None:  # type: ignore[no-untyped-def]
    notes = [" ".join(s.notes.split())[:60] for s in load_standards() if s.notes]
    for fixture in sorted((ROOT / "fixtures").glob("*.json")):
        for fmt in ("html", "markdown"):
            out = " ".join(run("report", str(fixture), "--as-of", "2024-06-30", "--profile",
                               "practice", "--format", fmt).stdout.split())
            for note in notes:
                assert note not in out, (fixture.name, note)
            assert "project's default" not in out and "rule file" not in out


def test_local_standards_cite_the_authoritys_own_profile(run) -> None:  # type: ignore[no-untyped-def]
    out = run("report", str(EXAMPLE), "--as-of", "2024-03-28", "--profile", "reading").stdout
    doc = parse(out)
    assert _header(doc)["Local standards"].startswith("Good Practice Standards for Children")
    for block in doc.root.iter("article", **{"data-kind": "local"}):
        cite = block.find("p", class_="cite").text()
        assert "Reading Borough Council" in cite, cite
        for other in ("Bradford", "Wokingham", "City of London", "Surrey"):
            assert other not in cite, cite
    practice = parse(run("report", str(EXAMPLE), *ARGS).stdout)
    block = practice.root.find("article", **{"data-standard": "STD-GENOGRAM"})
    cite = block.find("p", class_="cite").text()
    assert cite.startswith("Local: casecheck practice pack.") and "Background: Reading" in cite


def test_markdown_has_the_same_standards(markdown_doc: str,
                                         expected: dict[str, set[str]]) -> None:
    headings = re.findall(r"^## (.+)$", markdown_doc, re.M)
    assert headings == ["Summary", "Assessment", "Child protection", "Recording and supervision",
                        "Standards not applicable to this case", "Auditor's judgement"]
    ids = re.findall(r"^### .+ \((STD-[A-Z0-9-]+)\)$", markdown_doc, re.M)
    assert set(ids) == expected["applicable"] and len(ids) == len(set(ids))
    assert markdown_doc.count("Auditor: agreed / not agreed: ____") == len(ids)
    assert "Grade (Outstanding / Good / Requires improvement / Inadequate)" in markdown_doc
    assert "| Action | Owner | Timescale |" in markdown_doc
    icpc = markdown_doc.split("(STD-ICPC-15WD)\n", 1)[1].split("\n### ", 1)[0]
    assert "**Judgement: met with some delay**" in icpc
    assert ("| ICPC | sd-1 (2024-02-21) | 2024-03-13 | icpc-1 (2024-03-14) "
            "| late by 1 working day |") in icpc
    assert "Working Together to Safeguard Children 2023" in icpc


def test_values_are_escaped(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case_id = '<script>alert("x")</script>'
    record = make_record(
        case_id=case_id, allocation={"team": "</style><b>Team</b>"},
        events=[{"id": 'ref"><i>1', "type": "referral", "date": "2024-01-08",
                 "decision_date": "2024-01-09"}])
    path = tmp_path / "evil.json"
    path.write_bytes(orjson.dumps(record))

    html_out = run("report", str(path), *ARGS)
    assert html_out.exit_code == 0, html_out.output
    doc = parse(html_out.stdout)
    tags = [t for t, _ in doc.starts]
    assert tags.count("script") == 1 and "b" not in tags and "i" not in tags
    assert tags.count("style") == 1
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html_out.stdout
    rows = _header(doc)
    assert rows["Case"] == case_id
    assert rows["Team"] == "</style><b>Team</b>"
    block = doc.root.find("article", **{"data-standard": "STD-REFERRAL-DECISION-1WD"})
    assert 'ref"><i>1 2024-01-09' in block.find("span", class_="evidence").text()

    md_out = run("report", str(path), *ARGS, "--format", "markdown")
    assert md_out.exit_code == 0, md_out.output
    assert "<script>" not in md_out.stdout and "<b>" not in md_out.stdout
    assert "<i>" not in md_out.stdout
    assert '\\<script\\>alert("x")\\</script\\>' in md_out.stdout


def test_out_writes_the_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "audit.html"
    result = run("report", str(EXAMPLE), *ARGS, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "STD-ICPC-15WD" in text
    md = tmp_path / "audit.md"
    result = run("report", str(EXAMPLE), *ARGS, "--format", "markdown", "--out", str(md))
    assert result.exit_code == 0, result.output
    assert md.read_text(encoding="utf-8").startswith("# Case audit")


def test_an_invalid_record_is_one_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.json"
    path.write_bytes(orjson.dumps({"format": "casecheck/case-record@1", "case_id": "B-1"}))
    out = tmp_path / "bad.html"
    result = run("report", str(path), *ARGS, "--out", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("casecheck: ") and "/child" in lines[0]
    assert not out.exists()
    missing = run("report", str(tmp_path / "nope.json"), *ARGS)
    assert missing.exit_code != 0 and len(missing.stderr.strip().splitlines()) == 1


def test_no_report_when_nothing_could_be_evaluated(run) -> None:  # type: ignore[no-untyped-def]
    # an as-of date beyond the bank-holiday calendar: no rule ran, so no standard can be
    # reported as "not applicable"
    result = run("report", str(EXAMPLE), "--as-of", "2099-01-01", "--profile", "practice")
    assert result.exit_code == 2  # the as-of itself is unusable: a command error
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "calendar" in result.stderr


@pytest.mark.parametrize(("statuses", "overall"), [
    (["met"], "met"),
    (["met", "met"], "met"),
    (["met", "pending"], "in_progress"),
    (["due_soon"], "in_progress"),
    (["met", "insufficient_data", "pending"], "cannot_decide"),
    (["met", "late"], "not_met"),
    (["overdue", "insufficient_data"], "not_met"),
    (["not_met", "pending"], "not_met"),
])
def test_roll_up(statuses: list[str], overall: str) -> None:
    assert roll_up(statuses) == overall


def test_roll_up_with_a_rule_that_could_not_be_evaluated() -> None:
    assert roll_up(["met"], undecidable=True) == "cannot_decide"
    assert roll_up(["late"], undecidable=True) == "not_met"


def test_an_unevaluated_rule_leaves_its_standard_undecided(library: RuleLibrary) -> None:
    from datetime import date

    from engine.evaluate.compile import build_ruleset
    from engine.evaluate.findings import CaseResult
    from engine.records.problems import Problem
    from engine.reports.audit import build_report, render_html, render_markdown
    from engine.rules.profiles import load_profile

    ruleset = build_ruleset(load_profile("practice"), library)
    result = CaseResult("C-1", date(2024, 3, 28), "practice", evaluated=True, errors=[
        Problem("dates outside the calendar <x>", rule="PRC-PF-DBS")])
    report = build_report(result, load_standards(), ruleset.meta, child_id="c1")
    [block] = report.blocks
    assert block.standard.id == "STD-PF-DBS" and block.status == "cannot_decide"
    assert "STD-PF-DBS" not in {s.id for s in report.not_applicable}
    html_text = render_html(report)
    assert "dates outside the calendar &lt;x&gt;" in html_text
    assert block.judgement == "cannot_decide"
    assert "**Judgement: cannot decide**" in render_markdown(report)
