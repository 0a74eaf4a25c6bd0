"""Running the engine elsewhere: ``spark.py`` evaluates case records inside a Spark job.

This room sits at the top, beside ``engine.app``: it calls the same ``evaluate_raw`` and
``sweep_json`` as ``casecheck sweep``, so a regional job writes the same findings lines.
"""
