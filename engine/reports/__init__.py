"""Reports: what people read.  The findings JSON contract, the manager's text and markdown
view, the auditor's compliance section, the dashboard, and history listings and diffs.

Reporters turn findings, history rows and standards into output; they know nothing of YAML
or input formats and never evaluate.  They may import ``engine.evaluate`` (findings,
statuses), ``engine.rules.standards`` (the catalogue's data classes) and ``engine.batch``
(history queries); never sources, authoring tools or the CLI.
"""
