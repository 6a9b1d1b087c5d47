"""The ``cwdash`` command line.

Headless commands (``status``, ``list``, ``import``, ``set``, ...) never import
Textual, so they start fast; only the dashboard and ``demo`` load it, lazily.

Exit codes: 0 success (live or fallen back to local), 4 a mapped 404, 5 the mapped
503, 1 anything else that went wrong (undecryptable token, broken store), 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from cwdash.store import logfile, redact
from cwdash.store.config import Config, ConfigError, generate_key, load_config, parse_key
from cwdash.store.db import IntegrationRow, Store, StoreError
from cwdash.store.document import (
    FLAG_MEANINGS,
    InvalidRecord,
    check_account_id,
    check_name,
    normalize_base_url,
)
from cwdash.store.live import LiveFailure
from cwdash.store.readmodel import (
    INSTANCE_NOT_FOUND,
    NOTHING_TO_DELETE,
    MappedError,
    ReadModel,
    StatusRead,
)
from cwdash.store.sealing import Sealer, TokenError
from cwdash.store.text import literal, one_line
from cwdash.store.timefmt import age

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_UNAVAILABLE = 0, 1, 2, 4, 5
MASK = "••••••••"


class Failure(Exception):
    """Ends a command with a message on stderr and an exit code."""

    def __init__(self, message: str, code: int = EXIT_FAIL) -> None:
        super().__init__(message)
        self.code = code


def _exit_for(error: MappedError) -> int:
    return EXIT_UNAVAILABLE if error.http_status == 503 else EXIT_NOT_FOUND


def _err(message: str) -> None:
    print(f"cwdash: {one_line(message, 2000)}", file=sys.stderr)


def _print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def _config(args: argparse.Namespace) -> Config:
    config = load_config(args.env_file, args.db)
    redact.register_config(config)  # blanked in the log from here on
    warning = config.env_warning()
    if warning:
        _err(warning)
    return config


def _open_store(config: Config, *, create: bool = False) -> Store:
    store = Store.open(config.db_path, create=create)
    warning = store.permissions_warning()
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
        _print_json(document)
        return EXIT_OK
    problem = _token_problem(result)
    print(_status_text(result, problem))
    if problem:
        _err(problem)
        return EXIT_FAIL
    return EXIT_OK


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
    if args.json:
        out: list[dict[str, object]] = []
        by_name = {r.instance_name: r for r in store.integrations()}
        for row in rows:
            integration = by_name.get(row.name)
            if integration is None:
                out.append({"instance_name": row.name})
                continue
            from cwdash.store.document import StatusDocument

            out.append(StatusDocument.from_row(integration, None).as_json(include_token=False))
        _print_json(out)
        return EXIT_OK
    if not rows:
        print("no instances in the store; add some with `cwdash import FILE` or `cwdash add NAME`")
        return EXIT_OK
    header = ("INSTANCE", "STATUS", "INBOX", "CHATWOOT", "LAST ERROR")
    table = [
        (
            one_line(r.name, 40),
            r.status.upper() if r.has_integration else "NO INTEGRATION",
            str(r.inbox_id or "—") if r.has_integration else "",
            one_line(r.base_url, 50),
            one_line(r.last_error, 60),
        )
        for r in rows
    ]
    widths = [max(len(header[i]), *(len(t[i]) for t in table)) for i in range(4)]
    for line in [header, *table]:
        print("  ".join(c.ljust(w) for c, w in zip(line[:4], widths, strict=True)) + "  " + line[4])
    return EXIT_OK


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
    except ImportError_ as exc:
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
    config = _config(args)
    sealer = config.sealer()
    store = _open_store(config, create=True)
    if not store.instance_exists(args.name):
        _err(f"{INSTANCE_NOT_FOUND.message} (add it first with `cwdash add NAME`)")
        return EXIT_NOT_FOUND
    existing = store.integration(args.name)
    values: dict[str, Any] = {}
    if existing is not None:
        values = {
            "instance_name": existing.instance_name,
            "status": existing.status,
            "bridge_integration_id": existing.bridge_integration_id,
            "chatwoot_base_url": existing.chatwoot_base_url,
            "chatwoot_account_id": existing.chatwoot_account_id,
            "chatwoot_api_token": existing.sealed_token,
            "chatwoot_inbox_id": existing.chatwoot_inbox_id,
            "chatwoot_inbox_name": existing.chatwoot_inbox_name,
            "last_error": existing.last_error,
            "created_at": existing.created_at,
            "sign_messages": existing.sign_messages,
            "ignore_groups": existing.ignore_groups,
            "start_as_pending": existing.start_as_pending,
            "reopen_resolved": existing.reopen_resolved,
        }
    else:
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

        values = {
            "instance_name": args.name,
            "status": "active",
            "chatwoot_inbox_id": 0,
            "last_error": "",
            "created_at": now_rfc3339(),
            **{flag: False for flag in FLAG_MEANINGS},
        }
    try:
        if args.base_url is not None:
            values["chatwoot_base_url"] = normalize_base_url(args.base_url)
        if args.account_id is not None:
            values["chatwoot_account_id"] = check_account_id(args.account_id)
    except InvalidRecord as exc:
        raise Failure(str(exc), EXIT_USAGE) from None
    if args.inbox_name is not None:
        values["chatwoot_inbox_name"] = args.inbox_name
    if args.bridge_id is not None:
        if not args.bridge_id.strip():
            raise Failure("--bridge-id is empty", EXIT_USAGE)
        values["bridge_integration_id"] = args.bridge_id
    for flag in FLAG_MEANINGS:
        chosen = getattr(args, flag)
        if chosen is not None:
            values[flag] = chosen
    token = _read_token(args, required=existing is None)
    if token is not None:
        values["chatwoot_api_token"] = sealer.seal(args.name, token)
        del token
    values["last_error"] = ""
    store.upsert_integration(values)
    print(f"{'updated' if existing else 'created'} the Chatwoot integration of {one_line(args.name)}")
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
    env_path = Path(args.env_file) if args.env_file else Path(".env")
    existing = load_config(env_path if env_path.is_file() else None, args.db)
    if existing.key_text:
        existing.key()  # a bad existing key is reported, never replaced
        print(f"keeping the existing key ({'environment' if 'CWDASH_KEY' in os.environ else env_path})")
    else:
        line = f"CWDASH_KEY={generate_key()}\n"
        if env_path.exists():
            with env_path.open("a", encoding="utf-8") as fh:
                if env_path.stat().st_size and not env_path.read_bytes().endswith(b"\n"):
                    fh.write("\n")
                fh.write(line)
            print(f"added a new CWDASH_KEY to {env_path}")
        else:
            fd = os.open(env_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write("# written by `cwdash init`; keep this file private (mode 600)\n" + line)
            print(f"wrote {env_path} with a new CWDASH_KEY (mode 600)")
    config = load_config(env_path, args.db)
    store = _open_store(config, create=True)
    print(f"store ready at {store.path}")
    if not config.gateway_configured:
        print("set BRIDGE_URL and BRIDGE_TOKEN (environment or .env) for live reads")
    return EXIT_OK


def _set_env_values(path: Path, updates: dict[str, str | None]) -> None:
    """Set (or, with None, remove) variables in a .env file, atomically and with mode 600.

    The new file is written beside the old one and renamed over it, so a crash leaves
    either the old file or the new one, never half of each.
    """
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    out: list[str] = []
    done: set[str] = set()
    for line in lines:
        name = line.strip().removeprefix("export ").split("=", 1)[0].strip()
        if name in updates:
            if name not in done and updates[name] is not None:
                out.append(f"{name}={updates[name]}")
            done.add(name)
            continue
        out.append(line)
    out += [f"{k}={v}" for k, v in updates.items() if k not in done and v is not None]
    tmp = path.with_name(f".{path.name}.cwdash-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(out) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


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
    new = parse_key(new_text)
    reader = Sealer(current, [new])
    writer = Sealer(new)
    store = _open_store(config)

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
    count = store.reseal_tokens(reseal)  # again, inside one write transaction
    _set_env_values(env_path, {"CWDASH_KEY": new_text, "CWDASH_KEY_NEXT": None})
    print(f"re-sealed {count} token(s) under a new key; {env_path} now holds it (mode 600)")
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
    p = add("status", cmd_status, "one instance's Chatwoot status, like RyzeAPI's Status / info")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="print exactly the status document (token included)")
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
