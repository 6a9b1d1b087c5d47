"""The filter field, which applies the filter in the same turn as the key press."""

from __future__ import annotations

from collections.abc import Callable

from textual.binding import Binding
from textual.widgets import Input


class FilterInput(Input):
    """An Input that hands each new value straight to ``apply``, and Enter/Escape to ``done``.

    ``Input.Changed`` reaches the app a few message hops later, after the screen has
    already repainted the field once; applying the filter from the value watcher
    repaints the field and the list in one frame (the difference is most of a key
    press's latency while the fleet is read live).

    Enter and Escape give the keys back to the list. They are priority bindings: the app
    routes each key to whatever has the focus when it takes the key in, so a key typed
    right behind Enter ("/err⏎j" in one burst) would land in the field if the focus moved
    only once Enter had travelled up the DOM to the ordinary bindings.
    """

    BINDINGS = [
        Binding("enter", "done(True)", "keep the filter", show=False, priority=True),
        Binding("escape", "done(False)", "clear the filter", show=False, priority=True),
    ]

    def __init__(self, apply: Callable[[str], None], done: Callable[[bool], None], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._apply = apply
        self._done = done

    def watch_value(self, value: str) -> None:
        self._apply(value)

    def action_done(self, keep: bool) -> None:
        self._done(keep)
