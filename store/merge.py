"""The merge rule: how a live outcome and the local record combine, in one place.

Live wins for the volatile fields (``status``, ``last_error``) unless the read failed
or did not happen; then the local values stand. A live inbox id fills only a local 0
(RyzeAPI's backfill), never overwrites a known one. The read model (``cwdash status``
and the detail pane) and the fleet list's rows both settle through these functions.
"""

from __future__ import annotations

from typing import Literal

from cwdash.store.sources.outcome import LiveOutcome, LiveState

Source = Literal["live", "local"]


def merge_volatile(
    local_status: str, local_error: str, outcome: LiveOutcome | None
) -> tuple[str, str, Source]:
    """``(status, last_error, source)`` to show: the live values when the read answered,
    the local ones when it failed or has not happened."""
    if isinstance(outcome, LiveState):
        return outcome.status, outcome.last_error, "live"
    return local_status, local_error, "local"


def inbox_to_fill(local_inbox: int, outcome: LiveOutcome | None) -> int | None:
    """The live inbox id that fills a local 0, or None (a known local id always stays)."""
    if (
        local_inbox == 0
        and isinstance(outcome, LiveState)
        and outcome.inbox_id is not None
        and outcome.inbox_id > 0
    ):
        return outcome.inbox_id
    return None
