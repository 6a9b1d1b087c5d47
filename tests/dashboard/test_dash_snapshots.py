"""Snapshot tests (pytest-textual-snapshot) of the main screens at 80x24 and wide, and one per
mapped state. Deterministic: a fixed store, a bridge stand-in with fixed answers, the header
showing a fixed bridge URL, frozen clocks (conftest.frozen_clock), and every screenshot taken
once the first round of live reads has come back and the header has caught up.

Update with ``uv run pytest tests/dashboard --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dashkit import detail_text, select, wait_settled, wait_until

from cwdash.store.simbridge import live

NARROW = (80, 24)
WIDE = (160, 45)
SHOWN_URL = "http://bridge.internal:8080"

pytestmark = pytest.mark.usefixtures("frozen_clock")


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait for the first round of live reads, then run the app's once-a-second repaint now
    (header, list ages, detail) instead of waiting for its timer."""
    await wait_settled(pilot)
    pilot.app.dashboard.tick()
    await pilot.pause()


def on(name: str, *keys: str):  # type: ignore[no-untyped-def]
    """A run_before: settle, select ``name`` with the keys, press ``keys``, settle again."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await select(pilot, name)
        if keys:
            await pilot.press(*keys)
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "160x45"])
def test_main_screen(dash, snap_compare, size: tuple[int, int]) -> None:
    app = dash.app(dash.bridge(), shown_url=SHOWN_URL)
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "160x45"])
def test_gateway_not_configured(dash, snap_compare, size: tuple[int, int]) -> None:
    app = dash.app(None)
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_instance_not_found(dash, snap_compare) -> None:
    app = dash.app(dash.bridge(), shown_url=SHOWN_URL)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await select(pilot, "bravo")
        dash.delete_instance("bravo")
        app.dashboard.load_rows()  # what `r` does, without its passing notification
        await wait_until(pilot, lambda: "instance not found" in detail_text(app), "the mapped state")
        await settle(pilot)

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def test_no_chatwoot_integration(dash, snap_compare) -> None:
    app = dash.app(dash.bridge(), shown_url=SHOWN_URL)
    assert snap_compare(app, terminal_size=NARROW, run_before=on("delta"))


def test_live_read_failed_bridge_does_not_know_the_integration(dash, snap_compare) -> None:
    app = dash.app(dash.bridge(), shown_url=SHOWN_URL)
    assert snap_compare(app, terminal_size=NARROW, run_before=on("golf"))


def test_live_read_failed_bridge_rejects_the_token(dash, snap_compare) -> None:
    sim = dash.bridge(lambda ident: live("active"), token="the-bridge-expects-another-token")
    app = dash.app(sim, shown_url=SHOWN_URL)
    assert snap_compare(app, terminal_size=NARROW, run_before=on("charlie"))


def test_token_cannot_be_opened(dash, snap_compare) -> None:
    app = dash.app(dash.bridge(), shown_url=SHOWN_URL)
    assert snap_compare(app, terminal_size=NARROW, run_before=on("echo", "t"))


def test_no_reveal(dash, snap_compare) -> None:
    app = dash.app(dash.bridge(), shown_url=SHOWN_URL, no_reveal=True)
    assert snap_compare(app, terminal_size=NARROW, run_before=on("alpha", "t"))


def test_filter_kept_wide(dash, snap_compare) -> None:
    app = dash.app(dash.bridge(), shown_url=SHOWN_URL)
    assert snap_compare(app, terminal_size=WIDE, run_before=on("alpha", "slash", "c", "h", "enter"))


def test_attention_only_wide(dash, snap_compare) -> None:
    app = dash.app(dash.bridge(), shown_url=SHOWN_URL)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        app.clear_notifications()  # its passing note would expire at any moment

    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


def test_help(dash, snap_compare) -> None:
    app = dash.app(dash.bridge(), shown_url=SHOWN_URL)
    assert snap_compare(app, terminal_size=NARROW, run_before=on("alpha", "question_mark"))


def test_no_snapshot_file_holds_a_token() -> None:
    """Snapshots are committed files: none may hold a plaintext token or the bridge token
    (the reveal itself is checked by Pilot tests, never recorded in a snapshot)."""
    from dashkit import BRIDGE_TOKEN, TOKENS

    folder = Path(__file__).parent / "__snapshots__"
    files = list(folder.rglob("*.svg"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        for secret in (*TOKENS.values(), BRIDGE_TOKEN):
            assert secret not in text, (path.name, "holds a secret")


def test_detail_with_a_timeline(dash, snap_compare, monkeypatch) -> None:
    """charlie's history as another process recorded it: the 24 h strip, SINCE, FLAP and the
    last transitions with their error texts (times in UTC for the snapshot)."""
    import time

    from dashkit import CHARLIE_ERROR, FROZEN_NOW

    from cwdash.store.db import Store
    from cwdash.store.history.model import Observation
    from cwdash.store.history.writer import HistoryWriter

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(time, "tzset", time.tzset)  # undone below
    now = FROZEN_NOW.timestamp()
    store = Store.open(dash.path)
    writer = HistoryWriter(store, observer="check", start=False, clock=lambda: now)
    script = [(30, "active", ""), (20, "error", "chatwoot: 502 Bad Gateway"), (18, "active", "")]
    script += [(3, "error", CHARLIE_ERROR), (2.5, "active", ""), (0.5, "error", CHARLIE_ERROR)]
    for hours, status, error in script:
        writer.observe(Observation("charlie", status, error), at=now - hours * 3600)
    writer.close()
    store.close()
    app = dash.app(dash.bridge(), shown_url=SHOWN_URL)
    try:
        assert snap_compare(app, terminal_size=WIDE, run_before=on("charlie"))
    finally:
        monkeypatch.undo()
        time.tzset()
