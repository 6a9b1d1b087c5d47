"""Rows written by other tools: whatever another program puts in the SQLite file, every
field read is checked; a bad row is listed as "bad row: <field>", never used, and the
other rows are unaffected."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cwdash.store.db import Store
from cwdash.store.readmodel import ReadModel

COLUMNS = (
    "instance_name, status, bridge_integration_id, chatwoot_base_url, chatwoot_account_id, "
    "chatwoot_api_token, chatwoot_inbox_id, chatwoot_inbox_name, last_error, created_at, updated_at, "
    "sign_messages, ignore_groups, start_as_pending, reopen_resolved"
)


def loosen(path: Path) -> sqlite3.Connection:
    """Rebuild the integrations table without types or constraints, as another tool could:
    from then on any value of any type fits in any column."""
    conn = sqlite3.connect(path)
    conn.executescript(
        f"""
        PRAGMA foreign_keys = OFF;
        CREATE TABLE loose ({COLUMNS});
        INSERT INTO loose SELECT {COLUMNS} FROM chatwoot_integrations;
        DROP TABLE chatwoot_integrations;
        ALTER TABLE loose RENAME TO chatwoot_integrations;
        CREATE TABLE loose_instances (name, created_at);
        INSERT INTO loose_instances SELECT name, created_at FROM instances;
        DROP TABLE instances;
        ALTER TABLE loose_instances RENAME TO instances;
        """
    )
    return conn


# (field, SQL expression written into it by the other tool)
BAD_VALUES = [
    pytest.param("chatwoot_account_id", "'five'", id="text-account-id"),
    pytest.param("chatwoot_account_id", "'1180591620717411303424'", id="2^70-as-text"),
    pytest.param("chatwoot_account_id", "0", id="zero-account-id"),
    pytest.param("chatwoot_account_id", "NULL", id="null-account-id"),
    pytest.param("chatwoot_inbox_id", "42.5", id="real-inbox-id"),
    pytest.param("chatwoot_inbox_id", "-1", id="negative-inbox-id"),
    pytest.param("chatwoot_inbox_name", "x'00ff'", id="blob-inbox-name"),
    pytest.param("status", "'exploded'", id="status-outside-vocabulary"),
    pytest.param("status", "NULL", id="null-status"),
    pytest.param("last_error", "NULL", id="null-last-error"),
    pytest.param("last_error", "CAST(x'ff41' AS TEXT)", id="not-utf8-text"),
    pytest.param("bridge_integration_id", "'..'", id="dot-segment-bridge-id"),
    pytest.param("bridge_integration_id", "''", id="empty-bridge-id"),
    pytest.param("chatwoot_base_url", "'ftp://x'", id="not-http-url"),
    pytest.param("chatwoot_api_token", "x'0102'", id="blob-token"),
    pytest.param("created_at", "'yesterday'", id="created-at-not-rfc3339"),
    pytest.param("sign_messages", "7", id="flag-of-7"),
    pytest.param("reopen_resolved", "'yes'", id="flag-of-yes"),
]


@pytest.fixture
def loose(store: Store, db_path: Path, configure) -> sqlite3.Connection:
    configure()
    store.close()
    conn = loosen(db_path)
    yield conn
    conn.close()


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_a_bad_field_makes_a_bad_row_listed_as_such_and_the_others_are_unaffected(
    cli, loose: sqlite3.Connection, field: str, value: str
) -> None:
    loose.execute(f"UPDATE chatwoot_integrations SET {field} = {value} WHERE instance_name = 'fresh'")
    loose.commit()

    listing = cli("list")
    assert listing.code == 0, listing.err
    lines = {line.split()[0]: line for line in listing.out.splitlines()[1:]}
    assert "BAD ROW" in lines["fresh"] and f"bad row: {field}" in lines["fresh"]
    assert "ACTIVE" in lines["suporte"] and "42" in lines["suporte"]
    assert "NO INTEGRATION" in lines["bare"]
    assert f"bad row: {field}" in listing.err and "Traceback" not in listing.err

    as_json = {d["instance_name"]: d for d in cli("list", "--json").json()}
    assert as_json["fresh"] == {"instance_name": "fresh", "bad_row": field}
    assert as_json["suporte"]["chatwoot_inbox_id"] == 42
    assert as_json["bare"] == {"instance_name": "bare"}

    status = cli("status", "fresh", "--local")
    assert status.code == 1 and status.out == ""
    assert f"bad row: {field}" in status.err and "Traceback" not in status.err
    exact = cli("status", "fresh", "--local", "--json")
    assert exact.code == 1
    assert exact.json() == {"success": False, "error": {"message": f"bad row: {field}"}}

    assert cli("status", "suporte", "--local").code == 0


def test_a_bad_row_is_never_read_live(cli, loose: sqlite3.Connection, configure, bridge) -> None:
    from cwdash.store.simbridge import live

    loose.execute("UPDATE chatwoot_integrations SET chatwoot_account_id = 'x' WHERE instance_name = 'fresh'")
    loose.commit()
    sim = bridge({"int_fresh": live("active"), "int_xyz789abc": live("active")})
    configure(sim)
    run = cli("status", "fresh")
    assert run.code == 1 and "bad row: chatwoot_account_id" in run.err
    assert sim.stats.paths == []


@pytest.mark.parametrize(
    ("name_sql", "shown"),
    [
        pytest.param("x'61626364'", "<blob 61626364>", id="blob"),
        pytest.param("12", "<int 12>", id="integer"),
        pytest.param("NULL", "<null>", id="null"),
        pytest.param("CAST(x'ff' AS TEXT)", "<text ff>", id="not-utf8"),
        pytest.param("'bad\x07name'", "bad\\x07name", id="control"),
    ],
)
def test_instance_names_that_are_not_names(cli, loose: sqlite3.Connection, name_sql: str, shown: str) -> None:
    loose.execute(f"INSERT INTO instances VALUES ({name_sql}, '2026-01-01T00:00:00Z')")
    loose.commit()
    listing = cli("list")
    assert listing.code == 0, listing.err
    (line,) = [line for line in listing.out.splitlines() if line.startswith(shown)]
    assert "bad row: instance_name" in line
    assert len(listing.out.splitlines()) == 5  # header, the three good rows, the bad one
    entries = cli("list", "--json").json()
    assert {"instance_name": shown.replace("\\x07", "\x07"), "bad_row": "instance_name"} in entries


def test_store_records_are_checked_at_the_one_place_rows_become_records(
    loose: sqlite3.Connection, db_path: Path, sealer
) -> None:
    from cwdash.store.db import BadRowError
    from cwdash.store.rows import BadRow

    loose.execute(
        "UPDATE chatwoot_integrations SET chatwoot_inbox_id = '9' || '9' WHERE instance_name = 'fresh'"
    )
    loose.commit()
    store = Store.open(db_path)
    with pytest.raises(BadRowError, match="bad row: chatwoot_inbox_id"):
        store.integration("fresh")
    with pytest.raises(BadRowError):
        store.integrations()  # rekey and the like refuse rather than skip a row
    records = store.integration_records()
    assert BadRow("fresh", "chatwoot_inbox_id") in records
    assert sum(1 for r in records if not isinstance(r, BadRow)) == 1
    result = ReadModel(store, sealer, None).local("fresh")
    assert result.message == "bad row: chatwoot_inbox_id"  # type: ignore[union-attr]
    store.close()


def test_json_of_bad_rows_is_valid(cli, loose: sqlite3.Connection) -> None:
    loose.execute("INSERT INTO instances VALUES (x'ff00', '2026-01-01T00:00:00Z')")
    loose.execute("UPDATE chatwoot_integrations SET last_error = CAST(x'c3' AS TEXT)")
    loose.commit()
    run = cli("list", "--json")
    assert run.code == 0
    json.loads(run.out)
