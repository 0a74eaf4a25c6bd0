"""durable-rules as an independent second engine for follow-up rules (issue #5, decision 0002).

The plain-Python evaluator (``engine.evaluate``) is the core.  This module is a
second implementation that checks it on the rules durable-rules can express: follow-up rules
are compiled from the same rule YAML into durable-rules rulesets, each case is evaluated in a
child process, and the output is the same ``Finding`` objects, so the two can be compared.

Who decides what:

* this adapter (plain Python) reads the case as it stood on the as-of date (``CaseView``),
  computes each anchor's clock start, deadline and earliest acceptable target date with
  ``engine.calendar`` (all date arithmetic stays there), numbers anchors and targets in date
  order and turns them into facts;
* durable-rules decides which anchors qualify (``where``), which target satisfies which anchor
  (a target naming it by ``ref`` first, else the earliest unused target on or after the anchor,
  never the anchor itself, taking anchors in order) and which anchors have none: forward
  chaining over a cursor fact, with joins for the candidates and ``$not`` for "no earlier one";
* statuses, days late and messages are shared with the core (``status.py`` via
  ``RuleSet._finding``), so a difference in findings is a difference in obligations.

A rule it cannot express is reported in the case's ``errors`` with the reason, never skipped.

Every workaround for durable-rules 2.0.28 lives in this module and is marked ``WORKAROUND``
with the reason (measured; see docs/decisions/0002-durable-rules-second-engine.md).
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import multiprocessing
import os
import pickle
import signal
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.calendar import CalendarRangeError, Duration, WorkingCalendar
from engine.evaluate.evaluator import RuleMeta, RuleNotEvaluated, RuleSet
from engine.evaluate.findings import CaseResult
from engine.evaluate.obligation import Clock, Obligation, compile_where, deadline_from
from engine.records.caseview import UK, CaseView, Item, instant, local_day
from engine.records.models import team_of
from engine.records.problems import Problem
from engine.rules.rulebook import RuleLibrary, load_library, resolve_params
from engine.rules.schema import PARAM_RE, RuleFile

ENGINE_NAME = "durable"
# Test hook: a child evaluating the case with this case_id crashes in the C core on purpose, so
# that the crash handling can be tested with a real segfault.
FAULT_ENV = "CASECHECK_DURABLE_FAULT"
DEFAULT_TIMEOUT = 120.0


class DurableUnavailable(RuntimeError):
    """durable-rules is not installed (``pip install -e '.[durable]'``)."""


def available() -> bool:
    return importlib.util.find_spec("durable") is not None


# ---------------------------------------------------------------------------------------------
# what can be expressed


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _condition_ok(cond: Any) -> bool:
    if not isinstance(cond, dict):
        return _scalar(cond)
    op, arg = next(iter(cond.items()))
    if op == "not":
        return arg is None or _scalar(arg)
    if op == "in":
        return isinstance(arg, list) and all(v is None or _scalar(v) for v in arg)
    return op == "present"


def not_expressible(rule: RuleFile) -> list[str]:
    """Why the durable engine cannot evaluate this rule; empty when it can."""
    if rule.kind != "follow-up":
        return [f"{rule.kind} rules are not supported by the durable engine"]
    reasons: list[str] = []
    anchor, target = rule.anchor, rule.target
    assert anchor is not None and target is not None
    if rule.deadline is not None:
        reasons.append("a deadline taken from a schedule")
    if rule.superseded:
        reasons.append("superseded anchors")
    if rule.cancelled_by is not None:
        reasons.append("cancelled_by")
    if anchor.for_each or anchor.member_where or target.member_field:
        reasons.append("for_each household members")
    if anchor.period or target.period:
        reasons.append("periods of involvement")
    for sel in (anchor, target):
        for name, cond in (sel.where or {}).items():
            if not _condition_ok(cond):
                reasons.append(f"the condition on {name!r}")
    return reasons


@dataclass(frozen=True)
class FollowUpSpec:
    """A follow-up rule as the durable engine reads it from the rule YAML."""

    rule_id: str
    anchor_event: str | None
    anchor_episodes: tuple[str, ...]
    anchor_where: dict[str, Any]
    clock: tuple[str, ...]
    target_event: str | None
    target_episodes: tuple[str, ...]
    target_where: dict[str, Any]
    target_field: str | None
    limit: Duration
    allow_before: Duration | None
    strictly_after: bool = False

    @property
    def anchor_types(self) -> tuple[str, ...]:
        return (self.anchor_event,) if self.anchor_event else self.anchor_episodes


def _duration(text: str | None, params: dict[str, Any]) -> Duration | None:
    if text is None:
        return None
    m = PARAM_RE.match(text)
    return Duration.parse(params[m.group(1)] if m else text)


def compile_spec(rule: RuleFile, params: dict[str, Any]) -> FollowUpSpec:
    anchor, target = rule.anchor, rule.target
    assert anchor is not None and target is not None
    limit = _duration(rule.timescale, params)
    assert limit is not None
    clock = tuple(anchor.clock) if anchor.clock else (("date",) if anchor.event else ("start",))
    return FollowUpSpec(
        rule_id=rule.id,
        anchor_event=anchor.event,
        anchor_episodes=tuple(anchor.episode_types),
        anchor_where=dict(anchor.where or {}),
        clock=clock,
        target_event=target.event,
        target_episodes=() if target.field else tuple(target.episode_types),
        target_where=dict(target.where or {}),
        target_field=target.field,
        limit=limit,
        allow_before=_duration(target.allow_before, params),
        strictly_after=target.strictly_after,
    )


# ---------------------------------------------------------------------------------------------
# durable-rules rule definitions (the JSON form that durable.lang produces)


def _where(where: dict[str, Any]) -> list[dict[str, Any]]:
    """A ``where`` filter as durable-rules conditions on ``f_<field>`` (absent when None)."""
    out: list[dict[str, Any]] = []
    for name, cond in where.items():
        key = f"f_{name}"
        absent = {"$nex": {key: 1}}
        if isinstance(cond, dict):
            op, arg = next(iter(cond.items()))
            if op == "present":
                out.append({"$ex": {key: 1}} if arg else absent)
            elif op == "not":
                # Python: value != arg, which holds for a missing value; durable's $neq does
                # not match a missing field, so say so explicitly
                out.append({"$ex": {key: 1}} if arg is None
                           else {"$or": [absent, {"$neq": {key: arg}}]})
            else:
                alts = [absent if v is None else {key: v} for v in arg]
                if not alts:  # 'in: []' matches nothing
                    alts = [{"$and": [{"$ex": {key: 1}}, absent]}]
                out.append(alts[0] if len(alts) == 1 else {"$or": alts})
        else:
            out.append(absent if cond is None else {key: cond})
    return out


def _and(*conds: dict[str, Any]) -> dict[str, Any]:
    return {"$and": list(conds)}


def _where_not(where: dict[str, Any]) -> dict[str, Any] | None:
    """The negation of a ``where`` filter (None when there is no filter): one alternative per
    condition that fails."""
    alts: list[dict[str, Any]] = []
    for name, cond in where.items():
        key = f"f_{name}"
        absent, present = {"$nex": {key: 1}}, {"$ex": {key: 1}}
        if isinstance(cond, dict):
            op, arg = next(iter(cond.items()))
            if op == "present":
                alts.append(absent if arg else present)
            elif op == "not":
                alts.append(absent if arg is None else {key: arg})
            else:
                # fails when the value is none of the listed ones
                parts = [present if v is None else {"$or": [absent, {"$neq": {key: v}}]}
                         for v in arg]
                alts.append(_and(*parts) if len(parts) > 1 else parts[0] if parts else present)
        else:
            alts.append(present if cond is None else {"$or": [absent, {"$neq": {key: cond}}]})
    if not alts:
        return None
    return alts[0] if len(alts) == 1 else {"$or": alts}


def _matching_rules(spec: FollowUpSpec, act: _Actions) -> dict[str, Any]:
    """Anchors in order, each matched to the target that satisfies it, or to none.

    Forward chaining over a cursor: the cursor fact ``k`` names the anchor being dealt with
    (``seq == k.at``, over every item of the anchor's type), the rule that fires records what
    happened to it and moves the cursor on.  A used target's fact is retracted, so "unused" is
    simply "still a fact"; "earliest" is "no fitting target with a smaller seq" ($not).
    """
    w_a, w_t = _where(spec.anchor_where), _where(spec.target_where)

    def anchor(*extra: dict[str, Any]) -> dict[str, Any]:
        # WORKAROUND (measured, see decision 0002): the cursor is joined by equality.  A $not
        # block joined to the cursor by an inequality ('no qualifying anchor after k')
        # segfaulted in the C core on a one-anchor, one-target case.
        return _and({"kind": "anchor"}, {"seq": {"k": "at"}}, *extra)

    # Ruling 1: on the earliest day itself, times decide when both sides carry one; the
    # adapter folds day and time into one position each (see ``_positions``)
    after = ({"$gt": {"pos_lo": {"a": "from"}}} if spec.strictly_after
             else {"$gte": {"pos_hi": {"a": "from"}}})

    def fitting(*extra: dict[str, Any]) -> dict[str, Any]:
        # matched by date: on or after the anchor (or its allow_before date), never the anchor
        return _and({"kind": "target"}, *w_t, after, {"$neq": {"tid": {"a": "aid"}}}, *extra)

    def fitting_ref(*extra: dict[str, Any]) -> dict[str, Any]:
        # named by ref: satisfies the obligation whatever its date (semantics.md)
        return _and({"kind": "target"}, *w_t, {"$neq": {"tid": {"a": "aid"}}}, *extra)

    by_ref = ({"refkind": 2}, {"ref": {"a": "aid"}})  # names this anchor
    loose = ({"$lt": {"refkind": 2}},)  # names no anchor of this rule (Ruling 2)
    earlier = {"$lt": {"seq": {"t": "seq"}}}
    cursor = {"k": {"kind": "cursor"}}
    # WORKAROUND (issue #5): $not gave wrong results for some assertion orders unless the $not
    # blocks come last in the rule, so every rule lists its $not blocks after its positive ones.
    rules: dict[str, Any] = {
        "match_by_ref": {"all": [
            cursor, {"a": anchor(*w_a, {"clock": 1})}, {"t": fitting_ref(*by_ref)},
            {"t2$not": fitting_ref(*by_ref, earlier)},
        ], "run": act.match},
        "match_loose": {"all": [
            cursor, {"a": anchor(*w_a, {"clock": 1})}, {"t": fitting(*loose)},
            {"tr$not": fitting_ref(*by_ref)}, {"t2$not": fitting(*loose, earlier)},
        ], "run": act.match},
        "unmatched": {"all": [
            cursor, {"a": anchor(*w_a, {"clock": 1})},
            {"tr$not": fitting_ref(*by_ref)}, {"tl$not": fitting(*loose)},
        ], "run": act.unmatched},
        "no_clock": {"all": [cursor, {"a": anchor(*w_a, {"clock": 0})}], "run": act.skip},
        "clock_error": {"all": [cursor, {"a": anchor(*w_a, {"clock": 2})}],
                        "run": act.clock_error},
        # WORKAROUND (issue #5): deleting a session in which no action ran segfaults; this rule
        # fires once in every session (when the cursor has passed the last anchor, possibly at
        # once), so deletion is always safe, and it tells us evaluation ran to the end.
        "end": {"all": [cursor, {"n": _and({"kind": "count"}, {"n": {"k": "at"}})}],
                "run": act.end},
        **_sink(),
    }
    fails = _where_not(spec.anchor_where)
    if fails is not None:
        rules["not_an_anchor"] = {"all": [cursor, {"a": anchor(fails)}], "run": act.pass_over}
    return rules


def _field_rules(spec: FollowUpSpec, act: _Actions) -> dict[str, Any]:
    """A target that is a field on the anchor: present (done) or absent (not done)."""
    assert spec.target_field is not None
    w_a = _where(spec.anchor_where)
    key = f"f_{spec.target_field}"
    ev = {"e": {"kind": "evaluate"}}

    def anchor(*extra: dict[str, Any]) -> dict[str, Any]:
        return {"a": _and({"kind": "anchor"}, *w_a, *extra)}

    return {
        "done": {"all": [ev, anchor({"clock": 1}, {"$ex": {key: 1}})], "run": act.field_done},
        "not_done": {"all": [ev, anchor({"clock": 1}, {"$nex": {key: 1}})],
                     "run": act.unmatched},
        "clock_error": {"all": [ev, anchor({"clock": 2})], "run": act.clock_error},
        # WORKAROUND (issue #5): a rule that always fires, so that deleting the session is safe
        "end": {"all": [ev], "run": act.end},
        **_sink(),
    }


def _sink() -> dict[str, Any]:
    # WORKAROUND (issue #5): Host.assert_facts raises MessageNotHandledException and runs none
    # of the batch's actions when one fact matches no pattern (e.g. a target failing the rule's
    # 'where').  This rule has a pattern every fact matches, joined to a fact that never exists,
    # so every fact is handled and the rule never fires.
    return {"sink": {"all": [{"never": {"kind": "never"}}, {"any": {"$ex": {"kind": 1}}}],
                     "run": lambda c: None}}


# ---------------------------------------------------------------------------------------------
# sessions and actions


@dataclass
class _Session:
    facts: dict[str, dict[str, Any]]
    results: list[tuple[Any, ...]] = field(default_factory=list)
    actions: int = 0


class _Actions:
    """The rule actions: record what the rule decided, and for a match retract the target and
    move the cursor on.  Results go to the session, looked up by the durable session id."""

    def __init__(self, sessions: dict[str, _Session]) -> None:
        self.sessions = sessions

    def _session(self, c: Any) -> _Session:
        s = self.sessions[c.s.sid]
        s.actions += 1
        return s

    def _advance(self, c: Any, s: _Session, seq: int) -> None:
        sid = c.s.sid
        c.retract_fact(s.facts.pop(c.k.id))
        nxt = {"sid": sid, "id": f"k{seq + 1}", "kind": "cursor", "at": seq + 1}
        s.facts[nxt["id"]] = nxt
        c.assert_fact(nxt)

    def match(self, c: Any) -> None:
        s = self._session(c)
        s.results.append(("match", c.a.seq, c.t.seq))
        c.retract_fact(s.facts.pop(c.t.id))
        self._advance(c, s, c.a.seq)

    def unmatched(self, c: Any) -> None:
        s = self._session(c)
        s.results.append(("none", c.a.seq))
        if c.k is not None:
            self._advance(c, s, c.a.seq)

    def pass_over(self, c: Any) -> None:
        self._advance(c, self._session(c), c.a.seq)

    def skip(self, c: Any) -> None:
        s = self._session(c)
        s.results.append(("skip", c.a.seq))
        self._advance(c, s, c.a.seq)

    def clock_error(self, c: Any) -> None:
        s = self._session(c)
        s.results.append(("error", c.a.seq))
        if c.k is not None:
            self._advance(c, s, c.a.seq)

    def field_done(self, c: Any) -> None:
        self._session(c).results.append(("done", c.a.seq))

    def end(self, c: Any) -> None:
        self._session(c).results.append(("end",))


def _host_class() -> type:
    try:
        from durable import engine as durable_engine
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DurableUnavailable("durable-rules is not installed; install the extra with "
                                 "pip install -e '.[durable]'") from exc

    class QuietHost(durable_engine.Host):  # type: ignore[misc]
        """A Host without its dispatcher threads.

        WORKAROUND: Host() starts two timer threads that call each ruleset's dispatch() every
        0.2 s and run any pending action there.  They would race our synchronous
        assert_facts for the same session, and the C core never releases the GIL, so they
        only add stalls.  Evaluation here is synchronous: the actions run inside assert_facts.
        """

        def _run(self) -> None:
            pass

    return QuietHost


# ---------------------------------------------------------------------------------------------
# the engine proper (runs in the child process)


def _sort_key(it: Item) -> tuple[date, float, str]:
    # the core's order: by day, date-only before timed, then id
    return (it.day, it.at.timestamp() if it.at else 0.0, it.id)


class DurableEngine:
    """Evaluates cases with durable-rules, in this process.  Use ``DurableRuleSet`` to run it in
    a child process, as the command line does."""

    def __init__(self, ruleset: RuleSet, library: RuleLibrary,
                 params: dict[str, dict[str, Any]] | None = None) -> None:
        self.ruleset = ruleset
        self.calendar: WorkingCalendar = ruleset.calendar
        self.unsupported: dict[str, str] = {}
        self.specs: dict[str, FollowUpSpec] = {}
        for _, meta in ruleset.rules:
            loaded = library.rules[meta.id]
            reasons = not_expressible(loaded.rule)
            if reasons:
                self.unsupported[meta.id] = ", ".join(reasons)
            else:
                values = resolve_params(loaded, (params or {}).get(meta.id))
                self.specs[meta.id] = compile_spec(loaded.rule, values)
        self.event_types = frozenset(t for s in self.specs.values()
                                     for t in (s.anchor_event, s.target_event) if t)
        self.episode_types = frozenset(t for s in self.specs.values()
                                       for t in (*s.anchor_episodes, *s.target_episodes))
        self._sessions: dict[str, _Session] = {}
        self._sids = itertools.count(1)
        self.host = _host_class()()
        actions = _Actions(self._sessions)
        self._names: dict[str, str] = {}
        for i, (rid, spec) in enumerate(self.specs.items()):
            name = f"casecheck_{i}"
            rules = (_field_rules if spec.target_field else _matching_rules)(spec, actions)
            self.host.register_rulesets({name: rules})
            self._names[rid] = name
        self.poisoned = False  # a session could not be deleted: restart the process

    @property
    def supported(self) -> list[str]:
        return list(self.specs)

    # -- one case ---------------------------------------------------------------------------

    def evaluate(self, record: dict[str, Any], as_of: date, warn: int | None = None) -> CaseResult:
        """Like ``RuleSet.evaluate``, with obligations from durable-rules."""

        def from_durable(meta: RuleMeta, view: CaseView) -> list[Obligation]:
            if meta.id in self.unsupported:
                raise RuleNotEvaluated(
                    f"{meta.id}: not expressible in the durable engine "
                    f"({self.unsupported[meta.id]}); this rule was not evaluated",
                    expected="a follow-up rule the durable engine supports")
            try:
                return self.obligations(meta.id, view)
            except DurableResultError as exc:
                raise RuleNotEvaluated(
                    str(exc), expected="one outcome per anchor from durable-rules") from None

        return self.ruleset.evaluate(record, as_of, warn, obligations=from_durable)

    # -- one rule on one case -----------------------------------------------------------------

    def _items(self, view: CaseView, event: str | None, episodes: tuple[str, ...]) -> list[Item]:
        found = list(view.events(event)) if event else [
            it for kind in episodes for it in view.episodes(kind)]
        return sorted(found, key=_sort_key)

    def obligations(self, rule_id: str, view: CaseView) -> list[Obligation]:
        spec = self.specs[rule_id]
        anchors = self._items(view, spec.anchor_event, spec.anchor_episodes)
        targets = ([] if spec.target_field else
                   self._items(view, spec.target_event, spec.target_episodes))
        sid = str(next(self._sids))
        facts: dict[str, dict[str, Any]] = {}
        prepared: dict[int, tuple[date | None, datetime | None, date | None]] = {}
        errors: dict[int, CalendarRangeError] = {}
        anchor_fields = [*spec.anchor_where, *([spec.target_field] if spec.target_field else [])]
        for seq, a in enumerate(anchors):
            fact = {"sid": sid, "id": f"a{seq}", "kind": "anchor", "seq": seq, "aid": a.id,
                    **_encode(a, anchor_fields)}
            try:
                earliest = a.day
                if spec.allow_before is not None:
                    earliest = self.calendar.subtract(a.day, spec.allow_before)
                if spec.target_field:
                    # a field dated before its anchor satisfies nothing: encoded as absent
                    value = a.fields.get(spec.target_field)
                    if not isinstance(value, date) or local_day(value) < earliest:
                        fact.pop(f"f_{spec.target_field}", None)
                started = Clock(spec.clock).start(a, view)
                if started is None:
                    fact["clock"] = 0
                    prepared[seq] = (None, None, None)
                else:
                    due, due_at = deadline_from(self.calendar, *started, spec.limit)
                    fact["clock"] = 1
                    prepared[seq] = (due, due_at, started[0])
                fact["earliest"] = earliest.toordinal()
            except CalendarRangeError as exc:
                fact["clock"], fact["earliest"] = 2, a.day.toordinal()
                errors[seq] = exc
            fact["from"] = _anchor_position(a, fact["earliest"], spec.strictly_after)
            facts[fact["id"]] = fact
        # which anchors a ref may bind to is worked out here
        # (the anchors of the rule's type that pass its 'where', Ruling 2), as a flag on the
        # target; durable-rules still joins the target to the anchor its ref names
        qualifies = compile_where(spec.anchor_where) or (lambda it: True)
        anchor_ids = {a.id for a in anchors if qualifies(a)}
        for seq, t in enumerate(targets):
            refkind = 0
            if t.ref is not None:
                refkind = 2 if t.ref in anchor_ids else 1
            fact = {"sid": sid, "id": f"t{seq}", "kind": "target", "seq": seq, "tid": t.id,
                    "day": t.day.toordinal(), "refkind": refkind, **_positions(t),
                    **_encode(t, list(spec.target_where))}
            if t.ref is not None:
                fact["ref"] = t.ref
            facts[fact["id"]] = fact
        # WORKAROUND (issue #5): negation is only reliable when the fact that triggers the
        # rules comes last, so the cursor (or the evaluate fact) ends the batch.
        if spec.target_field:
            last = {"sid": sid, "id": "evaluate", "kind": "evaluate"}
        else:
            count = {"sid": sid, "id": "count", "kind": "count", "n": len(anchors)}
            facts[count["id"]] = count
            last = {"sid": sid, "id": "k0", "kind": "cursor", "at": 0}
        facts[last["id"]] = last
        results = self._run(self._names[rule_id], sid, facts)

        outcome = _outcomes(results, len(anchors))
        out: list[Obligation] = []
        for seq in sorted(outcome):
            what = outcome[seq]
            if what[0] == "error":
                raise errors[seq]
            if what[0] == "skip":
                continue
            a = anchors[seq]
            due, due_at, clock_day = prepared[seq]
            ob = Obligation(rule_id, a, due, unit=spec.limit.unit, due_at=due_at,
                            clock_day=clock_day, limit=spec.limit)
            if what[0] == "match":
                ob.satisfy(targets[what[1]])
            elif what[0] == "done":
                assert spec.target_field is not None
                value = a.fields[spec.target_field]
                ob.done_id, ob.done_day, ob.done_at = a.id, local_day(value), instant(value)
            out.append(ob)
        return out

    def _run(self, name: str, sid: str, facts: dict[str, dict[str, Any]]) -> list[tuple[Any, ...]]:
        """One session per case and rule: all facts in one batch, then delete the session."""
        session = _Session(facts)
        self._sessions[sid] = session
        try:
            # WORKAROUND (issue #5): facts go in one assert_facts batch, each with a unique id
            # (a repeated fact raises MessageObservedException), the triggering fact last.
            self.host.assert_facts(name, list(facts.values()))
            return list(session.results)
        finally:
            del self._sessions[sid]
            # WORKAROUND (issue #5): at most 1,024 live sessions per ruleset (the next raises
            # MemoryError), so each session is deleted after its case.  Deleting a session in
            # which no action ran segfaults: the 'end' rule always fires, and if it did not
            # (an exception came first) the session is left and the process marked for restart.
            if session.actions:
                self.host.delete_state(name, sid)
            else:
                self.poisoned = True

    def crash_for_test(self) -> None:
        """Crash the C core on purpose (a session in which no action ran, deleted)."""
        name = next(iter(self._names.values()), None)
        if name is not None:
            # a lone target joins nothing, so no action runs in this session
            with contextlib.suppress(Exception):
                self.host.assert_facts(name, [{"sid": "crash", "id": "x", "kind": "target"}])
            self.host.delete_state(name, "crash")
        os.kill(os.getpid(), signal.SIGSEGV)  # in case the C core survived


class DurableResultError(RuntimeError):
    """durable-rules gave no outcome, or two different ones, for an anchor."""


def _outcomes(results: list[tuple[Any, ...]], n_anchors: int) -> dict[int, tuple[Any, ...]]:
    """One outcome per anchor that qualified, from the actions' results."""
    # WORKAROUND (issue #5): results are de-duplicated; an action that fires twice for the same
    # anchor with the same outcome counts once, and two different outcomes are an error.
    seen: dict[int, tuple[Any, ...]] = {}
    ended = False
    for r in dict.fromkeys(results):
        if r[0] == "end":
            ended = True
            continue
        seq, what = r[1], (r[0], *r[2:])
        if seq in seen and seen[seq] != what:
            raise DurableResultError(f"durable-rules gave two outcomes for anchor #{seq}: "
                                     f"{seen[seq][0]} and {what[0]}")
        seen[seq] = what
    if not ended:
        raise DurableResultError("durable-rules stopped before the end of the case")
    used = [w[1] for w in seen.values() if w[0] == "match"]
    if len(used) != len(set(used)):
        raise DurableResultError("durable-rules used one target for two anchors")
    if any(not 0 <= seq < n_anchors for seq in seen):
        raise DurableResultError("durable-rules named an anchor that does not exist")
    return seen


_DAY = 100_000  # more seconds than the longest local day (25 hours)


def _seconds_into(it: Item) -> int:
    """Seconds from the start of the item's local day to its instant (it has a time)."""
    assert it.at is not None
    local = it.at.astimezone(UK)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return int(local.timestamp() - midnight.timestamp())


def _anchor_position(anchor: Item, earliest: int, strictly: bool) -> int:
    """Ruling 1 as one number: the earliest day, and on that day the anchor's time when it
    has one; with no time, every target of that day passes (on or after) or none (strictly
    after).  Compared with a target's ``_positions``."""
    timed = anchor.at is not None and earliest == anchor.day.toordinal()
    if strictly:
        return earliest * _DAY + (_seconds_into(anchor) if timed else _DAY - 1)
    return earliest * _DAY + (_seconds_into(anchor) if timed else 0)


def _positions(t: Item) -> dict[str, int]:
    """A target's day and time as one number: ``pos_hi`` puts a target with no time last in
    its day (it passes on or after), ``pos_lo`` first (it is never strictly after)."""
    base = t.day.toordinal() * _DAY
    if t.at is None:
        return {"pos_hi": base + _DAY - 1, "pos_lo": base}
    return {"pos_hi": base + _seconds_into(t), "pos_lo": base + _seconds_into(t)}


def _encode(item: Item, names: list[str]) -> dict[str, Any]:
    """The fields a rule tests, as ``f_<name>``; a missing, null or blank field is left out
    (Ruling 8: blank text is not recorded)."""
    out: dict[str, Any] = {}
    for name in names:
        value = item.fields.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        elif not _scalar(value):
            value = repr(value)  # only its presence can be tested
        out[f"f_{name}"] = value
    return out


# ---------------------------------------------------------------------------------------------
# the child process


def _child_main(conn: Any, profile: str, warn: int | None) -> None:
    from engine.evaluate.compile import build_ruleset
    from engine.rules.profiles import load_profile

    try:
        prof = load_profile(profile)
        library = load_library(vocabulary=prof.vocabulary)
        engine = DurableEngine(build_ruleset(prof, library, warn=warn), library, prof.params)
    except BaseException as exc:  # report why, then stop
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", None))
    fault = os.environ.get(FAULT_ENV)
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        payload, as_of, case_warn = msg
        record: dict[str, Any] = pickle.loads(payload)
        if fault is not None and record["case_id"] == fault:
            engine.crash_for_test()
        try:
            result = engine.evaluate(record, as_of, case_warn)
            conn.send(("ok", result, engine.poisoned))
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}", engine.poisoned))
        if engine.poisoned:
            return


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "did not answer in time and was stopped"
    if code < 0:
        try:
            return f"crashed ({signal.Signals(-code).name})"
        except ValueError:
            return f"crashed (signal {-code})"
    return f"stopped (exit code {code})"


class DurableRuleSet:
    """Stands in for a ``RuleSet`` (``evaluate``, ``rules``, ``profile``, ...) and evaluates in a
    long-lived child process, so that a crash in durable-rules' C core cannot take the caller
    down: the case gets an error and the child is started again for the next case."""

    def __init__(self, ruleset: RuleSet, profile: str, warn: int | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        if not available():
            raise DurableUnavailable("durable-rules is not installed; install the extra with "
                                     "pip install -e '.[durable]'")
        self.core = ruleset
        self.rules = ruleset.rules
        self.profile = ruleset.profile
        self.known_event_types = ruleset.known_event_types
        self.calendar = ruleset.calendar
        self.warn = ruleset.warn
        self.meta = ruleset.meta
        self._profile_ref = profile
        self._warn = warn
        self.timeout = timeout
        self._ctx = multiprocessing.get_context("spawn")
        self._proc: Any = None
        self._conn: Any = None
        self.restarts = 0

    def __enter__(self) -> DurableRuleSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_child_main, args=(child, self._profile_ref, self._warn),
                                 daemon=True, name="casecheck-durable")
        proc.start()
        child.close()
        if not parent.poll(self.timeout):
            proc.kill()
            proc.join()
            raise DurableUnavailable("the durable engine's process did not start in time")
        try:
            status, detail = parent.recv()
        except EOFError:
            proc.join()
            raise DurableUnavailable("the durable engine's process "
                                     f"{_describe_exit(proc.exitcode)} while starting") from None
        if status != "ready":
            proc.join()
            raise DurableUnavailable(f"the durable engine could not start: {detail}")
        self._proc, self._conn = proc, parent

    def _stop(self, kill: bool = False) -> int | None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if proc is None:
            return None
        if kill and proc.is_alive():
            proc.kill()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join()
        conn.close()
        return proc.exitcode

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(BrokenPipeError, OSError):
                self._conn.send(None)
        self._stop()

    @property
    def child_pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def evaluate(self, record: dict[str, Any], as_of: date, warn: int | None = None) -> CaseResult:
        if self._proc is None or not self._proc.is_alive():
            if self._proc is not None:
                self._stop()  # died between cases: start again, no case lost
                self.restarts += 1
            self._start()
        payload = pickle.dumps(record)
        try:
            self._conn.send((payload, as_of, warn))
            ready = self._conn.poll(self.timeout)
            reply = self._conn.recv() if ready else None
        except (EOFError, BrokenPipeError, OSError):
            reply = None
        if reply is None:
            code = self._stop(kill=True)
            self.restarts += 1
            return self._crashed(record, as_of, _describe_exit(code))
        if reply[2]:  # the child could not clean up a session: replace it before the next case
            self.close()
        if reply[0] == "ok":
            result: CaseResult = reply[1]
            return result
        return self._crashed(record, as_of, f"failed: {reply[1]}")

    def _crashed(self, record: dict[str, Any], as_of: date, what: str) -> CaseResult:
        result = CaseResult(record["case_id"], as_of, self.profile, evaluated=True,
                            team=team_of(record))
        result.errors.append(Problem(
            f"the durable engine {what} while evaluating this case; no findings from it",
            expected="an evaluation by the durable engine"))
        return result


def build(ruleset: RuleSet, profile: str, warn: int | None = None,
          timeout: float = DEFAULT_TIMEOUT) -> DurableRuleSet:
    """The durable engine for a profile, in its own process (``--engine durable``)."""
    return DurableRuleSet(ruleset, profile, warn, timeout)

