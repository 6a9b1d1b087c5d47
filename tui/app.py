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

import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.keys import key_to_character
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES

from cwdash.store import prefs, redact
from cwdash.store.config import Config, ConfigError
from cwdash.store.db import Store
from cwdash.store.readmodel import ReadModel
from cwdash.store.refresh import RefreshSettings
from cwdash.store.text import one_line
from cwdash.styles import sheet
from cwdash.tui import look
from cwdash.tui.crash import CrashReport
from cwdash.tui.notices import LiteralNotifications
from cwdash.tui.screen import BINDINGS, DashboardScreen, Timing
from cwdash.tui.table import FleetTable

if TYPE_CHECKING:
    from textual.driver import Driver

    from cwdash.tui.sites import SiteSpec

log = logging.getLogger("cwdash")
BINDING_IDS = tuple(b.id for b in BINDINGS if b.id)  # what config.toml's [keys] may name
LEFT_OUT = ("Keys", "Screenshot")  # Textual's palette commands the dashboard does not offer
DEPTHS = {"standard": "16", "windows": "16", "256": "256", "truecolor": "truecolor"}
# beside this package, installed or not (cwdash/styles); a plain path: importlib.resources
# would cost the start a few milliseconds for the same answer
STYLES = sheet("cwdash")


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
    # ctrl+c: before any screen's or input's own (a dialog cuts the app's keys off): copies
    # what is selected, else quits (action_help_quit)
    # ctrl+z: to the shell's background, `fg` brings the dashboard back (Textual binds it to
    # nothing, and the terminal's own ctrl+z is off while the dashboard runs)
    BINDINGS = [
        Binding("ctrl+c", "help_quit", show=False, system=True, priority=True),
        Binding("ctrl+z", "suspend_process", show=False, system=True, priority=True),
    ]

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
        depth: str | None = None,
        sites: Sequence[SiteSpec] | None = None,
        bell: bool = False,
        on_change: str | None = None,
    ) -> None:
        # NO_COLOR (Textual reads and removes it in __init__): colours become the
        # terminal's defaults (not greys, which put error rows at 240 on 233), and the
        # screens mark the rest by weight and glyphs (the "-no-color" class)
        no_color = "NO_COLOR" in os.environ
        self.prefs_file = prefs.prefs_path() if prefs_file is None else prefs_file
        self.prefs = prefs.load(BINDING_IDS, self.prefs_file)
        # a saved theme replaces the default's CSS variables before the first parse
        # (_start_theme): Textual's __init__ need not work them out for the default first
        self._variables_later = self.prefs.theme in BUILTIN_THEMES
        super().__init__(ansi_color=True if no_color else None)
        # "none", "16", "256" or "truecolor" (tests pass the last three; else the terminal's, as Rich detects it)
        self.depth = "none" if no_color else depth or DEPTHS.get(self.console.color_system or "", "truecolor")
        # a terminal mode's styles are read only when it is on (fewer rules parsed before the first paint)
        modes = {"ascii": look.G.ascii, "no-color": self.depth == "none", "depth-16": self.depth == "16"}
        self.css_path = [*self.css_path, *(Path(sheet(mode)) for mode, on in modes.items() if on)]
        self.keymap = dict(self.prefs.keys)  # binding id -> keys, as applied
        self.bell_on_alert = bell or self.prefs.bell  # --bell, or bell = true in config.toml
        self.on_change = on_change  # --on-change CMD: run for every transition (tui/history_view.py)
        self._saved_theme: str | None = None
        self._clashes: set[tuple[str, str]] = set()
        saved = self.prefs.theme if self.prefs.theme in self.available_themes else None
        if saved is not None:
            self._saved_theme = saved
            self._start_theme(saved)
        elif self.depth == "16":
            # 16 colours: the terminal's own palette, so the cursor, paused and error each
            # keep a colour of their own (converted from a truecolor theme they collide)
            self._start_theme("ansi-dark")
        redact.register_config(config)  # blanked in the log from here on
        for spec in sites or ():  # --all-sites: every site's secrets
            if spec.config is not None:
                redact.register_config(spec.config)
        self.config = config
        self.store = store
        self.model = model
        self.no_reveal = no_reveal
        self.notices = tuple(notices)
        self.title = "cwdash" + (f" {look.G.sep} {label}" if label else "")
        timing = timing or Timing()
        if reveal_seconds is not None:
            timing = timing._replace(reveal_seconds=reveal_seconds)
        self.dashboard = DashboardScreen(
            config,
            store,
            model,
            no_reveal=no_reveal,
            settings=settings,
            timing=timing,
            sites=list(sites or ()),
        )

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver, but on Linux and macOS one whose input thread sleeps while no
        key comes (tui/driver.py); a TEXTUAL_DRIVER from the environment still wins."""
        driver = super().get_driver_class()
        from textual.drivers.linux_driver import LinuxDriver

        if driver is LinuxDriver:
            from cwdash.tui.driver import QuietDriver

            return QuietDriver
        return driver

    def get_default_screen(self) -> Screen[None]:
        return self.dashboard

    def on_mount(self) -> None:
        self.hold_notices_over_dialogs()  # no toast over an open dialog (tui/notices.py)
        self.app_resume_signal.subscribe(self, self._repaint_after_resume)
        for notice in self.notices:  # e.g. a store or .env readable by other users
            self.notify(one_line(notice, 400), severity="warning", timeout=15)
        self._apply_prefs()

    def _repaint_after_resume(self, _app: object) -> None:
        """Back from ctrl+z (`fg`): the terminal's screen is blank, and Textual, seeing the
        same size, repaints only what changes; all of it is painted again."""
        self.refresh(layout=True)

    # -- preferences ---------------------------------------------------------------

    def get_css_variables(self) -> dict[str, str]:
        """Textual's, but not the default theme's when a saved one replaces them at once
        (``_variables_later``: working them out is ~1 ms before the first paint)."""
        if self._variables_later:
            self._variables_later = False
            return {}
        return super().get_css_variables()

    def _start_theme(self, name: str) -> None:
        """The theme to start with, applied before the app runs: its CSS variables are in
        the stylesheet before its first parse. Set as ``self.theme`` once running (or even
        here), Textual's watcher re-parses every stylesheet, restyles every widget and lays
        the screen out again, ~25 ms before the first paint (issue 16: the first screen is
        composed once). A theme whose brightness or ANSI mode differs from the default's
        still goes that way: its colour filter is Textual's to rebuild."""
        theme, default = self.get_theme(name), self.current_theme
        if theme is None or (theme.dark, theme.ansi) != (default.dark, default.ansi):
            self.theme = name
            self.stylesheet.set_variables(self.get_css_variables())  # none yet (_variables_later)
            return
        self.set_reactive(App.theme, name)
        classes = {f"-theme-{name}": True, "-dark-mode": theme.dark, "-light-mode": not theme.dark}
        self.update_classes(classes, update=False)  # as Textual's watcher sets them
        self.stylesheet.set_variables(self.get_css_variables())

    def _apply_prefs(self) -> None:
        """The saved keymap (the theme is applied in __init__); each bad entry is said, none
        stops the start."""
        problems = list(self.prefs.problems)
        theme = self.prefs.theme
        if theme is not None and theme not in self.available_themes:
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

    def get_key_display(self, binding: Binding) -> str:
        return look.key_display(super().get_key_display(binding))  # ASCII where the glyphs are

    def action_help_quit(self) -> None:
        """ctrl+c copies what is selected (in an input, or on screen with the mouse), as
        Textual's own bindings would; with nothing selected it quits, from the list or from
        any dialog, as a terminal user's reflex expects. (Textual only toasts which key
        quits, in markup that literal toasts show as such, and not at all over a dialog.)"""
        selected = getattr(self.screen.focused, "selected_text", "") or self.screen.get_selected_text()
        if selected:
            self.copy_to_clipboard(selected)
        else:
            self.exit()

    def action_suspend_process(self) -> None:
        """ctrl+z: to the shell's background where a shell controls jobs; else said, not done
        (stopped, the dashboard could not come back: tui/driver.py job_control)."""
        driver = self._driver
        if os.name == "posix" and driver is not None and driver.can_suspend and not _job_control():
            self.notify(
                "ctrl+z: no shell job control here (cwdash leads its terminal's session, as under "
                "`tmux new cwdash` or `ssh -t host cwdash`), so it keeps running; q quits",
                title="not suspended",
                severity="warning",
            )
            return
        super().action_suspend_process()

    def action_command_palette(self) -> None:
        """Textual's palette; on an ASCII terminal without its emoji icon and "…"."""
        if not look.G.ascii:
            super().action_command_palette()
        elif self.use_command_palette:
            from cwdash.tui.asciimode import ascii_palette

            ascii_palette(self)

    def search_themes(self) -> None:
        """The palette's Theme picker: ASCII too where the terminal needs it."""
        if not look.G.ascii:
            super().search_themes()
            return
        from textual.theme import ThemeProvider

        from cwdash.tui.asciimode import ascii_palette

        ascii_palette(self, "Search for themes...", providers=[ThemeProvider])

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's Keys panel takes half of an 80-column screen and Escape does not
        # close it: `?` (HelpScreen) lists every key instead. Its Screenshot writes the
        # screen, a revealed token too, to ~/Downloads (where a server has none: "Failed
        # to save screenshot"), said in markup that literal toasts show as such
        yield from (c for c in super().get_system_commands(screen) if c.title not in LEFT_OUT)
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


def _job_control() -> bool:
    from cwdash.tui.driver import job_control  # posix only (termios), as suspending is

    return job_control()
