"""The header and the banner of the ``--all-sites`` dashboard: each site's counts, or why it
shows nothing, on the first line; the selected row's site's live source on the second.

The first line fits the screen: each site in words (``prod 1,204 · 3 error · 1 offline``),
else in short words (``prod 1,204 3err 1off``), else its name and a mark; a site that
cannot be opened or read says why in a few words (``eu: store locked``), the banner in
full.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich.text import Text

from cwdash.store.fleet import Counts, Fleet, FleetRow, Tally
from cwdash.store.status import ERROR
from cwdash.store.text import one_line
from cwdash.tui import look
from cwdash.tui.summary import SummaryBar

if TYPE_CHECKING:
    from cwdash.tui.sites import SiteSession


SHORT_REASONS = (  # what a site's problem says in the header (the banner says it all)
    ("locked", "store locked"),
    ("malformed", "store damaged"),
    ("not a database", "store damaged"),
    ("corrupt", "store damaged"),
    ("CWDASH_KEY", "key problem"),
    ("cannot be opened", "key problem"),
    ("key", "key problem"),
    ("no store", "no store"),
    ("does not exist", "no store"),
    ("no such", "no store"),
    ("permission", "no access"),
    ("env", "bad env file"),
)


def short_reason(problem: str) -> str:
    for word, short in SHORT_REASONS:
        if word.lower() in problem.lower():
            return short
    return one_line(problem, 24)


def _bar() -> str:
    return " | " if look.G.ascii else " │ "


def site_segment(session: SiteSession, counts: Counts | None, level: int) -> Text:
    """One site in the header's first line: ``level`` 3 in words, 2 in short words, 1 in
    short words without the total, 0 its name and a mark."""
    text = Text()
    name = one_line(session.site, 40 if level else 12)
    trouble = session.trouble
    bad_glyph = look.state_label(ERROR).partition(" ")[0]
    if trouble is not None:
        text.append(f"{name}{':' if level else ''} ", style="bold")
        text.append(short_reason(trouble) if level else bad_glyph, style="bold red")
        return text
    text.append(name, style="bold")
    if counts is None or (not session.loaded and not counts.total):
        text.append(f" {look.G.ellipsis}", style="dim")
        return text
    if level >= 2:
        text.append(f" {counts.total:,}")
    parts: list[tuple[str, str]] = []
    for number, word, short, style in (
        (counts.error, "error", "err", "bold red"),
        (counts.number_offline, "offline", "off", "bold red"),
        (counts.failing, "failing", "fail", "red"),
        (counts.gone, "gone", "gone", "bold magenta"),
    ):
        if number:
            parts.append((f"{number:,} {word}" if level == 3 else f"{number:,}{short}", style))
    if session.feed is None:
        parts.append(("local", "yellow"))
    if not parts:
        parts.append(("ok", "green"))
    if level == 0:
        bad = any(style.endswith("red") for _, style in parts)
        text.append(f" {look.G.warn if bad else 'ok'}", style="bold red" if bad else "green")
        return text
    for label, style in parts:
        text.append(f" {look.G.sep} " if level == 3 else " ", style="dim")
        text.append(label, style=style)
    return text


def sites_line(sessions: Sequence[SiteSession], counts: Mapping[str, Counts], width: int) -> Text:
    """Every site in one line of at most ``width`` cells, in words when they fit."""
    line = Text()
    for level in (3, 2, 1, 0):
        line = Text()
        for index, session in enumerate(sessions):
            if index:
                line.append(_bar(), style="dim")
            line.append_text(site_segment(session, counts.get(session.site), level))
        if line.cell_len <= width:
            break
    return line


def banner_line(sessions: Sequence[SiteSession], counts: Mapping[str, Counts]) -> str:
    """What stands in each site's way, site by site ("" when nothing does)."""
    lines = []
    for session in sessions:
        if session.trouble is not None:
            lines.append(f"{session.site}: {session.trouble}")
            continue
        down = ""
        if session.feed is not None:
            down = session.fleet_down.line(counts.get(session.site), session.feed.scheduler)
        unsaved = session.failures.banner()
        if down or unsaved:
            lines.append(f"{session.site}: {down or unsaved}")
    return "; ".join(lines)


class SitesSummary(SummaryBar):
    """The header with several sites: each site's counts on the first line, the selected
    row's site's live source (its budget, its last answer) on the second."""

    def __init__(
        self, fleet: Fleet, title: str, sessions: Sequence[SiteSession], *, id: str | None = None
    ) -> None:
        first = next((s for s in sessions if s.model is not None), sessions[0])
        super().__init__(fleet, title, first.live, id=id)
        self.sessions = sessions
        self.site = first.site  # whose live source the second line shows
        self.site_counts: dict[str, Counts] = {}
        self.site_tallies: dict[str, Tally] = {}  # kept up to date by recount()
        self._sites_dirty: set[str] = set()  # whose rows changed since the counts were taken
        self._all_sites_dirty = True

    def mark_changed(self, *, rows: bool = False, site: str | None = None) -> None:
        super().mark_changed(rows=rows)
        if rows:
            if site is None:
                self._all_sites_dirty = True
            else:
                self._sites_dirty.add(site)

    def show_site(self, session: SiteSession) -> None:
        if session.site != self.site:
            self.site = session.site
            self.live = session.live
            # no count changed: the second line names another site (the cursor crossed
            # between sites' rows, which a list by name does at every key)
            self.mark_changed()

    def recount(self, row: FleetRow, n: int, site: str = "") -> None:
        self._dirty = True
        if self._all_sites_dirty or site in self._sites_dirty:
            return  # counted again anyway
        tally = self.site_tallies.get(site)
        if tally is None:
            self._sites_dirty.add(site)
        else:
            tally.add(row, n)

    def take_counts(self) -> Counts:
        if self._all_sites_dirty or not self.site_tallies:
            self.site_tallies = self.fleet.site_tallies()  # one pass over every row
        elif self._sites_dirty:  # the sites whose rows came or went
            for site in self._sites_dirty:
                self.site_tallies.pop(site, None)
            self.site_tallies.update(self.fleet.site_tallies(self._sites_dirty))
        self._sites_dirty.clear()
        self._all_sites_dirty = False
        self._counts_dirty = False
        self.site_counts = {site: tally.counts() for site, tally in self.site_tallies.items()}
        return self.site_counts.get(self.site) or self.fleet.counts(())

    def _text_for(self, c: Counts) -> Text:
        one_site = super()._text_for(c).split("\n")
        text = Text(no_wrap=True, overflow="crop" if look.G.ascii else "ellipsis")
        text.append(self.title_text, style="bold")
        text.append("  ")
        if not self.loaded:
            text.append(f"loading {self.expected:,} instances{look.G.ellipsis}  ", style="dim")
        room = max(10, (self.content_size.width or self.app.size.width - 2) - text.cell_len)
        text.append_text(sites_line(self.sessions, self.site_counts, room))
        text.append("\n")
        text.append(f"{one_line(self.site, 40)}: ", style="bold")
        if len(one_site) > 1:
            text.append_text(one_site[1])
        return text
