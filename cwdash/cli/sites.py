"""``cwdash site add NAME`` and ``cwdash site list``: sites (:mod:`cwdash.store.sites`).

``site add`` writes the site's env file (mode 600) with a fresh key and its own store
path, creates that store bound to the key, and takes the RyzeAPI (or bridge) URL as an
option and its token from stdin, never from the command line (it would show in ``ps``).
"""

from __future__ import annotations

import argparse
import sys

from cwdash.cli import output
from cwdash.cli.common import EXIT_OK, EXIT_USAGE, Failure
from cwdash.store import keyguard, liveconfig, redact, sites
from cwdash.store.config import generate_key, parse_key
from cwdash.store.db import Store
from cwdash.store.sealing import Sealer
from cwdash.store.text import one_line


def cmd_site(args: argparse.Namespace) -> int:
    if args.site_command == "add":
        return _add(args)
    return _list(args)


def _add(args: argparse.Namespace) -> int:
    name = sites.check_site_name(args.name)
    values: dict[str, str] = {"CWDASH_DB": str(sites.site_db_path(name))}
    key = generate_key()
    redact.register(key)
    values["CWDASH_KEY"] = key
    token = sys.stdin.readline().strip() if args.token_stdin else None
    if args.token_stdin and not token:
        raise Failure("--token-stdin: the first line of stdin is empty", EXIT_USAGE)
    if token:
        redact.register(token)
    if args.ryzeapi_url and args.bridge_url:
        raise Failure("a site reads one source: give --ryzeapi-url or --bridge-url, not both", EXIT_USAGE)
    if args.ryzeapi_url:
        values["RYZEAPI_URL"] = liveconfig.ryzeapi_url({"RYZEAPI_URL": args.ryzeapi_url}) or ""
        if token:
            values["RYZEAPI_TOKEN"] = liveconfig.ryzeapi_token({"RYZEAPI_TOKEN": token}) or ""
    elif args.bridge_url:
        values["BRIDGE_URL"] = liveconfig.bridge_url({"BRIDGE_URL": args.bridge_url}) or ""
        if token:
            values["BRIDGE_TOKEN"] = liveconfig.bridge_token({"BRIDGE_TOKEN": token}) or ""
    elif token:
        raise Failure("--token-stdin needs --ryzeapi-url or --bridge-url", EXIT_USAGE)
    path = sites.create_site(name, values)
    db_path = sites.site_db_path(name)
    db_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = Store.open(db_path, create=True)
    try:
        keyguard.bind_key(store, Sealer(parse_key(key)))
    finally:
        store.close()
    print(f"site {name} written to {path} (mode 600), with a new key and the store {db_path}")
    if not (args.ryzeapi_url or args.bridge_url):
        print(f"add RYZEAPI_URL and RYZEAPI_TOKEN (or BRIDGE_URL and BRIDGE_TOKEN) to {path}")
    print(f"use it with `cwdash --site {name} ...` (sync: `cwdash --site {name} sync`)")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    rows = []
    for entry in sites.load_all():
        config = entry.config
        rows.append(
            {
                "site": entry.site.name,
                "file": str(entry.site.path),
                "source": (config.live_source_name or "none") if config else None,
                "store": str(config.db_path) if config else None,
                "problem": entry.problem,
            }
        )
    if args.json:
        output.print_json(rows)
        return EXIT_OK
    if not rows:
        print(f"no sites in {sites.sites_dir()}; create one with `cwdash site add NAME`")
        return EXIT_OK
    width = max(4, *(len(r["site"]) for r in rows))
    print(f"{'SITE':<{width}}  {'SOURCE':<8}  STORE")
    for r in rows:
        if r["problem"]:
            print(f"{r['site']:<{width}}  {'-':<8}  cannot be loaded: {one_line(r['problem'], 300)}")
        else:
            print(f"{r['site']:<{width}}  {r['source']:<8}  {one_line(r['store'], 200)}")
    return EXIT_OK
