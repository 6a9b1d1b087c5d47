"""The one place configuration picks the live source.

Each entry of :data:`SOURCES` makes its source from the configuration, or returns None
when the configuration does not ask for it; the first one configured is used. A new
source is one module in this package (see :mod:`cwdash.store.sources.base`) and one
line here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cwdash.store.sources import bridge, ryzeapi
from cwdash.store.sources.base import LiveSource

if TYPE_CHECKING:
    from cwdash.store.config import Config

SourceMaker = Callable[["Config"], LiveSource | None]

# One line per live source, in order of preference.
SOURCES: tuple[SourceMaker, ...] = (
    bridge.from_config,  # BRIDGE_URL + BRIDGE_TOKEN
    ryzeapi.from_config,  # RYZEAPI_URL + RYZEAPI_TOKEN
)


def live_source(config: Config) -> LiveSource | None:
    """The live source the configuration asks for, or None when it asks for none."""
    for make in SOURCES:
        source = make(config)
        if source is not None:
            return source
    return None
