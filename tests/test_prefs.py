"""Preferences in $XDG_CONFIG_HOME/cwdash/config.toml: theme and [keys], bad entries reported."""

from __future__ import annotations

import tomllib

import pytest

from cwdash.store import prefs
from cwdash.store.config import ConfigError

IDS = ("refresh", "reveal", "copy")


def test_no_file_is_no_preferences() -> None:
    loaded = prefs.load(IDS)
    assert loaded.theme is None and loaded.keys == {} and loaded.problems == []


def test_theme_and_keys_round_trip_and_other_settings_are_kept() -> None:
    path = prefs.prefs_path()
    path.parent.mkdir(parents=True)
    path.write_text('future = "kept"\n\n[other]\nx = 1\n')
    prefs.save(theme="nord")
    prefs.save(keys={"refresh": "f5, ctrl+r", "copy": "y"})
    loaded = prefs.load(IDS)
    assert loaded.theme == "nord" and loaded.keys == {"refresh": "f5,ctrl+r", "copy": "y"}
    assert loaded.problems == []
    data = tomllib.loads(path.read_text())
    assert data["future"] == "kept" and data["other"] == {"x": 1}


def test_bad_entries_are_reported_not_fatal() -> None:
    path = prefs.prefs_path()
    path.parent.mkdir(parents=True)
    path.write_text('theme = 3\n[keys]\nrefresh = "f5"\nnope = "x"\nreveal = "ctrl+ r"\ncopy = ""\n')
    loaded = prefs.load(IDS)
    assert loaded.keys == {"refresh": "f5"} and loaded.theme is None
    assert len(loaded.problems) == 4
    assert any("'nope' is not a binding id" in p for p in loaded.problems)


def test_a_file_that_is_not_toml_is_reported_and_never_rewritten() -> None:
    path = prefs.prefs_path()
    path.parent.mkdir(parents=True)
    path.write_text("theme = \n")
    assert "not valid TOML" in prefs.load(IDS).problems[0]
    with pytest.raises(ConfigError, match="not rewritten"):
        prefs.save(theme="nord")
    assert path.read_text() == "theme = \n"


def test_names_and_values_are_quoted() -> None:
    text = prefs.dumps({"theme": 'a "b"\n', "keys": {"odd id": "f1"}})
    assert tomllib.loads(text) == {"theme": 'a "b"\n', "keys": {"odd id": "f1"}}


def test_saving_refuses_keys_that_are_not_keys() -> None:
    with pytest.raises(ConfigError, match="not a key name"):
        prefs.save(keys={"refresh": "ctrl+ r"})
    assert not prefs.prefs_path().exists()


PLAIN = [
    "",
    'theme = "tokyo-night"\n',
    '# a comment\ntheme = "textual-dark"  # after the value\nbell = true\n',
    'bell = false\n\n[keys]\nrefresh = "f5,ctrl+r"\nhelp = "?"\n',
    '  theme   =   "spaced out"   \n[keys]  # the keys\n',
    'theme = "café ☕"\n',
    'theme = ""\n',
]
NOT_PLAIN = [
    'theme = "a\\"b"\n',  # an escape
    "theme = 'literal'\n",  # a literal string
    'theme = """multi"""\n',
    "bell = 1\n",
    'theme = "x" trailing\n',
    'theme = "unterminated\n',
    '"quoted key" = "x"\n',
    "a.b = true\n",
    "[keys]\n[keys]\n",  # a table twice: tomllib refuses it
    'theme = "x"\ntheme = "y"\n',  # a key twice: the same
    "[a.b]\n",
    "[[arr]]\n",
    'theme = ["x"]\n',
    'theme = "tab\there"\n',  # a control character: TOML refuses it unescaped
    "bell = true false\n",
]


@pytest.mark.parametrize("text", PLAIN)
def test_the_plain_reader_reads_what_tomllib_reads(text: str) -> None:
    """What cwdash writes is read without tomllib (its import costs the first paint), and
    read the same."""
    from cwdash.store.prefs import _plain_toml

    assert _plain_toml(text) == tomllib.loads(text)


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_anything_else_is_left_to_tomllib(text: str) -> None:
    from cwdash.store.prefs import _plain_toml

    assert _plain_toml(text) is None


def test_what_save_writes_is_read_back_without_tomllib() -> None:
    from cwdash.store.prefs import _plain_toml, dumps

    text = dumps({"theme": "nord", "bell": True, "keys": {"refresh": "f5,ctrl+r", "help": "?"}})
    assert _plain_toml(text) == {"theme": "nord", "bell": True, "keys": {"refresh": "f5,ctrl+r", "help": "?"}}
