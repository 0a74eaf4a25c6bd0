"""The message-template language of rule files: ``{name}`` placeholders from a fixed set.

Substitution is plain text replacement (no ``str.format``), so a rule file can never reach
attributes or run anything through a template.  Rendering is evaluation's job
(``engine.evaluate.messages``); this module says what a rule file may write.
"""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

VALUES = (
    "title", "target", "anchor", "anchor_id", "anchor_date", "due", "done_id", "done_date",
    "days_late", "unit", "limit", "elapsed", "as_of", "occurrence", "member", "reason",
    "clock_date",
)

def unknown_placeholders(template: str) -> list[str]:
    return [name for name in PLACEHOLDER.findall(template) if name not in VALUES]
