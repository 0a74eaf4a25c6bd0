"""Sources: adapters from the extracts authorities already hold (the Standard Safeguarding
Dataset, the SSDA903 and CIN census returns) to ``casecheck/case-record@1`` records.

They stand in front of intake: they know the case-record format and the calendar, and nothing
of rules, evaluation, sweeps or reports.  (The adapters arrive with the "Real data in" issue.)
"""
