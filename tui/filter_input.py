"""The filter field, which applies the filter in the same turn as the key press."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input


class FilterInput(Input):
    """An Input that hands each new value straight to ``apply``.

    ``Input.Changed`` reaches the app a few message hops later, after the screen has
    already repainted the field once; applying the filter from the value watcher
    repaints the field and the list in one frame (the difference is most of a key
    press's latency while the fleet is read live).
    """

    def __init__(self, apply: Callable[[str], None], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._apply = apply

    def watch_value(self, value: str) -> None:
        self._apply(value)
