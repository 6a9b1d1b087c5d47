"""Start the dashboard: on the configured store, or on the built-in demo.

Problems a user can fix (no store, no key, a bad key) end with a message naming
what to run, never a traceback.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from cwdash.store import redact
from cwdash.store.charset import wants_ascii
from cwdash.store.config import Config, ConfigError, generate_key, load_config
from cwdash.store.db import Store, StoreError
from cwdash.store.readmodel import ReadModel

if TYPE_CHECKING:
    import argparse

    from cwdash.store.sites import SiteConfig
    from cwdash.tui.app import CwdashApp
    from cwdash.tui.sites import SiteSpec


def _fail(message: str) -> int:
    print(f"cwdash: {message}", file=sys.stderr)
    return 1


def _glyphs(args: argparse.Namespace) -> None:
    """ASCII glyphs with ``--ascii`` (CWDASH_ASCII=1) or where the locale is not UTF-8."""
    from cwdash.tui import look

    look.use_ascii(bool(getattr(args, "ascii", False)) or wants_ascii())
    if look.G.ascii:
        from cwdash.tui.asciimode import use_ascii_textual

        use_ascii_textual()


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


def open_site(found: SiteConfig) -> tuple[SiteSpec, list[str]]:
    """One site of ``--all-sites``, opened as the single-site dashboard opens its own, and
    its notices; a site that cannot be opened is kept with the reason (never fatal)."""
    from cwdash.tui.sites import SiteSpec

    name, config = found.site.name, found.config
    if config is None:
        return SiteSpec(name, None, None, None, found.problem or "cannot be loaded"), []
    try:
        redact.register_config(config)  # blanked in the log from here on
        config.key()
        store = Store.open(config.db_path)
    except (ConfigError, StoreError) as exc:
        return SiteSpec(name, config, None, None, str(exc)), []
    notices = [f"{name}: {w}" for w in (store.notice, store.permissions_warning(), config.env_warning()) if w]
    return SiteSpec(name, config, store, ReadModel.from_config(config, store)), notices


def run_all_sites(args: argparse.Namespace) -> int:
    """``cwdash --all-sites``: one dashboard over every site, each with its own store, key,
    live source and budget; a broken site is shown with its reason beside the others."""
    _glyphs(args)
    try:
        on_change = _on_change(args)
    except ValueError as exc:
        return _fail(str(exc))
    from cwdash.store.sites import load_all, sites_dir

    found = load_all()
    if not found:
        return _fail(f"no sites configured (none in {sites_dir()}): create one with `cwdash site add NAME`")
    opened = [open_site(site) for site in found]
    specs = [spec for spec, _ in opened]
    healthy = [spec for spec in specs if spec.model is not None]
    if not healthy:
        return _fail("no site could be opened: " + "; ".join(f"{s.site}: {s.problem}" for s in specs))
    first = healthy[0]
    assert first.config is not None and first.store is not None and first.model is not None
    from cwdash.tui.app import CwdashApp

    app = CwdashApp(
        first.config,
        first.store,
        first.model,
        no_reveal=args.no_reveal or any(s.config.no_reveal for s in healthy if s.config is not None),
        notices=[notice for _, notices in opened for notice in notices],
        label=first.site if len(specs) == 1 else "all sites",
        sites=specs if len(specs) > 1 else None,
        bell=bool(getattr(args, "bell", False)),
        on_change=on_change,
    )
    app.run()
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """``cwdash demo``: two sites in one dashboard (see :func:`demo_app`)."""
    _glyphs(args)
    if args.instances < 1 or args.instances > 200_000:
        return _fail("--instances must be between 1 and 200000")
    try:
        on_change = _on_change(args)
    except ValueError as exc:
        return _fail(str(exc))
    with demo_app(
        args.instances, no_reveal=args.no_reveal, bell=bool(getattr(args, "bell", False)), on_change=on_change
    ) as app:
        app.run()
    return 0


@contextlib.contextmanager
def demo_app(
    instances: int, *, no_reveal: bool = False, bell: bool = False, on_change: str | None = None
) -> Iterator[CwdashApp]:
    """The demo's dashboard, two sites each with a throwaway store: the demo fleet of
    ``instances`` behind a simulated gateway, and a fleet behind a simulated RyzeAPI server
    (both on 127.0.0.1); everything stops and goes when the block ends."""
    import tempfile

    from cwdash.store import demo, demoryze
    from cwdash.store.simbridge import SimBridge, self_signed_context
    from cwdash.store.sources.bridge import BridgeSource
    from cwdash.tui.app import CwdashApp
    from cwdash.tui.bindings import Timing
    from cwdash.tui.sites import SiteSpec

    with tempfile.TemporaryDirectory(prefix="cwdash-demo-") as tmp:
        key = generate_key()
        config = Config(db_path=Path(tmp) / "demo.db", key_text=key, bridge_token="demo-bridge-token")
        store = Store.open(config.db_path, create=True)
        fleet = demo.plan(instances)
        demo.seed_store(store, config.sealer(), fleet)
        router = demo.DemoRouter(fleet)
        from cwdash.store.demochatwoot import DemoChatwoot

        ryze_key = generate_key()
        ryze_fleet = demoryze.ryze_fleet()
        ryze_store = Store.open(Path(tmp) / "ryzeapi.db", create=True)
        ryze_config = Config(db_path=ryze_store.path, key_text=ryze_key)
        demoryze.seed_ryze_store(ryze_store, ryze_config.sealer(), ryze_fleet)
        with (
            SimBridge(router, token="demo-bridge-token") as bridge,
            SimBridge(router, token="demo-bridge-token", tls=self_signed_context()) as tls_bridge,
            demoryze.ryze_server(ryze_fleet) as ryze,
            DemoChatwoot() as chatwoot,  # v: every verify diagnosis on a few instances
        ):
            chatwoot.wire(store, config.sealer(), fleet)
            config = Config(
                db_path=config.db_path,
                key_text=key,
                bridge_url=bridge.url,
                bridge_token="demo-bridge-token",
                no_reveal=no_reveal,
            )
            main = BridgeSource(bridge.url, "demo-bridge-token", timeout=config.live_timeout)
            tls = BridgeSource(tls_bridge.url, "demo-bridge-token", timeout=config.live_timeout)
            routes = {inst.bridge_id: tls for inst in fleet if inst.behaviour == "tls"}
            no_gateway = frozenset(inst.name for inst in fleet if inst.behaviour == "nogateway")
            model = demo.DemoReadModel(
                store, config.sealer(), demo.RoutedSource(main, routes), no_gateway=no_gateway
            )
            ryze_config = Config(
                db_path=ryze_store.path,
                key_text=ryze_key,
                ryzeapi_url=ryze.url,
                ryzeapi_token=demoryze.RYZE_TOKEN,
                source="ryzeapi",
                no_reveal=no_reveal,
            )
            sites = [
                SiteSpec(demoryze.BRIDGE_SITE, config, store, model),
                SiteSpec(
                    demoryze.RYZE_SITE,
                    ryze_config,
                    ryze_store,
                    ReadModel.from_config(ryze_config, ryze_store),
                ),
            ]
            vanish = demo.delete_later(config.db_path, fleet)
            try:
                yield CwdashApp(
                    config,
                    store,
                    model,
                    no_reveal=no_reveal,
                    label="demo",
                    sites=sites,
                    timing=Timing(connections_every=10.0),  # the simulated numbers change as you watch
                    bell=bell,
                    on_change=on_change,
                )
            finally:
                vanish.cancel()
                store.close()
                ryze_store.close()
