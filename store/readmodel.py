"""The read model: RyzeAPI's "Chatwoot · Status / info" read, the one copy of its rules.

Both the CLI (``cwdash status``) and the dashboard call :meth:`ReadModel.status`:
look the instance up, read its row, require a configured gateway, complement with
the live state (best effort, one time budget), backfill a still-zero inbox id, and
fall back to the local values when the live read fails, saying why.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cwdash.store.config import Config, ConfigError
from cwdash.store.db import Store, StoreError
from cwdash.store.document import StatusDocument
from cwdash.store.live import BridgeSource, LiveFailure, LiveOutcome, LiveSource, LiveState
from cwdash.store.sealing import Sealer


@dataclass(frozen=True, slots=True)
class MappedError:
    """One of RyzeAPI's mapped errors: HTTP status and the exact message."""

    http_status: int
    message: str
    hint: str

    def envelope(self) -> dict[str, object]:
        """RyzeAPI's error envelope."""
        return {"success": False, "error": {"message": self.message}}


INSTANCE_NOT_FOUND = MappedError(
    404, "instance not found", "no instance by that name in the store; check the name with `cwdash list`"
)
NO_INTEGRATION = MappedError(
    404,
    "no chatwoot integration for this instance",
    "set one up with `cwdash set NAME ...` (RyzeAPI: POST /api/chatwoot/set/:instance)",
)
GATEWAY_NOT_CONFIGURED = MappedError(
    503, "integration gateway not configured", "set BRIDGE_URL and BRIDGE_TOKEN"
)
NOTHING_TO_DELETE = MappedError(404, "no chatwoot integration to delete", "nothing to remove")


@dataclass(frozen=True, slots=True)
class StatusRead:
    """A successful read: the document plus where its volatile fields came from."""

    document: StatusDocument
    source: Literal["live", "local"]
    failure: LiveFailure | None = None
    backfilled: bool = False
    backfill_error: str | None = None


ReadResult = StatusRead | MappedError


def merge(document: StatusDocument, outcome: LiveOutcome | None) -> StatusRead:
    """Apply a live outcome to the local document (no I/O: the rule, alone)."""
    if isinstance(outcome, LiveState):
        return StatusRead(document.with_live(outcome.status, outcome.last_error, outcome.inbox_id), "live")
    return StatusRead(document, "local", failure=outcome)


def needs_backfill(document: StatusDocument, outcome: LiveOutcome | None) -> int | None:
    """The inbox id to write back, when the bridge knows it and the local row still has 0."""
    if isinstance(outcome, LiveState) and outcome.inbox_id and document.chatwoot_inbox_id == 0:
        return outcome.inbox_id
    return None


def _backfill(path: Path, name: str, inbox_id: int, timeout: float) -> bool:
    # A connection of its own: backfills run in a worker thread, beside the reader.
    store = Store.open(path, timeout=timeout)
    try:
        return store.backfill_inbox(name, inbox_id)
    finally:
        store.close()


class ReadModel:
    """Answers status reads against one store and, optionally, one live source."""

    def __init__(
        self,
        store: Store,
        sealer: Sealer | None,
        live: LiveSource | None,
        *,
        key_problem: str | None = None,
        backfill_timeout: float = 5.0,
    ) -> None:
        self.store = store
        self.sealer = sealer
        self.live = live
        self.key_problem = key_problem
        self.backfill_timeout = backfill_timeout

    @classmethod
    def from_config(cls, config: Config, store: Store, *, live: bool = True) -> ReadModel:
        """Wire a read model from configuration; a missing or bad key only affects tokens."""
        sealer: Sealer | None = None
        problem: str | None = None
        try:
            sealer = config.sealer()
        except ConfigError as exc:
            problem = str(exc)
        source: LiveSource | None = None
        if live and config.gateway_configured:
            assert config.bridge_url and config.bridge_token
            source = BridgeSource(
                config.bridge_url,
                config.bridge_token,
                timeout=config.live_timeout,
                max_connections=config.concurrency,
            )
        return cls(store, sealer, source, key_problem=problem)

    @property
    def gateway_configured(self) -> bool:
        return self.live is not None

    async def aclose(self) -> None:
        if self.live is not None:
            await self.live.aclose()

    def local(self, name: str) -> ReadResult:
        """The local half of the read: steps 1 and 2, no gateway needed."""
        row = self.store.integration(name)
        if row is None:
            return NO_INTEGRATION if self.store.instance_exists(name) else INSTANCE_NOT_FOUND
        return StatusRead(StatusDocument.from_row(row, self.sealer, self.key_problem), "local")

    async def status(self, name: str, *, live: bool = True) -> ReadResult:
        """The full read. ``live=False`` skips the live read and the gateway check (``--local``)."""
        local = self.local(name)
        if not isinstance(local, StatusRead) or not live:
            return local
        if self.live is None:
            return GATEWAY_NOT_CONFIGURED
        document = local.document
        outcome = await self.live.read(document.bridge_integration_id)
        result = merge(document, outcome)
        inbox = needs_backfill(document, outcome)
        if inbox is None:
            return result
        try:
            written = await asyncio.to_thread(_backfill, self.store.path, name, inbox, self.backfill_timeout)
        except StoreError as exc:
            return StatusRead(result.document, result.source, backfill_error=str(exc))
        return StatusRead(result.document, result.source, backfilled=written)
