"""The read model: RyzeAPI's "Chatwoot · Status / info" read, the one copy of its rules.

Both the CLI (``cwdash status``) and the dashboard call :meth:`ReadModel.status`:
look the instance up, read its row, require a configured gateway, complement with
the live state (best effort, one time budget), backfill a still-zero inbox id, and
fall back to the local values when the live read fails, saying why.

The dashboard's background reads of the whole fleet use :meth:`ReadModel.read_live`
instead: the listing already knows what a read needs (a :class:`LiveTarget` and the
local inbox id), so such a read touches the store only to write a backfill.
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
import asyncio
import copy
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from cwdash.store.config import NOT_CONFIGURED_HINT, Config, ConfigError
from cwdash.store.db import BadRowError, Store, StoreError
from cwdash.store.document import StatusDocument
from cwdash.store.merge import inbox_to_fill, merge_volatile
from cwdash.store.sealing import Sealer
from cwdash.store.sources.base import LiveSource, LiveTarget
from cwdash.store.sources.factory import live_source
from cwdash.store.sources.outcome import LiveFailure, LiveOutcome, LiveState, Reason

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("cwdash.live")
UNEXPECTED = LiveFailure(Reason.UNEXPECTED, "see the log")


class MappedError(NamedTuple):
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
GATEWAY_NOT_CONFIGURED = MappedError(503, "integration gateway not configured", NOT_CONFIGURED_HINT)
NOTHING_TO_DELETE = MappedError(404, "no chatwoot integration to delete", "nothing to remove")

# A read that failed for a reason cwdash did not foresee (a bug, a store that broke mid-read):
# never the exception's text, which may quote a secret; the log has the traceback.
READ_FAILED = MappedError(500, "unexpected error in the live read; see the log", "the log has the details")

BAD_ROW_STATUS = 500


def bad_row(field: str) -> MappedError:
    """A store row another tool wrote wrong: listed, never read live (see cwdash.store.rows)."""
    return MappedError(
        BAD_ROW_STATUS,
        f"bad row: {field}",
        "another tool wrote this row of the store; delete it with `cwdash delete NAME` "
        "and set it again with `cwdash set NAME ...`",
    )


class StatusRead(NamedTuple):
    """A successful read: the document plus where its volatile fields came from."""

    document: StatusDocument
    source: Literal["live", "local"]
    failure: LiveFailure | None = None
    backfilled: bool = False
    backfill_error: str | None = None


ReadResult = StatusRead | MappedError


def merge(
    document: StatusDocument,
    outcome: LiveOutcome | None,
    *,
    backfilled: bool = False,
    backfill_error: str | None = None,
) -> StatusRead:
    """Apply a live outcome to the local document by :mod:`cwdash.store.merge`'s rule (no I/O)."""
    status, last_error, source = merge_volatile(document.status, document.last_error, outcome)
    if source == "local":
        failure = outcome if isinstance(outcome, LiveFailure) else None
        return StatusRead(document, "local", failure, backfilled, backfill_error)
    inbox = inbox_to_fill(document.chatwoot_inbox_id, outcome) or document.chatwoot_inbox_id
    return StatusRead(
        document.with_volatile(status, last_error, inbox), "live", None, backfilled, backfill_error
    )


def needs_backfill(document: StatusDocument, outcome: LiveOutcome | None) -> int | None:
    """The inbox id to write back, when the live source knows it and the local row still has 0."""
    return inbox_to_fill(document.chatwoot_inbox_id, outcome)


class LiveResult(NamedTuple):
    """A background read (:meth:`ReadModel.read_live`): the live outcome and what became
    of the inbox id, without the document. ``source``, ``failure``, ``backfilled`` and
    ``backfill_error`` mean what they mean on :class:`StatusRead`."""

    outcome: LiveOutcome
    inbox_id: int  # the local one, or the live one filling a local 0 (as in the document)
    backfilled: bool = False
    backfill_error: str | None = None

    @property
    def source(self) -> Literal["live", "local"]:
        return "live" if isinstance(self.outcome, LiveState) else "local"

    @property
    def failure(self) -> LiveFailure | None:
        outcome = self.outcome
        return outcome if isinstance(outcome, LiveFailure) else None


class BackfillWriter:
    """Writes backfilled inbox ids on one store connection kept for the read model's life,
    on one thread of its own: a write waiting on a busy store (up to its timeout) never
    holds up the event loop the reads run on, and backfills never run at the same time.

    The connection is opened on the first backfill; a write that fails drops it, so the
    next one opens the store afresh (it may have been replaced or fixed meanwhile)."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._store: Store | None = None
        self._thread: ThreadPoolExecutor | None = None  # started at the first backfill

    async def write(self, name: str, inbox_id: int) -> bool:
        """Fill ``name``'s still-zero inbox id; False when it was set meanwhile."""
        if self._thread is None:
            from concurrent.futures import ThreadPoolExecutor

            self._thread = ThreadPoolExecutor(1, thread_name_prefix="cwdash-backfill")
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._write, name, inbox_id)

    def _write(self, name: str, inbox_id: int) -> bool:  # on the writer's thread
        if self._store is None:
            self._store = Store.open(self.path, timeout=self.timeout)
        try:
            return self._store.backfill_inbox(name, inbox_id)
        except BaseException:
            self._drop()
            raise

    def _drop(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            store.close()

    async def aclose(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.get_running_loop().run_in_executor(thread, self._drop)
            thread.shutdown(wait=False)


def store_sealer(config: Config, store: Store) -> tuple[Sealer | None, str | None]:
    """The configuration's sealer, told the store's key (so "wrong key" messages name it),
    or None and why: a missing or bad key stops only the opening of tokens (the read model's
    and the verifier's)."""
    try:
        sealer = config.sealer()
    except ConfigError as exc:
        return None, str(exc)
    import contextlib
    import sqlite3

    from cwdash.store.schema import recorded

    with contextlib.suppress(sqlite3.DatabaseError):  # a damaged store: the read itself says so
        sealer.store_key = recorded(store.conn)
    return sealer, None


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
        self.backfills = BackfillWriter(store.path, backfill_timeout)
        self.configured: tuple[Config, LiveSource] | None = None  # see live_config

    def on_store(self, store: Store) -> "ReadModel":
        """The same read model on another connection (the dashboard's feed thread); a
        subclass keeps what it adds (the demo's)."""
        other = copy.copy(self)
        other.store = store
        other.backfills = BackfillWriter(store.path, self.backfill_timeout)
        return other

    @classmethod
    def from_config(cls, config: Config, store: Store, *, live: bool = True) -> "ReadModel":
        """Wire a read model from configuration; a missing or bad key only affects tokens."""
        sealer, problem = store_sealer(config, store)
        model = cls(store, sealer, live_source(config) if live else None, key_problem=problem)
        if model.live is not None:
            model.configured = (config, model.live)
        return model

    @property
    def live_config(self) -> Config | None:
        """The configuration the live source was made from, while it is still the one in
        use: such a source can be made again elsewhere (the dashboard's reads process)."""
        configured = self.configured
        return configured[0] if configured is not None and configured[1] is self.live else None

    @property
    def gateway_configured(self) -> bool:
        return self.live is not None

    async def aclose(self) -> None:
        """Close the live source and the backfill connection, on the loop the reads ran on."""
        try:
            if self.live is not None:
                await self.live.aclose()
        finally:
            await self.backfills.aclose()

    def document(self, name: str) -> StatusDocument | MappedError:
        """Steps 1 and 2: the local record of ``name`` (its token sealed), or the mapped error."""
        try:
            document = self.store.integration(name, self.sealer, self.key_problem)
        except BadRowError as exc:
            return bad_row(exc.bad.field)
        if document is None:
            return NO_INTEGRATION if self.store.instance_exists(name) else INSTANCE_NOT_FOUND
        return document

    def local(self, name: str) -> ReadResult:
        """The local half of the read: steps 1 and 2, no gateway needed."""
        document = self.document(name)
        return document if isinstance(document, MappedError) else StatusRead(document, "local")

    async def status(self, name: str, *, live: bool = True) -> ReadResult:
        """The full read. ``live=False`` skips the live read and the gateway check (``--local``).

        The record is read once and the answer built once, from the record, the live
        outcome and the backfill's result."""
        document = self.document(name)
        if isinstance(document, MappedError):
            return document
        if not live:
            return StatusRead(document, "local")
        if self.live is None:
            return GATEWAY_NOT_CONFIGURED
        try:
            outcome = await self.live.read(LiveTarget(name, document.bridge_integration_id))
        except Exception:
            # A bug, not the gateway: the row keeps its local values, the screen gets a
            # generic reason (an exception's text may quote a header, hence a token),
            # and the log the traceback.
            log.exception("unexpected error in the live read of instance %r", name)
            return StatusRead(document, "local", failure=UNEXPECTED)
        if isinstance(outcome, LiveFailure):
            log.info("live read of instance %r failed: %s", name, outcome.describe())
        inbox = needs_backfill(document, outcome)
        if inbox is None:
            return merge(document, outcome)
        backfilled, backfill_error = await self._backfill(name, inbox)
        return merge(document, outcome, backfilled=backfilled, backfill_error=backfill_error)

    async def read_live(self, target: LiveTarget, local_inbox_id: int) -> LiveResult:
        """The dashboard's background read of one listed integration: the live read, and
        a backfill by :func:`needs_backfill`'s rule. The store is touched only to write
        that backfill; no document is built (the sealed token stays where it is).

        ``target`` and ``local_inbox_id`` come from the listing. Failures are values,
        as in :meth:`status`; without a live source every read fails as unexpected
        (the caller reads live only when :attr:`gateway_configured`)."""
        name = target.instance_name
        try:
            assert self.live is not None, "read_live without a live source"
            outcome = await self.live.read(target)
        except Exception:
            log.exception("unexpected error in the live read of instance %r", name)
            return LiveResult(UNEXPECTED, local_inbox_id)
        if isinstance(outcome, LiveFailure):
            if log.isEnabledFor(logging.INFO):
                log.info("live read of instance %r failed: %s", name, outcome.describe())
            return LiveResult(outcome, local_inbox_id)
        inbox = inbox_to_fill(local_inbox_id, outcome)
        if inbox is None:
            return LiveResult(outcome, local_inbox_id)
        written, error = await self._backfill(name, inbox)
        return LiveResult(outcome, inbox, written, error)

    async def _backfill(self, name: str, inbox_id: int) -> tuple[bool, str | None]:
        """Write a backfill: (written, why it could not be)."""
        try:
            return await self.backfills.write(name, inbox_id), None
        except StoreError as exc:
            return False, str(exc)
        except Exception:
            log.exception("unexpected error saving the inbox id of instance %r", name)
            return False, "unexpected error; see the log"
