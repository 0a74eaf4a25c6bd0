"""The rule author's tools: the test cases written beside each rule (``rules test`` and
coverage lint), the generated rule reference pages, and ``rules explain``.

These run evaluation on rules, so they sit above ``engine.evaluate``; nothing below imports
them, and they never import reports, sweeps or the CLI.
"""
