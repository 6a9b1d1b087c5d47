"""The commands about the key: ``init``, ``keygen``, ``rekey``.

A key is never replaced while a store holds tokens sealed under it: ``init`` keeps
the key there is, and ``rekey`` re-seals every token under a new one, crash-safe.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

from cwdash.cli.common import EXIT_OK, EXIT_USAGE, Failure, config_of, open_store, say
from cwdash.store import envfile, keyguard, redact
from cwdash.store.config import NOT_CONFIGURED_HINT, generate_key, load_config, parse_key, user_env_path
from cwdash.store.document import StatusDocument
from cwdash.store.sealing import Sealer, TokenError


def cmd_keygen(args: argparse.Namespace) -> int:
    print(generate_key())
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    """Keep the key there is, or mint one, never for a store whose tokens are under another.

    The key is looked for where every command looks (the environment, ``--env-file`` or
    ``./.env``, then ``$XDG_CONFIG_HOME/cwdash/env``); a new one is written to
    ``--env-file`` when named, else to the per-user file, so it is found from any directory.
    """
    named = Path(args.env_file) if args.env_file else None
    if named is not None:  # only the named file (created if need be) and the environment
        existing = load_config(named if named.is_file() else None, args.db, default_env=False)
        existing = replace(existing, env_checked=(named,))
    else:
        existing = load_config(None, args.db)
    target = named or user_env_path()
    if existing.key_text:
        config = existing
        keys = config.sealer()  # a bad existing key is reported, never replaced
        say(f"keeping the existing key ({config.origin('CWDASH_KEY')}), key {keys.fingerprint}")
    else:
        held = keyguard.peek(existing.db_path)
        if held is not None and held.tokens:
            raise Failure(
                f"refusing to create a new CWDASH_KEY: the store {held.path} holds {held.tokens} token(s) "
                f"{held.sealed_with()}, and a new key would open none of them. cwdash {existing.looked_in()}. "
                f"Put the store's key in {target} (a line CWDASH_KEY=..., mode 600) or in the environment, "
                "or point cwdash at the env file that holds it with --env-file PATH; "
                "then run `cwdash init` again (`cwdash doctor` shows what cwdash finds)"
            )
        minted = generate_key()
        redact.register(minted)  # blanked in the log from here on, like every key
        if named is None:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        say(envfile.add_value(target, "CWDASH_KEY", minted))
        config = load_config(target, args.db) if named else load_config(None, args.db)
        keys = config.sealer()
        say(f"the new key is key {keys.fingerprint}; keep a copy of {target} where you keep secrets")
    store = open_store(config, create=True)
    keyguard.bind_key(store, keys)  # the store now names its key; refused if its tokens are under another
    say(f"store ready at {store.path}")
    if not config.gateway_configured:
        say(f"{NOT_CONFIGURED_HINT} (environment or {target}) for live reads")
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
    if "CWDASH_KEY" in os.environ:
        raise Failure(
            "CWDASH_KEY is set in the environment, which rekey cannot rewrite; keep the key in an "
            f"env file instead ({args.env_file or user_env_path()}), unset CWDASH_KEY and run rekey again",
            EXIT_USAGE,
        )
    if args.env_file and not Path(args.env_file).is_file():
        raise Failure(f"no {args.env_file}: rekey replaces the key in the env file that holds it", EXIT_USAGE)
    config = config_of(args)
    holder = config.origin("CWDASH_KEY")
    if holder in ("default", "environment"):
        raise Failure(
            f"no env file holds CWDASH_KEY ({config.looked_in()}): rekey replaces the key in the "
            "env file that holds it",
            EXIT_USAGE,
        )
    env_path = Path(holder)
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
    say(f"re-sealed {count} token(s) under a new key; {env_path} now holds it (mode {mode:o})")
    say("keep a copy of the new key where you keep secrets: without it the tokens cannot be opened")
    return EXIT_OK
