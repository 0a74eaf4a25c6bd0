"""The cross-check engine: the follow-up rules evaluated a second way, through durable-rules,
to catch mistakes in the core evaluator.  Optional (the ``durable`` extra).

It builds on evaluation and the rule book; nothing but the application layer imports it.
"""
