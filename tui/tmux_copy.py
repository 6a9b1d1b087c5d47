"""Copy inside tmux through tmux itself, and say exactly what happened.

tmux keeps an application's OSC 52 from the terminal unless ``set-clipboard on`` (its
default, ``external``, drops it), and with ``on`` it keeps a copy in a tmux buffer we
could not name. So inside tmux the token goes to tmux on stdin, never on a command
line: ``tmux load-buffer -b cwdash-<random> -w -`` (``-w``: tmux sends it on to the
terminal's clipboard), then ``delete-buffer -b`` the same name at once. The OSC 52
sent beside it is wrapped in tmux's passthrough only, which never makes a buffer.

No Textual here: :func:`deliver` blocks (short timeouts) and runs in a thread worker;
:func:`copy_report` turns what was done into the words shown and the audit's record.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from cwdash.store.terminal import TMUX_TIMEOUT, tmux_set_clipboard
from cwdash.store.text import one_line

Run = Callable[..., subprocess.CompletedProcess[str]]
# set-clipboard values with which tmux sends its own copies on to the terminal
PASSES_ON = ("on", "external")
FIX = "`tmux set -g set-clipboard on`"

# What the audit records for a copy: what was actually done.
COPY_TMUX = "copy:tmux"  # tmux took it with -w and passes it on (set-clipboard on/external)
COPY_TMUX_UNCONFIRMED = "copy:tmux-unconfirmed"  # tmux took it, but set-clipboard may stop it
COPY_OSC52_UNCONFIRMED = "copy:osc52-unconfirmed"  # only OSC 52 was sent: the terminal may drop it


@dataclass(frozen=True)
class TmuxDelivery:
    """What tmux did with the token."""

    taken: bool  # load-buffer -w succeeded
    set_clipboard: str | None  # tmux's answer, None when it gave none
    problem: str | None = None  # why tmux did not take it
    leftover: str | None = None  # a buffer holding the token that could not be deleted

    @property
    def delivered(self) -> bool:
        return self.taken and self.set_clipboard in PASSES_ON


def _tmux(run: Run, args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    kwargs: dict[str, object] = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
    return run(["tmux", *args], capture_output=True, text=True, timeout=TMUX_TIMEOUT, check=False, **kwargs)


def _why(done: subprocess.CompletedProcess[str]) -> str:
    said = one_line((done.stderr or "").strip(), 120)
    return f"exit {done.returncode}" + (f": {said}" if said else "")


def deliver(text: str, run: Run = subprocess.run) -> TmuxDelivery:
    """Hand ``text`` to the tmux server of $TMUX and delete its buffer; never raises."""
    if shutil.which("tmux") is None:
        return TmuxDelivery(False, None, "the tmux command is not found here")
    value = tmux_set_clipboard(run)
    if value is None:
        return TmuxDelivery(False, None, "the tmux server did not answer")
    name = f"cwdash-{secrets.token_hex(8)}"
    problem: str | None = None
    try:
        done = _tmux(run, ["load-buffer", "-b", name, "-w", "-"], stdin=text)
        if done.returncode != 0:
            problem = f"tmux load-buffer failed ({_why(done)})"
    except subprocess.TimeoutExpired:
        problem = f"tmux load-buffer did not finish within {TMUX_TIMEOUT:g} s"
    except (OSError, subprocess.SubprocessError) as exc:
        problem = f"tmux load-buffer could not run ({type(exc).__name__})"
    leftover = None if _deleted(run, name) else name
    return TmuxDelivery(problem is None, value, problem, leftover)


def _deleted(run: Run, name: str) -> bool:
    """Delete buffer ``name``; True when it is gone (or was never made)."""
    try:
        if _tmux(run, ["delete-buffer", "-b", name]).returncode == 0:
            return True
        names = _tmux(run, ["list-buffers", "-F", "#{buffer_name}"])
    except (OSError, subprocess.SubprocessError):
        return False
    return names.returncode == 0 and name not in names.stdout.split()


@dataclass(frozen=True)
class CopyReport:
    """The notification for a copy, and the audit's record of it."""

    title: str
    message: str
    severity: str  # "information", "warning", "error"
    audit: str


def copy_report(name: str, delivery: TmuxDelivery | None, via: str) -> CopyReport:
    """The words for a copy of ``name``'s token: ``delivery`` is tmux's (None outside tmux),
    ``via`` how the OSC 52 was sent. Nothing is called copied that is not known to be."""
    who = one_line(name, 60)
    if delivery is None:
        return CopyReport(
            "sent",
            f"token of {who} sent to the terminal as {via}, not shown: it reaches the clipboard "
            "only if the terminal allows clipboard writes (cwdash cannot tell)",
            "information",
            COPY_OSC52_UNCONFIRMED,
        )
    report = _tmux_report(who, delivery)
    if delivery.leftover:
        buffer = delivery.leftover
        return CopyReport(
            report.title,
            f"{report.message}. The token may still be in tmux buffer {buffer}: "
            f"`tmux delete-buffer -b {buffer}` removes it",
            "error",
            report.audit,
        )
    return report


def _tmux_report(who: str, delivery: TmuxDelivery) -> CopyReport:
    value = delivery.set_clipboard
    if delivery.delivered:
        return CopyReport(
            "copied",
            f"token of {who} copied through tmux (load-buffer -w, set-clipboard {value}), not shown"
            + ("; tmux's buffer of it is deleted" if not delivery.leftover else ""),
            "information",
            COPY_TMUX,
        )
    if delivery.taken:
        return CopyReport(
            "copy not confirmed",
            f"token of {who} handed to tmux (load-buffer -w), not shown, but with "
            f"set-clipboard {value} tmux may keep it from the terminal's clipboard: {FIX} makes copying work",
            "warning",
            COPY_TMUX_UNCONFIRMED,
        )
    return CopyReport(
        "not copied",
        f"the token of {who} was not copied by tmux: {delivery.problem}. It was sent only as OSC 52 "
        "through tmux's passthrough, which arrives only with `tmux set -g allow-passthrough on`",
        "warning",
        COPY_OSC52_UNCONFIRMED,
    )
