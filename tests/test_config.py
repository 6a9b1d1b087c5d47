"""Configuration: environment over .env, validation with messages that say what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from cwdash.store.config import ConfigError, load_config


def test_defaults(isolated: Path, tmp_path: Path) -> None:
    config = load_config()
    assert config.live_timeout == 10.0
    assert not config.gateway_configured
    assert config.db_path == tmp_path / "home" / ".local" / "share" / "cwdash" / "cwdash.db"
    assert config.key_text is None
    with pytest.raises(ConfigError, match="cwdash init"):
        config.key()


def test_env_file_values_and_precedence(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (isolated / ".env").write_text(
        "BRIDGE_URL=https://bridge.internal/\nBRIDGE_TOKEN=abc\nCWDASH_LIVE_TIMEOUT=2.5\nCWDASH_DB=a.db\n"
    )
    config = load_config()
    assert config.bridge_url == "https://bridge.internal"
    assert config.gateway_configured and config.live_timeout == 2.5
    monkeypatch.setenv("CWDASH_DB", "b.db")
    assert load_config().db_path == Path("b.db")
    assert load_config(db="c.db").db_path == Path("c.db")


def test_secrets_not_in_repr(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_TOKEN", "super-secret-bridge")
    monkeypatch.setenv("CWDASH_KEY", "c2VjcmV0")
    text = repr(load_config())
    assert "super-secret-bridge" not in text and "c2VjcmV0" not in text


@pytest.mark.parametrize(
    ("name", "value"),
    [("CWDASH_LIVE_TIMEOUT", "soon"), ("CWDASH_LIVE_TIMEOUT", "-1"), ("CWDASH_CONCURRENCY", "0")],
)
def test_bad_numbers_are_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_config()


def test_missing_named_env_file() -> None:
    with pytest.raises(ConfigError, match=r"nope\.env"):
        load_config("nope.env")
