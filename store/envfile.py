"""Reading and rewriting a ``.env`` file that may well be someone else's.

The ``.env`` cwdash keeps its key in is often RyzeAPI's own configuration: shared
with a server that reads it (a group, a mode such as 640), or reached through a
symlink. So a rewrite goes *through* a symlink to the file it names (replacing the
link would leave every other reader of the target on the old key), keeps the
target's owner, group and mode, and is atomic: a private temporary file made with
``mkstemp`` (a random name, ``O_EXCL``, never following a planted link) beside the
target, fsynced, renamed over it, and the directory fsynced.

A ``.env`` that cwdash merely finds in the working directory is only trusted when it
(and the link to it) belongs to the user running cwdash or to root: anyone else could
have left it there to point cwdash at their own gateway or store.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from cwdash.store.config import ConfigError


def read_text(path: Path) -> str:
    """The file as text, or a ConfigError naming it when it is unreadable or not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read env file {str(path)!r}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"env file {str(path)!r} is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); "
            "save it as UTF-8"
        ) from None


def _trusted_owner(uid: int) -> bool:
    return uid in (0, os.geteuid())


def check_found(path: Path) -> None:
    """Refuse a ``.env`` found (not named) in the working directory when another user owns
    it or the link to it: a ConfigError saying to name it with ``--env-file`` if it is meant."""
    if not hasattr(os, "geteuid"):
        return
    try:
        owners = {path.lstat().st_uid, path.stat().st_uid}
    except OSError:
        return
    strangers = sorted(uid for uid in owners if not _trusted_owner(uid))
    if strangers:
        raise ConfigError(
            f"{path.absolute()} belongs to another user (uid {strangers[0]}), so cwdash does not read it "
            "on its own: it could point cwdash at someone else's gateway or store. "
            "If you mean to use it, name it: --env-file PATH"
        )


def _line_name(line: str) -> str:
    return line.strip().removeprefix("export ").split("=", 1)[0].strip()


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def set_values(path: Path, updates: dict[str, str | None]) -> int:
    """Set (or, with None, remove) variables in an existing env file; return its mode.

    Writes through a symlink to its target, keeps the target's owner, group and mode
    (refusing, with nothing changed, when the owner cannot be kept), and replaces it
    atomically: a crash leaves the old file or the new one, never half of each.
    """
    target = Path(os.path.realpath(path))
    if not target.is_file():
        where = f" (a symlink to {target})" if path.is_symlink() else ""
        raise ConfigError(f"env file {str(path)!r}{where} does not exist or is not a regular file")
    before = target.stat()
    lines = read_text(target).splitlines()
    out: list[str] = []
    done: set[str] = set()
    for line in lines:
        name = _line_name(line)
        if name in updates:
            if name not in done and updates[name] is not None:
                out.append(f"{name}={updates[name]}")
            done.add(name)
            continue
        out.append(line)
    out += [f"{k}={v}" for k, v in updates.items() if k not in done and v is not None]
    mode = stat.S_IMODE(before.st_mode)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".cwdash-tmp")
    except OSError as exc:
        raise ConfigError(f"cannot write beside {target}: {exc.strerror or exc}; nothing changed") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(out) + "\n")
            fh.flush()
            _keep_owner(fh.fileno(), before, target)
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise ConfigError(
                f"cannot rewrite {target}: {exc.strerror or exc}; it was left as it was"
            ) from None
        raise
    _fsync_dir(target.parent)
    return mode


def _keep_owner(fd: int, before: os.stat_result, target: Path) -> None:
    now = os.fstat(fd)
    if (now.st_uid, now.st_gid) == (before.st_uid, before.st_gid):
        return
    try:
        os.fchown(fd, before.st_uid, before.st_gid)
    except OSError:
        raise ConfigError(
            f"cannot keep the owner and group of {target} ({before.st_uid}:{before.st_gid}) when "
            "rewriting it; run this as its owner or as root. Nothing changed"
        ) from None


def add_value(path: Path, name: str, value: str) -> str:
    """Append ``name=value`` to an env file, creating it private (600) when absent;
    never touching a variable already there. Returns what was done, for the user."""
    try:
        return _add_value(path, f"{name}={value}\n", name)
    except OSError as exc:
        raise ConfigError(f"cannot write {name} to {path}: {exc.strerror or exc}") from None


def _add_value(path: Path, line: str, name: str) -> str:
    if path.exists():
        # appending writes through a symlink and keeps the file's owner, group and mode
        with path.open("a", encoding="utf-8") as fh:
            if path.stat().st_size and not path.read_bytes().endswith(b"\n"):
                fh.write("\n")
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        return f"added a new {name} to {path}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# written by `cwdash init`; keep this file private (mode 600)\n" + line)
        fh.flush()
        os.fsync(fh.fileno())
    _fsync_dir(path.absolute().parent)
    return f"wrote {path} with a new {name} (mode 600)"
