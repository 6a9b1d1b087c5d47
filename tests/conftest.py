"""Shared fixtures: an isolated environment, a key, a store, the CLI, and the bridge stand-in."""

from __future__ import annotations

import hashlib
import io
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from storekit import SEED_DOCUMENT

from cwdash.store.config import generate_key, parse_key
from cwdash.store.db import Store
from cwdash.store.endpoint import integration_id_problem
from cwdash.store.importer import import_text
from cwdash.store.sealing import Sealer
from cwdash.store.simbridge import Reply, SimBridge

pytest_plugins = ("ryzekit",)  # the simulated RyzeAPI server's fixtures

BRIDGE_TOKEN = "bridge-secret"

_VARS = (
    "CWDASH_DB",
    "CWDASH_KEY",
    "BRIDGE_URL",
    "BRIDGE_TOKEN",
    "CWDASH_LIVE_TIMEOUT",
    "CWDASH_CONCURRENCY",
    "CWDASH_RATE",
    "CWDASH_NO_REVEAL",
    "CWDASH_KEY_NEXT",
    "CWDASH_ROUND_EVERY",
    "CWDASH_LOG_FILE",
    "TMUX",
    "CWDASH_CA_FILE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NO_COLOR",
    "FORCE_COLOR",
    *(f"{v}_PROXY" for v in ("HTTPS", "HTTP", "ALL", "NO")),
    *(f"{v}_proxy" for v in ("https", "http", "all", "no")),
    "RYZEAPI_URL",
    "RYZEAPI_TOKEN",
    "CWDASH_SOURCE",
    "CWDASH_RYZEAPI_RESERVE",
    "CWDASH_HISTORY_DAYS",
    "CWDASH_HISTORY_CAP",
    "CWDASH_ALERT_UNREACHABLE_AFTER",
)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No configuration leaks in from the machine: clean variables, a fresh working directory."""
    for name in _VARS:
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / ".local" / "share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "home" / ".local" / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.delenv("CWDASH_LOG_FILE", raising=False)
    # a UTF-8 terminal unless a test says otherwise (a bare CI environment is the C locale)
    for name in ("LC_ALL", "LC_CTYPE", "CWDASH_ASCII"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    return work


@pytest.fixture(autouse=True)
def _no_log_file_left_installed() -> Iterator[None]:
    """main() installs the log file handler process-wide: each test ends without it."""
    yield
    from cwdash.store import logfile

    logfile.uninstall()


@pytest.fixture
def key() -> str:
    return generate_key()


@pytest.fixture
def sealer(key: str) -> Sealer:
    return Sealer(parse_key(key))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cwdash.db"


def document(name: str, **changes: object) -> dict[str, object]:
    """The seed's example document for another instance, with changes."""
    out = {**SEED_DOCUMENT, "instance_name": name, "bridge_integration_id": bridge_id_for(name)}
    out.update(changes)
    return out


def bridge_id_for(name: str) -> str:
    """``int_<name>``, or a digest of the name when that would not be one URL path segment."""
    ident = f"int_{name}"
    if integration_id_problem(ident) is None:
        return ident
    return "int_" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@pytest.fixture(name="document")
def document_fixture() -> Callable[..., dict[str, object]]:
    """``document(name, **changes)``: the seed's example document for another instance."""
    return document


@pytest.fixture
def store(db_path: Path, sealer: Sealer) -> Iterator[Store]:
    """A store holding the seed's instance, one without integration, and one with inbox 0."""
    s = Store.open(db_path, create=True)
    records = [
        SEED_DOCUMENT,
        {"instance_name": "bare"},
        document("fresh", chatwoot_inbox_id=0, status="paused", last_error="stale local error"),
    ]
    import_text(s, sealer, json.dumps(records))
    yield s
    s.close()


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch, key: str, db_path: Path) -> Callable[..., None]:
    """Point the configuration (environment) at the test store, key and, optionally, a bridge."""

    def apply(bridge: SimBridge | str | None = None, *, timeout: float = 2.0, **extra: str) -> None:
        monkeypatch.setenv("CWDASH_DB", str(db_path))
        monkeypatch.setenv("CWDASH_KEY", key)
        monkeypatch.setenv("CWDASH_LIVE_TIMEOUT", str(timeout))
        if bridge is not None:
            monkeypatch.setenv("BRIDGE_URL", bridge if isinstance(bridge, str) else bridge.url)
            monkeypatch.setenv("BRIDGE_TOKEN", BRIDGE_TOKEN)
        for name, value in extra.items():
            monkeypatch.setenv(name, value)

    return apply


@pytest.fixture
def bridge() -> Callable[..., SimBridge]:
    """Start bridge stand-ins on 127.0.0.1; all are stopped at the end of the test."""
    started: list[SimBridge] = []

    def start(routes: dict[str, Reply] | Callable[[str], Reply], **kwargs: object) -> SimBridge:
        sim = SimBridge(routes, token=BRIDGE_TOKEN, **kwargs).start()  # type: ignore[arg-type]
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Run ``cwdash`` in-process: exit code, stdout and stderr."""
    from cwdash.cli.main import main

    def run(*argv: str, stdin: str | None = None) -> Run:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
