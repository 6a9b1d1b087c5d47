"""The log file: where it is, what it holds, and the secrets it never holds."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

import cwdash.cli.output
from cwdash.store import logfile, redact
from cwdash.store.config import Config, generate_key

SEED_TOKEN = "sk_live_abc123..."  # the seeded store's token (tests/conftest.py)
BRIDGE_TOKEN = "bridge-secret"  # what `configure(bridge)` sets (tests/conftest.py)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _default_log(tmp_path: Path) -> Path:
    return tmp_path / "home" / ".local" / "state" / "cwdash" / "cwdash.log"


def test_a_cli_crash_with_a_token_decrypted_is_logged_without_any_secret(
    cli, configure, store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A bug whose exception text carries every secret, raised once the token is decrypted."""
    next_key = generate_key()
    configure("http://127.0.0.1:9", CWDASH_KEY_NEXT=next_key)
    import os

    key = os.environ["CWDASH_KEY"]
    secrets = [SEED_TOKEN, BRIDGE_TOKEN, key, next_key]

    def explode(*args: object) -> str:
        raise RuntimeError(
            f"exploded: token={SEED_TOKEN} header=b'Bearer {BRIDGE_TOKEN}' key={key} next={next_key}"
        )

    monkeypatch.setattr(cwdash.cli.output, "status_text", explode)
    run = cli("status", "suporte", "--local")  # the token is opened (decrypted) before the text
    log = _default_log(tmp_path)
    assert run.code == 1
    assert "internal error: RuntimeError at test_logfile.py:" in run.err
    assert f"see the log: {log}" in run.err
    assert log.is_file()
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert "in explode" in text and "RuntimeError: exploded: token=" in text
    for secret in secrets:
        assert secret not in text
        assert secret not in run.err + run.out
    assert redact.MASK in text
    assert _mode(log) == 0o600
    assert _mode(log.parent) == 0o700


def test_the_log_goes_where_asked_and_is_not_made_until_something_is_logged(
    cli, configure, store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configure()
    assert cli("list").code == 0
    assert not _default_log(tmp_path).parent.exists()  # nothing logged: nothing created

    monkeypatch.setattr(cwdash.cli.output, "status_text", lambda *a: 1 / 0)
    chosen = tmp_path / "logs" / "mine.log"
    run = cli("status", "suporte", "--local", "--log-file", str(chosen))
    assert f"see the log: {chosen}" in run.err and "ZeroDivisionError" in chosen.read_text()

    via_env = tmp_path / "env.log"
    monkeypatch.setenv("CWDASH_LOG_FILE", str(via_env))
    run = cli("status", "suporte", "--local")
    assert f"see the log: {via_env}" in run.err and via_env.is_file()
    assert not _default_log(tmp_path).exists()


def test_a_log_that_cannot_be_written_is_said_and_not_pointed_to(
    cli, configure, store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configure()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setattr(cwdash.cli.output, "status_text", lambda *a: 1 / 0)
    run = cli("status", "suporte", "--local", "--log-file", str(blocker / "cwdash.log"))
    assert run.code == 1
    assert "see the log" not in run.err
    assert "no log was written" in run.err and "cwdash.log" in run.err
    assert "Traceback" not in run.err and "--- Logging error ---" not in run.err


def test_store_errors_are_logged(cli, configure, tmp_path: Path) -> None:
    configure()
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    run = cli("list", "--db", str(broken))
    assert run.code == 1
    text = _default_log(tmp_path).read_text()
    assert "WARNING cwdash.store" in text and "cmd_list" in text


def test_the_log_rotates_within_its_bound_and_every_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "state" / "cwdash.log"
    handler = logfile.install(path)
    handler.max_bytes, handler.backups = 2_000, 2
    log = logging.getLogger("cwdash.test")
    for i in range(400):
        log.warning("line %d of a long run %s", i, "x" * 40)
    files = sorted(path.parent.iterdir())
    assert [f.name for f in files] == ["cwdash.log", "cwdash.log.1", "cwdash.log.2"]
    for f in files:
        assert f.stat().st_size <= 2_000 + 200
        assert _mode(f) == 0o600
    assert "line 399" in path.read_text()


def test_a_logged_line_cannot_forge_another(tmp_path: Path) -> None:
    path = tmp_path / "cwdash.log"
    logfile.install(path)
    logging.getLogger("cwdash.live").warning("bad answer: %s", "x\n2026-01-01 CRITICAL forged\x1b[31m")
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and "\\x0a" in lines[0] and "\\x1b" in lines[0]


def test_every_form_of_a_secret_is_blanked() -> None:
    redact.register_config(
        Config(
            db_path=Path("x"),
            key_text="k" * 44,
            bridge_url="http://ops:s%40cret-pass@gateway.example:8080/base",
            bridge_token="tok\nwith-a-newline-inside",
        )
    )
    samples = [
        "Illegal header value b'Bearer tok\\nwith-a-newline-inside'",
        "password s@cret-pass and quoted s%40cret-pass",
        "key " + "k" * 44,
    ]
    for sample in samples:
        out = redact.redact(sample)
        assert "s@cret" not in out and "s%40cret" not in out and "k" * 44 not in out
        assert "with-a-newline-inside" not in out
    redact.register("q7z")  # a short secret is blanked only where it stands alone
    assert redact.redact("q7z fq7zd q7z.") == f"{redact.MASK} fq7zd {redact.MASK}."
