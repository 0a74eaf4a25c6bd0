"""Check rules: a condition on the record, met or not met."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.calendar import WorkingCalendar
from engine.records.caseview import CaseView, Item

from .obligation import CompiledRule, Obligation, Predicate, Source, compile_where


@dataclass
class Check(CompiledRule):
    """A condition on the record: each matching event, or the case while an episode is open."""

    rule_id: str
    subject: Source | None
    open_episodes: tuple[str, ...]
    require: Predicate
    require_child: dict[str, Any]
    kind: str = "check"

    def evaluate(self, view: CaseView, cal: WorkingCalendar) -> list[Obligation]:
        out: list[Obligation] = []
        if self.subject is not None:
            for item in self.subject.items(view):
                ok = self.require(item)
                ob = Obligation(self.rule_id, item, None, fixed_status="met" if ok else "not_met")
                if ok:
                    ob.satisfy(item)
                out.append(ob)
            return out
        open_now = [ep for kind in self.open_episodes for ep in view.episodes(kind)
                    if ep.end is None]
        if not open_now:
            return out
        open_now.sort(key=lambda it: (it.day, it.id))
        child = Item(view.case_id, "child", open_now[0].day, None, None, view.child_fields,
                     "/child")
        ok = compile_where(self.require_child)(child)  # type: ignore[misc]
        out.append(Obligation(self.rule_id, open_now[0], None,
                              fixed_status="met" if ok else "not_met"))
        return out
