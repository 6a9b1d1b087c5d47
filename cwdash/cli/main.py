"""The ``cwdash`` command line.

Headless commands (``status``, ``list``, ``import``, ``set``, ...) never import
Textual, so they start fast; only the dashboard and ``demo`` load it, lazily.

Exit codes: 0 success (live or fallen back to local), 4 a mapped 404, 5 the mapped
503, 1 anything else that went wrong (undecryptable token, broken store), 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from cwdash.store import envfile, keyguard, logfile, redact
from cwdash.store.config import Config, ConfigError, generate_key, load_config, parse_key
from cwdash.store.db import IntegrationRow, Store, StoreError
from cwdash.store.document import (
    FLAG_MEANINGS,
    InvalidRecord,
    check_account_id,
    check_integration_id,
    check_name,
    normalize_base_url,
)
from cwdash.store.live import LiveFailure
from cwdash.store.readmodel import (
    BAD_ROW_STATUS,
    INSTANCE_NOT_FOUND,
    NOTHING_TO_DELETE,
    MappedError,
    ReadModel,
    StatusRead,
)
from cwdash.store.sealing import Sealer, TokenError
from cwdash.store.secret import Secret
from cwdash.store.text import cell_width, literal, one_line
from cwdash.store.timefmt import age

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_UNAVAILABLE = 0, 1, 2, 4, 5
MASK = "••••••••"


class Failure(Exception):
    """Ends a command with a message on stderr and an exit code."""

    def __init__(self, message: str, code: int = EXIT_FAIL) -> None:
        super().__init__(message)
        self.code = code


def _exit_for(error: MappedError) -> int:
    if error.http_status == BAD_ROW_STATUS:
        return EXIT_FAIL
    return EXIT_UNAVAILABLE if error.http_status == 503 else EXIT_NOT_FOUND


def _err(message: str) -> None:
    print(f"cwdash: {one_line(message, 2000)}", file=sys.stderr)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(value: object, *, ascii_only: bool = False) -> str:
    """``value`` as JSON that any reader parses and any UTF-8 stream can carry.

    Text is kept readable (not ``\\u``-escaped), except lone surrogates (a live
    ``"\\ud800"`` decodes to one): they cannot be encoded as UTF-8, so they are written
    as the same ``\\udXXX`` escapes a JSON parser reads back to the same string.
    """
    text = json.dumps(value, ensure_ascii=ascii_only, indent=2)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _print_json(value: object) -> None:
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    sys.stdout.write(json_text(value, ascii_only=encoding != "utf8") + "\n")


def _config(args: argparse.Namespace) -> Config:
    config = load_config(args.env_file, args.db)
    redact.register_config(config)  # blanked in the log from here on
    warning = config.env_warning()
    if warning:
        _err(warning)
    return config


def _open_store(config: Config, *, create: bool = False) -> Store:
    store = Store.open(config.db_path, create=create)
    for warning in (store.notice, store.permissions_warning()):
        if warning:
            _err(warning)
    return store


# -- status / list ---------------------------------------------------------------


def _describe_failure(failure: LiveFailure | None) -> str:
    return f"{failure.describe()} ({failure.reason.hint})" if failure else ""


def cmd_status(args: argparse.Namespace) -> int:
    config = _config(args)
    store = _open_store(config)
    model = ReadModel.from_config(config, store, live=not args.local)

    async def run() -> Any:
        try:
            return await model.status(args.name, live=not args.local)
        finally:
            await model.aclose()

    result = asyncio.run(run())
    if isinstance(result, MappedError):
        if args.json:
            _print_json(result.envelope())
        _err(f"{result.message} ({result.hint})")
        return _exit_for(result)
    assert isinstance(result, StatusRead)
    if result.failure is not None:
        _err(f"live read failed, showing local status: {_describe_failure(result.failure)}")
    if result.backfill_error:
        _err(f"inbox id not saved, will be retried on the next read: {result.backfill_error}")
    if args.json:
        try:
            document = result.document.as_json()
        except TokenError as exc:
            _print_json({"success": False, "error": {"message": str(exc)}})
            raise Failure(str(exc)) from None
        if args.no_reveal or config.no_reveal:
            document["chatwoot_api_token"] = MASK
            _err("the token is masked: reveal is off (--no-reveal or CWDASH_NO_REVEAL)")
        else:
            _audit_print(store, result.document.instance_name)
        _print_json(document)
        return EXIT_OK
    problem = _token_problem(result)
    print(_status_text(result, problem))
    if problem:
        _err(problem)
        return EXIT_FAIL
    return EXIT_OK


def _audit_print(store: Store, name: str) -> None:
    """Record a plaintext token about to be printed, like a reveal in the dashboard.

    When it cannot be recorded (a read-only store) the token is still printed, with a
    warning: the status document carries the token by RyzeAPI's contract and scripts
    rely on it, and whoever can run this can open the token anyway; the warning makes
    the unrecorded print visible instead of silently blocking the read.
    """
    try:
        store.record_audit(name, "print")
    except StoreError as exc:
        _err(f"warning: this print of the token is not in the audit, it could not be recorded: {exc}")


def _token_problem(result: StatusRead) -> str | None:
    try:
        result.document.chatwoot_api_token.open()
    except TokenError as exc:
        return str(exc)
    return None


def _status_text(result: StatusRead, token_problem: str | None) -> str:
    doc = result.document
    source = "live" if result.source == "live" else "local"
    if result.source == "local" and result.failure is None:
        source = "local (live read skipped)"
    elif result.failure is not None:
        source = f"local — {result.failure.reason.title}"
    rows = [
        ("status", f"{doc.status.upper()}  [{source}]"),
        ("bridge integration", doc.bridge_integration_id),
        ("chatwoot", f"{doc.chatwoot_base_url}  account {doc.chatwoot_account_id}"),
        (
            "inbox",
            f"{doc.chatwoot_inbox_id or '— (not known yet)'}  {doc.chatwoot_inbox_name}"
            + ("  (backfilled)" if result.backfilled else ""),
        ),
        (
            "token",
            f"cannot be opened ({token_problem})" if token_problem else f"{MASK} (masked; --json prints it)",
        ),
        ("last error", doc.last_error or "—"),
        ("created", f"{doc.created_at}  ({age(doc.created_at)})"),
    ]
    for flag, meaning in FLAG_MEANINGS.items():
        rows.append((flag, f"{'on ' if getattr(doc, flag) else 'off'}  {meaning}"))
    width = max(len(k) for k, _ in rows)
    lines = [one_line(doc.instance_name, 200)]
    lines += [f"  {k.ljust(width)}  {literal(v, limit=4000)}" for k, v in rows]
    return "\n".join(lines)


def cmd_list(args: argparse.Namespace) -> int:
    config = _config(args)
    store = _open_store(config)
    rows = store.list_rows()
    bad = [r for r in rows if r.bad]
    if bad:
        _err(
            f"{len(bad)} bad row(s) in the store, written by another tool (first: "
            f"{bad[0].name!r}, bad row: {bad[0].bad}); `cwdash delete NAME` and set them again"
        )
    if args.json:
        _print_json(_list_json(store, rows))
        return EXIT_OK
    if not rows:
        print("no instances in the store; add some with `cwdash import FILE` or `cwdash add NAME`")
        return EXIT_OK
    header = ("INSTANCE", "STATUS", "INBOX", "CHATWOOT", "LAST ERROR")
    table = [
        (
            one_line(r.name, 40),
            "BAD ROW" if r.bad else r.status.upper() if r.has_integration else "NO INTEGRATION",
            str(r.inbox_id or "—") if r.has_integration and not r.bad else "",
            one_line(r.base_url, 50),
            f"bad row: {r.bad}" if r.bad else one_line(r.last_error, 60),
        )
        for r in rows
    ]
    widths = [max(len(header[i]), *(cell_width(t[i]) for t in table)) for i in range(4)]
    for line in [header, *table]:
        cells = (c + " " * (w - cell_width(c)) for c, w in zip(line[:4], widths, strict=True))
        print("  ".join(cells) + "  " + line[4])
    return EXIT_OK


def _list_json(store: Store, rows: list) -> list[dict[str, object]]:
    """``list --json``: a status document without its token per integration, the name
    alone for an instance without one, the name and ``bad_row`` for a bad row."""
    from cwdash.store.document import StatusDocument
    from cwdash.store.rows import BadRow

    by_name = {r.name if isinstance(r, BadRow) else r.instance_name: r for r in store.integration_records()}
    out: list[dict[str, object]] = []
    for row in rows:
        record = by_name.get(row.name)
        if row.bad or isinstance(record, BadRow):
            out.append({"instance_name": row.name, "bad_row": row.bad or record.field})  # type: ignore[union-attr]
        elif record is None or not row.has_integration:
            out.append({"instance_name": row.name})
        else:
            out.append(StatusDocument.from_row(record, None).as_json(include_token=False))
    return out


# -- writes ----------------------------------------------------------------------


def cmd_import(args: argparse.Namespace) -> int:
    from cwdash.store.importer import ImportError_, import_text

    config = _config(args)
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Failure(f"cannot read {args.file}: {exc}") from None
    sealer = config.sealer()
    store = _open_store(config, create=True)
    try:
        summary = import_text(store, sealer, text)
    except (ImportError_, keyguard.KeyMismatch) as exc:
        raise Failure(f"import refused, nothing written: {exc}") from None
    print(f"imported {summary.instances} instance(s), {summary.integrations} with an integration")
    return EXIT_OK


def cmd_add(args: argparse.Namespace) -> int:
    config = _config(args)
    try:
        name = check_name(args.name)
    except InvalidRecord as exc:
        raise Failure(str(exc), EXIT_USAGE) from None
    store = _open_store(config, create=True)
    if store.add_instance(name):
        print(f"added instance {one_line(name)}")
    else:
        print(f"instance {one_line(name)} already exists")
    return EXIT_OK


def _read_token(args: argparse.Namespace, *, required: bool) -> str | None:
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


def cmd_set(args: argparse.Namespace) -> int:
    """Create or update one integration. Only what the options name changes; the token,
    read last (it may wait on a prompt), is sealed inside the write transaction under the
    key the store holds then, so a rekey meanwhile makes this refuse instead of losing it."""
    config = _config(args)
    sealer = config.sealer()
    store = _open_store(config, create=True)
    if not store.instance_exists(args.name):
        _err(f"{INSTANCE_NOT_FOUND.message} (add it first with `cwdash add NAME`)")
        return EXIT_NOT_FOUND
    existing = store.integration(args.name)
    changes: dict[str, Any] = {}
    if existing is None:
        missing = [
            f"--{opt}"
            for opt, value in (
                ("base-url", args.base_url),
                ("account-id", args.account_id),
                ("inbox-name", args.inbox_name),
                ("bridge-id", args.bridge_id),
            )
            if value is None
        ]
        if missing:
            raise Failure(f"a new integration needs {', '.join(missing)}", EXIT_USAGE)
        from cwdash.store.db import now_rfc3339

        changes = {
            "status": "active",
            "chatwoot_inbox_id": 0,
            "created_at": now_rfc3339(),
            **{flag: False for flag in FLAG_MEANINGS},
        }
    try:
        if args.base_url is not None:
            changes["chatwoot_base_url"] = normalize_base_url(args.base_url)
        if args.account_id is not None:
            changes["chatwoot_account_id"] = check_account_id(args.account_id)
    except InvalidRecord as exc:
        raise Failure(str(exc), EXIT_USAGE) from None
    if args.inbox_name is not None:
        changes["chatwoot_inbox_name"] = args.inbox_name
    if args.bridge_id is not None:
        try:
            changes["bridge_integration_id"] = check_integration_id(args.bridge_id)
        except InvalidRecord as exc:
            raise Failure(f"--bridge-id: {exc}", EXIT_USAGE) from None
    for flag in FLAG_MEANINGS:
        chosen = getattr(args, flag)
        if chosen is not None:
            changes[flag] = chosen
    token = _read_token(args, required=existing is None)
    secret = Secret(token) if token is not None else None
    del token
    changes["last_error"] = ""
    created = keyguard.save_integration(store, args.name, changes, secret, sealer)
    print(f"{'created' if created else 'updated'} the Chatwoot integration of {one_line(args.name)}")
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    config = _config(args)
    store = _open_store(config)
    if not store.instance_exists(args.name):
        _err(INSTANCE_NOT_FOUND.message)
        return EXIT_NOT_FOUND
    if not store.delete_integration(args.name):
        _err(NOTHING_TO_DELETE.message)
        return EXIT_NOT_FOUND
    print(f"removed the Chatwoot integration of {one_line(args.name)}")
    return EXIT_OK


# -- keys and set-up -------------------------------------------------------------


def cmd_keygen(args: argparse.Namespace) -> int:
    print(generate_key())
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    """Keep the key there is, or mint one, never for a store whose tokens are under another."""
    env_path = Path(args.env_file) if args.env_file else Path(".env")
    if args.env_file:
        existing = load_config(env_path if env_path.is_file() else None, args.db, default_env=False)
    else:
        existing = load_config(None, args.db)  # ./.env, refused when another user owns it
    if existing.key_text:
        config = existing
        keys = config.sealer()  # a bad existing key is reported, never replaced
        print(f"keeping the existing key ({'environment' if 'CWDASH_KEY' in os.environ else env_path})")
    else:
        held = keyguard.peek(existing.db_path)
        if held is not None and held.tokens:
            raise Failure(
                f"refusing to create a new CWDASH_KEY: the store {held.path} holds {held.tokens} token(s) "
                f"{held.sealed_with()}, and a new key would open none of them. cwdash {existing.looked_in()}; "
                "put the store's key in one of them (or name its env file with --env-file PATH) "
                "and run `cwdash init` again"
            )
        minted = generate_key()
        redact.register(minted)  # blanked in the log from here on, like every key
        print(envfile.add_value(env_path, "CWDASH_KEY", minted))
        config = load_config(env_path, args.db)
        keys = config.sealer()
    store = _open_store(config, create=True)
    keyguard.bind_key(store, keys)  # the store now names its key; refused if its tokens are under another
    print(f"store ready at {store.path}")
    if not config.gateway_configured:
        print("set BRIDGE_URL and BRIDGE_TOKEN (environment or .env) for live reads")
    return EXIT_OK


def _set_env_values(path: Path, updates: dict[str, str | None]) -> int:
    """Set (or, with None, remove) variables in the .env: see :func:`cwdash.store.envfile.set_values`."""
    return envfile.set_values(path, updates)


def cmd_rekey(args: argparse.Namespace) -> int:
    """Re-seal every token under a new key, in one transaction, crash-safe.

    1. every token is opened first (refused, nothing changed, if one cannot be);
    2. the new key is written to the .env as CWDASH_KEY_NEXT: from here on tokens
       open under either key, whatever happens next;
    3. one transaction re-seals every token under the new key;
    4. the new key replaces CWDASH_KEY and CWDASH_KEY_NEXT goes.
    Interrupted anywhere, every token stays readable, and running rekey again finishes
    the job with the same new key.
    """
    env_path = Path(args.env_file) if args.env_file else Path(".env")
    if "CWDASH_KEY" in os.environ:
        raise Failure(
            "CWDASH_KEY is set in the environment, which rekey cannot rewrite; keep the key in "
            f"{env_path} instead (unset CWDASH_KEY) and run rekey again",
            EXIT_USAGE,
        )
    if not env_path.is_file():
        raise Failure(f"no {env_path}: rekey replaces the key in the .env file that holds it", EXIT_USAGE)
    config = _config(args)
    current = config.key()
    new_text = config.next_key_text or generate_key()  # an interrupted rekey is finished, not restarted
    redact.register(new_text)
    new = parse_key(new_text, "CWDASH_KEY_NEXT")
    reader = Sealer(current, [new])
    writer = Sealer(new)
    store = _open_store(config)
    held = keyguard.recorded(store.conn)
    if held is not None and reader.for_fingerprint(held) is None:
        raise Failure(
            f"rekey refused, nothing changed: the store's tokens are sealed with key {held}, "
            f"and CWDASH_KEY is key {reader.fingerprint}"
        )

    def reseal(rows: list[IntegrationRow]) -> dict[str, str]:
        out: dict[str, str] = {}
        problems: list[str] = []
        for row in rows:
            try:
                secret = reader.open(row.instance_name, row.sealed_token)
            except TokenError as exc:
                problems.append(str(exc))
                continue
            out[row.instance_name] = writer.seal(row.instance_name, secret)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise Failure(f"rekey refused, nothing changed: {problems[0]}{more}")
        return out

    reseal(store.integrations())  # a dry run: refuse before touching anything
    _set_env_values(env_path, {"CWDASH_KEY_NEXT": new_text})
    # again, inside one write transaction that also records the new key as the store's
    count = store.reseal_tokens(reseal, Sealer(new, [current]))
    mode = _set_env_values(env_path, {"CWDASH_KEY": new_text, "CWDASH_KEY_NEXT": None})
    print(f"re-sealed {count} token(s) under a new key; {env_path} now holds it (mode {mode:o})")
    print("keep a copy of the new key where you keep secrets: without it the tokens cannot be opened")
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    config = _config(args)
    store = _open_store(config)
    rows = store.audit()
    if args.json:
        _print_json([dict(zip(("at", "instance_name", "os_user", "action"), r, strict=True)) for r in rows])
        return EXIT_OK
    if not rows:
        print("no token has been revealed or copied")
    for at, name, user, action in rows:
        print(f"{at}  {action:<6}  {one_line(user, 32):<12}  {one_line(name, 80)}")
    return EXIT_OK


# -- the dashboard -----------------------------------------------------------------


def cmd_dashboard(args: argparse.Namespace) -> int:
    from cwdash.tui.launch import run_dashboard

    return run_dashboard(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from cwdash.tui.launch import run_demo

    return run_demo(args)


# -- parser ------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"cwdash: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--env-file",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="read configuration from this .env file (default ./.env)",
    )
    common.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="the SQLite store (default $CWDASH_DB or the per-user store)",
    )
    common.add_argument(
        "--log-file",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="where failures are logged (default $CWDASH_LOG_FILE or $XDG_STATE_HOME/cwdash/cwdash.log)",
    )
    ui = argparse.ArgumentParser(add_help=False)
    ui.add_argument(
        "--no-reveal",
        action="store_true",
        default=argparse.SUPPRESS,
        help="never reveal or copy a token (demos, screen sharing)",
    )

    parser = _Parser(
        prog="cwdash",
        parents=[common, ui],
        description="Watch the Chatwoot integrations of a RyzeAPI gateway. Without a command, opens the dashboard.",
        epilog="exit codes: 0 ok (live or local fallback), 4 not found, 5 gateway not configured, "
        "1 other failure, 2 usage",
    )
    parser.set_defaults(func=cmd_dashboard)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    def add(
        name: str,
        func: Callable[[argparse.Namespace], int],
        help_text: str,
        *parents: argparse.ArgumentParser,
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text, parents=[common, *parents])
        p.set_defaults(func=func)
        return p

    p = add("demo", cmd_demo, "open the dashboard on a built-in demo fleet and a simulated gateway", ui)
    p.add_argument("--instances", type=int, default=36, metavar="N", help="demo fleet size (default 36)")
    p = add("status", cmd_status, "one instance's Chatwoot status, like RyzeAPI's Status / info", ui)
    p.add_argument("name")
    p.add_argument(
        "--json",
        action="store_true",
        help="print exactly the status document (token included and audited; masked with --no-reveal)",
    )
    p.add_argument("--local", action="store_true", help="skip the live read (and the gateway check)")
    p = add("list", cmd_list, "every instance with its local status (no live reads, no tokens)")
    p.add_argument("--json", action="store_true")
    p = add(
        "import", cmd_import, "upsert status documents from a JSON array or JSON Lines file (- for stdin)"
    )
    p.add_argument("file")
    p = add("add", cmd_add, "add an instance (without integration)")
    p.add_argument("name")
    p = add("set", cmd_set, "create or update an instance's Chatwoot integration, like RyzeAPI's set")
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
    p = add("delete", cmd_delete, "remove an instance's Chatwoot integration")
    p.add_argument("name")
    add("init", cmd_init, "write a .env with a fresh key (never overwriting one) and create the store")
    add("keygen", cmd_keygen, "print a fresh CWDASH_KEY")
    add("rekey", cmd_rekey, "re-seal every token under a new key and store it in the .env (crash-safe)")
    p = add("audit", cmd_audit, "list every reveal and copy of a token")
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("env_file", "db", "log_file"):
        if not hasattr(args, name):
            setattr(args, name, None)
    if not hasattr(args, "no_reveal"):
        args.no_reveal = False
    # Secrets known before any configuration is read; the file itself opens on the first record.
    redact.register(*(os.environ.get(v) for v in ("BRIDGE_TOKEN", "CWDASH_KEY", "CWDASH_KEY_NEXT")))
    redact.register_url(os.environ.get("BRIDGE_URL"))
    logfile.install(args.log_file)
    try:
        return args.func(args)
    except Failure as exc:
        _err(str(exc))
        return exc.code
    except (ConfigError, StoreError, TokenError) as exc:
        if not isinstance(exc, ConfigError):
            logging.getLogger("cwdash.store").warning("%s: %s", args.func.__name__, exc)
        _err(str(exc))
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_FAIL
    except Exception as exc:  # a bug: say where, never what (values may hold a token)
        hint = logfile.log_exception(f"internal error in {args.func.__name__}", exc)
        _err(
            f"internal error: {type(exc).__name__} at {_where(exc)}; please report it (no data was changed)"
            + (f"; {hint}" if hint else "")
        )
        return EXIT_FAIL


def _where(exc: BaseException) -> str:
    """File and line of the innermost frame: enough to find the bug, no values at all."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"


if __name__ == "__main__":
    sys.exit(main())
