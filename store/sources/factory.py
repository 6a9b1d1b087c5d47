"""The one place configuration picks the live source.

:attr:`Config.live_source_name <cwdash.store.config.Config.live_source_name>` names the
source in use; :data:`SOURCES` maps each name to the function that makes it, importing
that source's module only then (a fleet on the bridge never loads RyzeAPI's client, nor
a fleet on RyzeAPI the bridge's). A new source is one module in this
package (see :mod:`cwdash.store.sources.base`) and one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cwdash.store.sources.base import LiveSource

if TYPE_CHECKING:
    from cwdash.store.config import Config

SourceMaker = Callable[["Config"], LiveSource | None]


def _bridge(config: Config) -> LiveSource | None:
    from cwdash.store.sources import bridge

    return bridge.from_config(config)


def _ryzeapi(config: Config) -> LiveSource | None:
    from cwdash.store.sources import ryzeapi

    return ryzeapi.from_config(config)


# One line per live source: its name (CWDASH_SOURCE, --source) and how it is made.
SOURCES: dict[str, SourceMaker] = {
    "bridge": _bridge,  # BRIDGE_URL + BRIDGE_TOKEN
    "ryzeapi": _ryzeapi,  # RYZEAPI_URL + RYZEAPI_TOKEN
}


def live_source(config: Config) -> LiveSource | None:
    """The live source the configuration asks for, or None when it asks for none."""
    name = config.live_source_name
    make = SOURCES.get(name) if name else None
    return make(config) if make is not None else None
