"""Notifications that show their text literally, never pile up, and cover nothing
that matters.

Rules for every toast the dashboard raises, whoever raises it (the app, a widget,
Textual itself: all go through ``App.notify`` and the ``Notify`` message):

- the message is never Rich/Textual markup: an instance named ``[/bold]`` or a path
  holding ``[/]`` is shown as written, and ``[@click=...]`` cannot inject an action
  (the title is already literal in Textual's toast);
- identical notifications (same title, message and severity) while the first is still
  shown become one toast with a count ("×N"), shown for as long as they keep coming,
  not a column of copies;
- a toast never covers an open dialog (help, changes, export, the full view, the
  palette): while one is open, notifications are held, and those shown are taken back;
  all come back, for their time left, when the list is on top again. A dialog's answer
  to its own key (the full view's copy) passes ``over_dialog=True``;
- the stack of toasts never reaches the header's two lines: the oldest go first. Each
  message is wrapped here to the toast's width (Textual measures a toast's height at
  its full 60 columns but draws it at half the screen, cutting the last toast under
  the footer below 120 columns).
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
import textwrap
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

from textual.notifications import Notification, Notify, SeverityLevel

from cwdash.tui import look

if TYPE_CHECKING:
    from textual.app import App

    _Base = App[None]
else:
    _Base = object


HOLD_AT_MOST = 50
HEADER_LINES = 2  # the summary's two lines: no toast over them
TOAST_WIDTH = 60  # Textual's Toast: width 60, max-width 50%, padding 1, margin-top 1


def toast_height(notification: Notification, text_width: int) -> int:
    """Lines a toast takes on screen: its margin, padding, title and wrapped message."""
    lines = sum(max(1, -(-len(line) // text_width)) for line in notification.message.split("\n"))
    return 3 + (1 if notification.title else 0) + lines


def wrap_to(message: str, width: int) -> str:
    """``message`` with its lines broken at spaces to ``width``, as Textual would draw it
    (a word longer than that stays whole: Textual folds it, as it would have)."""
    lines: list[str] = []
    for line in message.split("\n"):
        lines += textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""]
    return "\n".join(lines)


class _Held(NamedTuple):  # NamedTuples, not dataclasses: see tests/test_packaging.py
    message: str
    title: str
    severity: SeverityLevel
    timeout: float | None
    count: int = 1


class _Shown(NamedTuple):
    notification: Notification
    count: int
    over_dialog: bool = False


class LiteralNotifications(_Base):
    """Mixed into the App: every notification literal, identical ones coalesced."""

    _shown_notices: dict[tuple[str, str, str], _Shown]
    _held_notices: list[_Held]
    _over_dialog: set[tuple[str, str]]  # (title, message) of a dialog's own answers, being posted

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
        over_dialog: bool = False,
    ) -> None:
        """Textual's ``notify``, with markup always off (the argument is kept for callers);
        held while a dialog is open unless ``over_dialog`` (the dialog's own answer)."""
        if not over_dialog and self.dialog_open():
            held = self._held()
            held.append(_Held(str(message), str(title), severity, timeout))
            del held[:-HOLD_AT_MOST]  # a dialog left open for hours keeps the newest
            return
        if over_dialog:
            self._over_dialog_keys().add((str(title), str(message)))
        super().notify(str(message), title=str(title), severity=severity, timeout=timeout, markup=False)

    def dialog_open(self) -> bool:
        """Whether a screen is open above the list (a dialog, the full view, the palette)."""
        try:
            return len(self.screen_stack) > 1
        except Exception:  # no screen yet (start-up notices): nothing to cover
            return False

    def hold_notices_over_dialogs(self) -> None:
        """Follow screen changes from now on (the app's on_mount)."""
        self.screen_change_signal.subscribe(self, self._screen_changed)

    def _held(self) -> list[_Held]:
        held = getattr(self, "_held_notices", None)
        if held is None:
            held = self._held_notices = []
        return held

    def _over_dialog_keys(self) -> set[tuple[str, str]]:
        keys = getattr(self, "_over_dialog", None)
        if keys is None:
            keys = self._over_dialog = set()
        return keys

    def _screen_changed(self, _screen: object) -> None:
        shown = getattr(self, "_shown_notices", {})
        if not self.dialog_open():  # the list again: what was held comes back
            held, self._held_notices = self._held(), []
            for notice in held:
                for _ in range(
                    notice.count
                ):  # coalesced again: "×N"; the class's notify: raised once already
                    type(self).notify(
                        self,
                        notice.message,
                        title=notice.title,
                        severity=notice.severity,
                        timeout=notice.timeout,
                    )
            return
        for (title, message, severity), entry in list(shown.items()):  # taken back from over the dialog
            if entry.over_dialog or entry.notification not in self._notifications:
                continue
            self._unnotify(entry.notification, refresh=False)
            del shown[(title, message, severity)]
            timeout = max(entry.notification.time_left, 3.0)
            self._held().append(_Held(message, title, severity, timeout, entry.count))  # type: ignore[arg-type]
        self._refresh_notifications()
        for below in self.screen_stack[:-1]:  # a dialog shows the screens below it: their toasts go too
            for rack in below.query("ToastRack"):
                rack.show(self._notifications)  # type: ignore[attr-defined]

    def _on_notify(self, event: Notify) -> None:
        event.prevent_default()  # handled here, instead of App._on_notify (which would add it again)
        new = replace(event.notification, markup=False)  # whoever posted it
        shown = getattr(self, "_shown_notices", None)
        if shown is None:
            shown = self._shown_notices = {}
        key = (new.title, new.message, new.severity)
        previous = shown.get(key)
        if previous is not None and previous.notification in self._notifications:
            count = previous.count + 1
            self._unnotify(previous.notification, refresh=False)
            new = replace(new, message=f"{new.message}  {'x' if look.G.ascii else '×'}{count}")
        else:
            count = 1
        new = replace(new, message=wrap_to(new.message, self._toast_text_width()))
        # forget the ones no longer shown, so the table stays as small as the toasts on screen
        for gone in [k for k, s in shown.items() if s.notification not in self._notifications]:
            del shown[gone]
        over_dialog = (key[0], key[1]) in self._over_dialog_keys()
        self._over_dialog_keys().discard((key[0], key[1]))
        shown[key] = _Shown(new, count, over_dialog)
        self._notifications.add(new)
        self._fit_toasts()
        self._refresh_notifications()

    def _fit_toasts(self) -> None:
        """The oldest toasts go while the stack would reach the header (Textual's rack
        grows upward from the footer without bound; a max-height on it stops it growing)."""
        room = self.size.height - HEADER_LINES - 1  # the footer's line below the rack
        text_width = self._toast_text_width()
        toasts = sorted(self._notifications, key=lambda n: n.raised_at)
        used = sum(toast_height(n, text_width) for n in toasts)
        while len(toasts) > 1 and used > room:
            oldest = toasts.pop(0)
            used -= toast_height(oldest, text_width)
            self._unnotify(oldest, refresh=False)

    def _toast_text_width(self) -> int:
        """Columns of a toast's text: Textual's width (60, at most half of the rack, which
        keeps a column for its scrollbar) less the toast's left edge and padding."""
        return max(8, min(TOAST_WIDTH, (self.size.width - 1) // 2) - 3)

    def notice_counts(self) -> dict[tuple[str, str, str], int]:
        """(title, message, severity) of every toast shown, with how many times it was raised."""
        shown = getattr(self, "_shown_notices", {})
        return {k: s.count for k, s in shown.items() if s.notification in self._notifications}
