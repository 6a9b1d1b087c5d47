"""Fixtures of the dashboard tests: a temp store with a fixed fleet, bridge stand-ins, frozen clocks."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from datetime import datetime, tzinfo
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashkit import FROZEN_NOW, WRITTEN, Dash

from cwdash.store.config import generate_key


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _clean_terminal_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No tmux/screen or cwdash settings leak in from the machine running the tests."""
    for name in (
        "TMUX",
        "STY",
        "CWDASH_NO_REVEAL",
        "BRIDGE_URL",
        "BRIDGE_TOKEN",
        "CWDASH_KEY",
        "CWDASH_DB",
        "NO_COLOR",
    ):
        monkeypatch.delenv(name, raising=False)
    # The live reads on a thread of the test's process, whose scheduler these tests look
    # into (in_flight, paused); test_dash_process.py unsets it for the reads process.
    monkeypatch.setenv("CWDASH_LIVE_READS", "thread")


@pytest.fixture
def dash(tmp_path: Path) -> Iterator[Dash]:
    """A store seeded with the fixed fleet (dashkit.FLEET), its key, and bridge stand-ins on demand."""
    d = Dash(tmp_path, generate_key(), generate_key())
    yield d
    d.close()


class _FrozenDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        return FROZEN_NOW if tz is not None else FROZEN_NOW.replace(tzinfo=None)


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Freeze every clock the screen shows, for snapshots.

    - created_at ages (cwdash.store.timefmt) are computed against FROZEN_NOW, and the
      store's writes are stamped 3 days before it (requested before ``dash``, it seeds so);
    - the screen stamps live answers at monotonic 1000 s, and the list and the detail look
      at them from monotonic 1005 s: "live 5s", "read just now", and the 4 s "changed"
      highlight is over. The refresh scheduler keeps the real clock.
    """
    import cwdash.store.db
    import cwdash.store.timefmt
    import cwdash.tui.detail
    import cwdash.tui.results
    import cwdash.tui.screen
    import cwdash.tui.summary
    import cwdash.tui.table

    monkeypatch.setattr(cwdash.store.timefmt, "datetime", _FrozenDatetime)
    # rows written "3 days ago" (the store's local write time): "local 3d" in the list
    monkeypatch.setattr(cwdash.store.db, "now_rfc3339", lambda: WRITTEN)
    stamped = types.SimpleNamespace(monotonic=lambda: 1000.0)
    monkeypatch.setattr(cwdash.tui.screen, "time", stamped)
    monkeypatch.setattr(cwdash.tui.results, "time", stamped)  # a live result's stamp
    monkeypatch.setattr(cwdash.tui.summary, "time", stamped)
    later = types.SimpleNamespace(monotonic=lambda: 1005.0)
    monkeypatch.setattr(cwdash.tui.table, "time", later)
    monkeypatch.setattr(cwdash.tui.detail, "time", later)
    # history's wall clock (SINCE, the timeline): every transition and "now" at FROZEN_NOW
    import cwdash.tui.history_view

    monkeypatch.setattr(cwdash.tui.history_view, "wall", FROZEN_NOW.timestamp)


@pytest.fixture
def ascii_glyphs() -> Iterator[None]:
    """Draw with ASCII only (glyphs and Textual's borders), as under LANG=C, for one test."""
    from cwdash.tui import look
    from cwdash.tui.asciimode import use_ascii_textual

    look.use_ascii(True)
    use_ascii_textual(True)
    yield
    look.use_ascii(False)
    use_ascii_textual(False)
