"""The OSC 52 sequences that ask the terminal to put text on its clipboard.

Inside tmux only tmux's DCS passthrough is sent (honoured with ``allow-passthrough
on``): a bare OSC 52 is dropped by tmux's default ``set-clipboard external``, and with
``on`` tmux would keep the token in a buffer of its own that nothing deletes. The copy
that works inside tmux goes through tmux itself (:mod:`cwdash.tui.tmux_copy`).
Textual's ``copy_to_clipboard`` is not used: it keeps the text in ``App.clipboard``.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ClipboardWrite:
    sequences: tuple[str, ...]
    via: str
    tmux: bool = False  # inside tmux: tmux itself should be asked too


def osc52_sequences(text: str, environ: Mapping[str, str] | None = None) -> ClipboardWrite:
    """The escape sequences that put ``text`` on the clipboard of the terminal we run in."""
    env = os.environ if environ is None else environ
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    osc = f"\x1b]52;c;{payload}\x07"
    if env.get("TMUX"):
        # DCS passthrough: every ESC inside is doubled, the whole wrapped in ESC P tmux; ... ESC \
        wrapped = "\x1bPtmux;" + osc.replace("\x1b", "\x1b\x1b") + "\x1b\\"
        return ClipboardWrite((wrapped,), "OSC 52 through tmux's passthrough", tmux=True)
    if env.get("STY"):  # GNU screen: DCS passthrough, no doubling
        return ClipboardWrite((osc, "\x1bP" + osc + "\x1b\\"), "OSC 52 (also through screen)")
    return ClipboardWrite((osc,), "OSC 52")
