"""Start the dashboard: on the configured store, or on the built-in demo.

Problems a user can fix (no store, no key, a bad key) end with a message naming
what to run, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cwdash.store import redact
from cwdash.store.config import Config, ConfigError, generate_key, load_config
from cwdash.store.db import Store, StoreError
from cwdash.store.readmodel import ReadModel


def _fail(message: str) -> int:
    print(f"cwdash: {message}", file=sys.stderr)
    return 1


def _glyphs(args: argparse.Namespace) -> None:
    """ASCII glyphs with ``--ascii`` (CWDASH_ASCII=1) or where the locale is not UTF-8."""
    from cwdash.tui import look

    look.use_ascii(bool(getattr(args, "ascii", False)) or look.wants_ascii())
    if look.G.ascii:
        from cwdash.tui.asciimode import use_ascii_scrollbars

        use_ascii_scrollbars()


def _on_change(args: argparse.Namespace) -> str | None:
    """``--on-change CMD``, checked before the screen opens (HookError: a usage problem)."""
    command = getattr(args, "on_change", None)
    if command is not None:
        from cwdash.store.history.hook import parse_command

        parse_command(command)
    return command


def run_dashboard(args: argparse.Namespace) -> int:
    """``cwdash`` with no command: the dashboard on the configured store."""
    _glyphs(args)
    try:
        on_change = _on_change(args)
    except ValueError as exc:  # HookError: the message says what is wrong with the command
        return _fail(str(exc))
    try:
        config = load_config(
            args.env_file, args.db, site=getattr(args, "site", None), source=getattr(args, "source", None)
        )
        redact.register_config(config)  # blanked in the log from here on
        config.key()
        store = Store.open(config.db_path)
    except (ConfigError, StoreError) as exc:
        return _fail(str(exc))
    # Shown inside the dashboard: printed here they would vanish behind its screen.
    notices = [w for w in (store.notice, store.permissions_warning(), config.env_warning()) if w]
    model = ReadModel.from_config(config, store)
    from cwdash.tui.app import CwdashApp

    app = CwdashApp(
        config,
        store,
        model,
        no_reveal=args.no_reveal or config.no_reveal,
        notices=notices,
        label=config.site or "",
        bell=bool(getattr(args, "bell", False)),
        on_change=on_change,
    )
    app.run()
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """``cwdash demo``: a throwaway store, a simulated gateway on 127.0.0.1, then the dashboard."""
    _glyphs(args)
    from cwdash.store import demo
    from cwdash.store.simbridge import SimBridge, self_signed_context
    from cwdash.store.sources.bridge import BridgeSource

    if args.instances < 1 or args.instances > 200_000:
        return _fail("--instances must be between 1 and 200000")
    try:
        on_change = _on_change(args)
    except ValueError as exc:
        return _fail(str(exc))
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cwdash-demo-") as tmp:
        key = generate_key()
        config = Config(db_path=Path(tmp) / "demo.db", key_text=key, bridge_token="demo-bridge-token")
        store = Store.open(config.db_path, create=True)
        fleet = demo.plan(args.instances)
        demo.seed_store(store, config.sealer(), fleet)
        router = demo.DemoRouter(fleet)
        with (
            SimBridge(router, token="demo-bridge-token") as bridge,
            SimBridge(router, token="demo-bridge-token", tls=self_signed_context()) as tls_bridge,
        ):
            config = Config(
                db_path=config.db_path,
                key_text=key,
                bridge_url=bridge.url,
                bridge_token="demo-bridge-token",
                no_reveal=args.no_reveal,
            )
            main = BridgeSource(bridge.url, "demo-bridge-token", timeout=config.live_timeout)
            tls = BridgeSource(tls_bridge.url, "demo-bridge-token", timeout=config.live_timeout)
            routes = {inst.bridge_id: tls for inst in fleet if inst.behaviour == "tls"}
            no_gateway = frozenset(inst.name for inst in fleet if inst.behaviour == "nogateway")
            model = demo.DemoReadModel(
                store, config.sealer(), demo.RoutedSource(main, routes), no_gateway=no_gateway
            )
            vanish = demo.delete_later(config.db_path, fleet)
            from cwdash.tui.app import CwdashApp

            app = CwdashApp(
                config,
                store,
                model,
                no_reveal=args.no_reveal,
                label="demo",
                bell=bool(getattr(args, "bell", False)),
                on_change=on_change,
            )
            try:
                app.run()
            finally:
                vanish.cancel()
        store.close()
    return 0
