"""The status vocabulary: the statuses an integration has, and the states a fleet row shows.

One place for the words, the order "sort by status" puts them in, and whether
"attention only" keeps them. The store, the live read, the import checks and the
fleet read them from here; the screens add only how each looks
(:mod:`cwdash.tui.look`), keyed by these same words.
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
from typing import NamedTuple

# What RyzeAPI's gateway reports and the store holds in ``status``.
ACTIVE, PAUSED, ERROR = "active", "paused", "error"
STATUSES = (ACTIVE, PAUSED, ERROR)
DEFAULT_STATUS = ACTIVE  # a new integration, and an imported one that does not say

# The states a fleet row can show besides a status (FleetRow.status is "" without integration).
NO_INTEGRATION = ""
GONE = "gone"  # vanished from the store while shown
BAD_ROW = "bad row"  # a row another tool wrote that cwdash cannot use
UNKNOWN = "unknown"  # a status outside the vocabulary (never stored by cwdash)


class RowState(NamedTuple):
    """What a state means to the fleet: its word, its sort rank, whether it needs a look."""

    word: str  # what the filter matches and the CLI prints (upper-cased)
    order: int  # sorting by status: the rows that need a look first
    attention: bool  # kept by "attention only"


STATES: dict[str, RowState] = {
    ERROR: RowState("error", 0, True),
    PAUSED: RowState("paused", 1, False),
    ACTIVE: RowState("active", 2, False),
    NO_INTEGRATION: RowState("no integration", 3, True),
    GONE: RowState("gone", 3, True),
    BAD_ROW: RowState("bad row", 3, True),
    UNKNOWN: RowState("unknown", 3, False),
}

# Sorting by status reads the row's ``status`` field (a bad row's is "", a gone row keeps
# its last one): rank by field value, anything else last. A dict lookup per row.
SORT_ORDER = {status: STATES[status].order for status in (*STATUSES, NO_INTEGRATION)}
LAST = STATES[UNKNOWN].order
# The statuses "attention only" keeps; gone and bad rows (and failing reads) are kept by
# FleetRow.needs_attention as well, whatever their status field says.
ATTENTION = frozenset(s for s in (*STATUSES, NO_INTEGRATION) if STATES[s].attention)


def row_state(status: str, *, gone: bool, bad: bool) -> str:
    """The state a row shows: gone and bad win over the status they carry."""
    if gone:
        return GONE
    if bad:
        return BAD_ROW
    return status if status in SORT_ORDER else UNKNOWN


# The WhatsApp connection of an instance, as RyzeAPI's instance listing reports it
# (``connection.state``); "" when no listing has said (the bridge does not know it).
CONNECTED, CONNECTING, DISCONNECTED, LOGGEDOUT = "connected", "connecting", "disconnected", "loggedout"
CONNECTION_STATES = (CONNECTED, CONNECTING, DISCONNECTED, LOGGEDOUT)
UNKNOWN_CONNECTION = ""
# A number in these states receives nothing: an integration still "active" on it is broken
# without saying so (Chatwoot simply stops receiving messages).
OFFLINE = frozenset({DISCONNECTED, LOGGEDOUT})
NUMBER_OFFLINE = "number offline"  # the word for that breakage (the filter, the CLI)
NOT_LISTED = "not listed upstream"  # an instance RyzeAPI's last full listing did not have


def silently_broken(status: str, connection: str) -> bool:
    """An integration that says active while its number is logged out or disconnected."""
    return status == ACTIVE and connection in OFFLINE
