"""Running many cases: the sweep (streaming, worker processes, ``findings.jsonl`` and
``summary.json``) and the sweep history store (SQLite).

It calls evaluation and intake; it knows no output format beyond the findings lines it is
handed a serialiser for, so it never imports ``engine.reports``, sources or the CLI.
"""
