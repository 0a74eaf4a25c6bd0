"""Case records → a CIN census XML return, the inverse of ``cin.read_cin`` for what the census
can hold.

Each referral becomes a ``CINdetails``, holding the assessments that name it (``ref``) or
follow it, and the child in need plans, section 47 enquiries and child protection plans (with
their review conference dates) that start after it and before the next referral.  The census
has no ids, no times of day, no strategy discussions (the reader infers one at each S47 start)
and no transfer-in conferences.  Children with no referral, assessment or plan are not in the
census and are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from .writing import by_type, day, involvement_end

SEX = {"M": "1", "F": "2"}
CATEGORY = {"neglect": "NEG", "physical": "PHY", "emotional": "EMO", "sexual": "SAB",
            "multiple": "MUL"}
PARTS = ("referral", "assessment", "s47_enquiry", "icpc", "rcpc")


def write_cin(records: Iterable[dict[str, Any]], path: Path, extracted: str | None = None
              ) -> int:
    """Write the census XML to ``path``; returns the children written."""
    n = 0
    with path.open("wb") as out:
        out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<Message>\n<Header><Source>'
                  + (f"<DateTime>{extracted}T00:00:00</DateTime>".encode() if extracted
                     else b"") + b"</Source></Header>\n<Children>\n")
        for record in records:
            child = _child(record)
            if child is not None:
                out.write(tostring(child) + b"\n")
                n += 1
        out.write(b"</Children>\n</Message>\n")
    return n


def _leaf(parent: Element, name: str, text: Any) -> None:
    if text:
        SubElement(parent, name).text = str(text)


def _child(record: dict[str, Any]) -> Element | None:
    events = [e for e in record.get("events", ()) if e["type"] in PARTS
              and not e.get("cancelled") and not e.get("transfer_in")]
    plans = by_type(record, "episodes", "cin_plan")
    cpps = by_type(record, "episodes", "cp_plan")
    s47s = [e for e in events if e["type"] == "s47_enquiry"]
    if not (events or plans or cpps):
        return None
    c = record["child"]
    el = Element("Child")
    ids = SubElement(el, "ChildIdentifiers")
    _leaf(ids, "LAchildID", c["id"])
    _leaf(ids, "PersonBirthDate", c.get("date_of_birth"))
    _leaf(ids, "ExpectedPersonBirthDate", c.get("expected_date_of_birth"))
    _leaf(ids, "GenderCurrent", SEX.get(c.get("sex") or ""))
    _leaf(ids, "PersonDeathDate", c.get("date_of_death"))
    chars = SubElement(el, "ChildCharacteristics")
    _leaf(chars, "Ethnicity", c.get("ethnicity"))
    if c.get("disability") is not None:
        SubElement(SubElement(chars, "Disabilities"), "Disability").text = (
            "OTH" if c["disability"] else "NONE")

    referrals = sorted((e for e in events if e["type"] == "referral"), key=lambda e: e["date"])
    starts = [day(r["date"]) for r in referrals]
    items = ([day(e["date"]) for e in events if e["type"] != "referral"]
             + [p["start"] for p in plans + cpps])
    if not starts or min(items, default=starts[0]) < starts[0]:
        starts.insert(0, min(items))  # a referral the record lacks: the earliest item
    closures = {ep["start"]: ep.get("end") for ep in by_type(record, "episodes", "cin_episode")}

    def slot(when: str) -> int:
        return max(i for i, s in enumerate(starts) if s <= when)

    details = [SubElement(el, "CINdetails") for _ in starts]
    for d, start in zip(details, starts, strict=True):
        _leaf(d, "CINreferralDate", start)
        _leaf(d, "CINclosureDate", closures[start] if start in closures
              else involvement_end(list(record.get("episodes", ())), start))
    ref_slot = {r["id"]: slot(day(r["date"])) for r in referrals}
    for e in sorted(events, key=lambda e: str(e["date"])):
        if e["type"] != "assessment":
            continue
        a = SubElement(details[ref_slot.get(e.get("ref") or "", slot(day(e["date"])))],
                       "Assessments")
        _leaf(a, "AssessmentActualStartDate", day(e["date"]))
        _leaf(a, "AssessmentAuthorisationDate", day(e.get("completed")))
    for p in sorted(plans, key=lambda p: p["start"]):
        dates = SubElement(details[slot(p["start"])], "CINPlanDates")
        _leaf(dates, "CINPlanStartDate", p["start"])
        _leaf(dates, "CINPlanEndDate", p.get("end"))
    icpcs = sorted(day(e["date"]) for e in events if e["type"] == "icpc")
    for s in sorted(s47s, key=lambda e: str(e["date"])):
        start = day(s["date"])
        sec = SubElement(details[slot(start)], "Section47")
        _leaf(sec, "S47ActualStartDate", start)
        held = next((d for d in icpcs if d >= start), None)
        if s.get("outcome") == "no_icpc":
            _leaf(sec, "ICPCnotRequired", "true")
        elif held:
            _leaf(sec, "DateOfInitialCPC", held)
            icpcs.remove(held)
    for left in icpcs:  # a conference with no enquiry before it: on its referral
        _leaf(details[slot(left)], "DateOfInitialCPC", left)
    reviews = sorted(day(e["date"]) for e in events if e["type"] == "rcpc")
    for p in sorted(cpps, key=lambda p: p["start"]):
        cpp = SubElement(details[slot(p["start"])], "ChildProtectionPlans")
        _leaf(cpp, "CPPstartDate", p["start"])
        _leaf(cpp, "CPPendDate", p.get("end"))
        _leaf(cpp, "InitialCategoryOfAbuse", CATEGORY.get(p.get("category") or ""))
        mine = [r for r in reviews if r >= p["start"] and (p.get("end") is None
                                                          or r <= p["end"])]
        if mine:
            block = SubElement(cpp, "Reviews")
            for r in mine:
                SubElement(block, "CPPreviewDate").text = r
    # Element order inside CINdetails does not matter to the reader; it reads by name.
    return el
