"""Load rule files from packs, validate them strictly, and compile them for a profile.

Errors name the file and line (``rules/england/ENG-ICPC-15WD.yaml:12: ...``).  A broken rule file
never stops the others from loading: the library collects every problem so that ``rules lint``
can list them all, and anything that evaluates refuses to run while any remain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .calendar import Duration, unit_suggestion
from .obligations import (
    Check,
    Clock,
    CompiledRule,
    FollowUp,
    IntervalChoice,
    Schedule,
    Source,
    Threshold,
    compile_where,
)
from .ruleschema import PARAM_RE, RuleFile, Selector, did_you_mean
from .vocabulary import Vocabulary
from .yamlsource import YamlDocument, YamlFileError, load_yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = PROJECT_ROOT / "rules"


class RuleError(ValueError):
    """A rule file problem, already formatted as ``file:line: message``."""


@dataclass
class LoadedRule:
    rule: RuleFile
    pack: str
    path: Path
    doc: YamlDocument

    @property
    def id(self) -> str:
        return self.rule.id

    def where(self, *path: str | int) -> str:
        return self.doc.where(path)


@dataclass
class RuleLibrary:
    rules: dict[str, LoadedRule] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    pack_dirs: list[str] = field(default_factory=list)

    def pack(self, name: str) -> list[LoadedRule]:
        return [r for r in self.rules.values() if r.pack == name]

    @property
    def packs(self) -> list[str]:
        return sorted({r.pack for r in self.rules.values()} | set(self.pack_dirs))


def format_validation_error(doc: YamlDocument, exc: ValidationError,
                            prefix: tuple[str | int, ...] = ()) -> list[str]:
    """Pydantic errors as ``file:line: where: message`` lines."""
    lines: list[str] = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        path = (*prefix, *loc)
        ctx = err.get("ctx") or {}
        if err["type"] == "unknown_key" and "key" in ctx:
            path = (*path, ctx["key"])
        where = ".".join(str(p) for p in path) or "(top)"
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{doc.where(path)}: {where}: {msg}")
    return lines


def load_library(rules_dir: Path = RULES_DIR, vocabulary: Vocabulary | None = None,
                 packs: list[str] | None = None) -> RuleLibrary:
    """Every ``rules/<pack>/*.yaml`` file (or those of ``packs``), validated; problems are
    collected, not raised."""
    vocab = vocabulary or Vocabulary.builtin()
    library = RuleLibrary(pack_dirs=sorted(p.name for p in rules_dir.iterdir() if p.is_dir()))
    for path in sorted(rules_dir.glob("*/*.yaml")):
        pack = path.parent.name
        if packs is not None and pack not in packs:
            continue
        try:
            doc = load_yaml(path, None)
        except YamlFileError as exc:
            library.errors.append(str(exc))
            continue
        if not isinstance(doc.data, dict):
            library.errors.append(f"{doc.where(())}: a rule file must be a mapping of keys")
            continue
        try:
            rule = RuleFile.model_validate(doc.data, context={"vocabulary": vocab})
        except ValidationError as exc:
            library.errors.extend(format_validation_error(doc, exc))
            continue
        if rule.id != path.stem:
            library.errors.append(
                f"{doc.where(('id',))}: id {rule.id!r} must match the file name {path.stem!r}"
            )
            continue
        if rule.id in library.rules:
            other = library.rules[rule.id].path
            library.errors.append(f"{doc.where(('id',))}: id {rule.id!r} also used by {other}")
            continue
        library.rules[rule.id] = LoadedRule(rule, pack, path, doc)
    _check_references(library)
    return library


def _check_references(library: RuleLibrary) -> None:
    for loaded in list(library.rules.values()):
        ref = loaded.rule.deadline
        if ref is None:
            continue
        target = library.rules.get(ref.schedule)
        if target is None or target.rule.kind != "schedule":
            library.errors.append(
                f"{loaded.where('deadline', 'schedule')}: {ref.schedule!r} is not a schedule rule"
                f"{did_you_mean(ref.schedule, set(library.rules))}"
            )
            del library.rules[loaded.id]


# ---------------------------------------------------------------------------------------------
# compiling


def resolve_params(loaded: LoadedRule, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults overridden by a profile or a test; unknown names and bad values are errors."""
    values = {name: p.default for name, p in loaded.rule.params.items()}
    for name, value in (overrides or {}).items():
        if name not in values:
            raise RuleError(
                f"{loaded.id}: unknown parameter {name!r}{did_you_mean(name, set(values))}"
            )
        default = values[name]
        if isinstance(default, str) and not isinstance(value, str):
            raise RuleError(f"{loaded.id}: parameter {name!r} must be a duration like {default!r}")
        if isinstance(default, str):
            try:
                Duration.parse(value)
            except ValueError as exc:
                hint = ""
                parts = str(value).split(maxsplit=1)
                if len(parts) == 2 and unit_suggestion(parts[1]):
                    hint = f"; did you mean {unit_suggestion(parts[1])[0]!r}?"
                raise RuleError(f"{loaded.id}: parameter {name!r}: {exc}{hint}") from None
        values[name] = value
    return values


def _duration(text: str | None, params: dict[str, Any]) -> Duration | None:
    if text is None:
        return None
    m = PARAM_RE.match(text)
    if m:
        text = params[m.group(1)]
    return Duration.parse(text)  # type: ignore[arg-type]


def _source(sel: Selector) -> Source:
    episodes = tuple(sel.episode_types)
    return Source(event=sel.event, episodes=episodes, period=bool(sel.period),
                  where=compile_where(sel.where))


def _default_clock(sel: Selector) -> Clock:
    if sel.clock:
        return Clock(tuple(sel.clock))
    return Clock(("date",) if sel.event else ("start",))


def compile_rule(loaded: LoadedRule, library: RuleLibrary,
                 overrides: dict[str, dict[str, Any]] | None = None) -> CompiledRule:
    """A rule ready to evaluate, with parameters from ``overrides[rule_id]`` over defaults."""
    r = loaded.rule
    params = resolve_params(loaded, (overrides or {}).get(r.id))
    events: set[str] = set()
    episodes: set[str] = set()

    def note(sel: Selector | None) -> None:
        if sel is None:
            return
        if sel.event:
            events.add(sel.event)
        episodes.update(sel.episode_types)

    compiled: CompiledRule
    if r.kind == "follow-up":
        assert r.anchor is not None and r.target is not None
        note(r.anchor)
        note(r.target if not r.target.field else None)
        schedule_ref = None
        if r.deadline is not None:
            sched = compile_rule(library.rules[r.deadline.schedule], library, overrides)
            assert isinstance(sched, Schedule)
            schedule_ref = (sched, r.deadline.occurrence)
            events |= sched.event_types
            episodes |= sched.episode_types
        cancel_src = None
        if r.cancelled_by and r.cancelled_by.event:
            cancel_src = Source(event=r.cancelled_by.event,
                                where=compile_where(r.cancelled_by.where))
            events.add(r.cancelled_by.event)
        min_age = (r.anchor.member_where or {}).get("age_at_least")
        compiled = FollowUp(
            rule_id=r.id,
            anchor=_source(r.anchor),
            target=None if r.target.field else _source(r.target),
            target_field=r.target.field,
            clock=_default_clock(r.anchor),
            limit=_duration(r.timescale, params),
            schedule_ref=schedule_ref,
            superseded=r.superseded,
            allow_before=_duration(r.target.allow_before, params),
            cancel_event=cancel_src,
            cancel_on_episode_end=bool(r.cancelled_by and r.cancelled_by.episode_end),
            member_min_age=min_age,
            member_field=r.target.member_field,
            for_each_member=r.anchor.for_each == "household",
        )
        produce = {"met", "late", "overdue", "due_soon", "pending"}
        if compiled.for_each_member and min_age is not None:
            produce.add("insufficient_data")
        if schedule_ref is not None and any(c.needs_age for c in schedule_ref[0].intervals):
            produce.add("insufficient_data")
    elif r.kind == "schedule":
        assert r.over is not None and r.target is not None and r.intervals is not None
        note(r.over)
        note(r.target)
        note(r.start)
        choices = []
        for case in r.intervals:
            w = case.when
            interval = _duration(case.interval, params)
            assert interval is not None
            choices.append(IntervalChoice(
                interval=interval,
                occurrence=w.occurrence if w else None,
                occurrence_at_least=w.occurrence_at_least if w else None,
                age_under=w.age_under if w else None,
                age_at_least=w.age_at_least if w else None,
                previous_in_first=_duration(w.previous_in_first, params) if w else None,
                previous_after_first=_duration(w.previous_after_first, params) if w else None,
                episode=compile_where(w.episode) if w else None,
            ))
        compiled = Schedule(rule_id=r.id, over=_source(r.over), target=_source(r.target),
                            intervals=choices,
                            start_event=_source(r.start) if r.start else None)
        produce = {"met", "late", "overdue", "due_soon", "pending"}
        if any(c.needs_age for c in choices):
            produce.add("insufficient_data")
    elif r.kind == "threshold":
        assert r.anchor and r.target and r.count and r.window and r.timescale
        note(r.anchor)
        note(r.target)
        window = _duration(r.window, params)
        limit = _duration(r.timescale, params)
        assert window is not None and limit is not None
        compiled = Threshold(rule_id=r.id, anchor=_source(r.anchor), target=_source(r.target),
                             count=r.count, window=window, limit=limit,
                             clock=_default_clock(r.anchor))
        produce = {"met", "late", "overdue", "due_soon", "pending"}
    else:
        assert r.subject is not None and r.require is not None
        child_req: dict[str, Any] = {}
        event_req: dict[str, Any] = {}
        for key, cond in r.require.items():
            if r.subject.case_with_open:
                if not key.startswith("child."):
                    raise RuleError(f"{loaded.where('require', key)}: a case check requires "
                                    f"child fields, written child.<field>")
                child_req[key[len("child."):]] = cond
            else:
                event_req[key] = cond
        subject = None
        if r.subject.event:
            subject = Source(event=r.subject.event, where=compile_where(r.subject.where))
            events.add(r.subject.event)
        episodes.update(r.subject.case_with_open or [])
        compiled = Check(rule_id=r.id, subject=subject,
                         open_episodes=tuple(r.subject.case_with_open or ()),
                         require=compile_where(event_req) or (lambda it: True),
                         require_child=child_req)
        produce = {"met", "not_met"}
    compiled.event_types = frozenset(events)
    compiled.episode_types = frozenset(episodes)
    compiled.can_produce = frozenset(produce)
    return compiled
