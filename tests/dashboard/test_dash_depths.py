"""The screen at every colour depth (NO_COLOR, 16 colours, 256, truecolor) and in ASCII:
snapshots, and checks that the cursor, a row that just changed and each status stay
distinguishable at each depth.

A real terminal shows fewer colours than the app draws: Rich converts them on output. The
SVG export of ``snap_compare`` records the colours before that conversion, so for 16 and
256 colours the screenshot is rendered through a console of that depth and read back
(:func:`export_at`): the snapshot shows what such a terminal shows.
"""

from __future__ import annotations

import io
import types

import pytest
from dashkit import ROUTES, screen_text, select, wait_settled
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from cwdash.store.simbridge import live
from cwdash.tui import look
from cwdash.tui.app import CwdashApp

pytestmark = pytest.mark.usefixtures("frozen_clock")

SHOWN_URL = "http://bridge.internal:8080"
SYSTEMS = {"16": "standard", "256": "256"}
DEPTHS = ["none", "16", "256", "truecolor"]


def composed(app: CwdashApp) -> object:
    # private, as dashkit.screen_text (tests/dashboard/test_textual_private.py)
    return app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)


def export_at(app: CwdashApp, system: str) -> str:
    """The screenshot as a terminal of ``system`` colours shows it (see the module)."""
    width, height = app.size
    out = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system=system,  # type: ignore[arg-type]
        legacy_windows=False,
        safe_box=False,
    )
    out.print(composed(app))
    ansi = out.file.getvalue()  # type: ignore[attr-defined]
    record = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    record.print(Text.from_ansi(ansi, no_wrap=True, end=""), end="", overflow="ignore", crop=False)
    return record.export_svg(title=app.title)


def build(dash, monkeypatch: pytest.MonkeyPatch, depth: str) -> CwdashApp:  # type: ignore[no-untyped-def]
    if depth == "none":
        monkeypatch.setenv("NO_COLOR", "1")
    # bravo's state changes (paused -> error) when first read: its row is marked for a moment
    routes = {**ROUTES, "int_bravo": live("error", "whatsapp session disconnected")}
    app = dash.app(dash.bridge(routes), shown_url=SHOWN_URL, depth="truecolor" if depth == "none" else depth)
    if depth in SYSTEMS:
        app.export_screenshot = lambda title=None, simplify=False: export_at(app, SYSTEMS[depth])  # type: ignore[method-assign]
    return app


async def settle_on(pilot, name: str = "charlie") -> None:  # type: ignore[no-untyped-def]
    import cwdash.tui.table

    await wait_settled(pilot)
    await select(pilot, name)
    pilot.app.dashboard.tick()
    # the list looks at the changes (stamped at 1000 s) from 1002 s: bravo's mark still shows
    cwdash.tui.table.time = types.SimpleNamespace(monotonic=lambda: 1002.0)
    pilot.app.dashboard.table.refresh()
    await pilot.pause()


@pytest.mark.parametrize("depth", DEPTHS)
def test_each_colour_depth(dash, snap_compare, monkeypatch: pytest.MonkeyPatch, depth: str) -> None:
    app = build(dash, monkeypatch, depth)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle_on)


@pytest.mark.parametrize("depth", DEPTHS)
def test_each_colour_depth_wide(dash, snap_compare, monkeypatch: pytest.MonkeyPatch, depth: str) -> None:
    app = build(dash, monkeypatch, depth)
    assert snap_compare(app, terminal_size=(140, 30), run_before=settle_on)


@pytest.mark.usefixtures("ascii_glyphs")
def test_ascii_terminal(dash, snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    app = build(dash, monkeypatch, "16")
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle_on)


def test_the_full_view(dash, snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    app = build(dash, monkeypatch, "truecolor")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle_on(pilot, "golf")
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


# -- distinguishable at each depth, by the styles a terminal of that depth gets ---------------


def _downgraded(style: Style, system: str | None) -> tuple[object, ...]:
    """What a terminal of ``system`` colours shows of ``style``: its SGR codes."""
    if system is None:
        return (style.bold, style.dim, style.italic, style.underline, style.reverse)
    console = Console(file=io.StringIO(), force_terminal=True, color_system=system)  # type: ignore[arg-type]
    return (style._make_ansi_codes(console._color_system),)  # type: ignore[arg-type]


def row_segments(app: CwdashApp, name: str) -> list[Segment]:
    """The row as drawn, after the app's filters (NO_COLOR's among them)."""
    table = app.dashboard.table
    strips = table.render_lines(table.region.reset_offset)
    return list(strips[1 + app.dashboard.fleet.index_of(name)])


@pytest.mark.anyio
@pytest.mark.parametrize("depth", DEPTHS)
async def test_cursor_change_and_statuses_stay_apart(
    dash, monkeypatch: pytest.MonkeyPatch, depth: str
) -> None:
    app = build(dash, monkeypatch, depth)
    system = None if depth == "none" else SYSTEMS.get(depth, "truecolor")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_on(pilot)
        cursor = _downgraded(row_segments(app, "charlie")[2].style, system)  # the gap after the marker
        plain = _downgraded(row_segments(app, "alpha")[2].style, system)
        assert cursor != plain  # the cursor shows at this depth, without colour too (reverse)
        bravo = row_segments(app, "bravo")
        assert bravo[1].text == look.G.changed  # the mark of a change
        name_cell = next(s for s in bravo if s.text.startswith("bravo"))
        assert _downgraded(name_cell.style, system) != cursor  # never the cursor's look
        assert name_cell.style.underline
        assert look.G.changed not in "".join(s.text for s in row_segments(app, "alpha"))
        # each status: its glyph and word, whatever the colours
        glyphs = {row_segments(app, n)[0].text.split()[0] for n in ("alpha", "bravo", "delta")}
        assert glyphs == {look.G.states["active"], look.G.states["error"], look.G.states[""]}
        assert screen_text(app)
