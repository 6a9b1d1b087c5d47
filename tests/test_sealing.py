"""AES-256-GCM sealing: fresh nonces, the instance bound as associated data, clear errors."""

from __future__ import annotations

import base64

import pytest

from cwdash.store.config import ConfigError, generate_key, parse_key
from cwdash.store.sealing import Sealer, Secret, TokenError


def test_round_trip_and_fresh_nonce(sealer: Sealer) -> None:
    first = sealer.seal("suporte", "sk_live_abc123")
    second = sealer.seal("suporte", "sk_live_abc123")
    assert first != second  # a fresh random nonce per write
    assert "sk_live_abc123" not in first
    assert sealer.open("suporte", first).reveal() == "sk_live_abc123"
    assert sealer.open("suporte", second).reveal() == "sk_live_abc123"


def test_token_copied_to_another_row_does_not_open(sealer: Sealer) -> None:
    sealed = sealer.seal("suporte", "sk_live_abc123")
    with pytest.raises(TokenError) as info:
        sealer.open("vendas", sealed)
    assert "'vendas'" in str(info.value)
    assert "sk_live" not in str(info.value)


def test_wrong_key_names_instance_and_cause(sealer: Sealer) -> None:
    sealed = sealer.seal("suporte", "sk_live_abc123")
    other = Sealer(parse_key(generate_key()))
    with pytest.raises(TokenError, match=r"'suporte'.*wrong CWDASH_KEY"):
        other.open("suporte", sealed)


@pytest.mark.parametrize("position", [1, 5, 13, 20, -1])
def test_tampered_ciphertext_is_refused(sealer: Sealer, position: int) -> None:
    raw = bytearray(base64.b64decode(sealer.seal("suporte", "sk_live_abc123")))
    raw[position] ^= 0x01
    with pytest.raises(TokenError, match="suporte"):
        sealer.open("suporte", base64.b64encode(bytes(raw)).decode())


@pytest.mark.parametrize("sealed", ["not base64 at all!", "", base64.b64encode(b"\x01short").decode()])
def test_garbage_is_a_clear_error(sealer: Sealer, sealed: str) -> None:
    with pytest.raises(TokenError, match="suporte"):
        sealer.open("suporte", sealed)


def test_secret_never_shows_in_repr_or_str() -> None:
    secret = Secret("sk_live_abc123")
    assert "sk_live" not in repr(secret)
    assert "sk_live" not in str(secret)
    assert "sk_live" not in f"{secret}"
    assert secret.reveal() == "sk_live_abc123"
    assert "sk_live" not in repr(Sealer(parse_key(generate_key())))


@pytest.mark.parametrize(
    ("text", "message"),
    [("abc", "not valid base64"), ("!!!", "0 bytes"), (base64.b64encode(b"x" * 16).decode(), "16 bytes")],
)
def test_bad_keys_are_config_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_key(text)


def test_generated_key_is_32_bytes() -> None:
    assert len(parse_key(generate_key())) == 32
