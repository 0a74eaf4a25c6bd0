"""Input adapters: turn an authority's extracts into ``casecheck/case-record@1`` dicts.

Each adapter (``ssd``, ``ssda903``, ``cin``) reads one kind of extract, groups its rows by child
and yields one plain record dict per child, together with an ``ImportReport`` that accounts for
every row read (used or rejected, with ``file:line`` and a reason) and every normalisation
applied.  Adapters know the case-record format and nothing of rules, evaluation, reports or
YAML; each declares which episode types, event types and fields it can supply (``SUPPLIES``),
and puts that declaration on every record under ``source`` so that the engine can tell a rule
that is breached from one that this source cannot assess.  Nothing here imports the rest of
``engine``: records are plain dicts, validated downstream like any other input.
"""

from .casefile import write_jsonl
from .coverage import coverage_matrix
from .report import ImportReport, SourceError

__all__ = ["ImportReport", "SourceError", "coverage_matrix", "write_jsonl"]
