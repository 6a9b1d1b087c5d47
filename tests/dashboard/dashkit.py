"""Helpers for the dashboard tests: a fixed fleet, the app built as tui/launch.py builds it,
waiting for the background refresh to settle, and reading what is on screen.

Imported by the dashboard tests and their conftest (pytest puts this folder on sys.path).
"""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from memsource import MemorySource
from rich.console import Console
from textual import events

from cwdash.store.config import Config, parse_key
from cwdash.store.db import Store
from cwdash.store.readmodel import ReadModel
from cwdash.store.refresh import RefreshScheduler, RefreshSettings
from cwdash.store.sealing import Sealer
from cwdash.store.simbridge import Reply, SimBridge, live
from cwdash.tui.app import CwdashApp
from cwdash.tui.screen import Timing

BRIDGE_TOKEN = "dash-bridge-token"
CREATED = "2026-04-20T10:15:30Z"
# "now" for the snapshot tests: created_at is then exactly 11 days old.
FROZEN_NOW = datetime(2026, 5, 1, 10, 15, 30, tzinfo=UTC)
WRITTEN = "2026-04-28T10:15:30Z"  # the local write time of every row, for snapshots: "local 3d"

# Every plaintext token of the fleet: distinctive, so a leak anywhere is found by a substring search.
TOKENS = {
    "alpha": "cwt_alpha_PLAINTEXT_9f3b2c71",
    "bravo": "cwt_bravo_PLAINTEXT_4e8a1d02",
    "charlie": "cwt_charlie_PLAINTEXT_7c5e9a13",
    "echo": "cwt_echo_PLAINTEXT_2b6f0e44",
    "golf": "cwt_golf_PLAINTEXT_8d1c3b55",
}
CHARLIE_ERROR = "chatwoot: 401 Unauthorized (access token revoked?)"

# The fleet, in name order (the list's default order):
#   alpha    active, the bridge says active
#   bravo    paused, the bridge says paused
#   charlie  error, the bridge says error
#   delta    an instance without integration
#   echo     active, its token sealed under another key (cannot be opened)
#   golf     active, the bridge does not know its integration (404)
NAMES = ["alpha", "bravo", "charlie", "delta", "echo", "golf"]
WITH_INTEGRATION = ["alpha", "bravo", "charlie", "echo", "golf"]


def integration(name: str, **changes: object) -> dict[str, object]:
    """One integration row (token still in plaintext: the seeder seals it)."""
    values: dict[str, object] = {
        "instance_name": name,
        "status": "active",
        "bridge_integration_id": f"int_{name}",
        "chatwoot_base_url": "https://chatwoot.example.com",
        "chatwoot_account_id": 5,
        "chatwoot_api_token": TOKENS[name],
        "chatwoot_inbox_id": 42,
        "chatwoot_inbox_name": f"WhatsApp - {name.title()}",
        "last_error": "",
        "created_at": CREATED,
        "sign_messages": True,
        "ignore_groups": False,
        "start_as_pending": False,
        "reopen_resolved": True,
    }
    values.update(changes)
    return values


FLEET: list[tuple[str, dict[str, object] | None]] = [
    ("alpha", integration("alpha")),
    ("bravo", integration("bravo", status="paused", chatwoot_account_id=7, ignore_groups=True)),
    ("charlie", integration("charlie", status="error", last_error=CHARLIE_ERROR, chatwoot_inbox_id=17)),
    ("delta", None),
    ("echo", integration("echo", chatwoot_base_url="https://cw.acme.example", sign_messages=False)),
    ("golf", integration("golf", start_as_pending=True)),
]

# What the bridge stand-in answers for each integration: deterministic.
ROUTES: dict[str, Reply] = {
    "int_alpha": live("active"),
    "int_bravo": live("paused"),
    "int_charlie": live("error", CHARLIE_ERROR),
    "int_echo": live("active"),
    "int_golf": Reply(status=404, body={"error": "integration not found"}),
}


def seed(store: Store, sealer: Sealer, wrong: Sealer) -> None:
    """Fill ``store`` with FLEET; echo's token is sealed under another key."""
    for name, values in FLEET:
        store.add_instance(name, created_at=CREATED)
        if values is None:
            continue
        row = dict(values)
        row["chatwoot_api_token"] = (wrong if name == "echo" else sealer).seal(name, TOKENS[name])
        store.upsert_integration(row)


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# Fast reads against the stand-in: everything is read within a moment of starting.
FAST = RefreshSettings(concurrency=8, rate=500.0, selected_every=0.5)
# The screen's intervals for tests: the header and ages repaint, the store is checked and
# live results are applied often, so no test sits out a production interval.
QUICK = Timing(tick=0.1, store_check=0.2, results_every=0.02)


class Dash:
    """One test's store, key, bridges and apps."""

    def __init__(self, tmp_path: Path, key: str, wrong_key: str) -> None:
        self.key = key
        self.wrong_key = wrong_key
        self.path = tmp_path / "dash.db"
        self.sealer = Sealer(parse_key(key))
        self.store = Store.open(self.path, create=True)
        seed(self.store, self.sealer, Sealer(parse_key(wrong_key)))
        self._bridges: list[SimBridge] = []
        self._stores: list[Store] = [self.store]

    def bridge(
        self, routes: dict[str, Reply] | Callable[[str], Reply] | None = None, *, token: str = BRIDGE_TOKEN
    ) -> MemorySource:
        """An in-memory live source answering like the stand-in would (``token``: the one it expects)."""
        return MemorySource(ROUTES if routes is None else routes, token=token, sent_token=BRIDGE_TOKEN)

    def real_bridge(
        self, routes: dict[str, Reply] | Callable[[str], Reply] | None = None, **kwargs: object
    ) -> SimBridge:
        """A bridge stand-in on 127.0.0.1, stopped at the end of the test (for tests of the network)."""
        kwargs.setdefault("token", BRIDGE_TOKEN)
        sim = SimBridge(ROUTES if routes is None else routes, **kwargs)  # type: ignore[arg-type]
        self._bridges.append(sim.start())
        return sim

    def app(
        self,
        bridge: MemorySource | SimBridge | str | None = None,
        *,
        timeout: float = 0.5,
        key: str | None = "",
        no_reveal: bool = False,
        reveal_seconds: float = 20.0,
        shown_url: str | None = None,
        settings: RefreshSettings | None = None,
        timing: Timing = QUICK,
        depth: str = "truecolor",
    ) -> CwdashApp:
        """The dashboard, wired as ``run_dashboard`` wires it (config -> store -> read model -> app).

        ``key``: the store's key by default, another key, or None for no CWDASH_KEY at all.
        ``shown_url`` replaces the bridge URL in the header only (the stand-in's port is
        random; snapshots need a fixed text). The read model still reads the real URL.
        """
        url = bridge.url if isinstance(bridge, SimBridge | MemorySource) else bridge
        config = Config(
            db_path=self.path,
            key_text=self.key if key == "" else key,
            bridge_url=url,
            bridge_token=BRIDGE_TOKEN if url else None,
            live_timeout=timeout,
            no_reveal=no_reveal,
        )
        store = Store.open(config.db_path)
        self._stores.append(store)
        model = ReadModel.from_config(config, store)
        if isinstance(bridge, MemorySource):
            model.live = bridge  # the same read model, another live source
        if shown_url is not None:
            config = config._replace(bridge_url=shown_url)
        return CwdashApp(
            config,
            store,
            model,
            no_reveal=no_reveal or config.no_reveal,
            settings=settings or FAST,
            reveal_seconds=reveal_seconds,
            timing=timing,
            depth=depth,
        )

    def delete_instance(self, name: str) -> None:
        """Remove an instance (and its integration) from another connection, as another process would."""
        other = Store.open(self.path)
        try:
            other.delete_integration(name)
            with other.write():
                other.conn.execute("DELETE FROM instances WHERE name = ?", (name,))
        finally:
            other.close()

    def close(self) -> None:
        for sim in self._bridges:
            sim.stop()
        for store in self._stores:
            store.close()


# -- waiting and reading the screen ---------------------------------------------------


async def wait_until(pilot, predicate: Callable[[], bool], what: str, limit: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Pause until ``predicate()`` holds. ``limit`` only stops a broken test from hanging;
    nothing here asserts how fast anything happened."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await pilot.pause(0.02)
    await pilot.pause()


# The names Textual gives the keys the bursts below use that are not their own character.
KEY_NAMES = {"/": "slash", "?": "question_mark", ":": "colon", "\r": "enter", "\x1b": "escape"}


def burst(app: CwdashApp, keys: str) -> None:
    """Post every key of ``keys`` at once, as the driver does with one read of the terminal
    (``tmux send-keys '/co'``, a fast typist): Pilot.press lets each key be handled before
    it sends the next, so it never sees a key that arrived while an earlier one was in flight."""
    for char in keys:
        app.post_message(events.Key(KEY_NAMES.get(char, char), char))


def scheduler_of(app: CwdashApp) -> RefreshScheduler | None:
    """The dashboard's refresh scheduler, None without a gateway."""
    feed = app.dashboard.feed
    return None if feed is None else feed.scheduler


def settled(app: CwdashApp) -> bool:
    """The whole list is loaded and every row has had a read come back, nothing in flight."""
    if not app.dashboard.loaded or app.dashboard.selected is None or not app.dashboard.history_settled():
        return False
    if scheduler_of(app) is None:
        return True
    rows = app.dashboard.fleet.rows.values()
    return all(r.read_at is not None for r in rows) and not scheduler_of(app).in_flight


async def wait_settled(pilot) -> None:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: settled(pilot.app), "the first round of live reads")


async def select(pilot, name: str) -> None:  # type: ignore[no-untyped-def]
    """Move the cursor to ``name`` with the keys (j/k), as a person would."""
    app = pilot.app
    index = app.dashboard.fleet.index_of(name)
    assert index is not None, f"{name} is not in the view"
    table = app.query_one("#fleet")
    delta = index - table.cursor
    if delta:
        await pilot.press(*(["j"] * delta if delta > 0 else ["k"] * -delta))
    await wait_until(pilot, lambda: app.dashboard.selected == name, f"{name} to be selected")


def render_plain(renderable: object, width: int = 120) -> str:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None, legacy_windows=False)
    console.print(renderable)
    return console.export_text(styles=False)


def detail_text(app: CwdashApp) -> str:
    """The whole detail pane as plain text (not only the part scrolled into view)."""
    pane = app.query_one("#detail")
    content = getattr(pane, "content", None)  # a line-API pane keeps its renderable
    if content is None:  # a scroll container around a Static
        content = pane.query_one("#detail-body").content
    return render_plain(content)


def screen_text(app: CwdashApp) -> str:
    """What the terminal shows now, as plain text (the same composition export_screenshot uses)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    # private (no public API renders the composed screen as text): tests/dashboard/test_textual_private.py
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def summary_text(app: CwdashApp) -> str:
    return render_plain(app.query_one("#summary").content, width=200)


def banner_text(app: CwdashApp) -> str:
    found = app.query("#banner")  # mounted the first time it has a line (tui/summary.py BannerSlot)
    if not found:
        return ""
    banner = found.first()
    return render_plain(banner.content, width=200) if banner.display else ""


def record_notifications(app: CwdashApp) -> list[tuple[str, str, str]]:
    """Record (title, message, severity) of every notification the app raises from now on."""
    seen: list[tuple[str, str, str]] = []
    original = app.notify

    def notify(message: str, *, title: str = "", severity: str = "information", **kwargs: object) -> None:
        seen.append((title, str(message), severity))
        original(message, title=title, severity=severity, **kwargs)  # type: ignore[arg-type]

    app.notify = notify  # type: ignore[method-assign]
    return seen


def row_texts(app: CwdashApp) -> list[str]:
    """The list's lines on screen, header first, as plain text."""
    table = app.query_one("#fleet")
    lines = []
    for y in range(table.size.height):
        strip = table.render_line(y)
        lines.append("".join(segment.text for segment in strip).rstrip())
    return lines


def view_names(app: CwdashApp) -> list[str]:
    """The instances the list shows, in order."""
    return [row.name for row in app.dashboard.fleet.view]
