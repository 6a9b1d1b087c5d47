"""``cwdash check``: the headless health check for cron, systemd timers and monitoring.

A live read of the fleet (or ``--names``) within the source's budget: the refresh
scheduler the dashboard uses (:mod:`cwdash.store.refresh`) at ``CWDASH_CONCURRENCY`` reads
at once and ``CWDASH_RATE`` a second, each read straight to the live source (RyzeAPI's reads
also wait for its pacer). Each instance is counted in the categories it is in (error,
disconnected, unreachable; :mod:`cwdash.cli.checkrules`); the one line printed and the exit
code follow the monitoring-plugin convention (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).

It needs no terminal and no key (tokens are never opened), and writes nothing but
history (observer ``check``): no backfill of inbox ids. Results are counted as they
arrive, never kept per instance (``--json`` prints each one as it arrives).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from typing import TYPE_CHECKING

from cwdash.cli import output
from cwdash.cli.checkrules import (
    CATEGORIES,
    DISCONNECTED,
    ERROR,
    UNKNOWN,
    UNREACHABLE,
    WORDS,
    Tally,
    ThresholdError,
    Thresholds,
    parse_thresholds,
    plugin_line,
    unknown_line,
    verdict,
)
from cwdash.cli.common import config_of, note
from cwdash.store.config import NOT_CONFIGURED_HINT, ConfigError
from cwdash.store.db import Store, StoreError
from cwdash.store.sources.outcome import LiveFailure, LiveOutcome, LiveState

if TYPE_CHECKING:
    from cwdash.store.config import Config
    from cwdash.store.history.hook import HookRunner
    from cwdash.store.history.writer import HistoryWriter
    from cwdash.store.sources.base import LiveSource

log = logging.getLogger("cwdash.live")
CONNECTED = "connected"
FAR_AWAY = 1e9  # a round_every that never comes: one round, then nothing


class Check:
    """One run: the targets, the counts, and what each result does (history, hook, JSON)."""

    def __init__(self, store: Store, config: Config, args: argparse.Namespace) -> None:
        self.store = store
        self.config = config
        self.json = bool(args.json)
        self.tally = Tally()
        # name -> (integration id, local status, local error): what a read and a fallback need
        self.targets: dict[str, tuple[str, str, str]] = {}
        self.skipped: list[dict[str, str]] = []
        self.connections: dict[str, str] = {}
        self.listed = False  # the connections come from a live listing (RyzeAPI), not the store
        self.history: HistoryWriter | None = None
        self.hook: HookRunner | None = None
        self.refused: LiveFailure | None = None  # the gateway turned every read away
        self._first_item = True

    def load(self, names: set[str] | None) -> set[str]:
        """The integrations to read, from the store's listing; the names asked for but absent."""
        seen: set[str] = set()
        for row in self.store.iter_list():
            name, has, status, error, *_rest, bridge_id, bad, _written = row
            if names is not None and name not in names:
                continue
            seen.add(name)
            if bad:
                self.skipped.append({"instance_name": name, "reason": f"bad row: {bad}"})
            elif not has:
                if names is not None:
                    self.skipped.append({"instance_name": name, "reason": "no chatwoot integration"})
            else:
                self.targets[name] = (bridge_id, status, error)
        return (names or set()) - seen

    # -- per result ------------------------------------------------------------------------

    def result(self, name: str, outcome: LiveOutcome) -> None:
        from cwdash.store.history.model import Observation

        _ident, local_status, local_error = self.targets[name]
        connection = self.connections.get(name, "")
        categories: list[str] = []
        if isinstance(outcome, LiveState):
            status, error, source = outcome.status, outcome.last_error, "live"
            if status == "error":
                categories.append(ERROR)
        else:
            status, error, source = local_status, local_error, "local"
        if connection and connection != CONNECTED:
            categories.append(DISCONNECTED)
        if source == "local":
            categories.append(UNREACHABLE)
        self.tally.add(tuple(categories))
        if self.history is not None:
            seen = Observation(name, status, error, connection if self.listed else None, source)  # type: ignore[arg-type]
            for event in self.history.observe(seen):
                if self.hook is not None:
                    self.hook.submit(event, error)
        if self.json:
            item: dict[str, object] = {
                "instance_name": name,
                "source": source,
                "status": status,
                "last_error": error,
                "connection": connection or None,
                "categories": categories,
            }
            if isinstance(outcome, LiveFailure):
                item["failure"] = {
                    "reason": outcome.reason.value,
                    "title": outcome.title,
                    "detail": outcome.detail,
                }
            self._emit(item)

    def _emit(self, item: dict[str, object]) -> None:
        text = _json(item)
        sys.stdout.write(("" if self._first_item else ",\n") + text)
        self._first_item = False

    # -- reading ---------------------------------------------------------------------------

    async def read_all(self, live: LiveSource) -> None:
        from cwdash.store.readmodel import UNEXPECTED, LiveResult
        from cwdash.store.refresh import RefreshScheduler, RefreshSettings
        from cwdash.store.sources.base import LiveTarget

        await self._connections(live)
        names = list(self.targets)
        left = set(names)
        done = asyncio.Event()

        async def read(name: str) -> LiveResult:
            try:
                outcome = await live.read(LiveTarget(name, self.targets[name][0]))
            except Exception:  # a bug, not the gateway: a failed read, the traceback in the log
                log.exception("unexpected error in the live read of instance %r", name)
                outcome = UNEXPECTED
            return LiveResult(outcome, 0)

        def on_result(name: str, result: object) -> None:
            if name not in left:
                return
            left.discard(name)
            outcome = result.outcome if isinstance(result, LiveResult) else UNEXPECTED
            self.result(name, outcome)
            if scheduler.backing_off and isinstance(outcome, LiveFailure):
                self.refused = outcome  # the rest would wait for ever-longer probes
                done.set()
            if not left:
                done.set()

        settings = RefreshSettings(self.config.concurrency, self.config.rate, round_every=FAR_AWAY)
        scheduler = RefreshScheduler(read, on_result, settings)
        scheduler.set_names(names)
        scheduler.refresh_now()  # the one round at the full rate, not spread over round_every
        runner = asyncio.create_task(scheduler.run())
        try:
            await done.wait()
        finally:
            scheduler.stop()
            await asyncio.gather(runner, return_exceptions=True)
            await live.aclose()
        if self.refused is not None:
            for name in sorted(left):  # never read: counted unreachable, for the same reason
                self.result(name, self.refused)

    async def _connections(self, live: LiveSource) -> None:
        """The WhatsApp connections: one RyzeAPI listing when it is the source, else what
        the last ``cwdash sync`` stored (shown, never recorded as observed now)."""
        ryzeapi = sys.modules.get("cwdash.store.sources.ryzeapi")
        if ryzeapi is not None and isinstance(live, ryzeapi.RyzeApiSource):
            listed = await live.connections()
            if isinstance(listed, dict):
                self.connections = {n: i.connection for n, i in listed.items() if n in self.targets}
                self.listed = True
                return
            note(f"RyzeAPI's instance listing failed, using the stored connections: {listed.describe()}")
        from cwdash.store import upstream

        self.connections = {n: c for n, c in upstream.connections(self.store).items() if n in self.targets}


def _json(value: object) -> str:
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    return output.json_text(value, ascii_only=encoding != "utf8")


def _unknown(args: argparse.Namespace, reason: str) -> int:
    if getattr(args, "json", False):
        output.print_json({"status": WORDS[UNKNOWN], "code": UNKNOWN, "reason": reason})
    else:
        print(unknown_line(reason))
    return UNKNOWN


def cmd_check(args: argparse.Namespace) -> int:
    try:
        return _check(args)
    except (ThresholdError, ConfigError, StoreError) as exc:
        return _unknown(args, str(exc))
    except Exception as exc:  # a bug: UNKNOWN (never 1, which a monitor reads as WARNING)
        from cwdash.store import logfile

        hint = logfile.log_exception("internal error in cmd_check", exc)
        return _unknown(
            args, f"internal error: {type(exc).__name__}; please report it" + (f"; {hint}" if hint else "")
        )


def _thresholds(args: argparse.Namespace) -> tuple[Thresholds, Thresholds]:
    warn = parse_thresholds(args.warn, "--warn")
    crit = parse_thresholds(args.crit, "--crit")
    if args.warn is None and args.crit is None:
        warn = parse_thresholds("0", "--warn")  # by default any instance in a category warns
    return warn, crit


def _check(args: argparse.Namespace) -> int:
    warn, crit = _thresholds(args)
    hook = None
    if args.on_change:
        from cwdash.store.history.hook import HookError, HookRunner

        try:
            hook = HookRunner(args.on_change, timeout=args.hook_timeout)
        except HookError as exc:
            return _unknown(args, str(exc))
    config = config_of(args)
    history_settings = config.history_settings()
    if not config.gateway_configured:
        return _unknown(args, f"integration gateway not configured ({NOT_CONFIGURED_HINT})")
    from cwdash.store.sources.factory import live_source

    live = live_source(config)
    assert live is not None
    store = Store.open(config.db_path)
    try:
        check = Check(store, config, args)
        wanted = {n.strip() for n in args.names.split(",") if n.strip()} if args.names else None
        missing = check.load(wanted)
        if missing:
            return _unknown(args, f"not in the store: {', '.join(sorted(missing)[:10])}")
        if not check.targets:
            return _unknown(args, "no chatwoot integration to check")
        check.hook = hook
        check.history = _history(store, config, history_settings, set(check.targets) if wanted else None)
        if check.json:
            sys.stdout.write('{\n"instances": [\n')
        started = time.monotonic()
        try:
            asyncio.run(check.read_all(live))
        finally:
            if check.history is not None:
                check.history.close()
            if hook is not None:
                hook.close()
        return _report(check, warn, crit, time.monotonic() - started)
    finally:
        store.close()


def _history(store: Store, config: Config, settings: object, names: set[str] | None) -> HistoryWriter | None:
    from cwdash.store.history.writer import HistoryWriter

    writer = HistoryWriter(store, observer="check", site=config.site or "", settings=settings, names=names)  # type: ignore[arg-type]
    if writer.off:
        note(writer.off)
    return writer


def _report(check: Check, warn: Thresholds, crit: Thresholds, seconds: float) -> int:
    code = verdict(check.tally, warn, crit)
    line = plugin_line(code, check.tally, warn, crit)
    if check.json:
        tally = check.tally

        def limits(t: Thresholds) -> dict[str, float]:
            return {c: round(t[c].limit(tally.total), 2) for c in CATEGORIES if c in t}

        summary = {
            "status": WORDS[code],
            "code": code,
            "line": line,
            "total": tally.total,
            "ok": tally.ok,
            "counts": tally.counts,
            "warn": limits(warn),
            "crit": limits(crit),
            "connections_from": "listing" if check.listed else "store",
            "skipped": check.skipped,
            "refused": None if check.refused is None else check.refused.describe(),
            "seconds": round(seconds, 3),
        }
        sys.stdout.write("\n],\n" + _json({"summary": summary})[1:].lstrip() + "\n")
    else:
        print(line)
    return code
