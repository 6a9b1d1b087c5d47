"""The fleet as the dashboard sees it: every instance, its local row and its last live outcome.

Plain Python, no Textual, so filtering, sorting and the fleet counts are testable and
measurable without a screen. Rows are kept by key (the name; site-qualified with several
sites: :func:`~cwdash.store.fleetrow.row_key`) and updated in place.
"""

from __future__ import annotations

import bisect
import time
from array import array
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from cwdash.store.columns import SiteColumns
from cwdash.store.counts import Counts, Tally
from cwdash.store.db import ListRow
from cwdash.store.fleetrow import (
    FleetRow,
    filter_rows,
    natural_key,
    rows_from_listing,
)
from cwdash.store.fleetrows import FleetRows
from cwdash.store.fleetview import (
    COLUMNS,
    FilterPass,
    Layout,
    SortPass,
    View,
    attention,
    matching,
    with_natural,
)
from cwdash.store.fleetview import sorted_by as _sorted_by
from cwdash.store.listingdiff import ListingDiff, SiteRows, diff_listing
from cwdash.store.readmodel import INSTANCE_NOT_FOUND, LiveResult, ReadModel, ReadResult
from cwdash.store.status import ERROR

if TYPE_CHECKING:
    from cwdash.store.namemerge import MergePass

__all__ = [
    "Counts",
    "Fleet",
    "FleetRow",
    "ListingDiff",
    "SiteRows",
    "Tally",
    "background_read",
    "diff_listing",
    "filter_rows",
    "rows_from_listing",
]

SORT_KEYS = ("status", "site", "name", "source", "last_error", "url", "inbox", "since")
PROGRESSIVE = 50_000  # rows to filter or sort beyond which the view is worked out in steps
FIRST_MATCHES, FIRST_LOOK = 200, 20_000  # the top shown at once: matches wanted, rows looked at
STEP = 1 << 15  # rows a step of a filter looks at


class Fleet:
    """All rows by name, plus the current view (filter, attention-only, sort)."""

    def __init__(self, rows: Iterable[FleetRow | ListRow] = ()) -> None:
        self.rows = FleetRows()
        self.view = View(array("I"), Layout(()))
        self.filter_text = ""
        self.attention_only = False
        self.sort_key = "name"
        self.sort_reverse = False
        # history (the dashboard's, tui/history_view.py): when each row's status began, when
        # it last broke (epoch seconds); the "since" and "broke" sorts read them
        self.since_at: dict[str, float] = {}
        self.broke_at: dict[str, float] = {}
        # what history knew when the dashboard started: since when each row was in its state
        # (the attention view orders rows in error with no breakage seen by it)
        self.known_since: dict[str, float] = {}
        self._shown: tuple[str, bool, str, bool] | None = None  # what ``view`` was built for
        # every row's number (fleetview.Layout) by name, and the rows' version it was sorted
        # at: each other sort is a stable pass over it by its own column, a filter keeps it
        self._by_name = array("I")
        self._by_name_version = -1
        self._layout = Layout(())
        self._layout_version = -1
        # a filter of a million rows is worked out in steps (fleetview.FilterPass): the one
        # under way, what it is for, whether the view shows only its top yet, and the
        # filters worked out whole a moment ago (a backspace returns to one at once)
        self.pending: FilterPass | SortPass | MergePass | None = None
        self._merge: MergePass | None = None  # the name order across sites, in steps (namemerge.py)
        self._pending_for: tuple[tuple[str, bool, str, bool], str | None, bool] = (
            ("", False, "", False),
            None,
            False,
        )
        self._partial = False
        self._filtered: dict[tuple[tuple[str, bool, str, bool], int], array[int]] = {}
        self.replace_local(rows)

    @staticmethod
    def _fleet_row(row: FleetRow | ListRow) -> FleetRow:
        return row if isinstance(row, FleetRow) else FleetRow.from_list_row(row)

    def add_first(self, rows: Iterable[FleetRow | ListRow]) -> None:
        """Show a first page of rows at once, before the whole listing has been read."""
        for row in rows:
            row = self._fleet_row(row)
            if row.key not in self.rows:
                self.rows.add(row)
        self.rebuild()

    def replace_local(self, rows: Iterable[FleetRow | ListRow], keep: str | None = None) -> tuple[int, int]:
        """Merge a fresh local listing: new rows appear, vanished rows go. Returns (added, removed).

        Rows already listed are updated in place (their live state survives). ``keep``
        (the selected instance) stays listed when it vanished, marked ``instance not
        found``, so the person looking at it sees why it went.
        """
        return self.apply_diff(diff_listing(self.rows, map(self._fleet_row, rows)), keep)

    def apply_diff(
        self, diff: ListingDiff, keep: str | None = None, *, keep_gone: bool = False
    ) -> tuple[int, int]:
        """Apply a :func:`diff_listing` result: see :meth:`replace_local`. Returns (added,
        removed); ``keep`` counts as removed though it stays listed. With ``keep_gone``
        every vanished row stays listed as gone (the dashboard's reloads on another
        process's commit: deleted while you watch), until a reload without it."""
        added = 0
        for row in diff.changed:
            existing = self.rows.get(row.key)
            if existing is None:
                self.rows.add(row)
                added += 1
            else:
                existing.update_local(row)
        removed = len(diff.removed)
        for key in diff.removed:
            if (keep_gone or key == keep) and key in self.rows:
                self.rows[key].mapped = INSTANCE_NOT_FOUND
                continue
            self.rows.pop(key, None)
        # Rows changed in place keep their place in a plain list sorted by name: the view
        # (100k rows) is rebuilt only when it can differ.
        plain = self.sort_key == "name" and not self.filter_text.strip() and not self.attention_only
        if added or removed or (diff.changed and not plain):
            self.rebuild(full=True, keep=keep)  # the selected row stays listed, as on a live change
        return added, removed

    @property
    def plain(self) -> bool:
        """Every row listed by name: live results cannot change the view's order or members."""
        return (
            self.sort_key == "name"
            and not self.sort_reverse
            and not self.attention_only
            and not (self.filter_text.strip())
        )

    def rebuild(self, *, full: bool = False, keep: str | None = None) -> None:
        """Recompute the view from the filter, the attention toggle and the sort.

        Typing more of a filter (the first character included) narrows the current
        view instead of listing and sorting the whole fleet again: the view is already
        sorted, and filtering keeps the order. ``keep`` (the selected instance) stays
        listed even when it no longer matches: a live change re-applies the view
        without taking the row from under the cursor.
        """
        needle = self.filter_text.strip().lower()
        shape = (needle, self.attention_only, self.sort_key, self.sort_reverse)
        previous = self._shown
        self._shown = shape
        self.pending = None  # a filter still being worked out is for an older view
        layout = self.layout()
        if full or not needle:
            self._filtered.clear()  # live changes may have moved rows in or out of them
        key = self.sort_key
        by_name = key == "name" or key not in SORTS
        narrowing = (
            not full
            and previous is not None
            and needle != previous[0]
            and needle.startswith(previous[0])
            and previous[1:] == shape[1:]
            and self.view.layout is layout
            and not self._partial
        )
        done = self._filtered.get((shape, self.rows.version))
        was_partial, self._partial = self._partial, False
        if done is not None and not full:  # typed back to a filter worked out a moment ago
            self.view = View(done, layout)
            return
        if narrowing:
            # the view is already sorted and filtering keeps the order: the first
            # keystroke filters the unfiltered view and sorts nothing
            ids = self.view.ids
        else:
            ids = self.name_order()
            if ids is None:  # sites of a million rows merged in steps: the view shown stays until whole
                self.pending = self._merge
                self._pending_for = (shape, keep, full)
                self._partial = True
                return
            if self.attention_only:
                ids = attention(layout, ids)
        if needle and by_name and len(ids) >= PROGRESSIVE:
            # a million rows: the top of the list now, the rest in steps (filter_more); the
            # rows in the order shown (a narrowed view is already)
            shown = ids if narrowing or not self.sort_reverse else ids[::-1]
            self.pending = FilterPass(layout, shown, needle)
            self._pending_for = (shape, keep, full)
            if not full:  # a live change's re-apply keeps the view shown until the new one is whole
                self.view = View(self.pending.first(FIRST_MATCHES, FIRST_LOOK), layout)
            self._partial = not full or was_partial
            return
        if needle:
            ids = matching(layout, ids, needle)
        if narrowing:
            self.view = View(ids, layout)
            self._filtered[(shape, self.rows.version)] = ids
            return
        self._finish(ids, keep, full=full)
        if full and self.pending is not None:
            self._partial = was_partial  # the view shown stays until the new one is whole

    def filter_more(self, seconds: float) -> bool:
        """Work on a filter or sort left in steps by :meth:`rebuild` for about ``seconds``;
        True while there is more to do (the view is whole once it says False)."""
        work = self.pending
        if work is None:
            return False
        deadline = time.perf_counter() + seconds
        while not work.step(STEP):
            if time.perf_counter() >= deadline:
                return True
        self.pending = None
        self._partial = False
        shape, keep, full = self._pending_for
        if work is self._merge:  # the name order across sites: now the view it was for
            self._merge = None
            if work.layout is self.layout():
                self._by_name, self._by_name_version = work.out, self.rows.version
            self.rebuild(full=full, keep=keep)  # with the order: the filter and the sort (in steps too)
            return self.pending is not None
        if isinstance(work, SortPass):
            self.view = View(work.out, self.layout())
            return False
        if not full and shape[2] == "name":
            self._filtered[(shape, self.rows.version)] = work.out
        self._finish(work.out, keep, filtered=True, full=full)
        return self.pending is not None  # the sort of what the filter kept, in steps too

    def _finish(
        self, ids: array[int], keep: str | None, *, filtered: bool = False, full: bool = True
    ) -> None:
        """The view from ``ids`` (in name order, filtered): the kept row put back, the sort."""
        layout = self.layout()
        needle = self.filter_text.strip()
        key = self.sort_key
        if filtered and self.sort_reverse:
            ids = ids[::-1]  # filtered in reverse name order: back to name order for the rest
        kept = self.rows.get(keep) if keep is not None else None
        number = layout.number(kept) if kept is not None else None
        if number is not None and (self.attention_only or needle) and number not in ids:
            folded = layout.joined("folded")
            ids = array("I", ids)
            at = bisect.bisect(ids, natural_key(folded[number]), key=lambda n: natural_key(folded[n]))  # type: ignore[index]
            ids.insert(at, number)
        key = self.sort_key
        if key == "name" or key not in SORTS:
            self.view = View(
                ids[::-1] if self.sort_reverse else ids, layout
            )  # shared: views are never changed in place
            return
        if self.sort_reverse:  # ties stay in reverse name order, as a reversed (column, name) sort
            ids = ids[::-1]
        if key in COLUMNS and len(ids) >= PROGRESSIVE:
            work = SortPass.start(layout, ids, key, self.sort_reverse)
            if work is not None:  # a million rows: the top now, the rest in steps (filter_more)
                self.pending = work
                self._pending_for = (self._shown or ("", False, key, False), keep, full)
                if not full:
                    self.view = View(work.first(FIRST_MATCHES), layout)
                    self._partial = True
                return
        if key in COLUMNS:  # a pass per distinct value, or one sort with a C-level key
            self.view = View(_sorted_by(layout, ids, key, self.sort_reverse), layout)
            return
        if key == "since":  # the most recent first
            at_ = self.since_at.get
            column: Callable[[FleetRow], object] = lambda r: -at_(r.key, 0.0)  # noqa: E731
        else:  # "broke": the attention view
            column = self._by_breakage()
        row = layout.row
        self.view = View(
            array("I", sorted(ids, key=lambda n: column(row(n)), reverse=self.sort_reverse)), layout
        )

    def layout(self) -> Layout:
        """The sites' columns as they are now, numbered (:class:`~cwdash.store.fleetview.Layout`)."""
        if self._layout_version != self.rows.version:
            self._layout = Layout(self.rows.sites.values())
            self._layout_version = self.rows.version
        return self._layout

    def name_order(self) -> array[int] | None:
        """Every row's number by name (natural order), sorted again only when rows came or
        went; None while several sites of many rows are merged in steps (:attr:`pending`)."""
        if self._by_name_version != self.rows.version or len(self._by_name) != len(self.rows):
            layout = with_natural(self.layout())
            if len(layout.parts) > 1:
                # several sites only: not on the first paint's path
                from cwdash.store.namemerge import MergePass, name_order

                if len(layout) >= PROGRESSIVE:
                    if self._merge is None or self._merge.layout is not layout:
                        self._merge = MergePass(layout)
                    return None
                self._by_name = name_order(layout)
            else:
                self._by_name = array("I", layout.parts[0].natural if layout.parts else ())  # type: ignore[arg-type]
            self._by_name_version = self.rows.version
        return self._by_name

    def _by_breakage(self) -> Callable[[FleetRow], tuple[int, float]]:
        """The attention view's order: the most recent breakage first; then rows in error with
        no breakage seen (broken before history or the dashboard saw them break), by how long
        history knew them in error when the dashboard started, the shortest first; then the
        rest, by name."""
        broke_at, known = self.broke_at, self.known_since

        def order(r: FleetRow) -> tuple[int, float]:  # ties: the rows come in name order
            broke = broke_at.get(r.key)
            if broke is not None:
                return (0, -broke)
            since = known.get(r.key) if r.status == ERROR else None
            return (1, -since) if since is not None else (2, 0.0)

        return order

    def index_of(self, key: str) -> int | None:
        row = self.rows.get(key)
        if row is None:
            return None
        try:
            return self.view.index(row)  # by number: no key string built per row
        except ValueError:
            return None

    def counts(self, rows: Iterable[FleetRow] | None = None) -> Counts:
        """The header's counts, of every row or of ``rows`` (a pass over each: at most once a tick)."""
        return (self.tally() if rows is None else Tally(rows)).counts()

    def tally(self) -> Tally:
        """Every row's counts, from the sites' columns (:meth:`Tally.of_columns`)."""
        tally = Tally()
        for columns in self.rows.sites.values():
            tally.plus(Tally.of_columns(columns))
        return tally

    def site_counts(self, sites: Iterable[str] | None = None) -> dict[str, Counts]:
        """The counts of each site with rows (``--all-sites``), or of ``sites`` only (a
        site among them without rows: absent); a pass over those sites' rows."""
        return {site: tally.counts() for site, tally in self.site_tallies(sites).items()}

    def site_tallies(self, sites: Iterable[str] | None = None) -> dict[str, Tally]:
        """:meth:`site_counts` as tallies, which live results then keep up to date row by row."""
        wanted = self.rows.sites if sites is None else sites
        by_site = self.rows.sites
        return {site: Tally.of_columns(by_site[site]) for site in wanted if by_site.get(site)}

    def install(
        self, columns: SiteColumns, keep: str | None = None, *, keep_gone: bool = False, rebuild: bool = True
    ) -> tuple[ListingDiff, int, int]:
        """A site's fresh listing, as columns built with this fleet's texts (the loader's):
        what :meth:`apply_diff` of its :func:`diff_listing` does, as a pass over columns.
        Returns the differences, and how many rows were added and removed."""
        before = self.rows.sites.get(columns.site)
        if (before is None or not len(before)) and len(columns) < 5000:  # a first page: all new
            self.rows.install(columns)
            diff, added, removed = (
                ListingDiff([FleetRow.at(columns, i) for i in range(len(columns))], []),
                len(columns),
                0,
            )
        else:
            from cwdash.store.fleetload import install_listing

            diff, added, removed = install_listing(self.rows, columns, keep, keep_gone)
        replaced = self.rows.sites.get(columns.site) is not before  # the view's rows are the old ones
        if rebuild and (replaced or added or removed or (diff.changed and not self.plain)):
            self.rebuild(full=True, keep=keep)
        return diff, added, removed


async def background_read(
    model: ReadModel, fleet: Fleet, name: str, *, whole: bool = False
) -> ReadResult | LiveResult:
    """The dashboard's background read of ``name`` (what a refresh scheduler keyed by
    name calls): straight to the live source with what the listing knows
    (:meth:`ReadModel.read_live`), or the full read by name when the whole document is
    wanted (``whole``: the detail pane shows it) or the row cannot be read live (no
    integration, a bad row, gone from the store): that read notices a change in the store.

    Safe from another thread than the fleet's: one dictionary lookup and attribute reads.
    """
    row = fleet.rows.get(name)
    if whole or row is None or not row.live_readable:
        return await model.status(name)
    return await model.read_live(row.live_target(), row.inbox_id)


# the sorts of the list (tui/list_actions.py): by a column of the row (store/fleetsort.py),
# or by the fleet's history ("since", "broke": see Fleet.rebuild)
SORTS = frozenset(COLUMNS) | {"since", "broke"}


def now() -> float:
    return time.monotonic()
