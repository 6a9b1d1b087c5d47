"""``cwdash sync``: fill and refresh the store from RyzeAPI's own API.

The engine is :mod:`cwdash.store.ryzeapi.sync`; this module reads the options, shows
progress on stderr (a line redrawn in place on a terminal, with the ETA and the rate
budget left and why it waits; plain lines otherwise), and prints what changed, or with
``--json`` a machine summary. Exit codes: 0 all synced, 1 a failure (some instances
failed, bad token, unreachable, unexpected answer), 4 ``--names`` named no instance,
5 RyzeAPI's Chatwoot module is not configured, 130 interrupted (a re-run continues).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from typing import TextIO

from cwdash.cli import output
from cwdash.cli.common import (
    EXIT_FAIL,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    Failure,
    config_of,
    err,
    open_store,
)
from cwdash.store.charset import dash
from cwdash.store.ryzeapi.pacer import Budget
from cwdash.store.ryzeapi.sync import (
    ADDED,
    CHANGED,
    FAILED,
    MARKED,
    NO_SUCH_INSTANCE,
    PRUNED,
    UNCHANGED,
    Progress,
    SyncAbort,
    Syncer,
    SyncOptions,
    SyncReport,
)
from cwdash.store.sources.ryzeapi import api_from_config
from cwdash.store.text import one_line

EXIT_INTERRUPTED = 130
_VERBS = {ADDED: "added", CHANGED: "changed", MARKED: "marked", PRUNED: "pruned", FAILED: "failed"}
_DRY_VERBS = {ADDED: "would add", CHANGED: "would change", MARKED: "would mark", PRUNED: "would prune",
              FAILED: "failed"}  # fmt: skip


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    minutes, sec = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{sec:02d}s" if minutes else f"{sec}s"


class ProgressLine:
    """The progress on stderr: redrawn in place on a terminal, a plain line now and then otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last: Progress | None = None
        self._said_wait = ""
        self._plain_at = 0.0
        self._width = 0

    def update(self, progress: Progress) -> None:
        self.last = progress
        self.draw(progress.budget)

    def draw(self, budget: Budget) -> None:
        p = self.last
        if p is None:
            return
        text = f"sync {p.done}/{p.total}"
        if p.total:
            text += f" {100 * p.done // p.total}%"
        text += f"  ETA {_duration(p.eta)}  {budget.describe()}"
        waiting = budget.waiting_because
        if self.tty:
            if waiting and budget.waiting_until is not None:
                text += f"  {dash()} waiting {_duration(budget.waiting_until - budget.now)}: {waiting}"
            line = one_line(text, 300)
            self.stream.write("\r" + line + " " * max(0, self._width - len(line)))
            self._width = len(line)
            self.stream.flush()
            return
        now = time.monotonic()
        if waiting and waiting != self._said_wait:
            self.stream.write(f"cwdash: sync waits for the rate window: {one_line(waiting, 300)}\n")
        self._said_wait = waiting
        if now - self._plain_at >= 10 or p.done == p.total:
            self._plain_at = now
            self.stream.write(one_line(text, 300) + "\n")
        self.stream.flush()

    def clear(self) -> None:
        if self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = list(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise Failure("--names needs at least one instance name (a,b,c)", EXIT_USAGE)
    return names


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # the same orderly stop as Ctrl-C: the current transaction rolls back


def cmd_sync(args: argparse.Namespace) -> int:
    config = config_of(args)
    if not config.ryzeapi_configured:
        raise Failure(
            "sync reads RyzeAPI's own API: set RYZEAPI_URL and RYZEAPI_TOKEN (environment, .env, "
            "or the site's env file with --site NAME)"
        )
    if args.max_age < 0:
        raise Failure("--max-age must be 0 or more seconds", EXIT_USAGE)
    options = SyncOptions(
        names=_names(args.names), dry_run=args.dry_run, prune=args.prune, max_age=args.max_age
    )
    sealer = config.sealer()
    store = open_store(config, create=not args.dry_run)
    api = api_from_config(config)
    pacer = api.pacer
    line = ProgressLine(sys.stderr)
    syncer = Syncer(store, sealer, api, progress=line.update)

    async def run() -> SyncReport:
        async def tick() -> None:
            while True:
                await asyncio.sleep(0.5)
                line.draw(pacer.budget())

        ticker = asyncio.create_task(tick())
        try:
            return await syncer.run(options)
        finally:
            ticker.cancel()
            await api.aclose()

    previous = signal.signal(signal.SIGTERM, _on_sigterm) if _main_thread() else None
    try:
        report = asyncio.run(run())
    except SyncAbort as exc:
        line.clear()
        _finish(syncer.report, args, error=str(exc))
        err(str(exc))
        return exc.code
    except KeyboardInterrupt:
        line.clear()
        _finish(syncer.report, args, error="interrupted")
        saved = sum(1 for c in syncer.report.changes if c.read and c.kind != FAILED)
        err(
            f"interrupted: {saved} instance(s) written, each whole; run `cwdash sync` again to continue "
            "(instances synced in this run are not read again)"
        )
        return EXIT_INTERRUPTED
    finally:
        if previous is not None:
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGTERM, previous)
    line.clear()
    _finish(report, args)
    failed = [c for c in report.changes if c.kind == FAILED]
    if (
        failed
        and all(c.detail == NO_SUCH_INSTANCE for c in failed)
        and len(failed) == len(options.names or [])
    ):
        return EXIT_NOT_FOUND
    return EXIT_FAIL if failed else EXIT_OK


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _finish(report: SyncReport, args: argparse.Namespace, error: str | None = None) -> None:
    for note in report.notes:
        err(note)
    if args.json:
        summary = report.summary()
        summary["changes"] = [
            {"instance_name": c.name, "change": c.kind, "detail": c.detail}
            for c in report.changes
            if c.kind != UNCHANGED or c.detail
        ]
        if error is not None:
            summary["error"] = error
        output.print_json(summary)
        return
    verbs = _DRY_VERBS if report.dry_run else _VERBS
    for change in report.changes:
        if change.kind == UNCHANGED:
            continue
        detail = f": {change.detail}" if change.detail else ""
        print(f"{verbs[change.kind]:<12}  {one_line(change.name, 80)}{one_line(detail, 400)}")
    s = report.summary()
    print(
        f"{'dry run, nothing written: ' if report.dry_run else ''}{s['listed']} listed upstream; "
        f"{s['added']} added, {s['changed']} changed, {s['unchanged']} unchanged ({s['skipped']} not re-read), "
        f"{s['marked']} marked not listed upstream, {s['pruned']} pruned, {s['failed']} failed; "
        f"{s['requests']} request(s), {s['429s']} 429(s), {s['seconds']:.1f} s"
    )
