"""What the dashboard's live reads are failing at, for the log and for one lasting notice.

A fleet of 2,000 read every two minutes would write 2,000 lines a round if every
failed read were logged; the log gets a line when a read starts failing, when its
reason changes, and when it works again. Backfills that could not be saved (a full
disk, a locked store) are counted for one banner line, instead of one toast each.
"""

from __future__ import annotations

import logging

from cwdash.store.readmodel import LiveResult, ReadResult, StatusRead

live_log = logging.getLogger("cwdash.live")
store_log = logging.getLogger("cwdash.store")


class ReadFailures:
    """The failing live reads and unsaved backfills, by instance name."""

    def __init__(self) -> None:
        self.failing: dict[str, str] = {}
        self.unsaved: dict[str, str] = {}
        self.last_unsaved = ""

    def note(self, name: str, result: ReadResult | LiveResult) -> bool:
        """Log what changed for ``name``; True when the unsaved backfills changed."""
        if not isinstance(result, StatusRead | LiveResult):
            return False
        failure = result.failure
        if failure is not None:
            reason = f"{failure.describe()} ({failure.hint})"
            if self.failing.get(name) != reason:
                self.failing[name] = reason
                live_log.warning("live read of %r failed: %s", name, reason)
        elif result.source == "live" and self.failing.pop(name, None) is not None:
            live_log.info("live read of %r works again", name)
        error = result.backfill_error
        if error:
            self.last_unsaved = error
            if self.unsaved.get(name) == error:
                return False
            self.unsaved[name] = error
            store_log.warning("inbox id of %r not saved, will retry: %s", name, error)
            return True
        if result.source == "live" and self.unsaved.pop(name, None) is not None:
            store_log.info("inbox id of %r saved or no longer needed", name)
            return True
        return False

    def forget(self, names: list[str]) -> None:
        """Instances gone from the store are no longer counted."""
        for name in names:
            self.failing.pop(name, None)
            self.unsaved.pop(name, None)

    def banner(self) -> str:
        """One line for the banner while backfills are failing, else ""."""
        count = len(self.unsaved)
        if not count:
            return ""
        which = "1 instance" if count == 1 else f"{count:,} instances"
        return f"inbox id not saved for {which}, will retry: {self.last_unsaved}"
