"""How a copy reaches the user's clipboard from this terminal: OSC 52, through tmux or not.

Inside tmux, an application's OSC 52 reaches the outer terminal only with tmux's
``set-clipboard on``; with ``external`` (tmux's default) tmux drops it and only
tmux's own copies (``tmux load-buffer -w -``) reach the terminal, which is how the
dashboard copies; with ``off`` tmux makes no promise (some versions still pass its own
copies on), so a copy cannot be confirmed. Outside tmux, OSC 52 goes straight to the terminal, which must allow it.
Read here (no Textual) for ``cwdash doctor`` and for the screens' copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass

OK, WARN = "ok", "warn"
TMUX_TIMEOUT = 2.0


@dataclass(frozen=True)
class ClipboardPath:
    """The path a copy takes, what it means, and whether it is known to work."""

    path: str  # "osc52", "tmux"
    set_clipboard: str | None  # tmux's set-clipboard, inside tmux
    detail: str
    state: str  # OK or WARN

    def as_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "set_clipboard": self.set_clipboard,
            "detail": self.detail,
            "state": self.state,
        }


def tmux_set_clipboard(run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run) -> str | None:
    """``tmux show -gv set-clipboard``, or None when tmux is not there or does not answer."""
    if shutil.which("tmux") is None:
        return None
    try:
        done = run(
            ["tmux", "show", "-gv", "set-clipboard"],
            capture_output=True,
            text=True,
            timeout=TMUX_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value else None


_TMUX_MEANING = {
    "on": (OK, "tmux passes OSC 52 on to the terminal (and keeps a tmux buffer)"),
    "external": (
        OK,
        "tmux drops an application's OSC 52, but copies made through tmux itself "
        "(tmux load-buffer -w, as the dashboard's y does) reach the terminal",
    ),
    "off": (
        WARN,
        "tmux may keep copies from the terminal's clipboard, so a copy cannot be confirmed; "
        "`tmux set -g set-clipboard on` (or external) fixes it",
    ),
}


def clipboard_path(
    env: Mapping[str, str] | None = None,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> ClipboardPath:
    """The clipboard path of the terminal cwdash runs in."""
    env = os.environ if env is None else env
    if env.get("TMUX"):
        value = tmux_set_clipboard(run)
        if value is None:
            return ClipboardPath(
                "tmux",
                None,
                "inside tmux (TMUX is set), but `tmux show -gv set-clipboard` gave no answer",
                WARN,
            )
        state, meaning = _TMUX_MEANING.get(value, (WARN, f"unknown set-clipboard value {value[:20]!r}"))
        return ClipboardPath("tmux", value, f"inside tmux, set-clipboard {value}: {meaning}", state)
    return ClipboardPath(
        "osc52", None, "OSC 52 straight to the terminal (the terminal must allow clipboard writes)", OK
    )
