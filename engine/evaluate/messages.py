"""Finding messages from templates: ``{name}`` placeholders filled from a fixed set of values.

Substitution is plain text replacement (no ``str.format``), so a rule file can never reach
attributes or run anything through a template.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from engine.rules.templates import PLACEHOLDER

DEFAULTS = {
    "met": "{target} on {done_date}, within {limit} of {anchor} on {clock_date} (due {due})",
    "late": "{target} on {done_date}, {days_late} {unit} after the deadline of {due} "
            "({limit} from {anchor} on {clock_date})",
    "overdue": "no {target} recorded; due {due} ({limit} from {anchor} on {clock_date}), "
               "{days_late} {unit} overdue",
    "due_soon": "{target} due by {due} ({limit} from {anchor} on {clock_date})",
    "pending": "{target} due by {due} ({limit} from {anchor} on {clock_date})",
    "not_met": "{title}: not met for {anchor} {anchor_id} of {anchor_date}",
    "insufficient_data": "cannot decide: {reason}",
}
CHECK_MET = "{title}: met for {anchor} {anchor_id} of {anchor_date}"


@lru_cache(maxsize=512)
def compile_template(template: str) -> tuple[str, tuple[str, ...]]:
    """A template as a positional format string and its placeholder names, parsed once."""
    names: list[str] = []

    def slot(m: re.Match[str]) -> str:
        names.append(m.group(1))
        return "{" + str(len(names) - 1) + "}"

    literal = template.replace("{", "{{").replace("}", "}}")
    fmt = re.sub(r"\{\{([a-z_]+)\}\}", slot, literal)
    return fmt, tuple(names)


def render_with(template: str, value: Any) -> str:
    """Fill placeholders by calling ``value(name)``; a placeholder whose value is None stays."""
    fmt, names = compile_template(template)
    filled = []
    for name in names:
        v = value(name)
        filled.append("{" + name + "}" if v is None else v)
    return fmt.format(*filled)


def render_by(template: str, getters: Mapping[str, Callable[..., Any]], *args: Any) -> str:
    """``render_with`` with a function per placeholder, called as ``getters[name](*args)``
    (an unknown name, like a None value, stays): one call per placeholder, for the many
    messages of a sweep."""
    fmt, names = compile_template(template)
    filled = []
    for name in names:
        get = getters.get(name)
        v = None if get is None else get(*args)
        filled.append("{" + name + "}" if v is None else v)
    return fmt.format(*filled)


def render(template: str, values: dict[str, Any]) -> str:
    def fill(m: re.Match[str]) -> str:
        value = values.get(m.group(1))
        return m.group(0) if value is None else str(value)

    return PLACEHOLDER.sub(fill, template)
