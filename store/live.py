"""Compatibility names for the live read, which now lives in :mod:`cwdash.store.sources`.

Kept only while other branches still import from here; new code imports from
``cwdash.store.sources.<module>``. Remove once nothing does (``grep -rn store.live``).
"""

from __future__ import annotations

from cwdash.store.sources.base import LiveSource, LiveTarget
from cwdash.store.sources.bridge import BridgeSource
from cwdash.store.sources.httpread import MAX_BODY
from cwdash.store.sources.outcome import STATUSES, LiveFailure, LiveOutcome, LiveState, Reason, parse_state

__all__ = [
    "MAX_BODY",
    "STATUSES",
    "BridgeSource",
    "LiveFailure",
    "LiveOutcome",
    "LiveSource",
    "LiveState",
    "LiveTarget",
    "Reason",
    "parse_state",
]
