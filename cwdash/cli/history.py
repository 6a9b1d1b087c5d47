"""``cwdash history NAME``: the transitions cwdash recorded for one instance.

Oldest first, times in UTC (ISO 8601 with ``Z``, whatever the local time zone: the same
times the hook gets and the log shows). Values are printed literally, one line each
(:func:`cwdash.store.text.one_line`). Reads only: a store without history answers "none".
"""

from __future__ import annotations

import argparse
import re
import time
from datetime import UTC, datetime

from cwdash.cli import output
from cwdash.cli.common import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, Failure, config_of, err, open_store
from cwdash.store.history.hook import iso_utc
from cwdash.store.history.reader import HistoryReader
from cwdash.store.text import one_line

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: float | None = None) -> float:
    """``90m``, ``24h``, ``7d``, ``2w`` back from now, or an ISO 8601 time (UTC when it
    names no zone); Failure (usage) otherwise."""
    now = time.time() if now is None else now
    match = _SPAN.match(text)
    if match:
        return now - float(match.group(1)) * _UNIT[match.group(2).lower()]
    try:
        when = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise Failure(
            f"--since: {one_line(text, 40)!r} is neither a span (90m, 24h, 7d) nor an ISO 8601 time",
            EXIT_USAGE,
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def cmd_history(args: argparse.Namespace) -> int:
    since = parse_since(args.since)
    config = config_of(args)
    store = open_store(config)
    try:
        reader = HistoryReader(store.conn)
        events = reader.events(args.name, since)
        began = reader.since(args.name)
        if not events and began is None and not store.instance_exists(args.name):
            err(
                f"no instance {one_line(args.name, 80)!r} in the store or its history; check with `cwdash list`"
            )
            return EXIT_NOT_FOUND
        if args.json:
            output.print_json(
                {
                    "instance_name": args.name,
                    "since": iso_utc(since),
                    "state_since": None if began is None else iso_utc(began),
                    "events": [
                        {
                            "at": iso_utc(e.at),
                            "field": e.field,
                            "old": e.old,
                            "new": e.new,
                            "observer": e.observer,
                            "site": e.site,
                        }
                        for e in events
                    ],
                }
            )
            return EXIT_OK
        name = one_line(args.name, 80)
        if not events:
            print(f"no transitions of {name} recorded since {iso_utc(since)}")
        for e in events:
            old, new = one_line(e.old, 200) or '""', one_line(e.new, 200) or '""'
            by = f"  ({one_line(e.observer, 20)}{', ' + one_line(e.site, 40) if e.site else ''})"
            print(f"{iso_utc(e.at)}  {e.field:<10}  {old} -> {new}{by}")
        if began is not None:
            print(f"in its current status since {iso_utc(began)}")
        return EXIT_OK
    finally:
        store.close()
