"""Live reads in a process of their own: the HTTP, the parsing and the scheduling off the
dashboard's interpreter.

At 400 reads a second the reads took a fifth of a core on the screen's interpreter, and
every key press waited for its turn at the GIL behind them. Here the same
:class:`~cwdash.store.refresh.RefreshScheduler` runs the same
:func:`~cwdash.store.fleet.background_read` (the read model's ``read_live`` and
``status``) in a child process; the results cross a Unix socket in batches and the screen
only applies them. One read model, one merge rule: the child keeps a
:class:`~cwdash.store.fleetrow.FleetRow` per instance with just what a read needs, and
applies its own results to it as the screen does.

- Started with ``python -m cwdash.store.livechild FD``: the configuration (without the
  store's key or any secret the reads do not use) arrives over the socket, never in argv;
  the child registers its secrets for redaction and forwards its log records to the
  parent's log, already redacted.
- The child reads no key: a full read's document comes with its token sealed and no
  sealer; :func:`decode` (the one decoder) gives it the screen's.
- The child ends when the socket closes: the parent stopped it, exited or died.

Messages, parent to child: ``("rows", [target, ...])``, ``("names", [name, ...])``,
``("select", name)``, ``("visible", [name, ...])``, ``("refresh",)``, ``("pause", bool)``,
``("ping", x)``; child to parent: ``("ready",)``, ``("results", [(name, result), ...],
backing_off)``, ``("log", level, logger, text)``, ``("pong", x)``. The first message to the child is ``("setup", Setup)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cwdash.store.columns import SiteColumns
from cwdash.store.config import Config
from cwdash.store.fleetrow import FleetRow
from cwdash.store.readmodel import READ_FAILED, LiveResult, ReadResult, StatusRead
from cwdash.store.refresh import RefreshSettings

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from cwdash.store.fleet import Fleet

log = logging.getLogger("cwdash.live")

# not passed on (a URL may hold a password): the configuration comes over the socket; no key is needed
SECRET_VARIABLES = frozenset(
    {"CWDASH_KEY", "CWDASH_KEY_NEXT", "BRIDGE_TOKEN", "RYZEAPI_TOKEN", "BRIDGE_URL", "RYZEAPI_URL"}
)
# A batch of fewer than TRICKLE results waits for more: a background round trickles a few
# reads a second, and each batch sent wakes the screen's process and paints a frame. A
# result that arrives once the batch is TRICKLE_AWAKE times results_every old (0.5 s by
# default) sends it at once: the process is awake for it anyway (the next step's reads,
# a second later), where a timer of its own would be one more wake a second. A batch that
# no result follows goes TRICKLE_WAIT times results_every (1.5 s) after its first result.
# A live round's batches are larger: sent results_every after their first result.
TRICKLE = 32
TRICKLE_AWAKE = 2
TRICKLE_WAIT = 6
# what a read needs of a listed row: name, has an integration, bad field, inbox id, integration id
Target = tuple[str, bool, "str | None", int, str]


@dataclass(frozen=True)
class Setup:
    config: Config  # with no key, no next key and no RyzeAPI token (child_config)
    settings: RefreshSettings
    results_every: float
    log_level: int


def child_config(config: Config) -> Config:
    """The configuration the child needs: the store's path and the live source's settings."""
    return config._replace(
        key_text=None,
        next_key_text=None,
        ryzeapi_token=None,
        origins={},
        env_checked=(),
        env_files=(),
    )


def target_of(row: FleetRow) -> Target:
    return (row.name, row.has_integration, row.bad, row.inbox_id, row.integration_id)


def row_of(target: Target) -> FleetRow:
    name, has_integration, bad, inbox_id, integration_id = target
    return FleetRow(name, has_integration, "", "", "", 0, inbox_id, bad, integration_id)


def take_rows(fleet: Fleet, targets: Sequence[Target]) -> None:
    """Rows as the screen sent them: new ones added, known ones updated. The first batch
    (every row of the site, in name order) becomes the fleet's columns at once, not a row
    put in its place at a time (250k rows: seconds)."""
    rows = fleet.rows
    columns = rows.sites.get("")
    if columns is None or not len(columns):
        fresh = SiteColumns("", rows.texts)
        for name, has_integration, bad, inbox_id, integration_id in targets:
            fresh.append_listed(name, has_integration, "", "", "", 0, inbox_id, bad, integration_id, "")
        if fresh.ordered:
            rows.install(fresh)
            return
    elif columns.ordered and _after(columns.names[-1], targets):
        # the next batch of a site's rows (the screen sends them in batches): appended
        for name, has_integration, bad, inbox_id, integration_id in targets:
            columns.append_listed(name, has_integration, "", "", "", 0, inbox_id, bad, integration_id, "")
        columns.natural = None
        rows.version += 1
        return
    for target in targets:
        fresh_row = row_of(target)
        row = rows.get(fresh_row.name)
        if row is None:
            rows[fresh_row.name] = fresh_row
        else:
            row.update_local(fresh_row)


def _after(last: str, targets: Sequence[Target]) -> bool:
    """Whether ``targets`` are new names in order, every one after ``last``."""
    names = [target[0] for target in targets]
    return bool(names) and last < names[0] and all(map(str.__lt__, names, names[1:]))


def decode(
    result: ReadResult | LiveResult, sealer: object, key_problem: str | None
) -> ReadResult | LiveResult:
    """A result as the child sent it, as the thread's read would have made it: the shared
    ``READ_FAILED`` itself, and a document's sealed token with the screen's sealer."""
    if result == READ_FAILED:
        return READ_FAILED
    if isinstance(result, StatusRead):
        document = result.document
        token = document.chatwoot_api_token._replace(sealer=sealer, key_problem=key_problem)
        return result._replace(document=dataclasses.replace(document, chatwoot_api_token=token))
    return result


# -- the parent's handle ------------------------------------------------------------------


class LiveChild:
    """One child process and the socket to it (no Textual: the screen's side is tui/procfeed.py)."""

    def __init__(self, setup: Setup) -> None:
        # imported here: none of this is on the dashboard's start path
        import socket
        import subprocess
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        self.started = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cwdash.store.livechild", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # the dashboard's terminal: never written to; errors are logged
                close_fds=True,
                env={k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES},
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.conn = Connection(ours.detach())
        self.conn.send(("setup", setup))

    def send(self, message: tuple[object, ...]) -> None:
        self.conn.send(message)

    def recv(self) -> tuple[object, ...]:
        """The next message (EOFError or OSError once the child is gone)."""
        return self.conn.recv()

    def close(self) -> None:
        """Close the socket (the child then ends by itself) and reap it."""
        self.conn.close()
        import subprocess

        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- the child -------------------------------------------------------------------------------


class _Sender:
    """The child's one way to the parent: whole messages, one thread at a time (the
    backfill writer's thread logs too)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.lock = threading.Lock()

    def __call__(self, message: tuple[object, ...]) -> None:
        with self.lock:
            self.conn.send(message)


class _Forward(logging.Handler):
    """Sends log records to the parent, formatted (and redacted) here."""

    def __init__(self, send: _Sender) -> None:
        super().__init__()
        self.send = send

    def emit(self, record: logging.LogRecord) -> None:
        from cwdash.store import redact

        with contextlib.suppress(Exception):  # the parent is gone: the control socket ends the child
            self.send(("log", record.levelno, record.name, redact.redact(self.format(record))))


class ChildReads:
    """The scheduler and the read model, on the child's loop."""

    def __init__(self, conn: Connection, send: _Sender, setup: Setup) -> None:
        from cwdash.store.db import Store
        from cwdash.store.fleet import Fleet
        from cwdash.store.readmodel import ReadModel
        from cwdash.store.refresh import RefreshScheduler
        from cwdash.store.sources.factory import live_source

        self.conn = conn
        self.send = send
        self.setup = setup
        self.store = Store.open(setup.config.db_path)
        self.model = ReadModel(self.store, None, live_source(setup.config))
        self.fleet = Fleet()
        self.scheduler = RefreshScheduler(self._read, self._on_result, setup.settings)
        self._batch: list[tuple[str, ReadResult | LiveResult]] = []
        self._batch_started = 0.0  # loop time of the batch's first result
        self._send_at: asyncio.TimerHandle | None = None  # when the batch is sent
        self._urgent: str | None = None  # a row just selected, not read since
        self._frozen = False  # gc.freeze() done (after the first batch)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_reader(self.conn.fileno(), self._control)
        self.send(("ready",))
        try:
            await self.scheduler.run()
        except asyncio.CancelledError:
            pass
        finally:
            loop.remove_reader(self.conn.fileno())
            await self.model.aclose()
            self.store.close()

    def _control(self) -> None:
        try:
            while self.conn.poll(0):
                self._handle(self.conn.recv())
        except (EOFError, OSError):
            self.scheduler.stop()  # the parent closed the socket, exited or died

    def _handle(self, message: tuple[object, ...]) -> None:
        kind, *args = message
        s = self.scheduler
        if kind == "rows":
            take_rows(self.fleet, args[0])  # type: ignore[arg-type]
        elif kind == "names":
            names = list(args[0])  # type: ignore[call-overload]
            known = set(names)
            for gone in [n for n in self.fleet.rows if n not in known]:
                del self.fleet.rows[gone]
            s.set_names(names)
        elif kind == "select":
            s.select(args[0])  # type: ignore[arg-type]
            self._urgent = args[0]  # type: ignore[assignment]
        elif kind == "visible":
            s.set_visible(args[0])  # type: ignore[arg-type]
        elif kind == "refresh":
            s.refresh_now()
        elif kind == "pause":
            s.pause(bool(args[0]))
        elif kind == "ping":  # everything sent before it has been taken in
            self.send(("pong", args[0]))

    async def _read(self, name: str) -> ReadResult | LiveResult:
        from cwdash.store.fleet import background_read

        return await background_read(self.model, self.fleet, name, whole=name == self.scheduler.selected)

    def _on_result(self, name: str, result: ReadResult | LiveResult) -> None:
        row = self.fleet.rows.get(name)
        if row is not None:
            row.apply(result, time.monotonic())  # as the screen does: what the next read knows
        self._batch.append((name, result))
        loop = asyncio.get_running_loop()
        now = loop.time()
        size = len(self._batch)
        every = self.setup.results_every
        if name == self._urgent:  # the first read of a row just selected: the user waits for it
            self._urgent = None
            self._send_by(now)
        elif size == 1:
            self._batch_started = now
            self._send_by(now + TRICKLE_WAIT * every)
        elif now - self._batch_started >= TRICKLE_AWAKE * every:
            self._send_by(now)  # awake anyway: see TRICKLE
        elif size >= TRICKLE:
            self._send_by(self._batch_started + every)

    def _send_by(self, when: float) -> None:
        """Send the batch at loop time ``when`` at the latest; one due already goes at the
        loop's next turn (results of the same turn join it), with no timer."""
        loop = asyncio.get_running_loop()
        handle = self._send_at
        if handle is not None:
            if handle.when() <= when:
                return
            handle.cancel()
            self._send_at = None
        if when <= loop.time():
            loop.call_soon(self._deliver)
        else:
            self._send_at = loop.call_at(when, self._deliver)

    def _deliver(self) -> None:
        """Send the batch (a trickle waited for more: see TRICKLE)."""
        if self._send_at is not None:
            self._send_at.cancel()  # sent sooner than its timer
            self._send_at = None
        if not self._batch:
            return
        batch, self._batch = self._batch, []
        try:
            self.send(("results", batch, self.scheduler.backing_off))
        except OSError:
            self.scheduler.stop()
        if not self._frozen:
            # Everything loaded by now (httpx, the client, the fleet) stays for the child's
            # life: out of the collector's full passes, which the reads' garbage would
            # otherwise trigger every few dozen reads (as the screen does, tui/screen.py).
            self._frozen = True
            gc.collect(1)
            gc.freeze()


def main(argv: Iterable[str] | None = None) -> int:
    from multiprocessing.connection import Connection

    args = list(sys.argv[1:] if argv is None else argv)
    conn = Connection(int(args[0]))
    try:
        kind, setup = conn.recv()
    except (EOFError, OSError):
        return 0
    assert kind == "setup" and isinstance(setup, Setup)
    from cwdash.store import redact

    redact.register_config(setup.config)
    root = logging.getLogger("cwdash")
    root.setLevel(setup.log_level)
    send = _Sender(conn)
    root.addHandler(_Forward(send))
    root.propagate = False
    try:
        reads = ChildReads(conn, send, setup)
        asyncio.run(reads.run())
    except Exception:
        log.exception("the live reads' process failed")
        return 1
    return 0


if __name__ == "__main__":
    # run as the imported module, not as __main__: the classes the parent pickles are that module's
    from cwdash.store import livechild

    sys.exit(livechild.main())
