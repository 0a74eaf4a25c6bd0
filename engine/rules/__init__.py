"""The rule-language room: safe YAML with line numbers, the strict rule schema, the rule book
(loading packs), message templates, profiles and the standards catalogue.

It says what rule and profile files mean and refuses bad ones with ``file:line`` errors; it
does not compute obligations (that is ``engine.evaluate``, which compiles what this room
validates).  It may import ``engine.calendar`` and ``engine.records`` (for the vocabulary of
event and episode types), never evaluation, sweeps, reports, authoring tools or the CLI.
"""
