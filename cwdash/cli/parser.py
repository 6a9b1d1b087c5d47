"""The ``cwdash`` command line's parser: every command, its options and their checks.

Built only for a command line that has something to parse (:func:`cwdash.cli.main.main`
reads a bare ``cwdash`` and ``cwdash --all-sites`` without it): argparse and the
subparsers cost the dashboard's start ~10 ms, and this module's code is most of
:mod:`cwdash.cli.main`'s size.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn


def build_parser() -> argparse.ArgumentParser:
    from cwdash.cli.common import EXIT_USAGE
    from cwdash.store.document import FLAG_MEANINGS

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            self.print_usage(sys.stderr)
            self.exit(EXIT_USAGE, f"cwdash: {message}\n")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--env-file",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="read configuration from this env file (instead of ./.env; "
        "$XDG_CONFIG_HOME/cwdash/env is read beneath it; the environment wins over both)",
    )
    common.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="the SQLite store (default $CWDASH_DB or the per-user store)",
    )
    common.add_argument(
        "--site",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="use site NAME's env file ($XDG_CONFIG_HOME/cwdash/sites/NAME.env) instead of .env",
    )
    common.add_argument(
        "--source",
        choices=("bridge", "ryzeapi"),
        default=argparse.SUPPRESS,
        help="the live source (default $CWDASH_SOURCE, else bridge when BRIDGE_URL and BRIDGE_TOKEN "
        "are set, else ryzeapi when RYZEAPI_URL and RYZEAPI_TOKEN are)",
    )
    common.add_argument(
        "--log-file",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="where failures are logged (default $CWDASH_LOG_FILE or $XDG_STATE_HOME/cwdash/cwdash.log)",
    )
    common.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default=argparse.SUPPRESS,
        help="colour the status words: auto (a terminal, NO_COLOR unset), always, never",
    )
    common.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="print only errors and answers"
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="say on stderr where the configuration came from and how live reads go",
    )
    ui = argparse.ArgumentParser(add_help=False)
    ui.add_argument(
        "--no-reveal",
        action="store_true",
        default=argparse.SUPPRESS,
        help="never reveal or copy a token (demos, screen sharing)",
    )
    ui.add_argument(
        "--ascii",
        action="store_true",
        default=argparse.SUPPRESS,
        help="draw with ASCII only (automatic where the locale is not UTF-8; or CWDASH_ASCII=1)",
    )
    ui.add_argument(
        "--bell",
        action="store_true",
        default=argparse.SUPPRESS,
        help="ring the terminal bell on an alert (or bell = true in config.toml)",
    )
    ui.add_argument(
        "--on-change",
        metavar="CMD",
        default=argparse.SUPPRESS,
        help="run CMD (no shell) for every transition the dashboard sees; the details in "
        "CWDASH_INSTANCE, CWDASH_SITE, CWDASH_FIELD, CWDASH_OLD, CWDASH_NEW, CWDASH_ERROR, CWDASH_AT",
    )

    parser = _Parser(
        prog="cwdash",
        parents=[common, ui],
        description="Watch the Chatwoot integrations of a RyzeAPI gateway. Without a command, opens the dashboard.",
        epilog="exit codes: 0 ok (live or local fallback), 4 not found, 5 gateway not configured, "
        "1 other failure, 2 usage, 141 output cut short by its reader (e.g. | head)",
    )
    from cwdash import __version__

    parser.add_argument("--version", action="version", version=f"cwdash {__version__}")
    parser.add_argument(
        "--all-sites",
        action="store_true",
        help="one dashboard over every site ($XDG_CONFIG_HOME/cwdash/sites/*.env), each with its own store and key",
    )
    parser.set_defaults(command="dashboard")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, help_text: str, *parents: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text, parents=[common, *parents])
        p.set_defaults(command=name)
        return p

    p = add("demo", "open the dashboard on a built-in demo fleet and a simulated gateway", ui)
    p.add_argument("--instances", type=int, default=36, metavar="N", help="demo fleet size (default 36)")
    p = add("status", "one instance's Chatwoot status, like RyzeAPI's Status / info", ui)
    p.add_argument("name")
    p.add_argument(
        "--json",
        action="store_true",
        help="print exactly the status document (token included and audited; masked with --no-reveal)",
    )
    p.add_argument("--local", action="store_true", help="skip the live read (and the gateway check)")
    p = add("list", "every instance with its local status (no live reads, no tokens)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument(
        "--json", action="store_true", help="a JSON array: each status document without its token"
    )
    fmt.add_argument(
        "--csv",
        action="store_true",
        help="CSV: the table's columns and every status-document field but the token; a cell "
        "starting with = + - @ or a tab or CR gets a leading ' (so a spreadsheet shows it as text)",
    )
    p = add("import", "upsert status documents from a JSON array or JSON Lines file (- for stdin)")
    p.add_argument("file")
    p = add("add", "add an instance (without integration)")
    p.add_argument("name")
    p = add("set", "create or update an instance's Chatwoot integration, like RyzeAPI's set")
    p.add_argument("name")
    p.add_argument("--base-url")
    p.add_argument("--account-id", type=int)
    p.add_argument("--inbox-name")
    p.add_argument("--bridge-id")
    p.add_argument("--token-stdin", action="store_true", help="read the token from the first line of stdin")
    p.add_argument("--token-prompt", action="store_true", help="ask for a new token at a hidden prompt")
    for flag, meaning in FLAG_MEANINGS.items():
        p.add_argument(
            f"--{flag.replace('_', '-')}",
            dest=flag,
            action=argparse.BooleanOptionalAction,
            default=None,
            help=meaning.replace("%", "%%"),
        )
    p = add("delete", "remove an instance's Chatwoot integration")
    p.add_argument("name")
    add(
        "init",
        "create the store and its key, kept in $XDG_CONFIG_HOME/cwdash/env (or --env-file); "
        "an existing key is kept, never overwritten",
    )
    add("keygen", "print a fresh CWDASH_KEY")
    add("rekey", "re-seal every token under a new key and store it in the .env (crash-safe)")
    p = add("audit", "list every reveal and copy of a token")
    p.add_argument("--json", action="store_true")
    p = add("doctor", "check the configuration, the store, the key, the live source and the clipboard")
    p.add_argument("--json", action="store_true", help="the same checks as JSON")
    p = add("completion", "print a shell completion script (bash, zsh or fish)")
    p.add_argument("shell", choices=("bash", "zsh", "fish"))
    _add_sync_and_site(add)
    _add_check_and_history(add)
    _add_verify(add)
    _add_serve(add, ui)
    return parser


def _add_verify(add: Callable[..., argparse.ArgumentParser]) -> None:
    """``verify NAME`` / ``verify --all``: the tokens checked against Chatwoot (cwdash.cli.verify)."""
    p = add("verify", "check that integrations' Chatwoot tokens work: profile, account role, inbox")
    p.add_argument("name", nargs="?", help="the instance to verify")
    p.add_argument("--all", action="store_true", help="verify every instance with an integration")
    p.add_argument("--json", action="store_true", help="the result(s) as JSON")
    p.add_argument(
        "--budget", type=float, default=10.0, metavar="SECONDS", help="time for one whole check (10)"
    )
    p.add_argument(
        "--concurrency", type=int, default=4, metavar="N", help="verifies at a time with --all (4)"
    )
    p.add_argument(
        "--rate", type=float, default=5.0, metavar="N", help="verifies started a second at most (5)"
    )


def _add_serve(add: Callable[..., argparse.ArgumentParser], ui: argparse.ArgumentParser) -> None:
    """``serve``: the dashboard in a browser (textual-serve, loaded only when it runs)."""
    p = add("serve", "serve the dashboard to a browser (127.0.0.1 only; no login: see --host)", ui)
    p.add_argument("--port", type=_port, default=8000, help="the port to listen on (default 8000)")
    p.add_argument(
        "--demo", action="store_true", help="serve the demo (reveal and copy stay on: made-up tokens)"
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="listen on this address instead of 127.0.0.1; needs --i-know-this-has-no-login",
    )
    p.add_argument(
        "--i-know-this-has-no-login",
        action="store_true",
        help="allow --host: there is no login, every browser that reaches the port gets your view",
    )
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use to reach this server (needed with --host 0.0.0.0, or behind a proxy)",
    )


def _add_sync_and_site(add: Callable[..., argparse.ArgumentParser]) -> None:
    """``sync`` (RyzeAPI's own API into the store) and ``site add|list``."""
    p = add("sync", "fill and refresh the store from RyzeAPI's own API (RYZEAPI_URL, RYZEAPI_TOKEN)")
    p.add_argument("--dry-run", action="store_true", help="read and print the changes, write nothing")
    p.add_argument("--json", action="store_true", help="print a machine summary")
    p.add_argument("--names", metavar="A,B", help="sync only these instances")
    p.add_argument("--prune", action="store_true", help="remove instances no longer listed upstream")
    p.add_argument(
        "--max-age",
        type=float,
        default=1800.0,
        metavar="SECONDS",
        help="re-read an unchanged instance only when synced longer ago than this (default 1800; 0: all)",
    )
    p = add("site", "manage sites: several RyzeAPI deployments, each with its own store, key and source")
    site = p.add_subparsers(title="site commands", dest="site_command", metavar="SITE_COMMAND", required=True)
    q = site.add_parser("add", help="create a site with its own key and store")
    q.add_argument("name")
    q.add_argument("--ryzeapi-url", metavar="URL", help="the site's RYZEAPI_URL")
    q.add_argument("--bridge-url", metavar="URL", help="the site's BRIDGE_URL")
    q.add_argument(
        "--token-stdin", action="store_true", help="read the URL's token from the first line of stdin"
    )
    q = site.add_parser("list", help="list the sites")
    q.add_argument("--json", action="store_true")


def _add_check_and_history(add: Callable[..., argparse.ArgumentParser]) -> None:
    """``check`` (the health check for cron and monitoring) and ``history NAME``."""
    p = add(
        "check",
        "live-read the fleet and print one monitoring-plugin line; exit 0 OK, 1 WARNING, 2 CRITICAL, "
        "3 UNKNOWN",
    )
    p.epilog = (
        "thresholds: N (a count) or N%% (of the instances checked), for every category, or "
        "CATEGORY=N[%%] items (error, disconnected, unreachable), comma-separated: --warn 0,disconnected=10%%. "
        "A category exceeds a threshold when its count is greater (--warn 1 warns at 2). "
        "Without --warn and --crit, any instance in a category warns. Writes nothing but history."
    )
    p.add_argument("--names", metavar="A,B", help="check only these instances")
    p.add_argument("--warn", metavar="SPEC", help="WARNING above these counts or shares (see below)")
    p.add_argument("--crit", metavar="SPEC", help="CRITICAL above these counts or shares")
    p.add_argument("--json", action="store_true", help="every instance's result, then the summary")
    _add_on_change(p)
    p = add("history", "the transitions cwdash recorded for one instance, oldest first, times in UTC")
    p.add_argument("name")
    p.add_argument(
        "--since",
        default="24h",
        metavar="WHEN",
        help="how far back: 90m, 24h, 7d, or an ISO 8601 time (default 24h)",
    )
    p.add_argument("--json", action="store_true")


def _add_on_change(p: argparse.ArgumentParser) -> None:
    """``--on-change CMD``, shared by the commands that observe the fleet."""
    p.add_argument(
        "--on-change",
        metavar="CMD",
        help="run CMD for each transition, with CWDASH_INSTANCE, CWDASH_SITE, CWDASH_FIELD, CWDASH_OLD, "
        "CWDASH_NEW, CWDASH_ERROR, CWDASH_AT (UTC) in an environment of its own (no token or key). "
        "CMD is split like a shell would but run without one: for pipes or $VARIABLES, give sh -c '...'",
    )
    p.add_argument(
        "--hook-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="kill an --on-change command still running after this long (default 10)",
    )


def _port(text: str) -> int:
    """argparse type for ``serve --port``: 1 to 65535."""
    try:
        port = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, not {port}")
    return port


def parsed(argv: list[str]) -> argparse.Namespace:
    """The command line parsed and checked (a usage problem exits 2 with the parser's message)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("env_file", "db", "log_file", "site", "source"):
        if not hasattr(args, name):
            setattr(args, name, None)
    if args.site and args.env_file:
        parser.error("--site and --env-file both name an env file; give one")
    if getattr(args, "all_sites", False):
        clash = [
            flag
            for flag, value in (("--site", args.site), ("--db", args.db), ("--env-file", args.env_file))
            if value
        ]
        if clash:
            parser.error(
                f"--all-sites opens every site with its own store and env file: drop {' and '.join(clash)}"
            )
        if args.command != "dashboard":
            parser.error(
                "--all-sites is for the dashboard (`cwdash --all-sites`); other commands take --site NAME"
            )
    if not hasattr(args, "no_reveal"):
        args.no_reveal = False
    if getattr(args, "quiet", False) and getattr(args, "verbose", False):
        parser.error("-q and -v cannot be used together")
    args.color = getattr(args, "color", "auto")
    return args
