"""Verify an integration's credentials against Chatwoot itself (issue 15, part 1).

:mod:`.result` (levels, steps, diagnoses), :mod:`.checks` (the four HTTP checks),
:mod:`.runner` (the verifier: the token opened and audited, one budget, one verify per
instance at a time, bounded concurrency and rate for a fleet). Loaded only when a
verify runs: the dashboard's start imports none of it (nor httpx).
"""
