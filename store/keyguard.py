"""Which key a store's tokens are sealed with, and the guard every sealing write passes.

A store records the fingerprint of its key (``meta.sealed_with``). A write that seals
a token reads it *inside its write transaction* and seals with that key, or refuses:
so a ``rekey`` that finished while ``set`` waited for its token, or a key minted by
mistake, can never leave a token sealed under a key the store no longer holds.

A store made before fingerprints (schema 1) has none recorded; the migration cannot
know the key, so the first sealing write records it, once a stored token proves that
the writer's key is the store's.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cwdash.store.db import Store, StoreError
from cwdash.store.document import FIELDS, TOKEN
from cwdash.store.schema import META_DDL, SEALED_WITH, recorded

if TYPE_CHECKING:
    from cwdash.store.sealing import Sealer, Secret


class KeyMismatch(StoreError):
    """The writer's key is not the store's; nothing was written. The message says which is which."""


def record(conn: sqlite3.Connection, fp: str) -> None:
    """Record ``fp`` as the store's key; call inside a write transaction."""
    conn.execute(META_DDL)  # no-op once migrated; a write must not depend on who opened the store
    conn.execute(
        "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        (SEALED_WITH, fp),
    )


def token_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM chatwoot_integrations").fetchone()[0])


def _proven(conn: sqlite3.Connection, keys: Sealer) -> str | None:
    """For a store with no fingerprint: the fingerprint of the key of ``keys`` that opens a
    stored token; "" when the store holds no sealed token at all; None when tokens exist
    and none opens. Values that are not sealed tokens (hand edits) prove nothing either way."""
    from cwdash.store.sealing import TokenError

    seen_sealed = False
    cursor = conn.execute("SELECT instance_name, chatwoot_api_token FROM chatwoot_integrations")
    while batch := cursor.fetchmany(500):
        for name, sealed in batch:
            if not isinstance(name, str) or not isinstance(sealed, str):
                continue
            try:
                fp = keys.opening_fingerprint(name, sealed)
            except TokenError:
                continue
            seen_sealed = True
            if fp is not None:
                return fp
    return None if seen_sealed else ""


def sealer_in_force(conn: sqlite3.Connection, keys: Sealer, path: Path | str) -> Sealer:
    """The sealer to seal with *now*: the one of ``keys`` that is the store's key.

    Call inside the write transaction that stores what it seals. Records the
    fingerprint when the store had none. Raises KeyMismatch (write nothing) when
    none of ``keys`` is the store's key.
    """
    fp = recorded(conn)
    if fp is None:
        proven = _proven(conn, keys)
        if proven is None:
            raise KeyMismatch(
                f"the tokens in the store {path} do not open with CWDASH_KEY (key {keys.fingerprint}): "
                "it is not the key they were sealed with, so nothing was written. "
                "Use the store's key (CWDASH_KEY in its .env or the environment)"
            )
        fp = proven or keys.fingerprint
        record(conn, fp)
    chosen = keys.for_fingerprint(fp)
    if chosen is None:
        raise KeyMismatch(
            f"the store {path} has its tokens sealed with key {fp}, but this command holds "
            f"key {' / '.join(keys.fingerprints)} (CWDASH_KEY"
            f"{' / CWDASH_KEY_NEXT' if len(keys.fingerprints) > 1 else ''}); nothing was written. "
            "If a `cwdash rekey` ran meanwhile, run this command again; otherwise use the store's key"
        )
    return chosen


def bind(conn: sqlite3.Connection, keys: Sealer, path: Path | str) -> None:
    """Make ``keys`` the store's key: recorded outright when the store holds no token
    (``cwdash init`` on an empty store), otherwise only when it is already the store's."""
    if token_count(conn) == 0:
        record(conn, keys.fingerprint)
    else:
        sealer_in_force(conn, keys, path)


def seal_records(
    conn: sqlite3.Connection,
    records: list[tuple[str, dict[str, object] | None]],
    keys: Sealer | None,
    path: Path | str,
) -> list[tuple[str, dict[str, object] | None]]:
    """``records`` with every plaintext (Secret) token sealed under the store's key in force;
    call inside the write transaction that stores them."""
    from cwdash.store.sealing import Secret

    def plain(values: dict[str, object] | None) -> bool:
        return values is not None and isinstance(values.get(TOKEN), Secret)

    if not any(plain(v) for _, v in records):
        return records
    if keys is None:
        raise StoreError("CWDASH_KEY is not set, so tokens cannot be sealed; run `cwdash init`")
    sealer = sealer_in_force(conn, keys, path)
    out: list[tuple[str, dict[str, object] | None]] = []
    for name, values in records:
        if values is not None and plain(values):
            token = values[TOKEN]
            assert isinstance(token, Secret)
            values = {**values, TOKEN: sealer.seal(name, token)}
        out.append((name, values))
    return out


def save_integration(
    store: Store, name: str, changes: dict[str, object], token: Secret | None, keys: Sealer | None
) -> bool:
    """Apply ``changes`` (and a new ``token``) to one integration in one transaction.

    The row is read, and the token sealed, inside the transaction, under the key the
    store holds at that moment: a rekey that finished meanwhile makes this refuse rather
    than store a token under a key that no longer exists, and a field changed meanwhile
    by another writer (a backfill) is kept unless ``changes`` names it.
    Returns True when the row was created.
    """
    with store.write() as db:
        existing = store.integration(name)
        row = existing.as_row() if existing is not None else {}
        row.update(changes)
        row["instance_name"] = name
        if token is not None:
            if keys is None:
                raise StoreError("CWDASH_KEY is not set, so the token cannot be sealed; run `cwdash init`")
            row[TOKEN] = sealer_in_force(store.conn, keys, store.path).seal(name, token)
        if any(c not in row for c in FIELDS):  # deleted while this command ran
            raise StoreError(f"the integration of {name!r} was removed meanwhile; nothing written, try again")
        store._upsert(db, row)
    return existing is None


def bind_key(store: Store, keys: Sealer) -> None:
    """``cwdash init``'s check, in one write transaction: see :func:`bind`."""
    with store.write():
        bind(store.conn, keys, store.path)


@dataclass(frozen=True)
class StoreKey:
    """What a store says about its key, read without writing: for messages."""

    path: Path
    tokens: int
    fingerprint: str | None

    def sealed_with(self) -> str:
        """ "sealed with key <fp>", or why the key cannot be named."""
        if self.fingerprint:
            return f"sealed with key {self.fingerprint}"
        return "sealed with a key whose fingerprint is not recorded yet (the store predates fingerprints)"


def peek(path: Path) -> StoreKey | None:
    """The store's token count and key fingerprint, read-only; None when there is no
    readable cwdash store at ``path`` (never creates or changes one)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    except (sqlite3.Error, ValueError, OSError):
        return None
    try:
        return StoreKey(path, token_count(conn), recorded(conn))
    except sqlite3.Error:
        return None
    finally:
        conn.close()
