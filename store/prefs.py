"""Preferences that persist: ``$XDG_CONFIG_HOME/cwdash/config.toml``.

::

    theme = "textual-dark"
    bell = true   # ring the terminal bell on an alert (as --bell does)

    [keys]
    # binding id = keys, as Textual's keymap takes them (comma-separated)
    refresh = "f5,ctrl+r"

The screens pass the ids their bindings carry; an entry naming no such binding, or
keys that cannot be keys, is reported (``Prefs.problems``) and skipped, never fatal: a
typo in a preference must not keep the dashboard from starting. Reading uses the
standard library's ``tomllib``; writing is atomic and keeps the file's other settings.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cwdash.store.config import ConfigError, config_dir

FILE_NAME = "config.toml"
# compiled on first use (re keeps them): the dashboard reads this file before its first paint
_KEY = r"(?i)^(?:[a-z0-9_]+(?:\+[a-z0-9_]+)*|[!-~])$"  # "ctrl+r", "f5", "?"
_BARE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def prefs_path() -> Path:
    return config_dir() / FILE_NAME


class Prefs:
    """The preferences read, and what was wrong with the file (each said, none fatal).
    A plain class, not a dataclass: it is read before the first paint (tests/test_packaging.py)."""

    __slots__ = ("bell", "keys", "problems", "theme")

    def __init__(self) -> None:
        self.theme: str | None = None
        self.bell = False  # ring the terminal bell on an alert
        self.keys: dict[str, str] = {}  # binding id -> keys
        self.problems: list[str] = []


def keys_problem(keys: object) -> str | None:
    """Why ``keys`` is not a keymap value ("f5,ctrl+r"), or None."""
    if not isinstance(keys, str) or not keys.strip():
        return 'must be a non-empty string of keys, e.g. "f5" or "ctrl+r,f5"'
    bad = [k for k in (part.strip() for part in keys.split(",")) if not re.match(_KEY, k)]
    if bad:
        return f"{bad[0][:20]!r} is not a key name"
    return None


def load(binding_ids: Iterable[str] | None = None, path: Path | None = None) -> Prefs:
    """Read the preferences; ``binding_ids`` are the ids ``[keys]`` may name (None: any)."""
    path = prefs_path() if path is None else path
    prefs = Prefs()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return prefs
    except OSError as exc:
        prefs.problems.append(f"{path}: cannot be read ({exc.strerror or exc})")
        return prefs
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefs.problems.append(f"{path}: not valid TOML ({exc}); preferences ignored")
        return prefs
    data = _plain_toml(text)
    if data is None:  # anything beyond what cwdash writes: the standard library's parser
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            prefs.problems.append(f"{path}: not valid TOML ({exc}); preferences ignored")
            return prefs
    theme = data.get("theme")
    if theme is not None:
        if isinstance(theme, str) and theme.strip():
            prefs.theme = theme.strip()
        else:
            prefs.problems.append(f"{path}: theme must be a theme's name (a string)")
    bell = data.get("bell", False)
    if isinstance(bell, bool):
        prefs.bell = bell
    else:
        prefs.problems.append(f"{path}: bell must be true or false")
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        prefs.problems.append(f"{path}: keys must be a table ([keys])")
        return prefs
    known = None if binding_ids is None else set(binding_ids)
    for binding, value in keys.items():
        if known is not None and binding not in known:
            prefs.problems.append(
                f"{path}: [keys] {binding[:40]!r} is not a binding id (known: {', '.join(sorted(known))})"
            )
            continue
        problem = keys_problem(value)
        if problem:
            prefs.problems.append(f"{path}: [keys] {binding[:40]}: {problem}")
            continue
        prefs.keys[binding] = ",".join(part.strip() for part in value.split(","))
    return prefs


def _bare(name: str) -> bool:
    """A TOML bare key: letters, digits, ``_`` and ``-``."""
    return bool(name) and _BARE_CHARS.issuperset(name)


def _plain_toml(text: str) -> dict[str, Any] | None:
    """The file as :func:`dumps` writes it (bare keys, ``[table]`` headers, strings without
    escapes, ``true``/``false``, comments), read without ``tomllib`` (its import and regular
    expressions cost ~2 ms before the first paint); None for anything else, which is then
    ``tomllib``'s to read or refuse. Same result as ``tomllib`` for what it accepts
    (tests/test_prefs.py compares them)."""
    data: dict[str, Any] = {}
    table = data
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            name, closed, rest = line[1:].partition("]")
            if not closed or not _bare(name) or rest.strip()[:1] not in ("", "#") or name in data:
                return None
            table = data[name] = {}
            continue
        key, equals, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not _bare(key) or key in table:
            return None
        if value.startswith('"'):
            string, closed, rest = value[1:].partition('"')
            if not closed or "\\" in string or any(c < " " or c == "\x7f" for c in string):
                return None
            parsed: Any = string
        else:
            rest, _, _ = value.partition("#")
            word = rest.strip()
            if word not in ("true", "false"):
                return None
            parsed, rest = word == "true", ""
        if rest.strip()[:1] not in ("", "#"):
            return None
        table[key] = parsed
    return data


def _toml_key(name: str) -> str:
    import json

    return name if _bare(name) else json.dumps(name, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        import json

        return json.dumps(value, ensure_ascii=False)  # JSON's escapes are TOML's basic-string escapes
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ConfigError(f"cannot write a {type(value).__name__} to {FILE_NAME}")


def dumps(data: dict[str, Any]) -> str:
    """``data`` as TOML: top-level values, then one table per dict (one level deep)."""
    lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for name, table in data.items():
        if isinstance(table, dict):
            lines += ["", f"[{_toml_key(name)}]"]
            lines += [
                f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items() if not isinstance(v, dict)
            ]
    return "\n".join(lines).lstrip("\n") + "\n"


def save(*, theme: str | None = None, keys: dict[str, str] | None = None, path: Path | None = None) -> Path:
    """Set the theme and/or key bindings, keeping the file's other settings; atomic.
    Raises ConfigError (nothing changed) when the file cannot be read as TOML or written."""
    path = prefs_path() if path is None else path
    data: dict[str, Any] = {}
    if path.exists():
        import tomllib

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path} cannot be read as TOML ({exc}); not rewritten") from None
    if theme is not None:
        data["theme"] = theme
    if keys is not None:
        for binding, value in keys.items():
            problem = keys_problem(value)
            if problem:
                raise ConfigError(f"[keys] {binding}: {problem}")
        table = data.get("keys") if isinstance(data.get("keys"), dict) else {}
        data["keys"] = {**table, **keys}
    text = dumps(data)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".cwdash-tmp")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}; it was left as it was") from None
    return path
