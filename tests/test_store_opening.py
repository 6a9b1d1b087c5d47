"""Opening a store: read commands never write, files that are not cwdash stores are
refused untouched, a dangling symlink gets a message, reads survive a full disk."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from storekit import SEED_DOCUMENT

from cwdash.store import schema
from cwdash.store.db import Store, StoreError

READ_COMMANDS = [("list",), ("list", "--json"), ("status", "x", "--local"), ("status", "x"), ("audit",)]
CREATE_COMMANDS = [("add", "x"), ("delete", "x")]


def fingerprint(path: Path) -> tuple[str, bool, bool, bool]:
    """The file's bytes, and whether its journal, -wal and -shm files exist."""
    return (
        hashlib.sha256(path.read_bytes()).hexdigest(),
        Path(f"{path}-journal").exists(),
        Path(f"{path}-wal").exists(),
        Path(f"{path}-shm").exists(),
    )


def other_application(path: Path, *, wal: bool = False, user_version: int = 0) -> None:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices (total) VALUES (9.5)")
    conn.execute(f"PRAGMA user_version = {user_version}")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("wal", "user_version"),
    [
        pytest.param(False, 0, id="rollback-journal"),
        pytest.param(True, 0, id="wal"),
        pytest.param(False, 1, id="v1"),
    ],
)
@pytest.mark.parametrize("command", READ_COMMANDS + CREATE_COMMANDS, ids=" ".join)
def test_another_applications_file_is_refused_and_left_byte_identical(
    cli, configure, db_path: Path, wal: bool, user_version: int, command: tuple[str, ...]
) -> None:
    configure("http://127.0.0.1:9")
    other_application(db_path, wal=wal, user_version=user_version)
    before = fingerprint(db_path)
    run = cli(*command)
    assert run.code == 1, run
    assert "is not a cwdash store" in run.err and "Traceback" not in run.err
    assert fingerprint(db_path) == before
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == ("wal" if wal else "delete")
    conn.close()


def test_the_dashboard_refuses_another_applications_file(db_path: Path) -> None:
    other_application(db_path)
    before = fingerprint(db_path)
    with pytest.raises(StoreError, match="not a cwdash store"):
        Store.open(db_path)
    with pytest.raises(StoreError, match="not a cwdash store"):
        Store.open(db_path, create=True)
    assert fingerprint(db_path) == before


def test_reads_do_not_switch_the_journal_mode_or_migrate(
    cli, configure, store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure()
    store.conn.execute("PRAGMA journal_mode = DELETE")
    store.close()
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, lambda db: db["extra"].create({"x": int})])
    monkeypatch.setattr(schema, "LATEST", len(schema.MIGRATIONS))
    before = fingerprint(db_path)
    for command in (("list",), ("status", "suporte", "--local"), ("audit",)):
        assert cli(*command).code == 0, command
    assert fingerprint(db_path) == before
    assert cli("add", "new").code == 0  # a write migrates, then writes
    conn = sqlite3.connect(db_path)
    assert schema.version(conn) == schema.LATEST
    conn.close()


def test_an_empty_file_is_not_made_a_store_by_a_read(cli, configure, db_path: Path) -> None:
    configure()
    db_path.touch()
    run = cli("list")
    assert run.code == 1 and "empty" in run.err and "cwdash init" in run.err
    assert db_path.read_bytes() == b""
    assert cli("add", "first").code == 0  # a command that creates does
    assert cli("list").code == 0


@pytest.mark.parametrize(
    "command", [("list",), ("status", "x", "--local"), ("add", "x"), ("init",)], ids=" ".join
)
def test_a_dangling_symlink_gets_a_clear_message(
    cli, configure, db_path: Path, tmp_path: Path, command
) -> None:
    configure()
    Path(".env").write_text("# the key comes from the environment\n")
    db_path.symlink_to(tmp_path / "gone" / "store.db")
    run = cli(*command)
    assert run.code == 1
    assert "symbolic link" in run.err and "does not exist" in run.err and "Traceback" not in run.err
    assert not (tmp_path / "gone").exists()


def test_read_only_opening_reads_and_refuses_writes_for_any_user(store: Store, db_path: Path) -> None:
    """Read-only by SQLite's own mode, so it holds for root too (permissions do not)."""
    store.close()
    before = fingerprint(db_path)
    ro = Store.open(db_path, readonly=True)
    assert ro.readonly
    assert ro.integration("suporte") is not None
    with pytest.raises(StoreError, match="read-only"):
        ro.add_instance("x")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ro.conn.execute("INSERT INTO instances VALUES ('y', 'z')")
    ro.close()
    # (a read-only handle on a WAL store leaves SQLite's -wal/-shm files, empty of changes)
    assert fingerprint(db_path)[0] == before[0]


def test_store_paths_with_uri_characters_open_read_only(tmp_path: Path, sealer) -> None:
    path = tmp_path / "odd?name#1%20.db"
    Store.open(path, create=True).close()
    ro = Store.open(path, readonly=True)
    assert ro.list_rows() == []
    ro.close()


# -- a full disk ----------------------------------------------------------------------------


@contextlib.contextmanager
def tiny_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs, mounted for the test (root only); skipped where mounting is impossible."""
    mount = tmp_path / f"tiny-{uuid.uuid4().hex[:8]}"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small filesystem needs root and mount(8)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(directory: Path) -> None:
    """Fill the filesystem to its last byte."""
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0")
    finally:
        os.close(fd)


def store_on_a_full_disk(mount: Path, sealer, *, leftover_wal: bool) -> Path:
    """A store with the seed's instance on ``mount``, the disk then filled to the last byte.

    ``leftover_wal``: a commit is still in the -wal file (as a copied or crashed store
    has it) and there is no -shm file."""
    from cwdash.store.importer import import_text

    path = mount / "cwdash.db"
    store = Store.open(path, create=True)
    import_text(store, sealer, json.dumps([SEED_DOCUMENT]))
    store.close()
    if leftover_wal:
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("INSERT INTO instances VALUES ('late', '2026-01-01T00:00:00Z')")
        conn.commit()
        saved = {suffix: Path(f"{path}{suffix}").read_bytes() for suffix in ("", "-wal")}
        conn.close()
        for suffix, data in saved.items():
            Path(f"{path}{suffix}").write_bytes(data)
    assert not Path(f"{path}-shm").exists()
    fill(mount)
    return path


@pytest.mark.parametrize("leftover_wal", [False, True], ids=["closed-cleanly", "commits-left-in-the-wal"])
def test_reads_work_on_a_full_disk(cli, configure, sealer, tmp_path: Path, monkeypatch, leftover_wal) -> None:
    configure()
    with tiny_filesystem(tmp_path) as mount:
        path = store_on_a_full_disk(mount, sealer, leftover_wal=leftover_wal)
        monkeypatch.setenv("CWDASH_DB", str(path))

        listing = cli("list")
        assert listing.code == 0, listing.err
        assert "suporte" in listing.out and ("late" in listing.out) == leftover_wal
        assert "read-only" in listing.err  # the fallback is stated
        assert cli("list", "--json").code == 0
        local = cli("status", "suporte", "--local")
        assert local.code == 0 and "ACTIVE" in local.out, local.err

        store = Store.open(path)
        assert store.readonly and "read-only" in (store.notice or "")
        assert store.integration("suporte") is not None
        with pytest.raises(StoreError, match="read-only"):
            store.add_instance("x")
        store.close()

        write = cli("add", "x")  # a write fails with a message, not a traceback
        assert write.code == 1 and "Traceback" not in write.err and "internal error" not in write.err
