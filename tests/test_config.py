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


# -- the live read's settings are refused at start, never mid-read (issue 9) -------------------

SECRET = "s3cr3t-pa55"


@pytest.mark.parametrize(
    "url",
    [
        f"http://admin:{SECRET}@bridge.internal",
        f"https://:{SECRET}@bridge.internal:8443/base",
        f"http://{SECRET}@bridge.internal",
        f"ftp://bridge.internal/{SECRET}",
        f"bridge.internal/{SECRET}",
        f"http:///{SECRET}",
        f"http://bridge internal/{SECRET}",
        f"http://bridge.internal/{SECRET}\nX-Injected: 1",
        f"http://bridge.internal\t/{SECRET}",
        f"http://bridge.internal:99999/{SECRET}",
        f"http://[::1/{SECRET}",
        f"http://bridge.internal/?token={SECRET}",
        f"http://bridge.internal/#{SECRET}",
        f"http://bridge.internal/{SECRET}/../admin",
    ],
)
def test_a_malformed_bridge_url_is_refused_without_repeating_it(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("BRIDGE_URL", url)
    with pytest.raises(ConfigError, match="BRIDGE_URL") as caught:
        load_config()
    assert SECRET not in str(caught.value)


def test_userinfo_in_bridge_url_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_URL", f"http://user:{SECRET}@127.0.0.1:9")
    with pytest.raises(ConfigError, match="user name or password") as caught:
        load_config()
    assert SECRET not in str(caught.value) and "user:" not in str(caught.value).replace("user:password@", "")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080",
        "https://bridge.internal/",
        "https://[::1]:8443/gw/",
        "HTTP://Bridge.Internal/a",
    ],
)
def test_good_bridge_urls_are_taken(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("BRIDGE_URL", url)
    assert load_config().bridge_url == url.rstrip("/")


@pytest.mark.parametrize(
    "token",
    [
        f"{SECRET}\nmore",
        f"{SECRET}\r\nX-Injected: 1",
        f"{SECRET}\x7f",
        f"{SECRET}\x1b[2J",
        f"{SECRET}é",
        f"a {SECRET}",
    ],
)
def test_a_bridge_token_a_header_cannot_carry_is_refused(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("BRIDGE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("BRIDGE_TOKEN", token)
    with pytest.raises(ConfigError, match="BRIDGE_TOKEN") as caught:
        load_config()
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("name", ["CWDASH_LIVE_TIMEOUT", "CWDASH_RATE", "CWDASH_ROUND_EVERY"])
@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e400", "0", "-0", "-3", "1e12"])
def test_absurd_durations_and_rates_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_config()


@pytest.mark.parametrize("value", ["0", "-1", "100000", "99999999999999999999", "inf", "2.5"])
def test_absurd_concurrency_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CWDASH_CONCURRENCY", value)
    with pytest.raises(ConfigError, match="CWDASH_CONCURRENCY"):
        load_config()


def test_sane_numbers_are_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in [
        ("CWDASH_LIVE_TIMEOUT", "0.5"),
        ("CWDASH_RATE", "400"),
        ("CWDASH_ROUND_EVERY", "30"),
        ("CWDASH_CONCURRENCY", "64"),
    ]:
        monkeypatch.setenv(name, value)
    config = load_config()
    assert (config.live_timeout, config.rate, config.round_every, config.concurrency) == (
        0.5,
        400.0,
        30.0,
        64,
    )


def test_the_cli_refuses_a_bad_bridge_setting_with_a_message(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_URL", f"http://user:{SECRET}@127.0.0.1:9")
    monkeypatch.setenv("BRIDGE_TOKEN", "abc")
    run = cli("list")
    assert run.code != 0 and "BRIDGE_URL" in run.err
    assert SECRET not in run.err + run.out and "Traceback" not in run.err


def test_display_url_never_carries_userinfo() -> None:
    from cwdash.store.endpoint import display_url

    assert display_url(f"http://u:{SECRET}@h.example:81/gw?q={SECRET}#{SECRET}") == "http://h.example:81/gw"
    assert display_url("https://[::1]:8443/x") == "https://[::1]:8443/x"
    assert display_url("http://[oops") == "(invalid URL)"


def test_a_bridge_source_refuses_userinfo_too() -> None:
    from cwdash.store.sources.bridge import BridgeSource

    with pytest.raises(ValueError, match="BRIDGE_URL") as caught:
        BridgeSource(f"http://u:{SECRET}@127.0.0.1:9", "tok", timeout=1)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(BridgeSource("http://127.0.0.1:9", SECRET, timeout=1))


def test_a_bridge_token_with_a_line_break_in_the_env_file_is_refused(isolated: Path) -> None:
    (isolated / ".env").write_text(f'BRIDGE_URL=http://127.0.0.1:9\nBRIDGE_TOKEN="{SECRET}\\nX: y"\n')
    with pytest.raises(ConfigError, match="BRIDGE_TOKEN") as caught:
        load_config()
    assert SECRET not in str(caught.value)
