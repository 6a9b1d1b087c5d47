"""``cwdash list`` streamed (issue 16, target 5): the same bytes as the in-memory listing it
replaced, on a store that has everything (bad rows, no integration, upstream rows, a token
not synced, non-ASCII and wide names, control characters), the bad-row warning after the
listing, a store failing midway, a closed pipe, and memory that cannot grow with the fleet.
"""

from __future__ import annotations

import inspect
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_bad_rows import loosen

from cwdash.cli import color, output
from cwdash.store import listing, upstream
from cwdash.store.db import Store, StoreError
from cwdash.store.document import TOKEN_NOT_SYNCED, StatusDocument
from cwdash.store.importer import import_text
from cwdash.store.rows import BadRow
from cwdash.store.ryzeapi.listing import Listed
from cwdash.store.sealing import Sealer
from cwdash.store.status import BAD_ROW, NO_INTEGRATION, STATES, silently_broken
from cwdash.store.text import cell_width, one_line

TOKEN = "cwt_STREAM_SENTINEL_8c41d2e9f0"


# -- the listing as it was before streaming (HEAD of issue 15), kept here as the reference --


def old_list_json(store: Store) -> list[dict[str, object]]:
    rows = store.list_rows()
    by_name = {r.name if isinstance(r, BadRow) else r.instance_name: r for r in store.integration_records()}
    ups = upstream.read_all(store)
    out: list[dict[str, object]] = []
    for row in rows:
        up = ups.get(row.name)
        record = by_name.get(row.name)
        if row.bad or isinstance(record, BadRow):
            out.append({"instance_name": row.name, "bad_row": row.bad or record.field})  # type: ignore[union-attr]
        elif record is None or not row.has_integration:
            out.append({"instance_name": row.name})
        else:
            out.append(record.as_json(include_token=False))
        if up is not None:
            out[-1]["upstream"] = upstream.as_json(up)
    return out


def old_table(store: Store) -> str:
    rows = store.list_rows()
    ups, unsynced = upstream.read_all(store), upstream.unsynced_tokens(store)

    def note(r, up) -> str:  # type: ignore[no-untyped-def]
        if r.bad:
            return f"bad row: {r.bad}"
        notes = [one_line(r.last_error, 60)] if r.last_error else []
        if up is not None and r.has_integration and silently_broken(r.status, up.connection):
            notes.append("number offline")
        if up is not None and not up.listed:
            notes.append("not listed upstream")
        if r.name in unsynced:
            notes.append("token not synced")
        return "; ".join(notes)

    def connection(r, up) -> str:  # type: ignore[no-untyped-def]
        if up is None:
            return "—"
        cell = up.connection.upper() or "—"
        if r.has_integration and not r.bad and silently_broken(r.status, up.connection):
            cell += "!"
        return cell

    header = ("INSTANCE", "STATUS", "CONNECTION", "INBOX", "CHATWOOT", "LAST ERROR")
    table = [
        (
            one_line(r.name, 40),
            (BAD_ROW if r.bad else r.status if r.has_integration else STATES[NO_INTEGRATION].word).upper(),
            connection(r, ups.get(r.name)),
            str(r.inbox_id or "—") if r.has_integration and not r.bad else "",
            one_line(r.base_url, 50),
            note(r, ups.get(r.name)),
        )
        for r in rows
    ]
    widths = [max(len(header[i]), *(cell_width(t[i]) for t in table)) for i in range(5)]
    lines = []
    for n, line in enumerate([header, *table]):
        cells = [c + " " * (w - cell_width(c)) for c, w in zip(line[:5], widths, strict=True)]
        if n:
            cells[1] = color.status_word(line[1]) + cells[1][len(line[1]) :]
        lines.append(("  ".join(cells) + "  " + line[5]).rstrip())
    return "\n".join(lines) + "\n"


# -- a store with everything ------------------------------------------------------------------


def doc(name: str, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "instance_name": name,
        "status": "active",
        "bridge_integration_id": f"int_{abs(hash(name)) % 10**8}",
        "chatwoot_base_url": "https://chatwoot.example.com",
        "chatwoot_account_id": 3,
        "chatwoot_api_token": TOKEN,
        "chatwoot_inbox_id": 7,
        "chatwoot_inbox_name": "WhatsApp",
        "last_error": "",
        "created_at": "2026-04-20T10:15:30Z",
    }
    values.update(changes)
    return values


@pytest.fixture
def mixed(db_path: Path, sealer: Sealer, configure) -> Path:  # type: ignore[no-untyped-def]
    configure()
    store = Store.open(db_path, create=True)
    records = [
        doc("alpha"),
        {"instance_name": "bare"},
        doc("café-ünïcode", last_error="erreur: délai dépassé ✗", chatwoot_inbox_name="Boîte"),
        doc("東京-支店", status="error", last_error="接続が切断されました", chatwoot_inbox_id=0),
        doc("ctrl", last_error="line one\nline two\t\x1b[31mred\x1b[0m", status="paused"),
        doc("long-" + "x" * 60, chatwoot_base_url="http://plain.example:8080/sub"),
        doc("offline", status="active"),
        doc("unlisted", status="error", last_error="gone upstream"),
        doc("emoji-👍", sign_messages=True, reopen_resolved=True),
        doc("formula", last_error='=HYPERLINK("http://x")', chatwoot_inbox_name="+1 inbox"),
        doc("zz-bad-flag"),
        doc("zz-bad-status"),
        doc("zz-bad-token"),
        doc("zz-not-synced"),
    ]
    import_text(store, sealer, "\n".join(json.dumps(r) for r in records))
    with store.write():
        upstream.save_listing(
            store.conn,
            [
                Listed("alpha", "connected", "1@s.whatsapp.net", ""),
                Listed("offline", "loggedout", None, ""),
                Listed("bare", "connecting", None, ""),
            ],
            "2026-04-21T00:00:00Z",
        )
        upstream.mark_unlisted(store.conn, ["unlisted"], "2026-04-22T00:00:00Z")
        upstream.mark_synced(store.conn, "alpha", "digest", "2026-04-21T00:00:01Z", flags_synced=False)
        store.conn.execute(
            "UPDATE chatwoot_integrations SET chatwoot_api_token = ? WHERE instance_name = 'zz-not-synced'",
            (TOKEN_NOT_SYNCED,),
        )
    store.close()
    conn = loosen(db_path)
    conn.execute("UPDATE chatwoot_integrations SET sign_messages = 7 WHERE instance_name = 'zz-bad-flag'")
    conn.execute("UPDATE chatwoot_integrations SET status = 'exploded' WHERE instance_name = 'zz-bad-status'")
    # text that is not UTF-8 in the token: only the record's check (not SQLite's typeof) sees it
    conn.execute(
        "UPDATE chatwoot_integrations SET chatwoot_api_token = CAST(x'ff41' AS TEXT) "
        "WHERE instance_name = 'zz-bad-token'"
    )
    conn.execute("INSERT INTO instances (name, created_at) VALUES (x'00ff', '2026-04-20T10:15:30Z')")
    conn.commit()
    conn.close()
    return db_path


def reference(db_path: Path) -> tuple[list[dict[str, object]], str]:
    store = Store.open(db_path)
    try:
        return old_list_json(store), old_table(store)
    finally:
        store.close()


def test_list_json_is_byte_identical_to_the_in_memory_listing(cli, mixed: Path) -> None:
    objects, _ = reference(mixed)
    run = cli("list", "--json")
    assert run.code == 0
    ascii_only = not output.stdout_is_utf8()
    assert run.out == output.json_text(objects, ascii_only=ascii_only) + "\n"
    shown = {o["instance_name"]: o for o in json.loads(run.out)}
    assert shown["zz-bad-token"] == {"instance_name": "zz-bad-token", "bad_row": "chatwoot_api_token"}
    assert shown["zz-bad-flag"]["bad_row"] == "sign_messages"
    assert shown["alpha"]["upstream"]["connection"] == "connected"
    assert [o for o in shown.values() if o["instance_name"].startswith("<")] == [
        {"instance_name": "<blob 00ff>", "bad_row": "instance_name"}
    ]
    assert TOKEN not in run.out and TOKEN not in run.err
    # the warning about bad rows keeps its words; it now comes after the listing
    assert run.err.startswith("cwdash: 3 bad row(s) in the store, written by another tool (first: ")


@pytest.mark.parametrize("colour", ["never", "always"])
def test_the_table_is_identical_to_the_in_memory_one(cli, mixed: Path, colour: str) -> None:
    run = cli("list", "--color", colour)
    color.configure(colour)
    try:
        _, table = reference(mixed)
    finally:
        color.configure("never")
    assert run.code == 0
    assert run.out == table
    assert TOKEN not in run.out


def test_the_table_without_a_temporary_file_reads_the_store_twice(cli, mixed: Path, monkeypatch) -> None:
    def full_disk(*args: object, **kwargs: object) -> object:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.tempfile, "TemporaryFile", full_disk)
    run = cli("list", "--color", "never")
    color.configure("never")
    assert run.code == 0
    assert run.out == reference(mixed)[1]


def test_empty_store(cli, db_path: Path, configure) -> None:  # type: ignore[no-untyped-def]
    configure()
    Store.open(db_path, create=True).close()
    assert cli("list").out.startswith("no instances in the store")
    assert cli("list", "--json").out == "[]\n"
    assert cli("list", "--csv").out.startswith("instance_name,state,connection,note,status,")


def test_documents_are_what_the_record_gives(mixed: Path) -> None:
    store = Store.open(mixed)
    try:
        records = {r.instance_name: r for r in store.integration_records() if isinstance(r, StatusDocument)}
        documents = {i.name: i.document for i in listing.iter_listing(store) if i.document is not None}
    finally:
        store.close()
    assert documents == {name: r.as_json(include_token=False) for name, r in records.items()}


def test_a_store_failing_midway_leaves_an_unclosed_array_and_says_so(cli, mixed: Path, monkeypatch) -> None:
    real = Store.stream

    def failing(self: Store, sql: str, params=()) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
        for n, row in enumerate(real(self, sql, params)):
            if n == 4:
                raise StoreError(f"store error on {self.path}: disk I/O error")
            yield row

    monkeypatch.setattr(Store, "stream", failing)
    monkeypatch.setattr("cwdash.store.export.BATCH", 2)
    run = cli("list", "--json")
    assert run.code == 1
    assert run.out.startswith("[\n  {")
    with pytest.raises(json.JSONDecodeError):
        json.loads(run.out)
    assert (
        "disk I/O error; the listing stopped after 4 instance(s), so what it printed is incomplete" in run.err
    )
    run = cli("list", "--csv")
    assert run.code == 1 and run.out.endswith("\n")  # whole lines only
    assert "stopped after 4 instance(s)" in run.err


def test_a_store_failing_before_the_first_row_prints_nothing(cli, mixed: Path, monkeypatch) -> None:
    def failing(self: Store, sql: str, params=()) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
        raise StoreError(f"{self.path} is not a usable cwdash store (file is not a database)")
        yield ()

    monkeypatch.setattr(Store, "stream", failing)
    for argv in (["list", "--json"], ["list", "--csv"], ["list"]):
        run = cli(*argv)
        assert run.code == 1 and run.out == ""
        assert "is not a usable cwdash store" in run.err and "stopped after" not in run.err


def test_memory_cannot_grow_with_the_fleet(db_path: Path) -> None:
    """Structural, not measured (bench/run.py measures): rows come in batches of fetchmany,
    one item at a time, and the output is written in pieces."""
    store = Store.open(db_path, create=True)
    import_text(store, None, "\n".join(json.dumps({"instance_name": f"i-{n:05d}"}) for n in range(2500)))
    fetched: list[int] = []

    class Cursor:
        def __init__(self, cursor: sqlite3.Cursor, sql: str) -> None:
            self.cursor = cursor
            self.sql = sql

        def fetchmany(self, size: int) -> list[tuple]:
            batch = self.cursor.fetchmany(size)
            if "FROM instances" in self.sql:
                fetched.append(len(batch))
            return batch

        def fetchall(self) -> list[tuple]:
            assert "FROM instances" not in self.sql, "the listing must not fetch everything at once"
            return self.cursor.fetchall()

    class Connection:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def execute(self, sql: str, params: tuple = ()) -> Cursor:
            return Cursor(self.conn.execute(sql, params), sql)

    try:
        items = listing.iter_listing(store)
        assert inspect.isgenerator(items)
        real = store.conn
        store.conn = Connection(real)  # type: ignore[assignment]
        first = next(items)
        assert first.name == "i-00000" and fetched == [2000]  # one batch, not 2500 rows
        items.close()
    finally:
        store.conn = real
        store.close()
    from cwdash.store import export

    chunks = export.json_chunks({"n": n} for n in range(3 * export.BATCH))
    assert inspect.isgenerator(chunks)
    assert len(list(chunks)) >= 3


def _fleet(tmp_path: Path, n: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CWDASH_", "BRIDGE_"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_DATA_HOME=str(tmp_path / "data"))
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), CWDASH_DB=str(tmp_path / "fleet.db"))
    cwdash = [sys.executable, "-m", "cwdash"]
    subprocess.run([*cwdash, "init"], env=env, check=True, capture_output=True, cwd=tmp_path)
    lines = "\n".join(json.dumps({"instance_name": f"inst-{i:05d}"}) for i in range(n))
    subprocess.run([*cwdash, "import", "-"], env=env, check=True, input=lines, text=True, capture_output=True)
    return env


@pytest.mark.parametrize("flag", ["--csv", "--json", ""])
def test_a_closed_pipe_is_quiet_and_exits_141(tmp_path: Path, flag: str) -> None:
    env = _fleet(tmp_path, 3000)  # more than a pipe holds
    done = subprocess.run(
        ["bash", "-c", f'{sys.executable} -m cwdash list {flag} | true; echo "rc=${{PIPESTATUS[0]}}"'],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.stderr == ""
    assert done.stdout.splitlines() == ["rc=141"]
