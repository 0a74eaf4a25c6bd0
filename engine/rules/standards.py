"""The standards catalogue: what each rule enforces, in plain English, and where it comes from.

One YAML file per standard in ``standards/`` (``standards/STD-ICPC-15WD.yaml``).  A standard
names the rules that implement it; every rule belongs to exactly one standard.  Loading is strict
in the same way as rule files: unknown keys are errors with a did-you-mean, and every problem is
collected as ``file:line: where: message`` so that one broken file never hides the others.

``StandardsCatalogue.check_against(library)`` cross-checks the catalogue with the rule library:
a rule with no standard, a rule claimed by two standards, a standard naming a rule that does not
exist, and a rule whose own ``standard:`` key disagrees with the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from engine.rules.rulebook import PROJECT_ROOT, RuleLibrary, format_validation_error
from engine.rules.schema import RULE_ID_RE, Strict, did_you_mean
from engine.rules.yamlsource import YamlDocument, YamlFileError, load_yaml

STANDARDS_DIR = PROJECT_ROOT / "standards"
STANDARD_ID_RE = re.compile(r"^STD(-[A-Z0-9]+)+$")
AREAS = (
    "assessment",
    "child_protection",
    "looked_after",
    "missing",
    "private_fostering",
    "care_leaving",
    "recording_and_supervision",
)
_EFFECTIVE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _check_effective(value: Any) -> str:
    """A date as precise as the source gives it: ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    m = _EFFECTIVE_RE.match(text) if isinstance(text, str) else None
    if m is None:
        raise PydanticCustomError(
            "bad_date", "'{value}' is not a date YYYY-MM-DD (or YYYY-MM, or YYYY)",
            {"value": str(value)},
        )
    year, month, day = m.group(1), m.group(2), m.group(3)
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise PydanticCustomError(
            "bad_date", "'{value}' is not a real date", {"value": str(value)}
        ) from None
    return text


class SourceRef(Strict):
    """One document a standard comes from."""

    document: str = Field(min_length=3)
    publisher: str = Field(min_length=2)
    section: str = Field(min_length=1)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    effective: str

    @field_validator("effective", mode="before")
    @classmethod
    def _effective(cls, v: Any) -> str:
        return _check_effective(v)

    @property
    def precision(self) -> Literal["day", "month", "year"]:
        parts = self.effective.count("-")
        if parts == 2:
            return "day"
        return "month" if parts == 1 else "year"


class Standard(Strict):
    id: str = Field(pattern=STANDARD_ID_RE.pattern)
    title: str = Field(min_length=5)
    area: str
    summary: str = Field(min_length=40)
    rules: list[str] = Field(min_length=1)
    sources: list[SourceRef] = Field(min_length=1)
    # for maintainers only (how a source was read, project defaults, citation caveats): shown in
    # docs/rules/, never in a report; ``summary`` is what an auditor reads
    notes: str | None = Field(default=None, min_length=10)

    @field_validator("area")
    @classmethod
    def _area(cls, v: str) -> str:
        if v not in AREAS:
            raise PydanticCustomError(
                "unknown_area", "unknown area '{area}'{hint}; expected one of: {known}",
                {"area": v, "hint": did_you_mean(v, set(AREAS)), "known": ", ".join(AREAS)},
            )
        return v

    @field_validator("rules")
    @classmethod
    def _rule_ids(cls, v: list[str]) -> list[str]:
        seen: set[str] = set()
        for rid in v:
            if not RULE_ID_RE.match(rid):
                raise PydanticCustomError(
                    "bad_rule_id", "'{rid}' is not a rule id like ENG-ICPC-15WD", {"rid": str(rid)}
                )
            if rid in seen:
                raise PydanticCustomError(
                    "duplicate_rule", "rule '{rid}' is listed twice", {"rid": rid}
                )
            seen.add(rid)
        return v


@dataclass
class LoadedStandard:
    standard: Standard
    path: Path
    doc: YamlDocument

    @property
    def id(self) -> str:
        return self.standard.id

    def where(self, *path: str | int) -> str:
        return self.doc.where(path)


@dataclass
class StandardsCatalogue:
    standards: dict[str, LoadedStandard] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.standards)

    def __iter__(self) -> Iterator[Standard]:
        return iter(s.standard for s in self.standards.values())

    def get(self, standard_id: str) -> Standard | None:
        loaded = self.standards.get(standard_id)
        return loaded.standard if loaded else None

    def standards_for(self, rule_id: str) -> list[Standard]:
        """Every standard that names ``rule_id`` (one, if the catalogue is sound)."""
        return [s.standard for s in self.standards.values() if rule_id in s.standard.rules]

    def standard_for(self, rule_id: str) -> Standard | None:
        """The standard a rule implements, or ``None``; the first by id if two claim it."""
        found = self.standards_for(rule_id)
        return found[0] if found else None

    @property
    def rule_ids(self) -> set[str]:
        return {rid for s in self.standards.values() for rid in s.standard.rules}

    def check_against(self, library: RuleLibrary) -> list[str]:
        """Problems between the catalogue and the rules, as ``file:line: where: message``."""
        problems: list[str] = []
        claimed: dict[str, tuple[LoadedStandard, int]] = {}
        for loaded in self.standards.values():
            for i, rid in enumerate(loaded.standard.rules):
                where = f"{loaded.where('rules', i)}: rules.{i}"
                if rid not in library.rules:
                    problems.append(f"{where}: unknown rule {rid!r}"
                                    f"{did_you_mean(rid, set(library.rules))}")
                    continue
                if rid in claimed:
                    first, j = claimed[rid]
                    problems.append(f"{where}: rule {rid!r} is also in {first.id} "
                                    f"({first.where('rules', j)}); a rule belongs to one standard")
                    continue
                claimed[rid] = (loaded, i)
        for rid in sorted(library.rules):
            rule = library.rules[rid]
            if rid not in claimed:
                problems.append(f"{rule.where('id')}: id: rule {rid!r} has no standard "
                                f"in the catalogue")
                continue
            declared = rule.rule.standard
            owner = claimed[rid][0].id
            if declared is not None and declared != owner:
                problems.append(f"{rule.where('standard')}: standard: rule {rid!r} says "
                                f"{declared!r} but the catalogue puts it in {owner!r}"
                                f"{did_you_mean(declared, set(self.standards))}")
        return problems


def load_standards(dir: Path = STANDARDS_DIR) -> StandardsCatalogue:
    """Every ``<dir>/*.yaml`` standard, validated; problems are collected, not raised."""
    catalogue = StandardsCatalogue()
    for path in sorted(Path(dir).glob("*.yaml")):
        try:
            doc = load_yaml(path)
        except YamlFileError as exc:
            catalogue.errors.append(str(exc))
            continue
        if not isinstance(doc.data, dict):
            catalogue.errors.append(f"{doc.where(())}: (top): a standard must be a mapping of keys")
            continue
        try:
            standard = Standard.model_validate(doc.data)
        except ValidationError as exc:
            catalogue.errors.extend(format_validation_error(doc, exc))
            continue
        if standard.id != path.stem:
            catalogue.errors.append(f"{doc.where(('id',))}: id: {standard.id!r} must match the "
                                    f"file name {path.stem!r}")
            continue
        if standard.id in catalogue.standards:  # only reachable with case-insensitive names
            other = catalogue.standards[standard.id].path
            catalogue.errors.append(f"{doc.where(('id',))}: id: {standard.id!r} also used by "
                                    f"{other}")
            continue
        catalogue.standards[standard.id] = LoadedStandard(standard, path, doc)
    return catalogue
