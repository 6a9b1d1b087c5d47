"""The dashboard's export to a file (``e``): whole or nothing, never over an existing file
unless asked, and a message a person can act on when it cannot be written. What the file
holds is :mod:`cwdash.store.export`'s."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cwdash.store import export

if TYPE_CHECKING:
    from cwdash.store.fleetrow import FleetRow


class ExportError(Exception):
    """The export could not be written; the message says why, and nothing was left behind."""


def format_of(path: Path) -> str:
    """JSON for a name ending ``.json`` (any case), CSV otherwise."""
    return "json" if path.suffix.lower() == ".json" else "csv"


def default_name(place: str, now: datetime | None = None) -> str:
    """``cwdash-<site or store>-<UTC time>.csv``: a name that sorts by time and needs no quoting."""
    when = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", place).strip("._") or "fleet"
    return f"cwdash-{safe}-{when}.csv"


def write_fleet(path: Path, rows: Iterable[FleetRow], *, overwrite: bool = False) -> int:
    """Write ``rows`` to ``path`` (CSV, or JSON for ``.json``); how many rows were written.

    The text goes to a temporary file beside ``path`` first and takes its name only when
    whole: a full disk or a failure midway leaves no half file and, with ``overwrite``,
    the old file as it was. Without ``overwrite`` an existing file is never replaced
    (``os.link`` fails rather than replace). ExportError says what went wrong.
    """
    counted = _Counted(rows)
    folder = path.parent
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".cwdash-export-", suffix=".tmp", dir=folder)
        with open(fd, "w", encoding="utf-8", newline="") as out:
            for chunk in export.fleet_chunks(counted, format_of(path)):
                out.write(chunk)
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise
            except OSError:  # no hard links here (some network or FAT filesystems)
                if path.exists():
                    raise FileExistsError(path) from None
                os.replace(tmp, path)
    except OSError as exc:
        raise ExportError(_why(exc, path)) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return counted.n


def _why(exc: OSError, path: Path) -> str:
    if isinstance(exc, FileExistsError):
        return f"{path} exists; nothing was written (give another name, or confirm to replace it)"
    if isinstance(exc, FileNotFoundError):
        return f"there is no folder {path.parent}; nothing was written"
    if isinstance(exc, PermissionError):
        return f"no permission to write in {path.parent}; nothing was written"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full (or over quota) at {path.parent}; nothing was written"
    if isinstance(exc, IsADirectoryError):
        return f"{path} is a folder; nothing was written"
    return f"cannot write {path}: {exc.strerror or type(exc).__name__}; nothing was written"


class _Counted:
    def __init__(self, rows: Iterable[FleetRow]) -> None:
        self.rows = rows
        self.n = 0

    def __iter__(self) -> Iterator[FleetRow]:
        for row in self.rows:
            self.n += 1
            yield row
