"""The commands that write records: ``import``, ``add``, ``set``, ``delete``.

Every value is checked by the record's own rules (:mod:`cwdash.store.document`)
before anything is written, and a token is read from stdin or a hidden prompt,
never from the command line (it would show in ``ps``).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from cwdash.cli.common import (
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    Failure,
    config_of,
    err,
    open_store,
    say,
)
from cwdash.store import keyguard
from cwdash.store.document import FLAGS, InvalidRecord, check_field, check_name, defaults
from cwdash.store.readmodel import INSTANCE_NOT_FOUND, NOTHING_TO_DELETE
from cwdash.store.secret import Secret
from cwdash.store.text import one_line


def cmd_import(args: argparse.Namespace) -> int:
    from cwdash.store.importer import ImportError_, import_text

    config = config_of(args)
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Failure(f"cannot read {args.file}: {exc}") from None
    sealer = config.sealer()
    store = open_store(config, create=True)
    try:
        summary = import_text(store, sealer, text)
    except (ImportError_, keyguard.KeyMismatch) as exc:
        raise Failure(f"import refused, nothing written: {exc}") from None
    say(f"imported {summary.instances} instance(s), {summary.integrations} with an integration")
    return EXIT_OK


def cmd_add(args: argparse.Namespace) -> int:
    config = config_of(args)
    try:
        name = check_name(args.name)
    except InvalidRecord as exc:
        raise Failure(str(exc), EXIT_USAGE) from None
    store = open_store(config, create=True)
    if store.add_instance(name):
        say(f"added instance {one_line(name)}")
    else:
        say(f"instance {one_line(name)} already exists")
    return EXIT_OK


def read_token(args: argparse.Namespace, *, required: bool) -> str | None:
    if args.token_stdin:
        token = sys.stdin.readline().strip()
    elif args.token_prompt or (required and sys.stdin.isatty()):
        token = getpass.getpass("Chatwoot API token (hidden): ").strip()
    elif required:
        raise Failure(
            "a new integration needs its token: pass --token-stdin (or run in a terminal for a prompt)",
            EXIT_USAGE,
        )
    else:
        return None
    if not token:
        raise Failure("the token is empty", EXIT_USAGE)
    return token


# set's options for the record's fields: (option, field, prefix of its error message);
# a new integration needs every one of them
SET_OPTIONS = (
    ("base-url", "chatwoot_base_url", ""),
    ("account-id", "chatwoot_account_id", ""),
    ("inbox-name", "chatwoot_inbox_name", ""),
    ("bridge-id", "bridge_integration_id", "--bridge-id: "),
)


def _dest(option: str) -> str:
    return option.replace("-", "_")


def cmd_set(args: argparse.Namespace) -> int:
    """Create or update one integration. Only what the options name changes; the token,
    read last (it may wait on a prompt), is sealed inside the write transaction under the
    key the store holds then, so a rekey meanwhile makes this refuse instead of losing it."""
    config = config_of(args)
    sealer = config.sealer()
    store = open_store(config, create=True)
    if not store.instance_exists(args.name):
        err(f"{INSTANCE_NOT_FOUND.message} (add it first with `cwdash add NAME`)")
        return EXIT_NOT_FOUND
    existing = store.integration(args.name)
    changes: dict[str, Any] = {}
    if existing is None:
        missing = [f"--{option}" for option, _, _ in SET_OPTIONS if getattr(args, _dest(option)) is None]
        if missing:
            raise Failure(f"a new integration needs {', '.join(missing)}", EXIT_USAGE)
        from cwdash.store.db import now_rfc3339

        changes = defaults(now_rfc3339())  # the record's defaults; the options below fill the rest
    for option, name, said_as in SET_OPTIONS:
        value = getattr(args, _dest(option))
        if value is not None:
            try:
                changes[name] = check_field(name, value)  # the import's rule for the field
            except InvalidRecord as exc:
                raise Failure(f"{said_as}{exc}", EXIT_USAGE) from None
    for flag in FLAGS:
        chosen = getattr(args, flag)
        if chosen is not None:
            changes[flag] = chosen
    token = read_token(args, required=existing is None)
    secret = Secret(token) if token is not None else None
    del token
    changes["last_error"] = ""  # a changed integration starts healthy, as RyzeAPI's set does
    created = keyguard.save_integration(store, args.name, changes, secret, sealer)
    say(f"{'created' if created else 'updated'} the Chatwoot integration of {one_line(args.name)}")
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    config = config_of(args)
    store = open_store(config)
    if not store.instance_exists(args.name):
        err(INSTANCE_NOT_FOUND.message)
        return EXIT_NOT_FOUND
    if not store.delete_integration(args.name):
        err(NOTHING_TO_DELETE.message)
        return EXIT_NOT_FOUND
    say(f"removed the Chatwoot integration of {one_line(args.name)}")
    return EXIT_OK
