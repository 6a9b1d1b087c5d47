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
from typing import Any

from cwdash.store.secret import Secret

__all__ = ["Sealer", "Secret", "TokenError", "fingerprint"]

VERSION = b"\x01"
NONCE_BYTES = 12


class TokenError(Exception):
    """A sealed token that cannot be opened; the message names the instance and the likely cause."""


def fingerprint(key: bytes) -> str:
    """A short public name for a key: 16 hex digits of an HMAC keyed *by* the key.

    Recorded in the store and shown in messages so an operator can tell keys apart;
    it is a MAC of a fixed label, so it reveals nothing that helps recover the key.
    """
    import hashlib  # with OpenSSL (~6 ms): on the first fingerprint, not at start-up
    import hmac

    return hmac.new(key, b"cwdash key fingerprint v1", hashlib.sha256).hexdigest()[:16]


def _aad(instance_name: str) -> bytes:
    return b"cwdash/chatwoot_api_token/v1\x00" + instance_name.encode("utf-8", "surrogatepass")


class Sealer:
    """Seals and opens tokens with one AES-256 key."""

    __slots__ = ("_ciphers", "_fingerprints", "_keys", "store_key")

    def __init__(self, key: bytes, fallbacks: list[bytes] | tuple[bytes, ...] = ()) -> None:
        """``key`` seals and opens; ``fallbacks`` only open (a key rotation under way)."""
        self._keys = (key, *fallbacks)
        self._ciphers: tuple[Any, ...] | None = None  # made on first use: see _aeads
        self._fingerprints: tuple[str, ...] | None = None  # worked out on first use
        # the fingerprint the store records (set by whoever reads a store with this sealer),
        # so that "cannot be opened" can say which key was expected and which is in hand
        self.store_key: str | None = None

    def __repr__(self) -> str:
        return f"Sealer(key={self.fingerprint})"

    def _aeads(self) -> tuple[Any, ...]:
        """One AESGCM per key, the sealing key first. cryptography is imported here, on the
        first seal or open, not at start-up: the dashboard's first paint opens no token."""
        if self._ciphers is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._ciphers = tuple(AESGCM(k) for k in self._keys)
        return self._ciphers

    @property
    def fingerprints(self) -> tuple[str, ...]:
        """The fingerprints of this sealer's keys, the sealing key's first."""
        if self._fingerprints is None:
            self._fingerprints = tuple(fingerprint(k) for k in self._keys)
        return self._fingerprints

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the key this sealer seals with."""
        return self.fingerprints[0]

    def for_fingerprint(self, wanted: str) -> Sealer | None:
        """A sealer that seals with the key named ``wanted``, if this one holds it (the
        others still open); None when none of its keys is that one."""
        import hmac

        for i, fp in enumerate(self.fingerprints):
            if hmac.compare_digest(fp, wanted):
                if i == 0:
                    return self
                return Sealer(self._keys[i], [k for j, k in enumerate(self._keys) if j != i])
        return None

    def opening_fingerprint(self, instance_name: str, sealed: str) -> str | None:
        """The fingerprint of the key of this sealer that opens ``sealed``, or None when
        none does; TokenError when the value is not a sealed token at all."""
        nonce, blob = self._split(instance_name, sealed)
        for fp, aead in zip(self.fingerprints, self._aeads(), strict=True):
            try:
                aead.decrypt(nonce, blob, _aad(instance_name))
            except _invalid_tag():
                continue
            return fp
        return None

    def seal(self, instance_name: str, token: Secret | str) -> str:
        """Encrypt ``token`` for ``instance_name`` with a fresh random nonce."""
        plain = token.reveal() if isinstance(token, Secret) else token
        nonce = os.urandom(NONCE_BYTES)
        blob = self._aeads()[0].encrypt(nonce, plain.encode("utf-8"), _aad(instance_name))
        return base64.b64encode(VERSION + nonce + blob).decode("ascii")

    @staticmethod
    def _split(instance_name: str, sealed: str) -> tuple[bytes, bytes]:
        try:
            raw = base64.b64decode(sealed, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise TokenError(
                f"token of {instance_name!r} is not a sealed value (not base64): "
                "the row was edited by hand or written by another tool"
            ) from None
        if len(raw) < 1 + NONCE_BYTES + 16 or raw[:1] != VERSION:
            raise TokenError(f"token of {instance_name!r} is truncated or of an unknown format")
        return raw[1 : 1 + NONCE_BYTES], raw[1 + NONCE_BYTES :]

    def open(self, instance_name: str, sealed: str) -> Secret:
        """Decrypt a sealed token, or raise TokenError naming the instance and the cause."""
        nonce, blob = self._split(instance_name, sealed)
        plain: bytes | None = None
        for aead in self._aeads():
            try:
                plain = aead.decrypt(nonce, blob, _aad(instance_name))
                break
            except _invalid_tag():
                continue
        if plain is None:
            raise TokenError(
                f"token of {instance_name!r} cannot be opened: {self.wrong_key_reason()}"
            ) from None
        return Secret(plain.decode("utf-8"))

    def wrong_key_reason(self) -> str:
        """Why a token does not open, naming the key the store expects and the one in hand
        (fingerprints only, never a key)."""
        in_hand = " / ".join(self.fingerprints)
        expected = self.store_key
        if expected is None or expected in self.fingerprints:
            # the store names no key (it predates fingerprints), or it is this one: nothing to compare
            return "wrong CWDASH_KEY, or the sealed value was altered or copied from another instance"
        return (
            f"wrong CWDASH_KEY: the store expects key {expected}, this is key {in_hand}; "
            "point cwdash at the store's key (`cwdash doctor` shows where it looks)"
        )


def _invalid_tag() -> type[Exception]:
    """cryptography's InvalidTag, imported with the cipher (see Sealer._aeads)."""
    from cryptography.exceptions import InvalidTag

    return InvalidTag
