"""Sites: several RyzeAPI deployments from one cwdash, each with its own store, key and source.

A site is a name plus an env file at ``$XDG_CONFIG_HOME/cwdash/sites/NAME.env`` (mode 600)
holding the same variables as ``.env``. The site's own variables (:data:`SITE_VARIABLES`:
store, key, source, URLs, tokens, reserve) come from its file only, never from the
environment, so one shell can open every site without one's token leaking into another;
the rest (timeouts, concurrency, ``CWDASH_NO_REVEAL``) come from the file when it sets
them, else from the environment.

:func:`load_site` is ``--site NAME``; :func:`load_all` gives every site's configuration
or why it cannot be loaded, one broken site leaving the others usable (for the
``--all-sites`` dashboard). :func:`create_site` is ``cwdash site add``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from cwdash.store.config import Config, ConfigError, config_from_values, env_values

SITE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
SITE_VARIABLES = frozenset(
    {
        "CWDASH_DB",
        "CWDASH_KEY",
        "CWDASH_KEY_NEXT",
        "CWDASH_SOURCE",
        "BRIDGE_URL",
        "BRIDGE_TOKEN",
        "RYZEAPI_URL",
        "RYZEAPI_TOKEN",
        "CWDASH_RYZEAPI_RESERVE",
    }
)


def config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def sites_dir() -> Path:
    """``$XDG_CONFIG_HOME/cwdash/sites``."""
    return config_home() / "cwdash" / "sites"


def check_site_name(name: str) -> str:
    if not SITE_NAME.fullmatch(name or ""):
        raise ConfigError(
            f"a site name is 1 to 63 letters, digits, '-' or '_', starting with a letter or digit; got {name[:40]!r}"
        )
    return name


def site_path(name: str) -> Path:
    return sites_dir() / f"{check_site_name(name)}.env"


def site_db_path(name: str) -> Path:
    """Where ``site add`` puts a site's store: ``$XDG_DATA_HOME/cwdash/sites/NAME.db``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cwdash" / "sites" / f"{check_site_name(name)}.db"


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    path: Path


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """One site for the ``--all-sites`` dashboard: its configuration, or why there is none."""

    site: Site
    config: Config | None
    problem: str | None = None


def list_sites() -> list[Site]:
    """Every site, by name (files in the sites directory with a valid site name)."""
    folder = sites_dir()
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [
        Site(p.stem, p) for p in entries if p.suffix == ".env" and SITE_NAME.fullmatch(p.stem) and p.is_file()
    ]


def load_site(name: str, *, db: str | Path | None = None, source: str | None = None) -> Config:
    """The configuration of site ``name`` (``--site NAME``); ConfigError saying what is wrong."""
    path = site_path(name)
    if not path.is_file():
        raise ConfigError(f"no site {name!r} (no {path}); create it with `cwdash site add {name}`")
    from cwdash.store import envfile

    envfile.check_found(path)  # another user's file could point cwdash at their gateway
    own = env_values(path)
    values = {k: v for k, v in os.environ.items() if k not in SITE_VARIABLES}
    values.update(own)
    if "CWDASH_DB" not in own:
        values["CWDASH_DB"] = str(site_db_path(name))
    return config_from_values(values, path, db, source=source, checked=(path,), site=name)


def load_all() -> list[SiteConfig]:
    """Every site's configuration, or the reason it cannot be loaded."""
    out: list[SiteConfig] = []
    for site in list_sites():
        try:
            out.append(SiteConfig(site, load_site(site.name)))
        except ConfigError as exc:
            out.append(SiteConfig(site, None, str(exc)))
    return out


def create_site(name: str, values: dict[str, str]) -> Path:
    """Write a new site's env file, private (600), never over an existing one."""
    path = site_path(name)
    for key, value in values.items():
        if any(c in value for c in "\n\r\0"):
            raise ConfigError(f"{key} contains a line break")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"site {name!r} already exists ({path}); edit that file to change it") from None
    except OSError as exc:
        raise ConfigError(f"cannot create {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"# cwdash site {name!r}, written by `cwdash site add`; keep this file private (mode 600)\n")
        fh.writelines(f"{key}={value}\n" for key, value in values.items())
        fh.flush()
        os.fsync(fh.fileno())
    return path
