"""Copy to the clipboard with OSC 52, so it works over SSH, wrapped for tmux when inside it.

Textual's own ``copy_to_clipboard`` writes a bare OSC 52, which tmux drops unless
``set-clipboard on``. Inside tmux we also send the sequence through tmux's DCS
passthrough (honoured with ``allow-passthrough on``), so one of the two reaches the
outer terminal.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ClipboardWrite:
    sequences: tuple[str, ...]
    via: str


def osc52_sequences(text: str, environ: dict[str, str] | None = None) -> ClipboardWrite:
    """The escape sequences that put ``text`` on the clipboard of the terminal we run in."""
    env = os.environ if environ is None else environ
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    osc = f"\x1b]52;c;{payload}\x07"
    if env.get("TMUX"):
        # DCS passthrough: every ESC inside is doubled, the whole wrapped in ESC P tmux; ... ESC \
        wrapped = "\x1bPtmux;" + osc.replace("\x1b", "\x1b\x1b") + "\x1b\\"
        return ClipboardWrite((osc, wrapped), "OSC 52 through tmux")
    if env.get("STY"):  # GNU screen: DCS passthrough, no doubling
        return ClipboardWrite((osc, "\x1bP" + osc + "\x1b\\"), "OSC 52 through screen")
    return ClipboardWrite((osc,), "OSC 52")
