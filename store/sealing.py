"""Token sealing with AES-256-GCM (cryptography's AESGCM).

A sealed token is ``base64(version || nonce || ciphertext+tag)``. The instance name is
bound as associated data, so a sealed value copied onto another row fails to open.
Plaintext tokens travel inside :class:`Secret`, whose ``repr`` is masked, so a
traceback or crash report that prints local variables shows no token.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cwdash.store.secret import Secret

__all__ = ["Sealer", "Secret", "TokenError"]

VERSION = b"\x01"
NONCE_BYTES = 12


class TokenError(Exception):
    """A sealed token that cannot be opened; the message names the instance and the likely cause."""


def _aad(instance_name: str) -> bytes:
    return b"cwdash/chatwoot_api_token/v1\x00" + instance_name.encode("utf-8", "surrogatepass")


class Sealer:
    """Seals and opens tokens with one AES-256 key."""

    __slots__ = ("_aead", "_fallbacks")

    def __init__(self, key: bytes, fallbacks: list[bytes] | tuple[bytes, ...] = ()) -> None:
        """``key`` seals and opens; ``fallbacks`` only open (a key rotation under way)."""
        self._aead = AESGCM(key)
        self._fallbacks = tuple(AESGCM(k) for k in fallbacks)

    def __repr__(self) -> str:
        return "Sealer(key=********)"

    def seal(self, instance_name: str, token: Secret | str) -> str:
        """Encrypt ``token`` for ``instance_name`` with a fresh random nonce."""
        plain = token.reveal() if isinstance(token, Secret) else token
        nonce = os.urandom(NONCE_BYTES)
        blob = self._aead.encrypt(nonce, plain.encode("utf-8"), _aad(instance_name))
        return base64.b64encode(VERSION + nonce + blob).decode("ascii")

    def open(self, instance_name: str, sealed: str) -> Secret:
        """Decrypt a sealed token, or raise TokenError naming the instance and the cause."""
        try:
            raw = base64.b64decode(sealed, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise TokenError(
                f"token of {instance_name!r} is not a sealed value (not base64): "
                "the row was edited by hand or written by another tool"
            ) from None
        if len(raw) < 1 + NONCE_BYTES + 16 or raw[:1] != VERSION:
            raise TokenError(f"token of {instance_name!r} is truncated or of an unknown format")
        nonce, blob = raw[1 : 1 + NONCE_BYTES], raw[1 + NONCE_BYTES :]
        plain: bytes | None = None
        for aead in (self._aead, *self._fallbacks):
            try:
                plain = aead.decrypt(nonce, blob, _aad(instance_name))
                break
            except InvalidTag:
                continue
        if plain is None:
            raise TokenError(
                f"token of {instance_name!r} cannot be opened: wrong CWDASH_KEY, "
                "or the sealed value was altered or copied from another instance"
            ) from None
        return Secret(plain.decode("utf-8"))
