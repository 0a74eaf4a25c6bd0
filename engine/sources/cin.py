"""CIN census XML → case records.

The census return (``Message`` > ``Children`` > ``Child``) holds, per child,
``ChildIdentifiers``, ``ChildCharacteristics`` and one ``CINdetails`` per referral with its
``Assessments``, ``CINPlanDates``, ``Section47`` enquiries and ``ChildProtectionPlans`` (with
review dates).  Sub-records carry no ids, so ids are made from the kind and date
(``s47-2024-01-08``), stable between imports.  Inferences, documented in docs/sources/cin.md:
an S47 start is also a strategy discussion that started the enquiry (``s47: true``, same
date) - the census does not record strategy discussions themselves; ``ICPCnotRequired``
gives the enquiry the outcome ``no_icpc``; a recorded ICPC date gives ``icpc`` and an
``icpc`` event bound to the discussion.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from .casefile import CaseBuilder, Supplies
from .dates import BadValue, parse_date
from .report import ImportReport, SourceError, shape
from .xmlfiles import MAX_XML_BYTES, children, leaf_text, local, parse_xml

SOURCE = "cin"

SUPPLIES: Supplies = {
    "child": frozenset({"id", "date_of_birth", "expected_date_of_birth", "date_of_death",
                        "sex", "ethnicity", "disability"}),
    "episodes": {
        "cin_episode": frozenset(),
        "cin_plan": frozenset(),
        "cp_plan": frozenset({"category"}),
    },
    "events": {
        "referral": frozenset(),
        "assessment": frozenset({"completed"}),
        "strategy_discussion": frozenset({"s47"}),
        "s47_enquiry": frozenset({"outcome"}),
        # the census records initial conferences only (DateOfInitialCPC): none of its
        # conferences is a transfer-in, so a missing transfer_in is a true "no"
        "icpc": frozenset({"transfer_in"}),
        "rcpc": frozenset(),
    },
}

SEX = {"1": "M", "2": "F"}
CATEGORY = {"NEG": "neglect", "PHY": "physical", "EMO": "emotional", "SAB": "sexual",
            "MUL": "multiple"}
YES = frozenset({"true", "1"})

INFER_SD = "strategy discussion inferred from an S47 start"


class _Bad(Exception):
    """A sub-record that cannot be used; carries the reason (shape only)."""


def _date(element: Element, name: str, report: ImportReport, *, required: bool) -> str | None:
    raw = leaf_text(element, name)
    try:
        value = parse_date(raw, report.normalised)
    except BadValue as exc:
        raise _Bad(f"{name}: {exc}") from None
    if value is None and required:
        raise _Bad(f"{name} is {shape(raw)}")
    return value


def read_cin(path: Path, report: ImportReport, *, extracted: str | None = None,
             max_xml_bytes: int = MAX_XML_BYTES) -> Iterator[dict[str, Any]]:
    """Case records from one census XML file, one per ``Child``, in file order.

    The file is parsed (and refused if unsafe or malformed) before the first record."""
    root = parse_xml(path, max_xml_bytes)
    if local(root.tag) != "Message":
        raise SourceError(f"{path.name}: root element is not Message (a CIN census return)")
    file = path.name
    report.touch(file)
    if extracted is None:
        for header in children(root, "Header"):
            for source in children(header, "Source"):
                stamp = leaf_text(source, "DateTime")[:10]
                extracted = stamp if len(stamp) == 10 and stamp[4] == "-" else None
    kids: list[Element] = [c for block in children(root, "Children")
                           for c in children(block, "Child")]
    return _records(kids, file, report, extracted)


def _records(kids: list[Element], file: str, report: ImportReport, extracted: str | None
             ) -> Iterator[dict[str, Any]]:
    first: dict[str, str] = {}
    for i, child in enumerate(kids, 1):
        where = f"Child[{i}]"
        report.read(file)
        ids = children(child, "ChildIdentifiers")
        child_id = leaf_text(ids[0], "LAchildID") if ids else ""
        reason = None
        if not child_id:
            reason = "LAchildID is blank or missing"
        elif child_id in first:
            reason = f"a second Child with the same LAchildID (first at {first[child_id]})"
        if reason:
            report.reject(file, where, reason)
            _reject_parts(child, file, where, report)
            continue
        first[child_id] = where
        report.children += 1
        b = CaseBuilder(f"{SOURCE}:{child_id}", child_id)
        _identity(b, ids[0], child, file, where, report)
        report.used(file)
        for j, details in enumerate(children(child, "CINdetails"), 1):
            _details(b, details, file, f"{where}/CINdetails[{j}]", report)
        report.records += 1
        yield b.record(SOURCE, SUPPLIES, extracted)


_PARTS = ("Assessments", "CINPlanDates", "Section47", "ChildProtectionPlans")


def _reject_parts(child: Element, file: str, where: str, report: ImportReport) -> None:
    """Sub-records of a rejected Child are rejected too, each with its own location."""
    for j, details in enumerate(children(child, "CINdetails"), 1):
        here = f"{where}/CINdetails[{j}]"
        for at in _part_paths(details, here):
            report.read(file)
            report.reject(file, at, "belongs to a rejected Child")


def _part_paths(details: Element, here: str) -> list[str]:
    paths = [here]
    for part in _PARTS:
        for k, item in enumerate(children(details, part), 1):
            paths.append(f"{here}/{part}[{k}]")
            if part == "ChildProtectionPlans":
                for reviews in children(item, "Reviews"):
                    paths += [f"{here}/{part}[{k}]/Reviews/CPPreviewDate[{n}]"
                              for n, _ in enumerate(children(reviews, "CPPreviewDate"), 1)]
    return paths


def _identity(b: CaseBuilder, ids: Element, child: Element, file: str, where: str,
              report: ImportReport) -> None:
    for name, key in (("PersonBirthDate", "date_of_birth"),
                      ("ExpectedPersonBirthDate", "expected_date_of_birth"),
                      ("PersonDeathDate", "date_of_death")):
        try:
            value = _date(ids, name, report, required=False)
        except _Bad as exc:
            report.warn(file, f"{where}/ChildIdentifiers", f"dropped: {exc}")
            value = None
        if value is not None or key == "date_of_birth":
            b.child[key] = value
    sex = leaf_text(ids, "GenderCurrent") or leaf_text(ids, "Sex")
    b.child["sex"] = SEX.get(sex)
    chars = children(child, "ChildCharacteristics")
    b.child["ethnicity"] = (leaf_text(chars[0], "Ethnicity") or None) if chars else None
    codes = [(d.text or "").strip().upper() for c in chars for block in
             children(c, "Disabilities") for d in children(block, "Disability")]
    if codes:
        b.child["disability"] = any(code and code != "NONE" for code in codes)


def _details(b: CaseBuilder, details: Element, file: str, here: str,
             report: ImportReport) -> None:
    """One referral: the CIN episode and everything recorded within it."""
    report.read(file)
    try:
        referred = _date(details, "CINreferralDate", report, required=True)
        closed = _date(details, "CINclosureDate", report, required=False)
        icpc_date = _date(details, "DateOfInitialCPC", report, required=False)
    except _Bad as exc:
        report.reject(file, here, str(exc))
        for at in _part_paths(details, here)[1:]:
            report.read(file)
            report.reject(file, at, "belongs to a rejected CINdetails")
        return
    assert referred is not None
    b.episode("cine", referred, "cin_episode", referred, closed)
    referral = b.event("ref", referred, "referral", referred)
    report.used(file)

    def each(part: str, build: Any) -> None:
        for k, item in enumerate(children(details, part), 1):
            at = f"{here}/{part}[{k}]"
            report.read(file)
            try:
                build(item, at)
            except _Bad as exc:
                report.reject(file, at, str(exc))
                continue
            report.used(file)

    def assessment(item: Element, at: str) -> None:
        start = _date(item, "AssessmentActualStartDate", report, required=True)
        done = _date(item, "AssessmentAuthorisationDate", report, required=False)
        assert start is not None
        b.event("asm", start, "assessment", start, completed=done, ref=referral["id"])

    def plan(item: Element, at: str) -> None:
        start = _date(item, "CINPlanStartDate", report, required=True)
        end = _date(item, "CINPlanEndDate", report, required=False)
        assert start is not None
        b.episode("cinp", start, "cin_plan", start, end)

    def section47(item: Element, at: str) -> None:
        start = _date(item, "S47ActualStartDate", report, required=True)
        conference = _date(item, "DateOfInitialCPC", report, required=False)
        assert start is not None
        not_required = leaf_text(item, "ICPCnotRequired").lower() in YES
        outcome = "no_icpc" if not_required else ("icpc" if conference else None)
        sd = b.event("sd", start, "strategy_discussion", start, s47=True)
        report.normalised(INFER_SD)
        b.event("s47", start, "s47_enquiry", start, outcome=outcome)
        if conference and not b.has_id(f"icpc-{conference}"):
            b.event("icpc", conference, "icpc", conference, ref=sd["id"])

    def cp_plan(item: Element, at: str) -> None:
        start = _date(item, "CPPstartDate", report, required=True)
        end = _date(item, "CPPendDate", report, required=False)
        assert start is not None
        code = (leaf_text(item, "LatestCategoryOfAbuse")
                or leaf_text(item, "InitialCategoryOfAbuse")).upper()
        category = CATEGORY.get(code)
        if code and category is None:
            report.warn(file, at, f"category dropped: {shape(code)}, not a census code")
        b.episode("cpp", start, "cp_plan", start, end, category=category)
        for reviews in children(item, "Reviews"):
            for n, review in enumerate(children(reviews, "CPPreviewDate"), 1):
                spot = f"{at}/Reviews/CPPreviewDate[{n}]"
                report.read(file)
                try:
                    when = parse_date(review.text, report.normalised)
                except BadValue as exc:
                    report.reject(file, spot, f"CPPreviewDate: {exc}")
                    continue
                if when is None:
                    report.reject(file, spot, "CPPreviewDate is blank")
                    continue
                b.event("rcpc", when, "rcpc", when)
                report.used(file)

    each("Assessments", assessment)
    each("CINPlanDates", plan)
    each("Section47", section47)
    if icpc_date and not b.has_id(f"icpc-{icpc_date}"):
        b.event("icpc", icpc_date, "icpc", icpc_date)
    each("ChildProtectionPlans", cp_plan)
