"""The cwdash dashboard app: configuration, styles, theme, crash handling, and its one screen.

Everything on screen is :class:`~cwdash.tui.screen.DashboardScreen`'s; the app only
sets it up. Every notification is literal text and identical ones coalesce
(:mod:`cwdash.tui.notices`); a crash is logged and reported without a secret
(:mod:`cwdash.tui.crash`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from importlib import resources

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from cwdash.store import redact
from cwdash.store.config import Config
from cwdash.store.db import Store
from cwdash.store.readmodel import ReadModel
from cwdash.store.refresh import RefreshSettings
from cwdash.store.text import one_line
from cwdash.tui import look
from cwdash.tui.crash import CrashReport
from cwdash.tui.notices import LiteralNotifications
from cwdash.tui.screen import DashboardScreen, Timing

DEPTHS = {"standard": "16", "windows": "16", "256": "256", "truecolor": "truecolor"}
STYLES = str(resources.files("cwdash.styles") / "cwdash.tcss")  # a package resource, installed or not


class CwdashApp(LiteralNotifications, CrashReport, App[None]):
    """The dashboard; its keys are the screen's (``DashboardScreen.BINDINGS``)."""

    CSS_PATH = STYLES
    TITLE = "cwdash"
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        config: Config,
        store: Store,
        model: ReadModel,
        *,
        no_reveal: bool = False,
        label: str = "",
        settings: RefreshSettings | None = None,
        reveal_seconds: float | None = None,
        timing: Timing | None = None,
        notices: Sequence[str] = (),
        depth: str | None = None,
    ) -> None:
        # NO_COLOR (Textual reads and removes it in __init__): colours become the
        # terminal's defaults (not greys, which put error rows at 240 on 233), and the
        # screens mark the rest by weight and glyphs (the "-no-color" class)
        no_color = "NO_COLOR" in os.environ
        super().__init__(ansi_color=True if no_color else None)
        # "none", "16", "256" or "truecolor" (tests pass the last three; else the terminal's, as Rich detects it)
        self.depth = "none" if no_color else depth or DEPTHS.get(self.console.color_system or "", "truecolor")
        if self.depth == "16":
            # 16 colours: the terminal's own palette, so the cursor, paused and error each
            # keep a colour of their own (converted from a truecolor theme they collide)
            self.theme = "ansi-dark"
        redact.register_config(config)  # blanked in the log from here on
        self.config = config
        self.store = store
        self.model = model
        self.no_reveal = no_reveal
        self.notices = tuple(notices)
        self.title = "cwdash" + (f" {look.G.sep} {label}" if label else "")
        timing = timing or Timing()
        if reveal_seconds is not None:
            timing = dataclasses.replace(timing, reveal_seconds=reveal_seconds)
        self.dashboard = DashboardScreen(
            config, store, model, no_reveal=no_reveal, settings=settings, timing=timing
        )

    def get_default_screen(self) -> Screen[None]:
        return self.dashboard

    def on_mount(self) -> None:
        for notice in self.notices:  # e.g. a store or .env readable by other users
            self.notify(one_line(notice, 400), severity="warning", timeout=15)

    def _hide_token(self) -> None:
        """A crash hides a revealed token before anything else (cwdash.tui.crash)."""
        self.dashboard.hide_token()

    def get_key_display(self, binding: Binding) -> str:
        return look.key_display(super().get_key_display(binding))  # ASCII where the glyphs are

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's Keys panel takes half of an 80-column screen and Escape does not
        # close it: `?` (HelpScreen) lists every key instead
        yield from (c for c in super().get_system_commands(screen) if c.title != "Keys")
        for binding in self.dashboard.BINDINGS:
            if (
                binding.action in ("app.quit", "help")
                or self.dashboard.check_action(binding.action, ()) is False
            ):
                continue
            yield SystemCommand(
                binding.description,
                binding.tooltip or binding.description,
                lambda action=binding.action: self.run_action(action, self.dashboard),
            )
