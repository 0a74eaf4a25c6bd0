"""Pydantic models for case records, format ``casecheck/case-record@1``.

The contract is shared/spec/case-record.md.

Validation runs in strict JSON mode, so a date is exactly ``YYYY-MM-DD`` and a date-time is ISO
8601; ``"31/01/2024"``, ``"2024-02-30"`` and ``""`` are errors, never null.  Each known event type
has its own model (chosen by ``type``); unknown types fall back to a generic event and are kept.
Unknown fields are kept on every model so that rules may use them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

FORMAT = "casecheck/case-record@1"

DateOrDateTime = date | datetime


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True, frozen=False)


class Child(_Open):
    id: str
    date_of_birth: date | None = None
    expected_date_of_birth: date | None = None
    sex: str | None = None
    ethnicity: str | None = None
    disability: bool | None = None
    uasc: bool | None = None


class Allocation(_Open):
    team: str | None = None
    worker: str | None = None
    manager: str | None = None


class HouseholdMember(_Open):
    id: str
    date_of_birth: date | None = None


class Episode(_Open):
    id: str
    type: Literal[
        "early_help",
        "cin_plan",
        "cp_plan",
        "looked_after",
        "placement",
        "private_fostering",
        "care_leaver",
        "pre_proceedings",
        "care_proceedings",
    ]
    start: date
    end: date | None = None
    category: Literal["neglect", "emotional", "physical", "sexual", "multiple"] | None = None
    legal_status: str | None = None
    eligible: bool | None = None
    placement_type: str | None = None
    long_term: bool | None = None
    with_parents: bool | None = None
    parent: str | None = None
    household: list[HouseholdMember] | None = None
    eligibility: Literal["eligible", "relevant", "former_relevant"] | None = None


EPISODE_TYPES: tuple[str, ...] = Episode.model_fields["type"].annotation.__args__  # type: ignore[union-attr]


class Event(_Open):
    """Fields every event has; the base of the per-type models and the model for unknown types."""

    id: str
    type: str
    date: DateOrDateTime
    ref: str | None = None
    completed: DateOrDateTime | None = None


class Referral(Event):
    decision_date: date | None = None


class Assessment(Event):
    outcome: Literal["nfa", "early_help", "cin_plan", "s47", "other"] | None = None


class StrategyDiscussion(Event):
    s47: bool | None = None
    reason: Literal["significant_harm", "missing", "exploitation", "other"] | None = None


class S47Enquiry(Event):
    outcome: Literal["icpc", "no_icpc"] | None = None


class AgencyCheck(Event):
    agency: str | None = None


class Icpc(Event):
    cp_plan: bool | None = None


class Visit(Event):
    seen: bool = True
    seen_alone: bool | None = None


class PermanencePlan(Event):
    option: str | None = None


class HealthAssessment(Event):
    kind: Literal["initial", "review"] | None = None


class MissingEpisode(Event):
    end: DateOrDateTime | None = None
    episode_type: Literal["missing", "absent"] | None = None


class ReturnHomeInterview(Event):
    outcome: Literal["completed", "declined", "offered"] | None = None
    safety_plan: bool | None = None
    first_seen_by: str | None = None


class Supervision(Event):
    reflective: bool | None = None


class SafetyPlan(Event):
    child_version: bool | None = None


class CareLeavingPlan(Event):
    shared_with_young_person: bool | None = None
    contingency: bool | None = None


class PfVisit(Event):
    seen_alone: bool | None = None


class DbsCheck(Event):
    subject: str | None = None


class IdentityDocument(Event):
    kind: Literal["birth_certificate", "passport", "ni_number"] | None = None


class Audit(Event):
    grade: Literal["outstanding", "good", "requires_improvement", "inadequate"] | None = None


# Event type -> model.  Types mapped to ``Event`` have no extra fields of their own.
EVENT_MODELS: dict[str, type[Event]] = {
    "contact": Event,
    "referral": Referral,
    "assessment": Assessment,
    "strategy_discussion": StrategyDiscussion,
    "s47_enquiry": S47Enquiry,
    "agency_check": AgencyCheck,
    "icpc": Icpc,
    "rcpc": Event,
    "core_group": Event,
    "visit": Visit,
    "cin_review": Event,
    "cla_review": Event,
    "care_plan": Event,
    "permanence_plan": PermanencePlan,
    "ppm": Event,
    "health_assessment": HealthAssessment,
    "dental_check": Event,
    "pep": Event,
    "sdq": Event,
    "missing_episode": MissingEpisode,
    "return_home_interview": ReturnHomeInterview,
    "supervision": Supervision,
    "chronology_update": Event,
    "case_summary_update": Event,
    "genogram_update": Event,
    "safety_plan": SafetyPlan,
    "contingency_plan": Event,
    "pathway_plan": CareLeavingPlan,
    "pathway_plan_review": CareLeavingPlan,
    "needs_assessment": CareLeavingPlan,
    "pf_visit": PfVisit,
    "dbs_check": DbsCheck,
    "written_agreement": Event,
    "life_story_work": Event,
    "camhs_offer": Event,
    "advocacy_offer": Event,
    "direct_work": Event,
    "identity_document": IdentityDocument,
    "audit": Audit,
}

EVENT_TYPES: frozenset[str] = frozenset(EVENT_MODELS)

# Fields (beyond id/type/date/ref/completed) each known type declares, for the rule loader.
EVENT_FIELDS: dict[str, frozenset[str]] = {
    name: frozenset(model.model_fields) - {"id", "type"} for name, model in EVENT_MODELS.items()
}
EPISODE_FIELDS: frozenset[str] = frozenset(Episode.model_fields) - {"type"}


def _event_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if isinstance(kind, str) and kind in EVENT_MODELS else "_other"


_tagged = [Annotated[model, Tag(name)] for name, model in EVENT_MODELS.items()]
AnyEvent = Annotated[
    # one model per known type, chosen by ``type``; anything else is a generic Event
    (
        __import__("functools").reduce(lambda a, b: a | b, _tagged)
        | Annotated[Event, Tag("_other")]
    ),
    Discriminator(_event_tag),
]


class CaseRecord(_Open):
    """One child's case."""

    format: Literal["casecheck/case-record@1"]
    case_id: str
    child: Child
    allocation: Allocation | None = None
    episodes: list[Episode] = Field(default_factory=list)
    events: list[AnyEvent] = Field(default_factory=list)  # type: ignore[valid-type]
