"""The commands that read: ``status``, ``list``, ``audit``.

``status`` answers as RyzeAPI's Status / info does (:mod:`cwdash.store.readmodel`);
``status --json`` prints the token, so each such print is recorded in the audit.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
from collections.abc import Iterator
from typing import Any

from cwdash.cli import output
from cwdash.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    VERBOSE,
    Failure,
    config_of,
    err,
    exit_for,
    note,
    open_store,
    verbosity,
    warn,
)
from cwdash.store import export, upstream
from cwdash.store.config import Config, ConfigError
from cwdash.store.db import Store, StoreError
from cwdash.store.listing import ListItem, iter_listing
from cwdash.store.readmodel import MappedError, ReadModel, StatusRead
from cwdash.store.sealing import TokenError
from cwdash.store.text import one_line


def cmd_status(args: argparse.Namespace) -> int:
    config = config_of(args)
    store = open_store(config)
    model = ReadModel.from_config(config, store, live=not args.local)
    if verbosity() >= VERBOSE and not args.local and config.live_url:
        note_route(config)

    async def run() -> Any:
        try:
            return await model.status(args.name, live=not args.local)
        finally:
            await model.aclose()

    result = asyncio.run(run())
    if isinstance(result, MappedError):
        if args.json:
            output.print_json(result.envelope())
        err(f"{result.message} ({result.hint})")
        return exit_for(result)
    assert isinstance(result, StatusRead)
    if not args.local:
        record_status(store, config, result)
    if result.failure is not None:
        warn(f"live read failed, showing local status: {output.describe_failure(result.failure)}")
    if result.backfill_error:
        warn(f"inbox id not saved, will be retried on the next read: {result.backfill_error}")
    synced = result.document.chatwoot_api_token.synced
    if args.json:
        try:
            document = result.document.as_json(include_token=synced)
        except TokenError as exc:
            output.print_json({"success": False, "error": {"message": str(exc)}})
            raise Failure(str(exc)) from None
        if not synced:
            err("token not synced: RyzeAPI did not return it, so the document has no chatwoot_api_token")
        elif args.no_reveal or config.no_reveal:
            document["chatwoot_api_token"] = output.MASK
            warn("the token is masked: reveal is off (--no-reveal or CWDASH_NO_REVEAL)")
        else:
            audit_print(store, result.document.instance_name)
        output.print_json(document)
        return EXIT_OK
    problem = token_problem(result)
    up = upstream.read_one(store, result.document.instance_name)
    print(output.status_text(result, problem, up))
    if problem and synced:
        err(problem)
        return EXIT_FAIL
    return EXIT_OK


def record_status(store: Store, config: Config, result: StatusRead) -> None:
    """History: what this live read saw of the instance (observer ``status``), written now,
    on this thread; a problem with history never fails the read."""
    from cwdash.store.history.model import Observation
    from cwdash.store.history.writer import HistoryWriter

    doc = result.document
    try:
        writer = HistoryWriter(
            store,
            observer="status",
            site=config.site or "",
            settings=config.history_settings(),
            names=[doc.instance_name],
            start=False,
        )
    except (ConfigError, StoreError, sqlite3.Error) as exc:
        warn(f"history not recorded: {exc}")
        return
    try:
        writer.observe(Observation(doc.instance_name, doc.status, doc.last_error, None, result.source))
        writer.close()
    except Exception:  # a bug in history must not cost the read its answer
        logging.getLogger("cwdash.history").exception("history not recorded")
        return
    if writer.off:
        note(writer.off)


def note_route(config: Config) -> None:
    """``-v``: how the live read will go (proxy or direct, and what TLS trusts)."""
    from cwdash.store.sources.client import route
    from cwdash.store.sources.trust import trust_sources

    url = config.live_url
    assert url
    way = route(url)
    note(f"live read: {config.live_source_name} at {way.url}, {way.describe()}")
    if url.lower().startswith("https:"):
        note(f"TLS trusts: {trust_sources(config.ca_file).describe()}")


def audit_print(store: Store, name: str) -> None:
    """Record a plaintext token about to be printed, like a reveal in the dashboard.

    When it cannot be recorded (a read-only store) the token is still printed, with a
    warning: the status document carries the token by RyzeAPI's contract and scripts
    rely on it, and whoever can run this can open the token anyway; the warning makes
    the unrecorded print visible instead of silently blocking the read.
    """
    try:
        store.record_audit(name, "print")
    except StoreError as exc:
        err(f"warning: this print of the token is not in the audit, it could not be recorded: {exc}")


def token_problem(result: StatusRead) -> str | None:
    try:
        result.document.chatwoot_api_token.open()
    except TokenError as exc:
        return str(exc)
    return None


def cmd_list(args: argparse.Namespace) -> int:
    """``cwdash list`` (a table), ``--json`` or ``--csv``: streamed, see :mod:`cwdash.store.listing`.

    The bad-row warning comes after the listing (on stderr): it is counted as the rows go
    by. When the store fails midway, what stdout got is incomplete (an unclosed JSON array,
    a CSV cut after a whole line) and the command fails with a message saying so."""
    config = config_of(args)
    store = open_store(config)
    tally = _Tally()
    fmt = "json" if args.json else "csv" if getattr(args, "csv", False) else None

    def listing() -> Iterator[ListItem]:
        tally.reset()  # the table reads the listing twice
        for item in iter_listing(store, documents=fmt is not None):
            tally.count(item)
            yield item

    try:
        with store.snapshot():
            if fmt is not None:
                ascii_only = not output.stdout_is_utf8()
                if fmt == "json":
                    chunks = export.json_chunks(
                        (export.list_json(i) for i in listing()), ascii_only=ascii_only
                    )
                else:
                    chunks = export.csv_chunks(export.LIST_COLUMNS, listing(), ascii_only=ascii_only)
                for chunk in chunks:
                    sys.stdout.write(chunk)
            elif not output.print_list(listing):
                print("no instances in the store; add some with `cwdash import FILE` or `cwdash add NAME`")
    except StoreError as exc:
        if tally.read:
            raise StoreError(
                f"{exc}; the listing stopped after {tally.read} instance(s), so what it printed is incomplete"
            ) from None
        raise
    tally.warn()
    return EXIT_OK


class _Tally:
    """How many instances a listing read, and its bad rows (for the warning after it)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.read = 0
        self.bad = 0
        self.first: ListItem | None = None

    def count(self, item: ListItem) -> None:
        self.read += 1
        if item.listing_bad:
            self.bad += 1
            self.first = self.first or item

    def warn(self) -> None:
        if self.first is not None:
            first = self.first
            warn(
                f"{self.bad} bad row(s) in the store, written by another tool (first: "
                f"{first.name!r}, bad row: {first.listing_bad}); `cwdash delete NAME` and set them again"
            )


def cmd_audit(args: argparse.Namespace) -> int:
    config = config_of(args)
    store = open_store(config)
    rows = store.audit()
    if args.json:
        output.print_json(
            [dict(zip(("at", "instance_name", "os_user", "action"), r, strict=True)) for r in rows]
        )
        return EXIT_OK
    if not rows:
        print("no token has been revealed or copied")
    for at, name, user, action in rows:
        print(f"{at}  {action:<6}  {one_line(user, 32):<12}  {one_line(name, 80)}")
    return EXIT_OK
