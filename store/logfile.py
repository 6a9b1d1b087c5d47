"""The log file: what the screen cannot hold, for on-call staff to read afterwards.

Failed live reads with their full reason, store errors, and unexpected exceptions
with their traceback go to ``$XDG_STATE_HOME/cwdash/cwdash.log`` (``--log-file`` or
``$CWDASH_LOG_FILE`` elsewhere). Every module logs through ``logging.getLogger
("cwdash.<area>")``; :func:`install` puts one handler on the ``cwdash`` logger.

- Nothing is created until the first record: a command that logs nothing touches no
  file and imports nothing more (``logging.handlers`` loads on the first record).
- The file is created mode 600 in a directory created 700, rotated at 1 MiB, three kept.
- Every line is passed through :func:`cwdash.store.redact.redact`: no known token, key or
  password is written, whoever formatted it into a message. Tracebacks are the standard
  library's (file, line, code), never frame locals.
- A log that cannot be written says so once (:attr:`LogFile.problem`) and never prints
  the record on stderr (``logging``'s own error report would print its arguments).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cwdash.store import redact
from cwdash.store.text import literal

LOGGER = "cwdash"
ENV_VAR = "CWDASH_LOG_FILE"
MAX_BYTES = 1 << 20
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$CWDASH_LOG_FILE``, else ``$XDG_STATE_HOME/cwdash/cwdash.log`` (``~/.local/state`` by default)."""
    env = os.environ if environ is None else environ
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR]).expanduser()
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "cwdash" / "cwdash.log"


class RedactingFormatter(logging.Formatter):
    """The standard format, one line per message, with every known secret blanked out."""

    def __init__(self) -> None:
        super().__init__(FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        # text from a gateway or a store could hold newlines or escapes that forge lines
        record.message = literal(record.message, limit=20_000, keep_newlines=False)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        cached = record.exc_text
        try:
            text = super().format(record)
        finally:
            record.exc_text = cached  # the unredacted traceback text is not left on the record
        return redact.redact(text)


class LogFile(logging.Handler):
    """A rotating, private log file, opened on the first record."""

    def __init__(self, path: Path, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
        super().__init__(logging.INFO)
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self.problem: str | None = None  # why the log cannot be written, once it failed
        self._file: logging.Handler | None = None
        self.setFormatter(RedactingFormatter())

    @property
    def written(self) -> bool:
        """The file was opened, nothing failed since, and it exists: safe to point a user to."""
        return self._file is not None and self.problem is None and self.path.is_file()

    def emit(self, record: logging.LogRecord) -> None:
        if self.problem is not None:
            return
        if self._file is None:
            try:
                self._file = _open_rotating(self, self._failed)
            except OSError as exc:
                self._failed(exc)
                return
        self._file.emit(record)
        self._file.flush()

    def _failed(self, exc: BaseException | None) -> None:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        self.problem = f"{self.path}: {reason}"

    def handleError(self, record: logging.LogRecord) -> None:
        self._failed(sys.exc_info()[1])  # never logging's default: it prints the record's arguments

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        super().close()


def _make_dirs(directory: Path) -> None:
    """Create missing directories with mode 700; existing ones are left as they are."""
    missing = []
    while not directory.exists():
        missing.append(directory)
        if directory.parent == directory:
            break
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)  # mkdir's mode is narrowed by the umask, never widened: made exact


def _open_rotating(owner: LogFile, on_error: Callable[[BaseException | None], None]) -> logging.Handler:
    from logging.handlers import RotatingFileHandler

    class PrivateRotatingFile(RotatingFileHandler):
        def _open(self) -> Any:
            # created 600, every time (the first file and each one after a rollover)
            fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                if os.fstat(fd).st_uid == os.geteuid():
                    os.fchmod(fd, 0o600)
                return os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace")
            except BaseException:
                os.close(fd)
                raise

        def handleError(self, record: logging.LogRecord) -> None:
            on_error(sys.exc_info()[1])

    _make_dirs(owner.path.parent)
    handler = PrivateRotatingFile(owner.path, maxBytes=owner.max_bytes, backupCount=owner.backups)
    handler.setFormatter(owner.formatter)
    return handler


def install(path: Path | str | None = None) -> LogFile:
    """Log ``cwdash.*`` records at INFO and above to ``path`` (default :func:`default_path`).

    Replaces a log installed before (tests run ``main`` many times in one process).
    """
    uninstall()
    logger = logging.getLogger(LOGGER)
    handler = LogFile(Path(path).expanduser() if path else default_path())
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    return handler


def uninstall() -> None:
    """Remove and close the log file handler (tests)."""
    logger = logging.getLogger(LOGGER)
    for old in [h for h in logger.handlers if isinstance(h, LogFile)]:
        logger.removeHandler(old)
        old.close()


def installed() -> LogFile | None:
    """The log file in use, if :func:`install` was called."""
    for handler in logging.getLogger(LOGGER).handlers:
        if isinstance(handler, LogFile):
            return handler
    return None


def where() -> str:
    """A hint for a message on screen: "see the log: PATH", only when that file was written;
    else why there is no log ("" when no log is installed)."""
    log = installed()
    if log is None:
        return ""
    if log.written:
        return f"see the log: {log.path}"
    return f"no log was written ({log.problem or 'nothing logged yet'})"


def log_exception(message: str, exc: BaseException, area: str = "crash") -> str:
    """Log an unexpected exception with its traceback; returns :func:`where`'s hint."""
    logging.getLogger(f"{LOGGER}.{area}").error(message, exc_info=(type(exc), exc, exc.__traceback__))
    return where()
