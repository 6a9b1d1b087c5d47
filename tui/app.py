"""The cwdash dashboard app: configuration, styles, theme, crash handling, and its one screen.

Everything on screen is :class:`~cwdash.tui.screen.DashboardScreen`'s; the app only
sets it up. Every notification is literal text and identical ones coalesce
(:mod:`cwdash.tui.notices`); a crash is logged and reported without a secret
(:mod:`cwdash.tui.crash`).

Preferences (:mod:`cwdash.store.prefs`, ``$XDG_CONFIG_HOME/cwdash/config.toml``): the
theme chosen in the palette is written there and applied at the next start; its
``[keys]`` table remaps bindings by id through Textual's keymap. A bad entry is shown
as a notification at start, never fatal.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.keys import key_to_character
from textual.screen import Screen

from cwdash.store import prefs, redact
from cwdash.store.config import Config, ConfigError
from cwdash.store.db import Store
from cwdash.store.readmodel import ReadModel
from cwdash.store.refresh import RefreshSettings
from cwdash.store.text import one_line
from cwdash.tui.crash import CrashReport
from cwdash.tui.notices import LiteralNotifications
from cwdash.tui.screen import BINDINGS, DashboardScreen, Timing
from cwdash.tui.table import FleetTable

log = logging.getLogger("cwdash")
BINDING_IDS = tuple(b.id for b in BINDINGS if b.id)  # what config.toml's [keys] may name
STYLES = str(resources.files("cwdash.styles") / "cwdash.tcss")  # a package resource, installed or not


def keymap_clashes(keymap: dict[str, str], bindings: Iterable[BindingType], where: Path) -> list[str]:
    """Keys that [keys] gives a binding while another binding keeps them (Textual resolves
    such a clash silently: one of the two just never fires)."""
    owners: dict[str, Binding] = {}
    for binding in bindings:
        if isinstance(binding, Binding) and binding.id not in keymap:  # a rebound binding frees its keys
            for key in binding.key.split(","):
                owners[key_to_character(key.strip()) or key.strip()] = binding
    clashes = []
    for binding_id, keys in keymap.items():
        for key in keys.split(","):
            other = owners.get(key_to_character(key) or key)
            if other is not None and other.id != binding_id:
                clashes.append(
                    f"{where}: [keys] {binding_id} = {key!r}: {key!r} is already the key of "
                    f"{other.description or other.action}; pick another"
                )
    return clashes


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
        prefs_file: Path | None = None,
    ) -> None:
        super().__init__()
        self.prefs_file = prefs.prefs_path() if prefs_file is None else prefs_file
        self.prefs = prefs.load(BINDING_IDS, self.prefs_file)
        self.keymap = dict(self.prefs.keys)  # binding id -> keys, as applied
        self._saved_theme: str | None = None
        self._clashes: set[tuple[str, str]] = set()
        redact.register_config(config)  # blanked in the log from here on
        self.config = config
        self.store = store
        self.model = model
        self.no_reveal = no_reveal
        self.notices = tuple(notices)
        self.title = "cwdash" + (f" · {label}" if label else "")
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
        self._apply_prefs()

    # -- preferences ---------------------------------------------------------------

    def _apply_prefs(self) -> None:
        """The saved theme and keymap; each bad entry is said, none stops the start."""
        problems = list(self.prefs.problems)
        theme = self.prefs.theme
        if theme is not None:
            if theme in self.available_themes:
                self._saved_theme = theme
                self.theme = theme
            else:
                problems.append(
                    f"{self.prefs_file}: theme {one_line(theme, 40)!r} is not a theme here "
                    "(pick one with ctrl+p, Theme)"
                )
        if self.keymap:
            self.set_keymap(self.keymap)
            problems += keymap_clashes(self.keymap, [*BINDINGS, *FleetTable.BINDINGS], self.prefs_file)
        for problem in problems:
            self.notify(one_line(problem, 400), title="preferences", severity="warning", timeout=15)

    def watch_theme(self, theme: str) -> None:
        """A theme chosen in the palette is kept for the next start (a small atomic write)."""
        if theme == self._saved_theme or not self.is_running:
            return
        try:
            prefs.save(theme=theme, path=self.prefs_file)
        except ConfigError as exc:
            log.error("the theme was not saved: %s", exc)
            self.notify(one_line(str(exc), 400), title="theme not saved", severity="warning")
            return
        self._saved_theme = theme

    def _hide_token(self) -> None:
        """A crash hides a revealed token before anything else (cwdash.tui.crash)."""
        self.dashboard.hide_token()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.dashboard.BINDINGS:
            if binding.action in ("app.quit", "help"):
                continue
            yield SystemCommand(
                binding.description,
                binding.tooltip or binding.description,
                lambda action=binding.action: self.run_action(action, self.dashboard),
            )
