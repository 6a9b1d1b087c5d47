"""``--on-change CMD``: a command run for each transition, bounded and without secrets.

- The command line is split like a shell would (:func:`shlex.split`) and run without a
  shell: no pipes, redirections or variable expansion by cwdash. For those, give the
  shell yourself: ``--on-change 'sh -c "curl ... -d \\"$CWDASH_NEW\\""'``.
- Its environment is built from nothing: PATH, HOME, LANG and a few more locale and user
  variables of cwdash's own, plus the event's (:data:`EVENT_VARIABLES`). Nothing else is
  inherited, so CWDASH_KEY, BRIDGE_TOKEN, RYZEAPI_TOKEN and any other secret never
  reach it; text values go through the log's redaction as well.
- One command at a time per instance: later events of a busy instance wait in a short
  queue (the newest kept, the dropped ones counted); at most ``concurrency`` commands at
  once over the whole fleet; each runs at most ``timeout`` seconds, then its whole process
  group is killed.
- Failures, timeouts and a command that cannot start are logged (``cwdash.alerts``);
  stdout is discarded and stderr only quoted in the log, never shown on the screen.

Everything runs on threads of the runner's own: :meth:`HookRunner.submit` never waits.
"""

from __future__ import annotations

import logging
import os
import shlex
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from cwdash.store import redact
from cwdash.store.history.model import Event
from cwdash.store.text import one_line

log = logging.getLogger("cwdash.alerts")

KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "USER", "LOGNAME", "TMPDIR")
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
EVENT_VARIABLES = (
    "CWDASH_INSTANCE",
    "CWDASH_SITE",
    "CWDASH_FIELD",
    "CWDASH_OLD",
    "CWDASH_NEW",
    "CWDASH_ERROR",
    "CWDASH_AT",
    "CWDASH_OBSERVER",
)
VALUE_LIMIT = 4000
DEFAULT_TIMEOUT = 10.0
DEFAULT_CONCURRENCY = 4
DEFAULT_BACKLOG = 5  # events waiting per instance while its command runs


class HookError(ValueError):
    """The ``--on-change`` command line cannot be used; the message says why."""


def parse_command(command: str) -> list[str]:
    """``command`` split into its arguments, or HookError."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise HookError(f"--on-change: cannot split the command ({exc})") from None
    if not argv:
        raise HookError("--on-change: the command is empty")
    return argv


def iso_utc(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _value(text: str) -> str:
    return redact.redact(text[:VALUE_LIMIT]).replace("\0", "\\x00")


def hook_environment(event: Event, error: str = "", base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The command's whole environment: the kept variables of ``base`` (the process's own)
    and the event's."""
    base = os.environ if base is None else base
    env = {name: base[name] for name in KEPT if base.get(name)}
    env.setdefault("PATH", DEFAULT_PATH)
    env.update(
        CWDASH_INSTANCE=_value(event.name),
        CWDASH_SITE=_value(event.site),
        CWDASH_FIELD=event.field,
        CWDASH_OLD=_value(event.old),
        CWDASH_NEW=_value(event.new),
        CWDASH_ERROR=_value(error),
        CWDASH_AT=iso_utc(event.at),
        CWDASH_OBSERVER=_value(event.observer),
    )
    return env


class HookRunner:
    """Runs the ``--on-change`` command for each event; see the module."""

    def __init__(
        self,
        command: str | list[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        concurrency: int = DEFAULT_CONCURRENCY,
        backlog: int = DEFAULT_BACKLOG,
    ) -> None:
        self.argv = parse_command(command) if isinstance(command, str) else list(command)
        self.timeout = timeout
        self.backlog = backlog
        self.ran = self.failed = self.timed_out = self.dropped = 0
        self._pool = ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="cwdash-hook")
        self._lock = threading.Lock()
        # one command at a time per instance of a site (one runner serves every site)
        self._busy: set[tuple[str, str]] = set()
        self._waiting: dict[tuple[str, str], deque[tuple[Event, str]]] = {}
        self._closed = False

    def submit(self, event: Event, error: str = "") -> None:
        """Run the command for ``event`` (``error``: the instance's error text now), soon."""
        with self._lock:
            if self._closed:
                return
            who = (event.site, event.name)
            if who in self._busy:
                waiting = self._waiting.setdefault(who, deque())
                if len(waiting) >= self.backlog:
                    waiting.popleft()
                    self.dropped += 1
                waiting.append((event, error))
                return
            self._busy.add(who)
        self._pool.submit(self._serve, event, error)

    def _serve(self, event: Event, error: str) -> None:
        """Run one instance's commands, one after the other, until its queue is empty."""
        who = (event.site, event.name)
        job: tuple[Event, str] | None = (event, error)
        while job is not None:
            try:
                self.run(*job)
            except Exception:  # a bug must not leave the instance busy for ever
                log.exception("unexpected error running the --on-change command")
            with self._lock:
                waiting = self._waiting.get(who)
                job = waiting.popleft() if waiting else None
                if job is None:
                    self._waiting.pop(who, None)
                    self._busy.discard(who)

    def run(self, event: Event, error: str = "") -> int | None:
        """Run the command once for ``event`` and wait for it: its exit code, None when it
        could not start or was killed after the timeout."""
        who = one_line(event.name, 80)
        try:
            proc = subprocess.Popen(
                self.argv,
                env=hook_environment(event, error),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group, killed whole on timeout
                close_fds=True,
            )
        except OSError as exc:
            self.failed += 1
            log.warning("--on-change command could not start for %s: %s", who, exc.strerror or exc)
            return None
        try:
            _, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self._kill(proc)
            self.timed_out += 1
            log.warning(
                "--on-change command for %s (%s %s) did not finish in %g s: killed",
                who,
                event.field,
                one_line(event.new, 40),
                self.timeout,
            )
            return None
        self.ran += 1
        if proc.returncode != 0:
            self.failed += 1
            tail = one_line(err.decode("utf-8", "replace")[-300:].strip(), 300) if err else ""
            log.warning(
                "--on-change command for %s exited with %d%s",
                who,
                proc.returncode,
                f": {tail}" if tail else "",
            )
        return proc.returncode

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()
        try:
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # a grandchild holds stderr open: stop reading
            if proc.stderr is not None:
                proc.stderr.close()
            proc.wait(timeout=5)

    def close(self, *, wait: bool = True) -> None:
        """Take no more events; with ``wait``, let the commands queued run (each within its timeout)."""
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
