"""``cwdash sync``'s engine: fill and refresh the store from RyzeAPI's own API.

One listing call (one per group of names with ``--names``), then one Status/info read per
instance that needs one, paced by the token's budget (:mod:`cwdash.store.ryzeapi.pacer`).

Writing, and why the store stays consistent whatever happens:

- the listing's facts (new instances, connection states, "not listed upstream" marks,
  ``--prune``) land in one transaction, after the whole listing was read and understood;
- each instance's Status/info lands in a transaction of its own, with the time it was
  synced and the listing summary it was synced at: an interrupted sync (Ctrl-C, kill, a
  fatal answer) leaves every instance either as it was or fully updated, and the next
  run skips what was synced recently at an unchanged summary, so it continues rather
  than restarts (``max_age=0`` reads everything again);
- a token the answer carries is sealed inside that transaction under the store's key
  (:mod:`cwdash.store.keyguard`); an answer without one keeps the local sealed token,
  and a new row without any says :data:`~cwdash.store.document.TOKEN_NOT_SYNCED`.

A bad token, an unreachable server (three reads in a row), a 503 from the Chatwoot
module or a store that cannot be written end the run with :class:`SyncAbort` (its
message and exit code); one instance's unexpected answer fails that instance only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cwdash.store import keyguard, upstream
from cwdash.store.db import BadRowError, Store, StoreError, now_rfc3339
from cwdash.store.document import (
    FIELDS,
    FLAGS,
    TOKEN,
    TOKEN_NOT_SYNCED,
    InvalidRecord,
    StatusDocument,
    check_name,
)
from cwdash.store.ryzeapi.client import (
    GATEWAY_NOT_CONFIGURED,
    INSTANCE_NOT_FOUND,
    NO_INTEGRATION,
    Answer,
    RyzeApi,
)
from cwdash.store.ryzeapi.listing import Listed
from cwdash.store.ryzeapi.pacer import PRIORITY_BACKGROUND, Budget
from cwdash.store.ryzeapi.records import Synced, parse_status
from cwdash.store.sources.outcome import LiveFailure, Reason

if TYPE_CHECKING:
    from cwdash.store.sealing import Sealer

DEFAULT_MAX_AGE = 1800.0  # seconds: a row synced more recently, at the same summary, is not read again
UNREACHABLE_IN_A_ROW = 3
ADDED, CHANGED, UNCHANGED, MARKED, PRUNED, FAILED = (
    "added",
    "changed",
    "unchanged",
    "marked",
    "pruned",
    "failed",
)
KINDS = (ADDED, CHANGED, UNCHANGED, MARKED, PRUNED, FAILED)
EXIT_FAIL, EXIT_NOT_FOUND, EXIT_UNAVAILABLE = 1, 4, 5
NO_SUCH_INSTANCE = "no such instance upstream or in the store"
WOULD_SEAL = "(sealed on a real run)"


@dataclass(frozen=True, slots=True)
class SyncOptions:
    names: list[str] | None = None
    dry_run: bool = False
    prune: bool = False
    max_age: float = DEFAULT_MAX_AGE


@dataclass(frozen=True, slots=True)
class Change:
    """What the sync did (or, dry, would do) to one instance."""

    name: str
    kind: str
    detail: str = ""
    read: bool = False  # its Status/info was read in this run


@dataclass(frozen=True, slots=True)
class Progress:
    done: int
    total: int
    budget: Budget
    eta: float  # seconds


@dataclass
class SyncReport:
    """The run so far (kept up to date, so an interrupted run can still say what it did)."""

    dry_run: bool = False
    listed: int = 0
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requests: int = 0
    limited: int = 0
    seconds: float = 0.0

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    def summary(self) -> dict[str, Any]:
        """``sync --json``: counts, requests, 429s seen, seconds."""
        out: dict[str, Any] = {kind: self.count(kind) for kind in KINDS}
        out["skipped"] = sum(1 for c in self.changes if c.kind == UNCHANGED and not c.read)
        out.update(
            listed=self.listed,
            requests=self.requests,
            **{"429s": self.limited},
            seconds=round(self.seconds, 3),
            dry_run=self.dry_run,
        )
        return out


class SyncAbort(Exception):
    """The run cannot go on; the message says why, ``code`` is the command's exit code."""

    def __init__(self, message: str, code: int = EXIT_FAIL) -> None:
        super().__init__(message)
        self.code = code


def _epoch(stamp: str | None) -> float | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def abort_for(answer: Answer | LiveFailure, what: str) -> SyncAbort:
    """The end of the run for an answer that stops it (``what``: "listing", "Status/info read")."""
    if isinstance(answer, LiveFailure):
        return SyncAbort(f"RyzeAPI {what} failed: {answer.describe()} ({answer.hint})")
    if answer.status in (401, 403):
        return SyncAbort(
            f"RyzeAPI rejected RYZEAPI_TOKEN ({answer.describe()}); nothing more was written. "
            "Check RYZEAPI_TOKEN (a TokenAccount sees the whole fleet)"
        )
    if answer.is_(503, GATEWAY_NOT_CONFIGURED):
        return SyncAbort(
            f"RyzeAPI's Chatwoot module answers 503 {GATEWAY_NOT_CONFIGURED}: the RyzeAPI server "
            "needs BRIDGE_URL and BRIDGE_TOKEN in its own configuration",
            EXIT_UNAVAILABLE,
        )
    if answer.status == 429:
        return SyncAbort(f"RyzeAPI {what}: rate limit still exceeded after waiting for the reset (HTTP 429)")
    return SyncAbort(f"unexpected answer to the RyzeAPI {what}: {answer.describe()}")


class Syncer:
    """One sync of one store from one RyzeAPI server; see the module's documentation."""

    def __init__(
        self,
        store: Store,
        sealer: Sealer | None,
        api: RyzeApi,
        *,
        clock: Callable[[], float] = time.time,
        progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.store = store
        self.sealer = sealer
        self.api = api
        self.clock = clock
        self.progress = progress
        self.report = SyncReport()
        self._latency = 0.05

    async def run(self, options: SyncOptions) -> SyncReport:
        report = self.report = SyncReport(dry_run=options.dry_run)
        started = time.monotonic()
        requests_before, limited_before = self.api.pacer.requests, self.api.pacer.limited
        try:
            await self._run(options, report)
        finally:
            report.requests = self.api.pacer.requests - requests_before
            report.limited = self.api.pacer.limited - limited_before
            report.seconds = time.monotonic() - started
        return report

    async def _run(self, options: SyncOptions, report: SyncReport) -> None:
        listing = await self.api.instances(options.names, priority=PRIORITY_BACKGROUND)
        if not isinstance(listing, list):
            raise abort_for(listing, "listing")
        good: list[Listed] = []
        for item in listing:
            try:
                check_name(item.name)
            except InvalidRecord as exc:
                report.changes.append(Change(item.name[:200], FAILED, f"not stored: {exc}"))
                continue
            good.append(item)
        report.listed = len(good)
        local_names = set(self.store.instance_names())
        ups = upstream.read_all(self.store)
        listed_names = {item.name for item in good}
        scope = set(options.names) if options.names is not None else local_names
        unlisted = sorted(n for n in scope if n in local_names and n not in listed_names)
        if options.names is not None:
            unknown = sorted(n for n in scope if n not in local_names and n not in listed_names)
            for name in unknown:
                report.changes.append(Change(name, FAILED, NO_SUCH_INSTANCE))
        if options.names is None and len(listing) == 1 and unlisted:
            report.notes.append(
                f"the listing holds one instance: the token may be a TokenInstance, which sees only its "
                f"own, so {len(unlisted)} other local instance(s) are neither marked nor pruned"
            )
            unlisted = []
        prune = unlisted if options.prune else []
        if prune and len(listing) <= 1:
            report.notes.append("--prune ignored: a listing of one instance is not a fleet")
            prune = []
        newly_marked = self._apply_listing(good, unlisted, prune, ups, options.dry_run)
        for name in unlisted:
            if name in prune:
                report.changes.append(Change(name, PRUNED, "not listed upstream"))
            elif name in newly_marked:
                report.changes.append(Change(name, MARKED, "not listed upstream"))
            else:
                report.changes.append(Change(name, UNCHANGED, "not listed upstream (already marked)"))
        await self._read_all(good, local_names, ups, options, report)

    def _apply_listing(
        self,
        listing: list[Listed],
        unlisted: list[str],
        prune: list[str],
        ups: dict[str, upstream.Upstream],
        dry_run: bool,
    ) -> set[str]:
        """The listing's facts, in one transaction; the names newly marked not listed."""
        if dry_run:
            return {n for n in unlisted if n not in ups or ups[n].listed}
        now = now_rfc3339()
        try:
            with self.store.write():
                upstream.save_listing(self.store.conn, listing, now)
                marked = upstream.mark_unlisted(self.store.conn, unlisted, now)
                upstream.prune(self.store.conn, prune)
        except StoreError as exc:
            raise SyncAbort(f"the listing could not be saved, nothing was written: {exc}") from None
        return set(marked)

    # -- the reads --------------------------------------------------------------------------

    def _needs_read(self, item: Listed, up: upstream.Upstream | None, max_age: float, now: float) -> bool:
        if up is None or max_age <= 0 or up.summary != item.summary:
            return True
        synced = _epoch(up.synced_at)
        return synced is None or now - synced >= max_age

    async def _read_all(
        self,
        listing: list[Listed],
        local_names: set[str],
        ups: dict[str, upstream.Upstream],
        options: SyncOptions,
        report: SyncReport,
    ) -> None:
        now = self.clock()
        to_read: list[Listed] = []
        for item in listing:
            up = ups.get(item.name)
            if self._needs_read(item, up, options.max_age, now):
                to_read.append(item)
                continue
            moved = up is not None and up.connection != item.connection
            detail = f"connection {up.connection or '?'} -> {item.connection}" if moved and up else ""
            report.changes.append(Change(item.name, CHANGED if moved else UNCHANGED, detail))
        failures_in_a_row = 0
        for done, item in enumerate(to_read):
            self._tell(done, len(to_read))
            began = time.monotonic()
            answer = await self.api.chatwoot_status(item.name, priority=PRIORITY_BACKGROUND)
            self._latency = 0.8 * self._latency + 0.2 * (time.monotonic() - began)
            if isinstance(answer, LiveFailure) and answer.reason in (
                Reason.UNREACHABLE,
                Reason.TIMEOUT,
                Reason.TLS,
            ):
                failures_in_a_row += 1
                if failures_in_a_row >= UNREACHABLE_IN_A_ROW:
                    raise abort_for(answer, "Status/info read")
            else:
                failures_in_a_row = 0
            change = self._take(item, answer, item.name not in local_names, ups.get(item.name), options)
            report.changes.append(change)
        self._tell(len(to_read), len(to_read))

    def _tell(self, done: int, total: int) -> None:
        if self.progress is not None and total:
            budget = self.api.pacer.budget()
            self.progress(Progress(done, total, budget, budget.eta(total - done, self._latency)))

    def _take(
        self,
        item: Listed,
        answer: Answer | LiveFailure,
        new: bool,
        up: upstream.Upstream | None,
        options: SyncOptions,
    ) -> Change:
        name = item.name
        if isinstance(answer, LiveFailure):
            return Change(name, FAILED, answer.describe(), read=True)
        if answer.status in (401, 403) or answer.is_(503, GATEWAY_NOT_CONFIGURED):
            raise abort_for(answer, "Status/info read")
        if answer.is_(404, INSTANCE_NOT_FOUND):
            if not options.dry_run:
                self._write(lambda: upstream.mark_unlisted(self.store.conn, [name], now_rfc3339()))
            return Change(name, MARKED, "not listed upstream (gone since the listing)", read=True)
        if answer.is_(404, NO_INTEGRATION):
            return self._no_integration(item, new, options.dry_run)
        if answer.status != 200:
            return Change(name, FAILED, f"unexpected answer: {answer.describe()}", read=True)
        try:
            synced = parse_status(answer.body, name)
        except InvalidRecord as exc:
            return Change(name, FAILED, f"unexpected answer: {exc}", read=True)
        return self._integration(item, synced, new, up, options.dry_run)

    def _write(self, work: Callable[[], object]) -> None:
        try:
            with self.store.write():
                work()
        except keyguard.KeyMismatch as exc:
            raise SyncAbort(str(exc)) from None
        except StoreError as exc:
            raise SyncAbort(f"the store could not be written (earlier instances are saved): {exc}") from None

    def _local(self, name: str) -> StatusDocument | bool | None:
        """The local record; True for a bad row (another tool wrote it: sync replaces it)."""
        try:
            return self.store.integration(name, self.sealer)
        except BadRowError:
            return True

    def _no_integration(self, item: Listed, new: bool, dry_run: bool) -> Change:
        name = item.name
        detail = ""

        def work() -> None:
            nonlocal detail
            if self._local(name) is not None:
                detail = "integration removed upstream"
                if not dry_run:
                    self.store.conn.execute(
                        "DELETE FROM chatwoot_integrations WHERE instance_name = ?", (name,)
                    )
            if not dry_run:
                upstream.mark_synced(self.store.conn, name, item.summary, now_rfc3339(), flags_synced=True)

        if dry_run:
            work()
        else:
            self._write(work)
        return Change(name, ADDED if new else CHANGED if detail else UNCHANGED, detail, read=True)

    def _integration(
        self, item: Listed, synced: Synced, new: bool, up: upstream.Upstream | None, dry_run: bool
    ) -> Change:
        name = item.name
        changed: list[str] = []

        def work() -> None:
            local = self._local(name)
            doc = local if isinstance(local, StatusDocument) else None
            row: dict[str, object] = dict(synced.values)
            for flag in FLAGS:
                if flag not in row:  # a version that leaves the flags out: keep the local ones
                    row[flag] = getattr(doc, flag) if doc is not None else False
            row[TOKEN] = self._token(name, synced, doc, changed, dry_run)
            if local is True:
                changed[:] = ["bad row replaced"]
            elif doc is None:
                changed[:] = ["integration added"]
            else:
                changed[:0] = [f for f in FIELDS if f != TOKEN and getattr(doc, f) != row[f]]
            if up is not None and up.connection != item.connection:
                changed.append(f"connection {up.connection or '?'} -> {item.connection}")
            if dry_run:
                return
            if changed:
                self.store._upsert(self.store.db, row)
            upstream.mark_synced(
                self.store.conn, name, item.summary, now_rfc3339(), flags_synced=synced.flags
            )

        if dry_run:
            work()
        else:
            self._write(work)
        kind = ADDED if new else CHANGED if changed else UNCHANGED
        return Change(name, kind, ", ".join(changed), read=True)

    def _token(
        self, name: str, synced: Synced, doc: StatusDocument | None, changed: list[str], dry_run: bool
    ) -> str:
        """The sealed value to store: the answer's token (sealed under the store's key, or the
        local one kept when it is the same), else the local one, else "not synced"."""
        if synced.token is None:
            return doc.sealed_token if doc is not None else TOKEN_NOT_SYNCED
        if doc is not None and doc.chatwoot_api_token.synced and self.sealer is not None:
            try:
                if doc.chatwoot_api_token.open() == synced.token:
                    return doc.sealed_token
            except Exception:
                pass
        changed.append("chatwoot_api_token")
        if dry_run:
            return WOULD_SEAL
        if self.sealer is None:
            raise SyncAbort("CWDASH_KEY is not set, so the synced tokens cannot be sealed; run `cwdash init`")
        return keyguard.sealer_in_force(self.store.conn, self.sealer, self.store.path).seal(
            name, synced.token
        )
