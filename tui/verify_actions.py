"""``v``: verify the selected instance's token against Chatwoot, in the background.

Mixed into the dashboard screen like the token's actions. The verify runs on a worker
thread with its own event loop and its own store connection (never the screen's), one
per instance at a time (a second ``v`` while it runs only says so); a notification says
how it ended and the detail pane shows the last result with its time, the diagnosis and
what to do. :mod:`cwdash.store.verify` (and httpx) are imported by the first verify,
never by the dashboard's start.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work

from cwdash.store.fleetrow import key_label
from cwdash.store.readmodel import StatusRead
from cwdash.store.text import one_line

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.screen import Screen

    from cwdash.store.config import Config
    from cwdash.store.fleet import Fleet
    from cwdash.store.fleetrow import FleetRow
    from cwdash.store.readmodel import MappedError, ReadModel, ReadResult
    from cwdash.store.verify.result import VerifyResult
    from cwdash.tui.sites import SiteSession
    from cwdash.tui.verify_book import VerifyBook, VerifyView

    _Base = Screen[None]
else:
    _Base = object

log = logging.getLogger("cwdash.verify")
SEVERITY = {"OK": "information", "WARNING": "warning", "CRITICAL": "error", "UNKNOWN": "warning"}


class VerifyActions(_Base):
    """The ``v`` key; the screen provides the selection, the store and the read model."""

    selected: str | None
    current: ReadResult | None
    fleet: Fleet
    session_of: Callable[[FleetRow | None], SiteSession]  # the screen's (SiteRouting): annotated, not defined
    verify_budget: float = 10.0  # seconds for one whole verify (the data side's BUDGET)

    def _sync_selection(self) -> None: ...  # the screen's: catch up with the cursor

    def _render_detail(self) -> None: ...  # the screen's

    @property
    def verifies(self) -> VerifyBook:
        book = self.__dict__.get("_verify_book")
        if book is None:
            from cwdash.tui.verify_book import VerifyBook  # with the first verify, not at start

            book = self.__dict__["_verify_book"] = VerifyBook()
        return book

    def verify_view(self, name: str | None) -> VerifyView | None:
        """The detail's verify lines for ``name``: None until it was verified here."""
        book = self.__dict__.get("_verify_book")
        if name is None or book is None:  # nothing verified yet
            return None
        from cwdash.tui.verify_book import VerifyView

        result, running = book.results.get(name), name in book.running
        return VerifyView(result, running) if result is not None or running else None

    def action_verify(self) -> None:
        self._sync_selection()
        name = self.selected
        if name is None or not isinstance(self.current, StatusRead):
            self.notify("nothing to verify here: select an instance with an integration", severity="warning")
            return
        book = self.verifies
        if name in book.running:
            self.notify(f"a verify of {one_line(key_label(name), 80)} is already running", title="verify")
            return
        # the row's own site: its store, key and configuration (with --all-sites, ``name``
        # is the row's key in the list; the instance's name within its site is row.name)
        row = self.fleet.rows.get(name)
        session = self.session_of(row)
        if row is None or session.store is None or session.model is None:
            self.notify("nothing to verify here: its site's store is not open", severity="warning")
            return
        book.running.add(name)
        self._render_detail()
        self._verify_in_thread(name, row.name, session.store.path, session.model, session.config)

    @work(thread=True, group="verify", exit_on_error=False)
    def _verify_in_thread(
        self, key: str, name: str, store_path: Path, model: ReadModel, config: Config
    ) -> None:
        """Open a store connection of its own, verify, hand the result to the screen."""
        from cwdash.store.db import Store, StoreError
        from cwdash.store.verify.runner import Verifier

        async def run(store: Store) -> VerifyResult | MappedError:
            ca_file = getattr(config, "ca_file", None)
            budget = self.verify_budget
            async with Verifier(
                store, model.sealer, key_problem=model.key_problem, ca_file=ca_file, budget=budget
            ) as v:
                return await v.verify(name)

        try:
            store = Store.open(store_path)
            try:
                result: VerifyResult | MappedError | str = asyncio.run(run(store))
            finally:
                store.close()
        except StoreError as exc:
            result = str(exc)
        except Exception as exc:  # a bug: said by type only (a value may hold the token)
            log.error("verify of %r failed unexpectedly: %s", name, type(exc).__name__)
            result = f"unexpected error ({type(exc).__name__}); the log has it"
        self.app.call_from_thread(self._verify_done, key, result)

    def _verify_done(self, name: str, result: VerifyResult | MappedError | str) -> None:
        from cwdash.store.verify.result import VerifyResult

        book = self.verifies
        book.running.discard(name)
        shown = one_line(key_label(name), 80)  # site/name with several sites, never the key
        if isinstance(result, VerifyResult):
            book.results[name] = result
            level = result.level.name
            self.notify(f"{shown}: {result.summary}", title=f"verify {level}", severity=SEVERITY[level])  # type: ignore[arg-type]
        else:
            message = result if isinstance(result, str) else f"{result.message} ({result.hint})"
            self.notify(f"{shown}: {one_line(message, 300)}", title="verify could not run", severity="error")
        if name == self.selected:
            self._render_detail()
