"""``cwdash verify NAME`` and ``cwdash verify --all``: do the integrations' tokens work in Chatwoot?

Each verify opens the token (audited as ``verify``, never shown, so ``--no-reveal`` does
not stop it) and runs the four checks of :mod:`cwdash.store.verify` in one budget. The
exit code is the worst level, in the monitoring-plugin convention ``cwdash check`` uses:
0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. A verify that cannot run at all (no store, no
key, an unknown instance, no integration) is UNKNOWN, with the usual message.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from cwdash.cli import output
from cwdash.cli.common import EXIT_USAGE, config_of, err, open_store, say, warn
from cwdash.store.config import ConfigError
from cwdash.store.db import StoreError
from cwdash.store.readmodel import MappedError
from cwdash.store.text import one_line

if TYPE_CHECKING:
    from cwdash.store.verify.result import VerifyResult

UNKNOWN_EXIT = 3
LEVELS = ("OK", "WARNING", "CRITICAL", "UNKNOWN")


def cmd_verify(args: argparse.Namespace) -> int:
    if bool(args.all) == bool(args.name):
        err("give an instance NAME or --all (not both)")
        return EXIT_USAGE
    if args.budget <= 0 or args.concurrency < 1 or args.rate <= 0:
        err("--budget and --rate must be positive and --concurrency at least 1")
        return EXIT_USAGE
    try:
        config = config_of(args)
        store = open_store(config)
        config.key()  # the usual message for a missing or bad key, before anything runs
    except (ConfigError, StoreError) as exc:
        err(f"{exc} (verify could not run: UNKNOWN)")
        return UNKNOWN_EXIT
    from cwdash.store.verify.runner import verifier_for

    verifier = verifier_for(config, store, budget=args.budget, concurrency=args.concurrency, rate=args.rate)

    async def run() -> int:
        async with verifier:
            if args.all:
                return await _verify_all(verifier, args.json)
            return _show_one(args.name, await verifier.verify(args.name), args.json)

    code = asyncio.run(run())
    for problem in verifier.audit_problems[:3]:
        warn(f"warning: {problem}")
    return code


def _show_one(name: str, result: VerifyResult | MappedError, as_json: bool) -> int:
    if isinstance(result, MappedError):
        if as_json:
            output.print_json(_mapped_json(name, result))
        err(f"{result.message} ({result.hint}); verify could not run: UNKNOWN")
        return UNKNOWN_EXIT
    if as_json:
        output.print_json(result.as_json())
    else:
        print("\n".join(result.text_lines()))
    return result.exit_code


def _mapped_json(name: str, error: MappedError) -> dict[str, object]:
    return {
        "instance_name": name,
        "level": "UNKNOWN",
        "exit_code": UNKNOWN_EXIT,
        "error": {"message": error.message, "hint": error.hint},
    }


async def _verify_all(verifier: object, as_json: bool) -> int:
    from cwdash.store.verify.runner import Verifier

    assert isinstance(verifier, Verifier)
    rows = verifier.store.list_rows()
    names = [r.name for r in rows if r.has_integration or r.bad]
    if not names:
        say("no integrations to verify")
        return 0
    counts = dict.fromkeys(LEVELS, 0)
    worst = 0
    shown: list[dict[str, object]] = []

    def level_of(result: VerifyResult | MappedError) -> tuple[str, int]:
        if isinstance(result, MappedError):
            return "UNKNOWN", UNKNOWN_EXIT
        return result.level.name, result.exit_code

    def one(name: str, result: VerifyResult | MappedError) -> None:
        nonlocal worst
        level, code = level_of(result)
        counts[level] += 1
        worst = max(worst, code, key=_rank)
        if as_json:
            return
        summary = result.message if isinstance(result, MappedError) else result.summary
        print(f"{level:<8}  {one_line(name, 80)}  {summary}", flush=True)
        if isinstance(result, MappedError):
            print(f"{'':<8}  what to do: {result.hint}")
        elif result.diagnoses:
            first = max(result.diagnoses, key=lambda d: d.level.rank)
            print(f"{'':<8}  what to do [{first.code}]: {first.what_to_do}")

    results = await verifier.verify_many(names, one)
    if as_json:
        shown = [_mapped_json(n, r) if isinstance(r, MappedError) else r.as_json() for n, r in results]
    overall = LEVELS[worst]
    line = ", ".join(f"{counts[level]} {level.lower()}" for level in LEVELS)
    if as_json:
        output.print_json({"level": overall, "exit_code": worst, "counts": counts, "results": shown})
    else:
        print(f"VERIFY {overall} - {len(names)} verified: {line}")
    return worst


def _rank(code: int) -> int:
    """The plugin convention's "worst": CRITICAL over UNKNOWN over WARNING over OK."""
    return {0: 0, 1: 1, 3: 2, 2: 3}[code]
