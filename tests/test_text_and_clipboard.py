"""Literal display of store and bridge text, and the OSC 52 clipboard sequences."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from cwdash.store.text import literal, one_line
from cwdash.tui.clipboard import osc52_sequences


def test_escapes_and_controls_are_made_visible() -> None:
    text = "a\x1b[2Jb\x07c\x9bd\u202eevil\x00"
    shown = literal(text)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown and "\u202e" not in shown
    assert "\\x1b[2J" in shown and "\\u202e" in shown


def test_newlines_kept_or_flattened() -> None:
    assert literal("a\nb") == "a\nb"
    assert one_line("a\nb\tc") == "a\\x0ab\\x09c"


def test_markup_is_left_alone() -> None:
    assert literal("[bold red]x[/]") == "[bold red]x[/]"


def test_long_values_are_capped() -> None:
    shown = literal("x" * 50_000, limit=100)
    assert shown.startswith("x" * 100) and "49,900 more characters" in shown


@given(st.text())
def test_one_line_never_emits_controls(text: str) -> None:
    shown = one_line(text, 10_000)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert "\n" not in shown


def test_osc52_plain_and_tmux() -> None:
    plain = osc52_sequences("tok€n", {})
    (seq,) = plain.sequences
    assert seq == "\x1b]52;c;" + base64.b64encode("tok€n".encode()).decode() + "\x07"
    tmux = osc52_sequences("tok", {"TMUX": "/tmp/tmux-0/default,1,0"})
    # inside tmux only the passthrough: a bare OSC 52 would stay in a tmux buffer (set-clipboard on)
    assert tmux.sequences == ("\x1bPtmux;\x1b\x1b]52;c;dG9r\x07\x1b\\",)
    assert "tmux" in tmux.via and tmux.tmux
