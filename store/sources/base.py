"""The interface every live source implements, and what it is given.

What a live source is
    Something that can tell an integration's current (volatile) state: its status,
    its last error and, when known, its Chatwoot inbox id. The local store holds the
    rest; the read model (:mod:`cwdash.store.readmodel`) merges the two.

What it is given
    A :class:`LiveTarget`: what the store's listing already knows of one instance,
    its name and its integration id. Each source uses the key it needs: the bridge
    reads by integration id; RyzeAPI's own HTTP API reads by instance name. Building a
    target costs one small object, so reads never go back to the store for it.

What it returns
    An outcome (:mod:`cwdash.store.sources.outcome`): a :class:`LiveState`, or a
    :class:`LiveFailure` whose reason is worded for this source (:attr:`wording`:
    "bridge timed out", "bridge rejected BRIDGE_TOKEN"). ``read`` never raises for
    anything the network or the remote side can do; an exception escaping it is a
    bug, which the read model logs and shows as an unexpected failure.

Its lifecycle
    Made by :mod:`cwdash.store.sources.factory` from configuration (or directly, by
    tests and the demo), cheaply: nothing heavy (httpx, a CA bundle, a connection)
    happens before the first ``read``. ``read`` may run many times at once on one
    event loop; every read of one source happens on the loop of its first read.
    ``aclose`` releases connections, on that same loop, once, at the end. Secrets the
    source holds never appear in its ``repr``, its failures or the log.

Adding a source
    One new module in this package with a subclass and a ``from_config(config)``
    returning it (or None when configuration does not ask for it), and one line in
    :data:`cwdash.store.sources.factory.SOURCES`.
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
from abc import ABC, abstractmethod
from typing import ClassVar, NamedTuple

from cwdash.store.sources.outcome import BRIDGE_WORDING, LiveOutcome, Wording


class LiveTarget(NamedTuple):
    """One instance as a live source sees it: what the listing already knows."""

    instance_name: str
    integration_id: str


class LiveSource(ABC):
    """Reads one integration's live state; see the module's documentation."""

    #: How the user's texts name this source, and the settings that configure it.
    wording: ClassVar[Wording] = BRIDGE_WORDING
    #: A source with a rate budget shared by its token's users (RyzeAPI): the dashboard
    #: schedules its reads from that budget and shows what is left.
    has_budget: ClassVar[bool] = False

    @property
    def name(self) -> str:
        """The source's name in reason texts ("bridge")."""
        return self.wording.name

    @abstractmethod
    async def read(self, target: LiveTarget) -> LiveOutcome:
        """The live state of ``target``, or why there is none. Never raises for the network."""

    async def aclose(self) -> None:  # noqa: B027 - a source without connections has nothing to close
        """Release connections; called once, on the loop the reads ran on."""
