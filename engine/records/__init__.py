"""The case-record room: the ``casecheck/case-record@1`` format (models, vocabulary), intake
(reading files and validating records, with JSON pointers in every error), problems, and the
as-of case view the evaluator reads.

Everything outside intake is untrusted; everything it hands on is typed and checked.  It may
import only ``engine.calendar``: never rules, evaluation, sweeps, reports or the CLI.
"""
