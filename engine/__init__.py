r"""casecheck's engine, one package ("room") per step of the data flow.

    sources -> records -> (rules) -> evaluate -> batch -> reports
                  \_________ calendar (all date arithmetic) _________/

``sources`` turn an authority's extracts into case records; ``records`` reads and validates
them; ``rules`` reads the rule files and profiles; ``evaluate`` computes obligations and
findings; ``batch`` runs many cases and keeps their history; ``reports`` writes what people
read.  ``authoring`` (rule tests, docs, explain), ``crosscheck`` (the durable-rules second
engine), ``synthetic`` (generated cohorts) and ``app`` (what each command does) sit on top.
``docs/architecture.md`` gives the import rules; import-linter enforces them.
"""
