"""The names rules may use: event types, episode types and their fields.

Built from the case-record models; a profile may extend it with local event types and fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from engine.records.models import EPISODE_FIELDS, EPISODE_TYPES, EVENT_FIELDS

_COMMON_EVENT_FIELDS = frozenset({"date", "ref", "completed"})


@dataclass(frozen=True)
class Vocabulary:
    event_types: frozenset[str]
    episode_types: frozenset[str]
    episode_fields: frozenset[str]
    fields_by_event: dict[str, frozenset[str]] = field(hash=False)

    def event_fields(self, event_type: str) -> frozenset[str]:
        return self.fields_by_event.get(event_type, _COMMON_EVENT_FIELDS)

    @classmethod
    @lru_cache(maxsize=1)
    def builtin(cls) -> Vocabulary:
        return cls(
            event_types=frozenset(EVENT_FIELDS),
            episode_types=frozenset(EPISODE_TYPES),
            episode_fields=EPISODE_FIELDS,
            fields_by_event=dict(EVENT_FIELDS),
        )

    def extended(self, events: dict[str, list[str]]) -> Vocabulary:
        """A copy with local event types (and extra fields on existing ones) added."""
        fields = dict(self.fields_by_event)
        for name, extra in events.items():
            fields[name] = fields.get(name, _COMMON_EVENT_FIELDS) | frozenset(extra)
        return Vocabulary(
            event_types=self.event_types | frozenset(events),
            episode_types=self.episode_types,
            episode_fields=self.episode_fields,
            fields_by_event=fields,
        )
