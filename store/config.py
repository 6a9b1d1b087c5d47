"""Configuration: environment variables, a ``.env`` file beneath them (python-dotenv).

The variable names are RyzeAPI's own where they overlap (``BRIDGE_URL``,
``BRIDGE_TOKEN``) so an operator can point cwdash at the server's ``.env``.
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
import base64
import binascii
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from cwdash.store.history.settings import HistorySettings
    from cwdash.store.ryzeapi.reserve import Reserve
    from cwdash.store.sealing import Sealer

DEFAULT_LIVE_TIMEOUT = 10.0
DEFAULT_CONCURRENCY = 8
DEFAULT_RATE = 20.0
DEFAULT_ROUND_EVERY = 120.0  # seconds between background rounds over the whole fleet

KEY_BYTES = 32
SOURCES = ("bridge", "ryzeapi")  # what CWDASH_SOURCE / --source may name
# what to do when no live source is configured (RyzeAPI's own hint names the bridge only)
NOT_CONFIGURED_HINT = "set BRIDGE_URL and BRIDGE_TOKEN, or RYZEAPI_URL and RYZEAPI_TOKEN"
# the history's settings (:mod:`cwdash.store.history.settings`), read from the same places
HISTORY_SETTINGS = ("CWDASH_HISTORY_DAYS", "CWDASH_HISTORY_CAP", "CWDASH_ALERT_UNREACHABLE_AFTER")


class ConfigError(Exception):
    """A configuration problem the user can fix; the message says how."""


def default_db_path() -> Path:
    """Per-user store location: ``$XDG_DATA_HOME/cwdash/cwdash.db``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cwdash" / "cwdash.db"


def parse_key(text: str, name: str = "CWDASH_KEY") -> bytes:
    """Decode a base64 AES-256 key, refusing anything that is not exactly 32 bytes.

    ``name`` is the variable it came from, so the message names the one to fix.
    """
    cleaned = text.strip()
    try:
        raw = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        try:
            raw = base64.urlsafe_b64decode(cleaned)
        except (binascii.Error, ValueError):
            raise ConfigError(f"{name} is not valid base64; generate one with `cwdash keygen`") from None
    if len(raw) != KEY_BYTES:
        raise ConfigError(
            f"{name} decodes to {len(raw)} bytes, AES-256 needs {KEY_BYTES}; "
            "generate one with `cwdash keygen`"
        )
    return raw


def generate_key() -> str:
    """A fresh random AES-256 key in base64, as ``CWDASH_KEY`` expects."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


_SECRET_FIELDS = frozenset({"key_text", "bridge_token", "next_key_text", "ryzeapi_token"})
_NO_ORIGINS: dict[str, str] = {}  # never written to: every Config read from files gets its own


class Config(NamedTuple):
    """Everything cwdash reads from its environment, already validated.

    A NamedTuple (immutable, ``_replace`` for a changed copy), not a dataclass: it is made
    before the dashboard's first paint, and a frozen dataclass of this size costs ~1 ms
    to create at import (tests/test_packaging.py). Its repr leaves the secrets out."""

    db_path: Path
    key_text: str | None = None
    bridge_url: str | None = None
    bridge_token: str | None = None
    live_timeout: float = DEFAULT_LIVE_TIMEOUT
    concurrency: int = DEFAULT_CONCURRENCY
    rate: float = DEFAULT_RATE
    round_every: float = DEFAULT_ROUND_EVERY
    no_reveal: bool = False
    env_file: Path | None = None
    next_key_text: str | None = None
    env_checked: tuple[Path, ...] = ()  # every env file looked at, for "where cwdash looked"
    env_files: tuple[Path, ...] = ()  # the env files read, highest priority first
    origins: dict[str, str] = _NO_ORIGINS  # setting -> "environment", a file, "--db"
    ca_file: str | None = None  # CWDASH_CA_FILE: a CA bundle trusted besides the system's
    ryzeapi_url: str | None = None
    ryzeapi_token: str | None = None
    ryzeapi_reserve: "Reserve | None" = None  # CWDASH_RYZEAPI_RESERVE; None: the default (10%)
    source: str | None = None  # CWDASH_SOURCE / --source: "bridge" or "ryzeapi"; None: by what is set
    site: str | None = None  # the site this configuration is (--site NAME), None for the plain .env
    # CWDASH_HISTORY_DAYS, CWDASH_HISTORY_CAP, CWDASH_ALERT_UNREACHABLE_AFTER as given;
    # validated where history is used (:meth:`history_settings`), not at every start
    history_env: tuple[tuple[str, str], ...] = ()

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={value!r}"
            for name, value in zip(self._fields, self, strict=True)
            if name not in _SECRET_FIELDS
        )
        return f"Config({shown})"

    @property
    def bridge_configured(self) -> bool:
        return bool(self.bridge_url) and bool(self.bridge_token)

    @property
    def ryzeapi_configured(self) -> bool:
        return bool(self.ryzeapi_url) and bool(self.ryzeapi_token)

    @property
    def live_url(self) -> str | None:
        """The base URL of the live source in use (see :attr:`live_source_name`)."""
        return {"bridge": self.bridge_url, "ryzeapi": self.ryzeapi_url}.get(self.live_source_name or "")

    @property
    def live_source_name(self) -> str | None:
        """The live source in use: the one named (CWDASH_SOURCE / --source), else the
        bridge when both its variables are set, else RyzeAPI when both of its are, else none."""
        if self.source is not None:
            return self.source
        if self.bridge_configured:
            return "bridge"
        if self.ryzeapi_configured:
            return "ryzeapi"
        return None

    @property
    def gateway_configured(self) -> bool:
        """Whether live reads have a source; without one, reads answer 503 as RyzeAPI does."""
        return self.live_source_name is not None

    def history_settings(self) -> "HistorySettings":
        """The history's retention and the alerts' threshold; ConfigError for a bad value."""
        from cwdash.store.history.settings import history_settings

        return history_settings(dict(self.history_env))

    def key(self) -> bytes:
        """The AES key, or a ConfigError saying how to get one."""
        if not self.key_text:
            raise ConfigError(self.missing_key_message())
        return parse_key(self.key_text)

    def looked_in(self) -> str:
        """Where cwdash looked for CWDASH_KEY: the environment and the env file(s) checked."""
        places = [f"{p.absolute()}{'' if p.is_file() else ' (no such file)'}" for p in self.env_checked]
        return f"looked in {', '.join(['the environment', *places])}"

    def origin(self, name: str) -> str:
        """Where setting ``name`` came from: "environment", an env file's path, "--db", or "default"."""
        return self.origins.get(name, "default")

    def missing_key_message(self) -> str:
        """Why there is no key, where cwdash looked, and, when the store already holds
        tokens, the key they were sealed with: `cwdash init` would mint a useless one."""
        from cwdash.store.keyguard import peek

        held = peek(self.db_path)
        if held is None or not held.tokens:
            return (
                f"CWDASH_KEY is not set ({self.looked_in()}); run `cwdash init` to create a key and a store"
            )
        return (
            f"CWDASH_KEY is not set ({self.looked_in()}), but the store {held.path} holds "
            f"{held.tokens} token(s) {held.sealed_with()}: put that key (CWDASH_KEY=...) in "
            f"{user_env_path()}, the environment, or an env file named with --env-file PATH. "
            "Do not run `cwdash init`: a new key would open none of them"
        )

    def sealer(self) -> "Sealer":
        """The sealer for this configuration: seals with CWDASH_KEY, and also opens with
        CWDASH_KEY_NEXT while a rekey is under way. Every token read goes through it."""
        from cwdash.store.sealing import Sealer

        return Sealer(self.key(), self.fallback_keys())

    def fallback_keys(self) -> list[bytes]:
        """``CWDASH_KEY_NEXT``, present only while a ``cwdash rekey`` is under way (or was
        interrupted): tokens may be sealed under either key until it completes."""
        return [parse_key(self.next_key_text, "CWDASH_KEY_NEXT")] if self.next_key_text else []

    def env_warning(self) -> str | None:
        """A warning when the ``.env`` holding the key is readable by other users."""
        if self.env_file is None or not self.key_text:
            return None
        try:
            mode = self.env_file.stat().st_mode
        except OSError:
            return None
        if mode & 0o077:
            return (
                f"warning: {self.env_file} holds CWDASH_KEY and is readable by other users "
                f"(mode {mode & 0o777:o}); run `chmod 600 {self.env_file}`"
            )
        return None


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


USER_ENV_NAME = "env"


def config_dir() -> Path:
    """Per-user configuration: ``$XDG_CONFIG_HOME/cwdash`` (``~/.config/cwdash``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "cwdash"


def user_env_path() -> Path:
    """The per-user env file, ``$XDG_CONFIG_HOME/cwdash/env``: where ``init`` keeps the key
    by default, so the same key is found from any working directory."""
    return config_dir() / USER_ENV_NAME


ENVIRONMENT = "environment"


def _read_env_file(path: Path) -> dict[str, str]:
    from cwdash.store import envfile  # only with a file to read

    text = envfile.read_text(path)
    from dotenv import dotenv_values  # only when there is a file to read (~20 ms to import)

    return {k: v for k, v in dotenv_values(stream=io.StringIO(text)).items() if v is not None}


def env_layers(env_file: str | Path | None = None, *, default_env: bool = True) -> list[Path]:
    """The env files read, highest priority first: ``--env-file`` (which must exist) or
    ``./.env``, then ``$XDG_CONFIG_HOME/cwdash/env``. A file found without being named is
    refused when another user owns it. ``default_env=False`` reads no file not named."""
    layers: list[Path] = []
    if env_file is not None:
        named = Path(env_file)
        if not named.is_file():
            raise ConfigError(f"env file {str(named)!r} does not exist")
        layers.append(named)
    elif default_env and Path(".env").is_file():
        from cwdash.store import envfile

        envfile.check_found(Path(".env"))
        layers.append(Path(".env"))
    user = user_env_path()
    if default_env and user.is_file() and all(_not_same(user, p) for p in layers):
        from cwdash.store import envfile

        envfile.check_found(user)
        layers.append(user)
    return layers


def _not_same(a: Path, b: Path) -> bool:
    try:
        return not a.samefile(b)
    except OSError:
        return True


def load_config(
    env_file: str | Path | None = None,
    db: str | Path | None = None,
    *,
    default_env: bool = True,
    site: str | None = None,
    source: str | None = None,
) -> Config:
    """Read the configuration. Each variable comes from the first place that has it: the
    real environment, then ``--env-file`` (else ``./.env``), then the per-user
    ``$XDG_CONFIG_HOME/cwdash/env`` (see :func:`env_layers`). Where each came from is
    kept in :attr:`Config.origins`, for ``cwdash doctor``. ``site`` reads the site's env
    file instead (:mod:`cwdash.store.sites`), whose values win over the environment.
    ``source`` (``--source``) wins over ``CWDASH_SOURCE``.
    """
    if site is not None:
        from cwdash.store.sites import load_site

        return load_site(site, db=db, source=source)
    layers = env_layers(env_file, default_env=default_env)
    values: dict[str, str] = {}
    origins: dict[str, str] = {}
    for path in reversed(layers):  # lowest priority first, each overriding the one before
        found = _read_env_file(path)
        values.update(found)
        origins.update(dict.fromkeys(found, str(path.absolute())))
    values.update(os.environ)
    origins.update(dict.fromkeys(os.environ, ENVIRONMENT))
    if db:
        origins["CWDASH_DB"] = "--db"
    key_origin = origins.get("CWDASH_KEY")
    key_file = Path(key_origin) if key_origin and key_origin != ENVIRONMENT else None
    checked = [Path(env_file)] if env_file is not None else [Path(".env")] if default_env else []
    if default_env:
        checked.append(user_env_path())
    return config_from_values(
        values,
        key_file or (layers[0] if layers else None),
        db,
        source=source,
        checked=tuple(checked),
        env_files=tuple(layers),
        origins={k: v for k, v in origins.items() if k in SETTINGS},
    )


def env_values(path: Path) -> dict[str, str]:
    """The variables an env file sets (read with the env-file checks)."""
    return _read_env_file(path)


def config_from_values(
    values: dict[str, str],
    path: Path | None,
    db: str | Path | None = None,
    *,
    source: str | None = None,
    checked: tuple[Path, ...] = (),
    site: str | None = None,
    env_files: tuple[Path, ...] = (),
    origins: dict[str, str] | None = None,
) -> Config:
    """The validated configuration of a set of variables (env files merged with the environment)."""
    db_path = Path(db) if db else Path(values["CWDASH_DB"]) if values.get("CWDASH_DB") else None
    from cwdash.store.liveconfig import live_settings, ryzeapi_settings  # validated

    return Config(
        db_path=(db_path or default_db_path()).expanduser(),
        key_text=values.get("CWDASH_KEY") or None,
        **live_settings(values),
        no_reveal=_truthy(values.get("CWDASH_NO_REVEAL")),
        env_file=path,
        next_key_text=values.get("CWDASH_KEY_NEXT") or None,
        env_checked=checked,
        env_files=env_files or ((path,) if path is not None else ()),
        origins=origins if origins is not None else {},
        ca_file=ca_file_setting(values),
        site=site,
        **ryzeapi_settings(values, source),
        history_env=tuple((k, values[k]) for k in HISTORY_SETTINGS if values.get(k)),
    )


def ca_file_setting(values: dict[str, str]) -> str | None:
    """``CWDASH_CA_FILE``, checked to be a readable PEM bundle (cheaply: no certificate parsed)."""
    raw = (values.get("CWDASH_CA_FILE") or "").strip()
    if not raw:
        return None
    from cwdash.store.sources.trust import ca_file_problem

    path = str(Path(raw).expanduser())
    problem = ca_file_problem(path)
    if problem:
        raise ConfigError(f"{problem}; fix CWDASH_CA_FILE (environment or env file)")
    return path


# Every setting cwdash reads, for "where each setting came from" (cwdash doctor).
SETTINGS = (
    "CWDASH_DB",
    "CWDASH_KEY",
    "CWDASH_KEY_NEXT",
    "BRIDGE_URL",
    "BRIDGE_TOKEN",
    "CWDASH_CA_FILE",
    "CWDASH_LIVE_TIMEOUT",
    "CWDASH_CONCURRENCY",
    "CWDASH_RATE",
    "CWDASH_ROUND_EVERY",
    "CWDASH_NO_REVEAL",
    "RYZEAPI_URL",
    "RYZEAPI_TOKEN",
    "CWDASH_SOURCE",
    "CWDASH_RYZEAPI_RESERVE",
    *HISTORY_SETTINGS,
)
