"""What ``cwdash doctor`` checks: the configuration and where it came from, the store,
the key, the live source (one bounded request), and the clipboard path.

Read-only: the store is opened ``mode=ro`` and never created or migrated. No secret is
ever part of a check: a token or key shows as "set" (a key by its fingerprint), a URL
without its user or password.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from dataclasses import dataclass, replace
from pathlib import Path

from cwdash.store.config import NOT_CONFIGURED_HINT, SETTINGS, Config, ConfigError, user_env_path
from cwdash.store.endpoint import display_url

OK, WARN, FAIL = "ok", "warn", "fail"
PROBE_ID = "cwdash-doctor-probe"  # an integration id no gateway knows: a 404 proves the way there
PROBE_TIMEOUT = 5.0
SECRETS = frozenset({"CWDASH_KEY", "CWDASH_KEY_NEXT", "BRIDGE_TOKEN", "RYZEAPI_TOKEN"})
PROXY_NAMES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    section: str
    name: str
    value: str
    state: str = OK  # OK, WARN or FAIL
    fix: str = ""  # what to do, when the state is not OK

    def as_json(self) -> dict[str, str]:
        return {
            "section": self.section,
            "name": self.name,
            "value": self.value,
            "state": self.state,
            "fix": self.fix,
        }


def shown_value(name: str, value: str | None) -> str:
    """A setting as it may be printed."""
    if value is None or value == "":
        return "(not set)"
    if name in SECRETS:
        return "(set)"
    if name.endswith("_URL") or (name.endswith("PROXY") and name != "NO_PROXY"):
        return display_url(value)
    return value


def settings(config: Config) -> list[Check]:
    """Where each setting came from, and the env files read."""
    values = {
        "CWDASH_DB": str(config.db_path),
        "CWDASH_KEY": config.key_text,
        "CWDASH_KEY_NEXT": config.next_key_text,
        "BRIDGE_URL": config.bridge_url,
        "BRIDGE_TOKEN": config.bridge_token,
        "CWDASH_CA_FILE": config.ca_file,
        "CWDASH_LIVE_TIMEOUT": f"{config.live_timeout:g}",
        "CWDASH_CONCURRENCY": str(config.concurrency),
        "CWDASH_RATE": f"{config.rate:g}",
        "CWDASH_ROUND_EVERY": f"{config.round_every:g}",
        "CWDASH_NO_REVEAL": "on" if config.no_reveal else "off",
    }
    out = [
        Check("settings", name, f"{shown_value(name, values.get(name))}  ({config.origin(name)})")
        for name in SETTINGS
    ]
    for name in PROXY_NAMES:
        raw = os.environ.get(name) or os.environ.get(name.lower())
        if raw:
            out.append(Check("settings", name, f"{shown_value(name, raw)}  (environment)"))
    files = [*config.env_files]
    user = user_env_path()
    if user not in files:
        out.append(Check("settings", "per-user env file", f"{user} (not there; `cwdash init` writes it)"))
    for path in files:
        out.append(_env_file_check(path))
    return out


def _env_file_check(path: Path) -> Check:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as exc:
        return Check("settings", "env file", f"{path.absolute()}: {exc.strerror}", FAIL)
    if mode & 0o077:
        return Check(
            "settings", "env file", f"{path.absolute()} (mode {mode:o})", WARN, f"chmod 600 {path.absolute()}"
        )
    return Check("settings", "env file", f"{path.absolute()} (mode {mode:o})")


def store_checks(config: Config) -> tuple[list[Check], str | None]:
    """The store: path, schema version, instances and tokens. Returns the checks and the
    key fingerprint the store records."""
    from cwdash.store.schema import LATEST

    path = config.db_path
    if not path.is_file():
        return [
            Check("store", "path", f"{path} (no store there)", FAIL, "run `cwdash init` (or set CWDASH_DB)")
        ], None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    except (sqlite3.Error, OSError) as exc:
        return [Check("store", "path", f"{path}: {exc}", FAIL)], None
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        instances = int(conn.execute("SELECT count(*) FROM instances").fetchone()[0])
        tokens = int(conn.execute("SELECT count(*) FROM chatwoot_integrations").fetchone()[0])
        from cwdash.store.keyguard import recorded

        fp = recorded(conn)
    except sqlite3.Error as exc:
        return [Check("store", "path", f"{path}: not a readable cwdash store ({exc})", FAIL)], None
    finally:
        conn.close()
    schema = Check("store", "schema", f"version {version} (this cwdash writes {LATEST})")
    if version > LATEST:
        schema = replace(schema, state=FAIL, fix="the store is newer than this cwdash: upgrade cwdash")
    return [
        Check("store", "path", str(path)),
        schema,
        Check("store", "instances", f"{instances} ({tokens} with an integration and its sealed token)"),
    ], (fp if tokens or fp else None)


def key_checks(config: Config, store_fp: str | None) -> list[Check]:
    """The key's fingerprint, and whether it is the store's."""
    from cwdash.store.sealing import fingerprint

    if not config.key_text:
        state, fix = (FAIL, config.missing_key_message()) if store_fp else (WARN, "run `cwdash init`")
        return [Check("key", "CWDASH_KEY", f"not set ({config.looked_in()})", state, fix)]
    try:
        mine = fingerprint(config.key())
    except ConfigError as exc:
        return [Check("key", "CWDASH_KEY", str(exc), FAIL, "generate one with `cwdash keygen`")]
    held = [mine]
    if config.next_key_text:
        try:
            held += [fingerprint(k) for k in config.fallback_keys()]
        except ConfigError as exc:
            return [Check("key", "CWDASH_KEY_NEXT", str(exc), FAIL)]
    out = [Check("key", "fingerprint", f"{' / '.join(held)} ({config.origin('CWDASH_KEY')})")]
    if store_fp is None:
        out.append(Check("key", "store's key", "none recorded yet (no sealed token)"))
    elif store_fp in held:
        out.append(Check("key", "store's key", f"{store_fp}: matches"))
    else:
        out.append(
            Check(
                "key",
                "store's key",
                f"{store_fp}: does NOT match this key ({mine})",
                FAIL,
                "point cwdash at the store's key: CWDASH_KEY in the environment, --env-file PATH, "
                f"./.env or {user_env_path()}",
            )
        )
    return out


def live_checks(config: Config) -> list[Check]:
    """The live source, its route and trust, and one bounded request to it."""
    from cwdash.store.sources.factory import live_source

    probe = config._replace(live_timeout=min(config.live_timeout, PROBE_TIMEOUT))
    source = live_source(probe)
    if source is None:
        return [
            Check(
                "live",
                "source",
                "none configured: local status only",
                WARN,
                f"{NOT_CONFIGURED_HINT} for live reads",
            )
        ]
    url = config.live_url or ""
    out = [Check("live", "source", f"{source.name} at {display_url(url)}")]
    try:
        from cwdash.store.sources.client import route

        out.append(Check("live", "proxy", route(url).describe()))
    except ValueError as exc:
        out.append(Check("live", "proxy", str(exc), FAIL))
    if url.lower().startswith("https:"):
        from cwdash.store.sources.trust import trust_sources

        out.append(Check("live", "TLS trusts", trust_sources(config.ca_file).describe()))
    out.append(_reach(source))
    return out


def _reach(source: object) -> Check:
    from cwdash.store.sources.base import LiveSource, LiveTarget
    from cwdash.store.sources.outcome import LiveFailure, Reason

    assert isinstance(source, LiveSource)

    async def once() -> object:
        try:
            return await source.read(LiveTarget("cwdash-doctor", PROBE_ID))
        finally:
            await source.aclose()

    outcome = asyncio.run(once())
    if not isinstance(outcome, LiveFailure):
        return Check("live", "reachable", "yes (answered a probe read)")
    if outcome.reason is Reason.NOT_FOUND:
        return Check("live", "reachable", f"yes ({outcome.detail} for a probe id, as expected)")
    return Check("live", "reachable", f"no: {outcome.describe()}", FAIL, outcome.hint)


def clipboard_checks() -> list[Check]:
    from cwdash.store.terminal import WARN as TERMINAL_WARN
    from cwdash.store.terminal import clipboard_path

    path = clipboard_path()
    return [Check("clipboard", "path", path.detail, WARN if path.state == TERMINAL_WARN else OK)]


def diagnose(config: Config, *, live: bool = True) -> list[Check]:
    """Every check, in the order the report prints them."""
    from cwdash.store import logfile

    checks = settings(config)
    stored, store_fp = store_checks(config)
    checks += stored
    checks += key_checks(config, store_fp)
    if live:
        checks += live_checks(config)
    checks += clipboard_checks()
    checks.append(Check("log", "file", str(logfile.default_path())))
    return checks
