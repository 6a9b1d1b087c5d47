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
