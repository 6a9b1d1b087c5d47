"""The .env is someone else's file: rekey writes through its symlink, keeps its owner,
group and mode, never follows a planted temp-file link; a stranger's ./.env is not read
on its own; a file that is not UTF-8 and a bad CWDASH_KEY_NEXT get clear messages."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from storekit import TOKENS, env_text, opened, write_env

from cwdash.store.config import load_config
from cwdash.store.db import Store

STRANGER = 54321  # a uid (and gid) nobody on the test machine has
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def content(db_path: Path, key: str) -> str:
    return env_text(db_path, key, before="# RyzeAPI's own settings\n", after="PORT=8080\n")


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if "cwdash" in p.name and p.name != "cwdash.db")


def test_rekey_writes_through_a_symlinked_env(
    cli, store: Store, key: str, db_path: Path, isolated: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "etc-ryzeapi"
    shared.mkdir()
    target = write_env(shared / "ryzeapi.env", content(db_path, key))
    link = isolated / ".env"
    link.symlink_to(target)
    run = cli("rekey")
    assert run.code == 0, run.err
    assert link.is_symlink() and Path(os.readlink(link)) == target  # the link is kept...
    new = load_config(target).key_text or ""
    assert new and new != key  # ...and its target, which every reader sees, holds the new key
    assert "PORT=8080" in target.read_text() and "# RyzeAPI's own settings" in target.read_text()
    assert opened(db_path, new) == TOKENS
    assert leftovers(shared) == [] and leftovers(isolated) == []


def test_rekey_keeps_the_env_files_mode_owner_and_group(
    cli, store: Store, key: str, db_path: Path, isolated: Path
) -> None:
    env = write_env(
        isolated / ".env", content(db_path, key), 0o640
    )  # shared with RyzeAPI's server through its group
    if ROOT:
        os.chown(env, STRANGER, 1)  # another user's file, group daemon
    run = cli("rekey", "--env-file", str(env))  # named: a stranger's ./.env is only read when named
    assert run.code == 0, run.err
    after = env.stat()
    assert stat.S_IMODE(after.st_mode) == 0o640
    assert "(mode 640)" in run.out
    if ROOT:
        assert (after.st_uid, after.st_gid) == (STRANGER, 1)
    assert opened(db_path, load_config(env).key_text or "") == TOKENS


def test_rekey_never_follows_a_planted_temp_file_link(
    cli, store: Store, key: str, db_path: Path, isolated: Path, tmp_path: Path
) -> None:
    env = write_env(isolated / ".env", content(db_path, key))
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    planted = isolated / f"..env.cwdash-{os.getpid()}"  # the name the old code used
    planted.symlink_to(victim)
    assert cli("rekey").code == 0
    assert victim.read_text() == "precious\n"
    assert planted.is_symlink() and not env.is_symlink()
    assert opened(db_path, load_config(env).key_text or "") == TOKENS
    assert leftovers(isolated) == [planted.name]


def test_a_failed_rewrite_leaves_the_env_and_no_temp_file(
    cli, store: Store, key: str, db_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = write_env(isolated / ".env", content(db_path, key))
    before = env.read_bytes()

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    run = cli("rekey")
    assert run.code == 1
    assert "No space left on device" in run.err and "internal error" not in run.err
    assert env.read_bytes() == before and leftovers(isolated) == []
    assert opened(db_path, key) == TOKENS


@pytest.mark.skipif(not ROOT, reason="needs root to give the file to another user")
def test_a_strangers_env_in_the_working_directory_is_not_read_unless_named(
    cli, store: Store, key: str, db_path: Path, isolated: Path
) -> None:
    env = write_env(isolated / ".env", content(db_path, key))
    os.chown(env, STRANGER, STRANGER)
    run = cli("list")
    assert run.code == 1
    assert "belongs to another user" in run.err and "--env-file" in run.err
    assert key not in run.err
    assert cli("init").code == 1  # nor appended to, nor rekeyed
    assert cli("rekey").code == 1
    assert env.read_text() == content(db_path, key)
    named = cli("list", "--env-file", ".env")
    assert named.code == 0, named.err
    # a link of one's own to a stranger's file is no better
    env.rename(isolated / "theirs.env")
    env.symlink_to(isolated / "theirs.env")
    assert "belongs to another user" in cli("list").err


def test_an_env_file_that_is_not_utf8_is_a_clear_message(cli, isolated: Path) -> None:
    (isolated / ".env").write_bytes(b"BRIDGE_URL=http://h\nCWDASH_KEY=caf\xe9\n")
    os.chmod(isolated / ".env", 0o600)
    run = cli("list")
    assert run.code == 1
    assert "not UTF-8" in run.err and "line 2" in run.err
    assert "internal error" not in run.err and "Traceback" not in run.err


def test_a_bad_next_key_is_named_as_such(cli, store: Store, configure) -> None:
    configure(CWDASH_KEY_NEXT="abc")
    run = cli("status", "suporte", "--json", "--local")
    assert run.code == 1
    assert "CWDASH_KEY_NEXT is not valid base64" in run.err
    configure(CWDASH_KEY_NEXT="c2hvcnQ=")
    assert "CWDASH_KEY_NEXT decodes to 5 bytes" in cli("status", "suporte", "--local").err
