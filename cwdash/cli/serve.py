"""``cwdash serve``: the dashboard in a browser, through textual-serve.

textual-serve (Textualize's server for exactly this) starts one process per browser tab
from a shell command line and relays its screen over a websocket. That command is this
same cwdash (``python -m cwdash`` or ``python -m cwdash demo``) with the options that
name the configuration, and with reveal and copy forced off unless it is the demo: a
browser can be anyone who reaches the port. textual-serve has no login at all, so the
server listens on 127.0.0.1 unless ``--host`` and ``--i-know-this-has-no-login`` are
both given.

Nothing secret goes on the command line (it is visible in ``ps``): tokens reach the
served dashboard through the environment and configuration files it would read anyway,
as the same user. What the server prints (textual-serve copies a failing app's stderr
to stdout) passes through :func:`cwdash.store.redact.redact`.

Only this module imports textual-serve, and only when the command runs.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import io
import logging
import os
import shlex
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from cwdash.cli.common import EXIT_OK, EXIT_USAGE, config_of, err, open_store
from cwdash.store import redact

if TYPE_CHECKING:
    from aiohttp import web

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
NO_LOGIN_FLAG = "--i-know-this-has-no-login"
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


@dataclass(frozen=True)
class Served:
    """What textual-serve runs for each browser: the command line and the variables it adds."""

    argv: list[str]
    env: dict[str, str]
    demo: bool
    reveal: bool  # whether the served dashboard may reveal and copy tokens

    @property
    def command(self) -> str:
        """The shell command line (textual-serve runs it through the shell): quoted word by word."""
        return shlex.join(self.argv)


def served_command(args: argparse.Namespace, python: str | None = None) -> Served:
    """The dashboard (or the demo) as a command for textual-serve, from ``serve``'s options.

    Only options that name files, a site or a source are passed on, paths made absolute;
    reveal and copy are off (``--no-reveal`` and ``CWDASH_NO_REVEAL=1``) unless ``--demo``,
    whose tokens are made up.
    """
    argv = [python or sys.executable, "-m", "cwdash"]
    for option, name in (("--env-file", "env_file"), ("--db", "db"), ("--log-file", "log_file")):
        value = getattr(args, name, None)
        if value:
            argv += [option, str(Path(value).expanduser().absolute())]
    for option, name in (("--site", "site"), ("--source", "source")):
        value = getattr(args, name, None)
        if value:
            argv += [option, str(value)]
    demo = bool(getattr(args, "demo", False))
    reveal = demo and not getattr(args, "no_reveal", False)
    tail: list[str] = []
    if getattr(args, "ascii", False):
        tail.append("--ascii")
    if not reveal:
        tail.append("--no-reveal")
    if demo:
        argv += ["demo", *tail]
    else:
        argv += tail
    env = {} if reveal else {"CWDASH_NO_REVEAL": "1"}
    return Served(argv=argv, env=env, demo=demo, reveal=reveal)


def host_problem(host: str, allowed: bool) -> str | None:
    """Why ``--host`` is refused, or None: anything but 127.0.0.1 needs the no-login flag."""
    if host == DEFAULT_HOST or allowed:
        return None
    return (
        f"refusing to listen on {host}: `cwdash serve` has no login, so every browser that reaches "
        f"the port gets this server user's dashboard; add {NO_LOGIN_FLAG} if that is what you want "
        f"(or leave out --host to serve on {DEFAULT_HOST} only)"
    )


def public_url(host: str, port: int, given: str | None) -> str:
    """The address a browser opens (and connects its websocket back to)."""
    if given:
        return given.rstrip("/")
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class _Redacting(io.TextIOBase):
    """A text stream that blanks every known secret before writing on."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(redact.redact(text))
        return len(text)

    def flush(self) -> None:
        self._inner.flush()


class _RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact.redact(record.getMessage()), None
        record.exc_info = record.exc_text = None  # a traceback's text could hold anything
        return True


class _LateExit(logging.Filter):
    """asyncio's note that a browser's process ended after the server's loop closed (it is
    still reaped): noise after "stopped", nothing a user can act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "that handles pid" not in str(record.msg)


def cmd_serve(args: argparse.Namespace) -> int:
    problem = host_problem(args.host, args.i_know_this_has_no_login)
    if problem:
        err(problem)
        return EXIT_USAGE
    if args.host in WILDCARD_HOSTS and not args.public_url:
        err(
            f"--host {args.host or '(empty)'} listens on every address, so browsers need to be told "
            "which one to connect back to: add --public-url http://NAME:PORT"
        )
        return EXIT_USAGE
    served = served_command(args)
    if not args.demo:  # a missing store or key is said once here, not in every browser tab
        config = config_of(args)
        config.key()
        open_store(config).close()
    os.environ.update(served.env)  # textual-serve gives each app a copy of this environment
    url = public_url(args.host, args.port, args.public_url)
    return _serve(served, args.host, args.port, url)


def _serve(served: Served, host: str, port: int, url: str) -> int:
    from textual_serve.server import Server

    what = "the demo" if served.demo else "the dashboard"
    mode = "reveal and copy on: made-up demo tokens" if served.reveal else "reveal and copy off"

    def announce(*_: object) -> None:
        """Said once the port is listening (aiohttp calls it then), not before."""
        print(f"cwdash: serving {what} to browsers ({mode}); open this address:", flush=True)
        print(url, flush=True)
        print("Press Ctrl+C to stop (every open browser session ends with it).", flush=True)

    class CwdashServer(Server):
        def initialize_logging(self) -> None:
            # textual-serve's own handler prints tracebacks with local variables: not here
            handler = logging.StreamHandler(sys.stderr)
            handler.addFilter(_RedactFilter())
            handler.setFormatter(logging.Formatter("cwdash serve: %(message)s"))
            log = logging.getLogger("textual-serve")
            log.handlers[:] = [handler]
            log.setLevel(logging.WARNING)
            log.propagate = False
            logging.getLogger("asyncio").addFilter(_LateExit())

        async def on_startup(self, app: web.Application) -> None:
            pass  # textual-serve's banner prints the command line; `announce` says what matters

        def serve(self, debug: bool = False) -> None:
            # Server.serve, but announcing the address once bound (it passes print=None)
            from aiohttp import web

            self.debug = debug
            self.initialize_logging()
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            loop.add_signal_handler(signal.SIGINT, self.request_exit)
            loop.add_signal_handler(signal.SIGTERM, self.request_exit)
            web.run_app(
                self._make_app(), host=host, port=port, handle_signals=False, loop=loop, print=announce
            )

    server = CwdashServer(served.command, host=host, port=port, title="cwdash", public_url=url)
    out = sys.stdout
    sys.stdout = _Redacting(out)  # type: ignore[assignment]  # textual-serve prints a failed app's stderr
    try:
        server.serve()
    except OSError as exc:  # listening failed: aiohttp has closed its loop already
        err(_bind_problem(exc, host, port))
        return EXIT_USAGE
    finally:
        sys.stdout = out
    print("cwdash: stopped", flush=True)
    return EXIT_OK


def _bind_problem(exc: OSError, host: str, port: int) -> str:
    """A listening failure in words: the port taken, not allowed, or the address unknown."""
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is already in use on {host}; choose another with --port"
    if exc.errno == errno.EACCES:
        return (
            f"not allowed to listen on {where} (ports below 1024 need privileges); choose another with --port"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine; cannot listen on {where}"
    return f"cannot listen on {where}: {exc.strerror or type(exc).__name__}"
