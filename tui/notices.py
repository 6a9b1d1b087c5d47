"""Notifications that show their text literally, and never pile up.

Two rules for every toast the dashboard raises, whoever raises it (the app, a widget,
Textual itself: all go through ``App.notify`` and the ``Notify`` message):

- the message is never Rich/Textual markup: an instance named ``[/bold]`` or a path
  holding ``[/]`` is shown as written, and ``[@click=...]`` cannot inject an action
  (the title is already literal in Textual's toast);
- identical notifications (same title, message and severity) while the first is still
  shown become one toast with a count ("×N"), shown for as long as they keep coming,
  not a column of copies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textual.notifications import Notification, Notify, SeverityLevel

if TYPE_CHECKING:
    from textual.app import App

    _Base = App[None]
else:
    _Base = object


@dataclass
class _Shown:
    notification: Notification
    count: int


class LiteralNotifications(_Base):
    """Mixed into the App: every notification literal, identical ones coalesced."""

    _shown_notices: dict[tuple[str, str, str], _Shown]

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Textual's ``notify``, with markup always off (the argument is kept for callers)."""
        super().notify(str(message), title=str(title), severity=severity, timeout=timeout, markup=False)

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
            new = replace(new, message=f"{new.message}  ×{count}")
        else:
            count = 1
        # forget the ones no longer shown, so the table stays as small as the toasts on screen
        for gone in [k for k, s in shown.items() if s.notification not in self._notifications]:
            del shown[gone]
        shown[key] = _Shown(new, count)
        self._notifications.add(new)
        self._refresh_notifications()

    def notice_counts(self) -> dict[tuple[str, str, str], int]:
        """(title, message, severity) of every toast shown, with how many times it was raised."""
        shown = getattr(self, "_shown_notices", {})
        return {k: s.count for k, s in shown.items() if s.notification in self._notifications}
