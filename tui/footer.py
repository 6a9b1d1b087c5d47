"""The dashboard's footer: the keys that matter most first, so that what a narrow terminal
cuts off is what matters least (issue 12: ``?``, ``p`` and Tab must show at 80 columns,
also where "Enter" is spelled out in ASCII), in Textual's compact style below 120 columns.

Textual's footer lists the screen's shown bindings in their order, and a full one is cut
at the right; here they are reordered by :data:`ORDER` (the bindings themselves keep
theirs: their order is the palette's and ``?``'s). Tab is Textual's own focus key (no
binding of ours), so the footer adds it as "Tab Detail". A key the screen refuses
(``t`` with ``--no-reveal``) is not shown at all, as before.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual.widget import Widget
from textual.widgets import Footer

# the footer's keys, most wanted first: ?, the on-call keys, pause, the detail, then the rest
ORDER = (
    "help",
    "filter",
    "next_attention(1)",
    "jump",
    "open_full",
    "pause",
    "app.focus_next",
    "changes",
    "toggle_token",
    "refresh",
    "app.quit",
)
COMPACT_BELOW = 120  # columns: below this the keys sit closer together


def _rank(widget: Widget) -> int:
    action = getattr(widget, "action", "")
    return ORDER.index(action) if action in ORDER else len(ORDER)


class KeyFooter(Footer):
    """Textual's footer, ordered by what an on-call engineer needs first."""

    def compose(self) -> Iterable[Widget]:  # type: ignore[override]
        from textual.widgets._footer import FooterKey  # private: tests/dashboard/test_textual_private.py

        keys = list(super().compose())
        if keys:  # the bindings are known (Textual composes an empty footer first)
            keys.append(
                FooterKey(
                    "tab", "Tab", "Detail", "app.focus_next", tooltip="the keys go to the detail; Tab: back"
                ).data_bind(compact=Footer.compact)
            )
        return sorted(keys, key=_rank)

    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < COMPACT_BELOW
