"""The verifier: one instance's token opened (and audited), then the four checks in one budget.

- The token is opened through the store's sealer as a reveal is, and the opening is
  recorded in the audit table with the action ``verify``; it then lives only in a
  :class:`~cwdash.store.secret.Secret` and in the request header (never in a result, a
  log line or an exception's text).
- One budget (10 s by default) bounds the whole check, every request of it together.
- One verify per instance at a time in this process (:data:`IN_FLIGHT`): a second
  request while one runs is answered at once with the diagnosis ``busy``.
- :meth:`Verifier.verify_many` (``--all``) runs a few at a time (``concurrency``) and
  starts at most ``rate`` a second, so a fleet sharing one Chatwoot does not hammer it.
- Requests go through the project's client (:func:`cwdash.store.sources.client.http_client`):
  the same proxies, CA bundle and lean transport as the live sources.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from cwdash.store import redact
from cwdash.store.db import Store, StoreError, now_rfc3339
from cwdash.store.endpoint import display_url
from cwdash.store.readmodel import MappedError, ReadModel, store_sealer
from cwdash.store.sealing import Sealer, TokenError
from cwdash.store.verify.checks import Checks, Findings
from cwdash.store.verify.result import STEPS, Diagnosis, VerifyResult

if TYPE_CHECKING:
    import httpx

    from cwdash.store.document import StatusDocument

log = logging.getLogger("cwdash.verify")

BUDGET = 10.0  # seconds for the whole check of one instance
CONCURRENCY = 4  # verifies at a time with --all
RATE = 5.0  # verifies started per second at most with --all
AUDIT_ACTION = "verify"


class InFlight:
    """The instances being verified in this process (by store and name), thread-safe:
    the dashboard verifies from worker threads, each on its own event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: set[tuple[str, str]] = set()

    def claim(self, key: tuple[str, str]) -> bool:
        with self._lock:
            if key in self._names:
                return False
            self._names.add(key)
            return True

    def release(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._names.discard(key)

    def running(self, key: tuple[str, str]) -> bool:
        with self._lock:
            return key in self._names


IN_FLIGHT = InFlight()


class Pacer:
    """At most ``rate`` starts a second: each start waits for its slot."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._lock:
            now = loop.time()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


class Verifier:
    """Verifies the integrations of one store; use as ``async with`` (it owns an HTTP client)."""

    def __init__(
        self,
        store: Store,
        sealer: Sealer | None,
        *,
        key_problem: str | None = None,
        ca_file: str | None = None,
        budget: float = BUDGET,
        concurrency: int = CONCURRENCY,
        rate: float = RATE,
    ) -> None:
        self.store = store
        self.model = ReadModel(store, sealer, None, key_problem=key_problem)
        self.ca_file = ca_file
        self.budget = budget
        self.concurrency = max(1, concurrency)
        self.rate = rate
        self._client: httpx.AsyncClient | None = None
        self._client_problem: str | None = None
        self.audit_problems: list[str] = []  # audit rows that could not be written

    def __repr__(self) -> str:
        return f"Verifier({str(self.store.path)!r})"

    async def __aenter__(self) -> Verifier:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _http(self) -> httpx.AsyncClient | None:
        """The client, made on first use; None (with the reason kept) for a proxy or CA
        setting that cannot be used."""
        if self._client is None and self._client_problem is None:
            from cwdash.store.sources.client import http_client

            try:
                self._client = http_client(
                    headers={"Accept": "application/json"},
                    timeout=self.budget,
                    max_connections=self.concurrency * 2,
                    ca_file=self.ca_file,
                )
            except ValueError as exc:  # ProxySettingError, CaFileError: they name settings, no secret
                self._client_problem = str(exc)
        return self._client

    # -- one instance --------------------------------------------------------------------

    async def verify(self, name: str) -> VerifyResult | MappedError:
        """Verify ``name``: a result, or the mapped error of an unknown instance / no integration."""
        document = self.model.document(name)
        if isinstance(document, MappedError):
            return document
        key = (str(self.store.path), name)
        started = time.monotonic()
        checked_at = now_rfc3339()
        url = document.chatwoot_base_url
        redact.register_url(url)
        if not IN_FLIGHT.claim(key):
            found = Findings()
            found.diagnoses.append(Diagnosis.of("busy", f"a verify of {name!r} is already running"))
            return self._result(document, found, checked_at, started)
        try:
            return await self._verify(document, checked_at, started)
        finally:
            IN_FLIGHT.release(key)

    async def _verify(self, document: StatusDocument, checked_at: str, started: float) -> VerifyResult:
        found = Findings()
        name = document.instance_name
        try:
            token = document.chatwoot_api_token.open()
        except TokenError as exc:  # names the instance and the cause, never the token
            found.diagnoses.append(Diagnosis.of("token_unopened", str(exc)))
            return self._result(document, found, checked_at, started)
        self._audit(name)
        client = self._http()
        if client is None:
            found.diagnoses.append(Diagnosis.of("bad_setting", self._client_problem or "no HTTP client"))
            return self._result(document, found, checked_at, started)
        checks = Checks(client, document.chatwoot_base_url, token)
        del token
        try:
            async with asyncio.timeout(self.budget):
                await checks.run(
                    document.chatwoot_account_id, document.chatwoot_inbox_id, document.chatwoot_inbox_name
                )
        except TimeoutError:
            at = checks.found.at
            checks.found.fail(
                at, "timeout", f"timed out: no complete answer within {self.budget:g} s (at the {at} step)"
            )
        except Exception as exc:  # a bug: say where, never what (a value may hold the token)
            log.error("verify of %r failed unexpectedly: %s", name, type(exc).__name__)
            checks.found.fail(
                checks.found.at, "bad_answer", f"unexpected error ({type(exc).__name__}); the log has it"
            )
        return self._result(document, checks.found, checked_at, started)

    def _audit(self, name: str) -> None:
        """Record the opening; a store that cannot take it (read-only) does not stop the
        verify (nothing is shown), it is said in the log and kept for the caller."""
        try:
            self.store.record_audit(name, AUDIT_ACTION)
        except StoreError as exc:
            problem = f"the verify of {name!r} is not in the audit, it could not be recorded: {exc}"
            log.warning("%s", problem)
            self.audit_problems.append(problem)

    @staticmethod
    def _result(document: StatusDocument, found: Findings, checked_at: str, started: float) -> VerifyResult:
        from cwdash.store.verify.result import Step

        steps = tuple(found.steps.get(s) or Step(s, None, "not run") for s in STEPS)
        now = time.monotonic()
        return VerifyResult(
            instance_name=document.instance_name,
            checked_at=checked_at,
            elapsed=now - started,
            base_url=display_url(document.chatwoot_base_url),
            steps=steps,
            diagnoses=tuple(found.diagnoses),
            finished_at=now,
        )

    # -- a fleet ---------------------------------------------------------------------------

    async def verify_many(
        self,
        names: Iterable[str],
        on_result: Callable[[str, VerifyResult | MappedError], Awaitable[None] | None] | None = None,
    ) -> list[tuple[str, VerifyResult | MappedError]]:
        """Verify ``names`` (each once), ``concurrency`` at a time, at most ``rate`` started a
        second; the results in the order of ``names``."""
        unique = list(dict.fromkeys(names))
        gate = asyncio.Semaphore(self.concurrency)
        pacer = Pacer(self.rate)
        results: dict[str, VerifyResult | MappedError] = {}

        async def one(name: str) -> None:
            async with gate:
                await pacer.wait()
                result = await self.verify(name)
            results[name] = result
            if on_result is not None:
                done = on_result(name, result)
                if done is not None:
                    await done

        await asyncio.gather(*(one(name) for name in unique))
        return [(name, results[name]) for name in unique]


def verifier_for(config: object, store: Store, **kwargs: object) -> Verifier:
    """A verifier from a :class:`~cwdash.store.config.Config`: its key (a missing or bad key
    only stops the opening of tokens, each result says so) and its CA bundle."""
    from cwdash.store.config import Config

    assert isinstance(config, Config)
    sealer, problem = store_sealer(config, store)
    return Verifier(store, sealer, key_problem=problem, ca_file=config.ca_file, **kwargs)  # type: ignore[arg-type]
