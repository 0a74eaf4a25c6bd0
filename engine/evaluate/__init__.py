"""The evaluation room: one module per kind of rule (``followup``, ``schedule``,
``threshold``, ``check``) over the shared ``obligation`` machinery, statuses, findings, message
rendering, the compiler from rule files to rule objects, and the evaluator (``RuleSet``).

Pure computation on a validated record and an as-of date: no I/O, no output formats, no
input formats.  It may import ``engine.calendar``, ``engine.records`` and ``engine.rules``;
never sweeps, reports, sources, authoring tools or the CLI.
"""
