"""Helpers for tests of the store: the seed's example document (conftest.py's ``store``
fixture seals it, so :data:`TOKENS`), was a store left untouched, which tokens a key opens,
and the .env a command reads."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from cwdash.store.config import parse_key
from cwdash.store.db import Store
from cwdash.store.sealing import Sealer

SEED_TOKEN = "sk_live_abc123..."  # the seed document's token
SEED_DOCUMENT: dict[str, object] = {
    "instance_name": "suporte",
    "status": "active",
    "bridge_integration_id": "int_xyz789abc",
    "chatwoot_base_url": "https://chatwoot.example.com",
    "chatwoot_account_id": 5,
    "chatwoot_api_token": SEED_TOKEN,
    "chatwoot_inbox_id": 42,
    "chatwoot_inbox_name": "WhatsApp - Orion",
    "last_error": "",
    "created_at": "2026-04-20T10:15:30Z",
    "sign_messages": True,
    "ignore_groups": False,
    "start_as_pending": False,
    "reopen_resolved": True,
}
TOKENS = {"suporte": SEED_TOKEN, "fresh": SEED_TOKEN}  # what the ``store`` fixture seals


def rows(db_path: Path, *, skip: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table of the store (but ``skip``), to compare before and after an operation."""
    conn = sqlite3.connect(db_path)
    try:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        return {
            t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
            for t in tables
            if t not in skip
        }
    finally:
        conn.close()


def opened(db_path: Path, key_text: str, fallbacks: list[bytes] | None = None) -> dict[str, str]:
    """Every token of the store, opened with this one key (and ``fallbacks``) alone."""
    sealer = Sealer(parse_key(key_text), fallbacks or [])
    store = Store.open(db_path)
    try:
        return {
            r.instance_name: sealer.open(r.instance_name, r.sealed_token).reveal()
            for r in store.integrations()
        }
    finally:
        store.close()


def env_text(db_path: Path, key: str, *, before: str = "", after: str = "") -> str:
    """A .env naming the store and its key, with other lines ``before`` and ``after`` them."""
    return f"{before}CWDASH_DB={db_path}\nCWDASH_KEY={key}\n{after}"


def write_env(path: Path, text: str, mode: int = 0o600) -> Path:
    """Write a .env with ``mode`` (a secret's file: 0600 unless a test says otherwise)."""
    path.write_text(text)
    os.chmod(path, mode)
    return path
