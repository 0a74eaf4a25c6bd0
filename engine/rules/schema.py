"""Pydantic models of a rule file (the YAML rule language, documented in docs/rules.md).

Validation is strict: an unknown key, an unknown event or episode type, an unknown field, a bad
unit or a missing citation is an error, reported by ``rulebook`` with the file and line and, where
a near miss exists, a did-you-mean.  Names are checked against the vocabulary passed in the
validation context (the built-in record vocabulary, possibly extended by a profile).
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from engine.calendar import Duration, DurationError, unit_suggestion
from engine.rules.templates import VALUES, unknown_placeholders

STATUSES = ("met", "late", "overdue", "due_soon", "pending", "not_met", "insufficient_data")
KINDS = ("follow-up", "schedule", "threshold", "check")
RULE_ID_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
PARAM_RE = re.compile(r"^\$([a-z][a-z0-9_]*)$")


def did_you_mean(word: str, choices: list[str] | set[str] | frozenset[str]) -> str:
    close = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class Strict(BaseModel):
    """Base model: unknown keys are errors that name the key and suggest a near miss."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(cls.model_fields)
            for key in data:
                if key not in known:
                    raise PydanticCustomError(
                        "unknown_key",
                        "unknown key '{key}'{hint}; expected one of: {known}",
                        {
                            "key": str(key),
                            "hint": did_you_mean(str(key), known),
                            "known": ", ".join(sorted(known)),
                        },
                    )
        return data


def _vocab(info: ValidationInfo) -> Any:
    from engine.records.vocabulary import Vocabulary

    ctx = info.context or {}
    return ctx.get("vocabulary") or Vocabulary.builtin()


def _check_duration(value: Any) -> str:
    """Durations are '15 working days' style strings or '$param' references."""
    if isinstance(value, str) and PARAM_RE.match(value):
        return value
    try:
        Duration.parse(value)
    except DurationError as exc:
        hint = ""
        if isinstance(value, str) and len(value.split(maxsplit=1)) == 2:
            close = unit_suggestion(value.split(maxsplit=1)[1])
            if close:
                hint = f"; did you mean {close[0]!r}?"
        raise PydanticCustomError(
            "bad_duration", "{msg}{hint}", {"msg": str(exc), "hint": hint}
        ) from None
    return value


Condition = Any  # a scalar (equality) or a one-key mapping: not / in / present


def _check_where(
    kind_names: list[str], where: dict[str, Any] | None, info: ValidationInfo, episode: bool = False
) -> None:
    if not where:
        return
    vocab = _vocab(info)
    allowed: set[str] = set(vocab.episode_fields) if episode else set()
    for name in kind_names:
        allowed |= set(vocab.event_fields(name))
    for fld, cond in where.items():
        if fld not in allowed:
            raise PydanticCustomError(
                "unknown_field",
                "unknown field '{field}' for {kinds}{hint}",
                {"field": fld, "kinds": ", ".join(kind_names), "hint": did_you_mean(fld, allowed)},
            )
        _check_condition(fld, cond)


def _check_condition(fld: str, cond: Any) -> None:
    if isinstance(cond, dict):
        if len(cond) != 1 or next(iter(cond)) not in ("not", "in", "present"):
            raise PydanticCustomError(
                "bad_condition",
                "condition on '{field}' must be a value or a mapping with one of: not, in, "
                "present",
                {"field": fld},
            )
        op, arg = next(iter(cond.items()))
        if op == "in" and not isinstance(arg, list):
            raise PydanticCustomError("bad_condition", "'in' takes a list", {})
        if op == "present" and not isinstance(arg, bool):
            raise PydanticCustomError("bad_condition", "'present' takes true or false", {})


def _check_name(kind: str, name: str, known: frozenset[str]) -> str:
    if name not in known:
        raise PydanticCustomError(
            f"unknown_{kind.replace(' ', '_')}",
            "unknown {kind} '{name}'{hint}",
            {"kind": kind, "name": name, "hint": did_you_mean(name, known)},
        )
    return name


def _check_event_type(name: str, info: ValidationInfo) -> str:
    return _check_name("event type", name, _vocab(info).event_types)


def _check_episode_type(name: str, info: ValidationInfo) -> str:
    return _check_name("episode type", name, _vocab(info).episode_types)


class Source(Strict):
    document: str = Field(min_length=3)
    section: str = Field(min_length=1)
    url: str | None = None


class Param(Strict):
    default: str | int | bool
    description: str = Field(min_length=3)

    @field_validator("default")
    @classmethod
    def _duration_default(cls, v: str | int | bool) -> str | int | bool:
        # string parameters are durations; numbers and booleans are taken as they are
        return _check_duration(v) if isinstance(v, str) else v


def _check_clock(entry: str, sel: Selector, info: ValidationInfo) -> None:
    """A clock entry: date, start, end, ref.date, ref.<event type>.date or a date field."""
    if entry in ("date", "start", "end", "ref.date"):
        return
    if entry.startswith("ref.") and entry.endswith(".date"):
        _check_event_type(entry[len("ref."):-len(".date")], info)
        return
    from engine.records.models import EVENT_DATE_FIELDS

    if sel.event:  # the date fields this type declares
        allowed = set(EVENT_DATE_FIELDS.get(sel.event, ())) & set(
            _vocab(info).event_fields(sel.event))
    else:
        allowed = set().union(*EVENT_DATE_FIELDS.values())
    if entry not in allowed:
        raise PydanticCustomError(
            "bad_clock",
            "unknown clock '{entry}'; expected date, start, end, ref.date, ref.<event type>.date "
            "or a date field{hint}",
            {"entry": entry, "hint": did_you_mean(entry, allowed | {"date", "start", "end"})},
        )


class Selector(Strict):
    """What a clock is anchored on or what satisfies it: events, episode starts or periods."""

    event: str | None = None
    episode: str | list[str] | None = None
    period: list[str] | None = None
    field: str | None = None
    where: dict[str, Condition] | None = None
    clock: list[str] | None = None
    label: str | None = None
    allow_before: str | None = None
    strictly_after: bool = False
    for_each: Literal["household"] | None = None
    member_where: dict[str, int] | None = None
    member_turning: bool = False
    member_field: str | None = None

    @field_validator("event")
    @classmethod
    def _event(cls, v: str | None, info: ValidationInfo) -> str | None:
        return None if v is None else _check_event_type(v, info)

    @field_validator("episode")
    @classmethod
    def _episode(cls, v: str | list[str] | None, info: ValidationInfo) -> Any:
        if v is None:
            return v
        for name in [v] if isinstance(v, str) else v:
            _check_episode_type(name, info)
        return v

    @field_validator("period")
    @classmethod
    def _period(cls, v: list[str] | None, info: ValidationInfo) -> Any:
        for name in v or []:
            _check_episode_type(name, info)
        return v

    @field_validator("allow_before")
    @classmethod
    def _allow_before(cls, v: str | None) -> str | None:
        return None if v is None else _check_duration(v)

    @field_validator("member_where")
    @classmethod
    def _member_where(cls, v: dict[str, int] | None) -> Any:
        for key in v or {}:
            if key not in ("age_at_least", "age_under"):
                raise PydanticCustomError(
                    "unknown_key",
                    "unknown member condition '{key}'{hint}",
                    {"key": key, "hint": did_you_mean(key, {"age_at_least", "age_under"})},
                )
        return v

    @model_validator(mode="after")
    def _one_source(self, info: ValidationInfo) -> Selector:
        chosen = [k for k in ("event", "episode", "period", "field") if getattr(self, k)]
        if len(chosen) != 1:
            raise PydanticCustomError(
                "selector",
                "give exactly one of event, episode, period or field (got {got})",
                {"got": ", ".join(chosen) or "none"},
            )
        if self.event:
            _check_where([self.event], self.where, info)
        elif self.episode or self.period:
            _check_where([], self.where, info, episode=True)
        elif self.where:
            raise PydanticCustomError("selector", "'where' cannot be used with 'field'", {})
        if self.for_each and not (self.episode == "private_fostering"):
            raise PydanticCustomError(
                "selector", "for_each: household needs episode: private_fostering", {}
            )
        if self.member_turning and "age_at_least" not in (self.member_where or {}):
            raise PydanticCustomError(
                "selector", "member_turning needs member_where: {example}",
                {"example": "{age_at_least: N}"},
            )
        if self.strictly_after and self.allow_before:
            raise PydanticCustomError(
                "selector", "strictly_after cannot be used with allow_before", {}
            )
        if self.strictly_after and not (self.event or self.episode):
            raise PydanticCustomError("selector", "strictly_after needs event or episode", {})
        for entry in self.clock or []:
            _check_clock(entry, self, info)
        return self

    @property
    def episode_types(self) -> list[str]:
        if self.period:
            return list(self.period)
        if isinstance(self.episode, str):
            return [self.episode]
        return list(self.episode or [])


class When(Strict):
    occurrence: int | None = Field(default=None, ge=1)
    occurrence_at_least: int | None = Field(default=None, ge=1)
    age_under: int | None = Field(default=None, ge=0)
    age_at_least: int | None = Field(default=None, ge=0)
    previous_in_first: str | None = None
    previous_after_first: str | None = None
    episode: dict[str, Any] | None = None

    @field_validator("previous_in_first", "previous_after_first")
    @classmethod
    def _dur(cls, v: str | None) -> str | None:
        return None if v is None else _check_duration(v)

    @field_validator("episode")
    @classmethod
    def _episode_fields(cls, v: dict[str, Any] | None, info: ValidationInfo) -> Any:
        _check_where([], v, info, episode=True)
        return v


class IntervalCase(Strict):
    when: When | None = None
    interval: str

    @field_validator("interval")
    @classmethod
    def _dur(cls, v: str) -> str:
        return _check_duration(v)


class ScheduleRef(Strict):
    schedule: str
    occurrence: int = Field(ge=1)


class Cancel(Strict):
    event: str | None = None
    where: dict[str, Condition] | None = None
    episode_end: bool = False

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> Cancel:
        if self.event:
            _check_event_type(self.event, info)
            _check_where([self.event], self.where, info)
        elif self.where:
            raise PydanticCustomError("cancel", "'where' needs 'event'", {})
        if not self.event and not self.episode_end:
            raise PydanticCustomError("cancel", "give 'event' and/or 'episode_end: true'", {})
        return self


class Subject(Strict):
    """What a check rule looks at: each matching event, or the case while an episode is open."""

    event: str | None = None
    where: dict[str, Condition] | None = None
    case_with_open: list[str] | None = None

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> Subject:
        if bool(self.event) == bool(self.case_with_open):
            raise PydanticCustomError("subject", "give exactly one of event or case_with_open", {})
        if self.event:
            _check_event_type(self.event, info)
            _check_where([self.event], self.where, info)
        for name in self.case_with_open or []:
            _check_episode_type(name, info)
        return self


class ExpectedFinding(Strict):
    status: Literal["met", "late", "overdue", "due_soon", "pending", "not_met", "insufficient_data"]
    due: str | None
    anchor: str | None = None
    done: str | None = None
    days_late: int | None = None
    occurrence: int | None = None


class RuleTest(Strict):
    name: str = Field(pattern=r"^[a-z0-9_]+$")
    description: str | None = None
    as_of: str
    warn: int | None = None
    params: dict[str, Any] | None = None
    closure_days: list[str] | None = None
    record: dict[str, Any]
    expect: list[ExpectedFinding]


class RuleFile(Strict):
    id: str = Field(pattern=RULE_ID_RE.pattern)
    title: str = Field(min_length=5)
    kind: Literal["follow-up", "schedule", "threshold", "check"]
    summary: str = Field(min_length=10)
    standard: str | None = None
    source: Source
    params: dict[str, Param] = Field(default_factory=dict)
    # follow-up, threshold
    anchor: Selector | None = None
    timescale: str | None = None
    deadline: ScheduleRef | None = None
    superseded: bool = False
    cancelled_by: Cancel | None = None
    count: int | None = Field(default=None, ge=2)
    window: str | None = None
    # schedule
    over: Selector | None = None
    start: Selector | None = None
    start_from: str | None = Field(default=None, pattern=RULE_ID_RE.pattern)
    intervals: list[IntervalCase] | None = None
    # all but check
    target: Selector | None = None
    # check
    subject: Subject | None = None
    require: dict[str, Condition] | None = None
    messages: dict[str, str] = Field(default_factory=dict)
    tests: list[RuleTest] = Field(default_factory=list)

    @field_validator("timescale", "window")
    @classmethod
    def _dur(cls, v: str | None) -> str | None:
        return None if v is None else _check_duration(v)

    @field_validator("messages")
    @classmethod
    def _messages(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            if key not in STATUSES:
                raise PydanticCustomError(
                    "unknown_key",
                    "unknown status '{key}' in messages{hint}",
                    {"key": key, "hint": did_you_mean(key, set(STATUSES))},
                )
            bad = unknown_placeholders(v[key])
            if bad:
                raise PydanticCustomError(
                    "unknown_placeholder",
                    "unknown placeholder '{name}' in messages.{key}{hint}",
                    {"name": bad[0], "key": key, "hint": did_you_mean(bad[0], set(VALUES))},
                )
        return v

    @model_validator(mode="after")
    def _shape(self, info: ValidationInfo) -> RuleFile:
        _check_require(self, info)
        need: dict[str, tuple[str, ...]] = {
            "follow-up": ("anchor", "target"),
            "schedule": ("over", "target", "intervals"),
            "threshold": ("anchor", "target", "count", "window", "timescale"),
            "check": ("subject", "require"),
        }
        allowed: dict[str, set[str]] = {
            "follow-up": {
                "anchor",
                "target",
                "timescale",
                "deadline",
                "superseded",
                "cancelled_by",
            },
            "schedule": {"over", "start", "start_from", "target", "intervals"},
            "threshold": {"anchor", "target", "count", "window", "timescale"},
            "check": {"subject", "require"},
        }
        for key in need[self.kind]:
            if getattr(self, key) in (None, [], {}):
                raise PydanticCustomError(
                    "missing_for_kind",
                    "a {kind} rule needs '{key}'",
                    {"kind": self.kind, "key": key},
                )
        optional = {
            "anchor",
            "target",
            "timescale",
            "deadline",
            "cancelled_by",
            "count",
            "window",
            "over",
            "start",
            "start_from",
            "intervals",
            "subject",
            "require",
        }
        for key in optional - allowed[self.kind]:
            if getattr(self, key) not in (None, [], {}):
                raise PydanticCustomError(
                    "not_for_kind",
                    "'{key}' does not apply to a {kind} rule",
                    {"key": key, "kind": self.kind},
                )
        if self.start_from and not (self.start and self.start.event):
            raise PydanticCustomError(
                "missing_for_kind", "'start_from' needs 'start' with an event (the fallback)", {}
            )
        if self.superseded and self.kind != "follow-up":
            raise PydanticCustomError("not_for_kind", "'superseded' applies to follow-up rules", {})
        if self.kind == "follow-up" and bool(self.timescale) == bool(self.deadline):
            raise PydanticCustomError(
                "missing_for_kind",
                "a follow-up rule needs exactly one of timescale or deadline",
                {},
            )
        for ref in _param_refs(self):
            if ref not in self.params:
                raise PydanticCustomError(
                    "unknown_param",
                    "unknown parameter ${name}{hint}",
                    {"name": ref, "hint": did_you_mean(ref, set(self.params))},
                )
        return self


def _check_require(rule: RuleFile, info: ValidationInfo) -> None:
    if rule.subject is None or not rule.require:
        return
    if rule.subject.event:
        _check_where([rule.subject.event], rule.require, info)
        return
    from engine.records.models import CHILD_FIELDS

    child_fields = {f"child.{name}" for name in CHILD_FIELDS}
    for key in rule.require:
        if key not in child_fields:
            raise PydanticCustomError(
                "unknown_field", "unknown field '{field}' for a case check{hint}",
                {"field": key, "hint": did_you_mean(key, child_fields)},
            )
        _check_condition(key, rule.require[key])


def _param_refs(rule: RuleFile) -> list[str]:
    found: list[str] = []

    def visit(value: Any) -> None:
        if isinstance(value, str):
            m = PARAM_RE.match(value)
            if m:
                found.append(m.group(1))
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                if name not in ("tests", "params", "messages"):
                    visit(getattr(value, name))
        elif isinstance(value, dict):
            for v in value.values():
                visit(v)
        elif isinstance(value, list):
            for v in value:
                visit(v)

    visit(rule)
    return found
