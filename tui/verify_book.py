"""What the dashboard keeps of its verifies (tui/verify_actions.py): loaded by the first
``v``, not at start (a dataclass costs most of a millisecond to make)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cwdash.store.verify.result import VerifyResult


@dataclass
class VerifyBook:
    """The dashboard's verifies: the last result per instance, and those under way."""

    results: dict[str, VerifyResult] = field(default_factory=dict)
    running: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class VerifyView:
    """What the detail shows of the selected instance's verifies."""

    result: VerifyResult | None
    running: bool
