"""Profiles: what an authority applies (packs, rules on or off, parameters, closure days,
warning window), and the rule set built from one.

A profile is a YAML file; the built-in ones live in ``profiles/``.  ``--profile NAME`` picks a
built-in one, ``--profile path/to/file.yaml`` any other.  A profile may ``extends`` another:
lists are combined and mappings merged, the child winning.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from engine.records.vocabulary import Vocabulary
from engine.rules.rulebook import (
    PROJECT_ROOT,
    RuleError,
    RuleLibrary,
    format_validation_error,
    load_library,
    resolve_params,
)
from engine.rules.schema import Strict, did_you_mean
from engine.rules.yamlsource import YamlDocument, YamlFileError, load_yaml

PROFILES_DIR = PROJECT_ROOT / "profiles"
DEFAULT_REASON_CODES = ("child_declined", "family_request", "moved_by_agency", "data_error",
                        "other")


class ProfileError(ValueError):
    """A profile that cannot be used; the message names the file and line."""


class ProfileSource(Strict):
    """The authority's own document a profile's local standards come from (cited by reports)."""

    document: str = Field(min_length=3)
    publisher: str = Field(min_length=2)
    date: str = Field(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")


class ProfileFile(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    description: str | None = None
    source: ProfileSource | None = None  # not inherited: the authority's own document
    extends: str | None = None
    packs: list[str] = Field(default_factory=list)
    enable: list[str] = Field(default_factory=list)
    disable: list[str] = Field(default_factory=list)
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)
    closure_days: list[str] = Field(default_factory=list)
    warn: int | None = Field(default=None, ge=0, le=60)
    vocabulary: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    # a timeliness target per rule, as a fraction 0-1 (docs/measures.md)
    targets: dict[str, float] = Field(default_factory=dict)
    # the codes staff may record as the reason for a late or missed act
    reason_codes: list[str] | None = None

    @field_validator("targets")
    @classmethod
    def _targets(cls, v: dict[str, float]) -> dict[str, float]:
        for rid, target in v.items():
            if isinstance(target, bool) or not 0 <= target <= 1:
                raise ValueError(f"target for {rid} must be a fraction from 0 to 1, "
                                 f"got {target!r}")
        return v

    @field_validator("reason_codes")
    @classmethod
    def _codes(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("reason_codes must list at least one code")
        for code in v:
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", code):
                raise ValueError(f"reason code {code!r} must be lower-case letters, digits and "
                                 "_ (at most 40)")
        if len(set(v)) != len(v):
            raise ValueError("reason_codes lists a code twice")
        return v

    @field_validator("closure_days")
    @classmethod
    def _dates(cls, v: list[str]) -> list[str]:
        for text in v:
            try:
                date.fromisoformat(str(text))
            except ValueError:
                raise ValueError(f"closure day {text!r} is not a date YYYY-MM-DD") from None
        return v

    @field_validator("vocabulary")
    @classmethod
    def _vocab(cls, v: dict[str, dict[str, list[str]]]) -> Any:
        for key in v:
            if key != "events":
                raise ValueError(f"unknown vocabulary section {key!r}; expected 'events'")
        return v


class Profile:
    """A resolved profile (its ``extends`` chain merged)."""

    def __init__(self, name: str, files: list[tuple[ProfileFile, YamlDocument]]) -> None:
        self.name = name
        self.files = files  # child first
        self.packs: list[str] = []
        self.enable: list[str] = []
        self.disable: list[str] = []
        self.params: dict[str, dict[str, Any]] = {}
        self.closure_days: set[date] = set()
        self.warn = 5
        self.events: dict[str, list[str]] = {}
        self.targets: dict[str, float] = {}
        self.reason_codes: list[str] = list(DEFAULT_REASON_CODES)
        for pf, _ in reversed(files):  # base first, child last
            self.packs += [p for p in pf.packs if p not in self.packs]
            self.enable += pf.enable
            self.disable += pf.disable
            for rule, values in pf.params.items():
                self.params.setdefault(rule, {}).update(values)
            self.closure_days |= {date.fromisoformat(d) for d in pf.closure_days}
            if pf.warn is not None:
                self.warn = pf.warn
            self.targets.update(pf.targets)
            if pf.reason_codes is not None:
                self.reason_codes = list(pf.reason_codes)
            for ev, fields in pf.vocabulary.get("events", {}).items():
                self.events[ev] = sorted(set(self.events.get(ev, [])) | set(fields))
        self.title = files[0][0].title
        self.source = files[0][0].source

    @property
    def vocabulary(self) -> Vocabulary:
        base = Vocabulary.builtin()
        return base.extended(self.events) if self.events else base

    def rule_ids(self, library: RuleLibrary) -> list[str]:
        """The rules this profile applies; unknown ids are errors with file and line."""
        chosen = {r.id for pack in self.packs for r in library.pack(pack)}
        for pf, doc in self.files:
            for key in ("enable", "disable"):
                for i, rid in enumerate(getattr(pf, key)):
                    if rid not in library.rules:
                        raise ProfileError(f"{doc.where((key, i))}: unknown rule {rid!r}"
                                           f"{did_you_mean(rid, set(library.rules))}")
            for key in ("params", "targets"):
                for rid in getattr(pf, key):
                    if rid not in library.rules:
                        raise ProfileError(f"{doc.where((key, rid))}: unknown rule {rid!r}"
                                           f"{did_you_mean(rid, set(library.rules))}")
            for i, pack in enumerate(pf.packs):
                if pack not in library.packs:
                    raise ProfileError(f"{doc.where(('packs', i))}: unknown pack {pack!r}"
                                       f"{did_you_mean(pack, set(library.packs))}")
        chosen |= set(self.enable)
        chosen -= set(self.disable)
        return sorted(chosen)

    def check_params(self, library: RuleLibrary) -> None:
        """Every parameter override, applied or not, is checked where it is written."""
        for pf, doc in self.files:
            for rid, values in pf.params.items():
                loaded = library.rules.get(rid)
                if loaded is None:
                    continue  # reported by rule_ids
                for name, value in values.items():
                    try:
                        resolve_params(loaded, {name: value})
                    except RuleError as exc:
                        raise ProfileError(f"{doc.where(('params', rid, name))}: {exc}") from None


def library_for(profile: Profile) -> RuleLibrary:
    """The rule files a profile needs: its packs, or every pack when it names rules (enables,
    disables or parameters) from elsewhere.  Loading fewer files keeps ``check`` quick."""
    library = load_library(vocabulary=profile.vocabulary, packs=profile.packs)
    named = {rid for pf, _ in profile.files
             for rid in (*pf.enable, *pf.disable, *pf.params, *pf.targets)}
    if named - set(library.rules) or any(p not in library.pack_dirs for p in profile.packs):
        library = load_library(vocabulary=profile.vocabulary)
    return library


def builtin_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


def _read(ref: str, seen: list[str]) -> list[tuple[ProfileFile, YamlDocument]]:
    path = Path(ref)
    if not (ref.endswith((".yaml", ".yml")) or "/" in ref):
        path = PROFILES_DIR / f"{ref}.yaml"
        if not path.exists():
            raise ProfileError(f"unknown profile {ref!r}"
                               f"{did_you_mean(ref, set(builtin_profiles()))}; built in: "
                               f"{', '.join(builtin_profiles())}")
    if str(path.resolve()) in seen:
        raise ProfileError(f"{path}: profiles extend each other in a loop")
    seen.append(str(path.resolve()))
    try:
        doc = load_yaml(path)
    except YamlFileError as exc:
        raise ProfileError(str(exc)) from None
    if not isinstance(doc.data, dict):
        raise ProfileError(f"{doc.where(())}: a profile must be a mapping of keys")
    try:
        pf = ProfileFile.model_validate(doc.data)
    except ValidationError as exc:
        raise ProfileError("\n".join(format_validation_error(doc, exc))) from None
    files = [(pf, doc)]
    if pf.extends:
        base = pf.extends
        if "/" in base or base.endswith((".yaml", ".yml")):
            base = str((path.parent / base).resolve())
        files += _read(base, seen)
    return files


def load_profile(ref: str) -> Profile:
    files = _read(ref, [])
    return Profile(files[0][0].name, files)
