"""The commands about the key: ``init``, ``keygen``, ``rekey``.

A key is never replaced while a store holds tokens sealed under it: ``init`` keeps
the key there is, and ``rekey`` re-seals every token under a new one, crash-safe.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cwdash.cli.common import EXIT_OK, EXIT_USAGE, Failure, config_of, open_store
from cwdash.store import envfile, keyguard, redact
from cwdash.store.config import NOT_CONFIGURED_HINT, generate_key, load_config, parse_key
from cwdash.store.document import StatusDocument
from cwdash.store.sealing import Sealer, TokenError


def cmd_keygen(args: argparse.Namespace) -> int:
    print(generate_key())
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    """Keep the key there is, or mint one, never for a store whose tokens are under another."""
    env_path = Path(args.env_file) if args.env_file else Path(".env")
    if args.env_file:
        existing = load_config(env_path if env_path.is_file() else None, args.db, default_env=False)
    else:
        existing = load_config(None, args.db)  # ./.env, refused when another user owns it
    if existing.key_text:
        config = existing
        keys = config.sealer()  # a bad existing key is reported, never replaced
        print(f"keeping the existing key ({'environment' if 'CWDASH_KEY' in os.environ else env_path})")
    else:
        held = keyguard.peek(existing.db_path)
        if held is not None and held.tokens:
            raise Failure(
                f"refusing to create a new CWDASH_KEY: the store {held.path} holds {held.tokens} token(s) "
                f"{held.sealed_with()}, and a new key would open none of them. cwdash {existing.looked_in()}; "
                "put the store's key in one of them (or name its env file with --env-file PATH) "
                "and run `cwdash init` again"
            )
        minted = generate_key()
        redact.register(minted)  # blanked in the log from here on, like every key
        print(envfile.add_value(env_path, "CWDASH_KEY", minted))
        config = load_config(env_path, args.db)
        keys = config.sealer()
    store = open_store(config, create=True)
    keyguard.bind_key(store, keys)  # the store now names its key; refused if its tokens are under another
    print(f"store ready at {store.path}")
    if not config.gateway_configured:
        print(f"{NOT_CONFIGURED_HINT} (environment or .env) for live reads")
    return EXIT_OK


def set_env_values(path: Path, updates: dict[str, str | None]) -> int:
    """Set (or, with None, remove) variables in the .env: see :func:`cwdash.store.envfile.set_values`."""
    return envfile.set_values(path, updates)


def cmd_rekey(args: argparse.Namespace) -> int:
    """Re-seal every token under a new key, in one transaction, crash-safe.

    1. every token is opened first (refused, nothing changed, if one cannot be);
    2. the new key is written to the .env as CWDASH_KEY_NEXT: from here on tokens
       open under either key, whatever happens next;
    3. one transaction re-seals every token under the new key;
    4. the new key replaces CWDASH_KEY and CWDASH_KEY_NEXT goes.
    Interrupted anywhere, every token stays readable, and running rekey again finishes
    the job with the same new key.
    """
    env_path = Path(args.env_file) if args.env_file else Path(".env")
    if "CWDASH_KEY" in os.environ:
        raise Failure(
            "CWDASH_KEY is set in the environment, which rekey cannot rewrite; keep the key in "
            f"{env_path} instead (unset CWDASH_KEY) and run rekey again",
            EXIT_USAGE,
        )
    if not env_path.is_file():
        raise Failure(f"no {env_path}: rekey replaces the key in the .env file that holds it", EXIT_USAGE)
    config = config_of(args)
    current = config.key()
    new_text = config.next_key_text or generate_key()  # an interrupted rekey is finished, not restarted
    redact.register(new_text)
    new = parse_key(new_text, "CWDASH_KEY_NEXT")
    reader = Sealer(current, [new])
    writer = Sealer(new)
    store = open_store(config)
    held = keyguard.recorded(store.conn)
    if held is not None and reader.for_fingerprint(held) is None:
        raise Failure(
            f"rekey refused, nothing changed: the store's tokens are sealed with key {held}, "
            f"and CWDASH_KEY is key {reader.fingerprint}"
        )

    def reseal(rows: list[StatusDocument]) -> dict[str, str]:
        out: dict[str, str] = {}
        problems: list[str] = []
        for row in rows:
            if not row.chatwoot_api_token.synced:
                continue  # no token to re-seal: RyzeAPI's sync did not return one
            try:
                secret = reader.open(row.instance_name, row.sealed_token)
            except TokenError as exc:
                problems.append(str(exc))
                continue
            out[row.instance_name] = writer.seal(row.instance_name, secret)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise Failure(f"rekey refused, nothing changed: {problems[0]}{more}")
        return out

    reseal(store.integrations())  # a dry run: refuse before touching anything
    set_env_values(env_path, {"CWDASH_KEY_NEXT": new_text})
    # again, inside one write transaction that also records the new key as the store's
    count = store.reseal_tokens(reseal, Sealer(new, [current]))
    mode = set_env_values(env_path, {"CWDASH_KEY": new_text, "CWDASH_KEY_NEXT": None})
    print(f"re-sealed {count} token(s) under a new key; {env_path} now holds it (mode {mode:o})")
    print("keep a copy of the new key where you keep secrets: without it the tokens cannot be opened")
    return EXIT_OK
