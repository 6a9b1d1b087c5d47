"""One record, one status vocabulary, one merge rule: everything else derives from them.

The record's fields are defined once (:class:`cwdash.store.document.StatusDocument`);
these tests hold the places that used to repeat them (the store's columns, ``set``,
the import, the screens' looks, the fleet rows) to that one definition.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cwdash.store import status
from cwdash.store.db import Store
from cwdash.store.document import (
    DEFAULTS,
    FIELDS,
    FLAG_MEANINGS,
    FLAGS,
    NOW,
    SQL_TYPES,
    InvalidRecord,
    SealedToken,
    StatusDocument,
    validate_record,
)
from cwdash.store.fleetrow import FleetRow
from cwdash.store.merge import inbox_to_fill, merge_volatile
from cwdash.store.readmodel import merge
from cwdash.store.sources.outcome import LiveFailure, LiveState, Reason

NOW_TEXT = "2026-01-01T00:00:00Z"


def _columns(path: Path) -> dict[str, tuple[str, bool, object]]:
    conn = sqlite3.connect(path)
    try:
        info = conn.execute("PRAGMA table_info(chatwoot_integrations)").fetchall()
    finally:
        conn.close()
    return {name: (kind, bool(notnull), default) for _, name, kind, notnull, default, _ in info}


def test_a_fresh_store_has_the_records_fields_as_columns(db_path: Path) -> None:
    """The migrations keep their literal column lists (history); what they build is the record."""
    Store.open(db_path, create=True).close()
    columns = _columns(db_path)
    # same names, same order; updated_at and local_written_at (schema v3) are the store's own
    assert [c for c in columns if c not in ("updated_at", "local_written_at")] == list(FIELDS)
    assert {name: kind for name, (kind, _, _) in columns.items() if name in FIELDS} == SQL_TYPES
    assert all(notnull for name, (_, notnull, _) in columns.items() if name != "instance_name")  # the key
    for name, (_, _, sql_default) in columns.items():  # a default the store has is the record's
        if sql_default is not None and name != "local_written_at":  # the store's own ("": unknown)
            assert name in DEFAULTS, name
            expected = DEFAULTS[name]
            literal = f"'{expected}'" if isinstance(expected, str) else str(int(expected))  # type: ignore[call-overload]
            assert sql_default == literal, name


def test_the_field_table_is_the_dataclass() -> None:
    assert tuple(f.name for f in fields(StatusDocument)) == FIELDS
    assert len(FIELDS) == 14
    assert FLAGS == ("sign_messages", "ignore_groups", "start_as_pending", "reopen_resolved")
    assert all(FLAG_MEANINGS[f] for f in FLAGS)
    assert DEFAULTS["status"] == status.DEFAULT_STATUS and DEFAULTS["created_at"] is NOW
    assert {f for f in FIELDS if f not in DEFAULTS} == {
        "instance_name",
        "bridge_integration_id",
        "chatwoot_base_url",
        "chatwoot_account_id",
        "chatwoot_api_token",
    }


def test_import_names_the_token_first_when_several_fields_are_bad() -> None:
    """The order of the checks did not change with the table: so neither do the messages."""
    bad = {"instance_name": "x", "status": "weird", "chatwoot_account_id": "1"}
    with pytest.raises(InvalidRecord, match="chatwoot_api_token is missing"):
        validate_record(bad, NOW_TEXT)
    with pytest.raises(InvalidRecord, match="bridge_integration_id is missing"):
        validate_record({**bad, "chatwoot_api_token": "t"}, NOW_TEXT)
    with pytest.raises(InvalidRecord, match="status must be one of active, paused, error"):
        validate_record({**bad, "chatwoot_api_token": "t", "bridge_integration_id": "i"}, NOW_TEXT)


def test_validate_fills_the_records_defaults() -> None:
    required = {
        "instance_name": "x",
        "bridge_integration_id": "int_x",
        "chatwoot_base_url": "https://chat.example.com/",
        "chatwoot_account_id": 3,
        "chatwoot_api_token": "tok",
    }
    name, values, token = validate_record(required, NOW_TEXT)
    assert (name, token) == ("x", "tok")
    assert values is not None and list(values) == [f for f in FIELDS if f != "chatwoot_api_token"]
    assert values["chatwoot_base_url"] == "https://chat.example.com"
    for field, default in DEFAULTS.items():
        assert values[field] == (NOW_TEXT if default is NOW else default), field


def test_set_and_import_make_the_same_record(cli, configure) -> None:
    """`set` starts a new integration from the record's defaults, as the import does."""
    configure()
    base = {
        "bridge_integration_id": "int_same",
        "chatwoot_base_url": "https://chat.example.com",
        "chatwoot_account_id": 3,
        "chatwoot_inbox_name": "Inbox",
        "chatwoot_api_token": "tok-same",
    }
    assert cli("import", "-", stdin=json.dumps({"instance_name": "imported", **base})).code == 0
    assert cli("add", "by-set").code == 0
    made = cli(
        "set", "by-set", "--base-url", "https://chat.example.com/", "--account-id", "3",
        "--inbox-name", "Inbox", "--bridge-id", "int_same", "--token-stdin", stdin="tok-same\n",
    )  # fmt: skip
    assert made.code == 0, made.err
    imported = cli("status", "--json", "--local", "imported").json()
    by_set = cli("status", "--json", "--local", "by-set").json()
    for doc in (imported, by_set):
        doc.pop("instance_name")
        doc.pop("created_at")
    assert imported == by_set


# -- the status vocabulary -----------------------------------------------------------------


def test_every_state_has_a_look_and_every_look_a_state() -> None:
    from cwdash.tui.look import ASCII, DETAIL_STYLE, LIST_STYLE, UNICODE, list_cell

    assert set(LIST_STYLE) == set(UNICODE.states) == set(ASCII.states) == set(status.STATES)
    assert all(g.isascii() for g in ASCII.states.values())
    assert len(set(ASCII.states.values())) == len(set(UNICODE.states.values())) + 1  # bad row: "!"
    assert set(DETAIL_STYLE) == set(status.STATUSES)
    assert list_cell("weird", gone=False, bad=False) == ("? weird", "error")
    assert list_cell("active", gone=True, bad=True)[0] == "⊘ gone"
    assert list_cell("", gone=False, bad=True)[0] == "✖ bad row"


def test_sort_order_puts_what_needs_a_look_first() -> None:
    order = sorted(
        (*status.STATUSES, status.NO_INTEGRATION, "weird"),
        key=lambda s: status.SORT_ORDER.get(s, status.LAST),
    )
    assert order[:3] == [status.ERROR, status.PAUSED, status.ACTIVE]
    assert {status.ERROR, status.NO_INTEGRATION} == status.ATTENTION


# -- the merge rule: one function, the same answer for the read model and the fleet row ----

statuses = st.sampled_from(status.STATUSES)
texts = st.text(max_size=6)
outcomes = st.one_of(
    st.none(),
    st.builds(
        LiveState, status=statuses, last_error=texts, inbox_id=st.one_of(st.none(), st.integers(-2, 9))
    ),
    st.builds(LiveFailure, reason=st.sampled_from(Reason), detail=texts),
)


@settings(max_examples=200, deadline=None)
@given(local_status=statuses, local_error=texts, inbox=st.integers(0, 5), outcome=outcomes)
def test_the_read_model_and_the_fleet_row_merge_alike(
    local_status: str, local_error: str, inbox: int, outcome: LiveState | LiveFailure | None
) -> None:
    doc = StatusDocument(
        "a", local_status, "int_a", "https://x", 1, SealedToken("a", "", None), inbox, "", local_error,
        NOW_TEXT, False, False, False, False,
    )  # fmt: skip
    read = merge(doc, outcome)
    shown_status, shown_error, source = merge_volatile(local_status, local_error, outcome)
    assert (read.document.status, read.document.last_error, read.source) == (
        shown_status,
        shown_error,
        source,
    )
    assert read.document.chatwoot_inbox_id == (inbox_to_fill(inbox, outcome) or inbox)
    row = FleetRow("a", True, local_status, local_error, "https://x", 1, inbox)
    row.apply(read, 1.0)
    assert (row.status, row.last_error) == (shown_status, shown_error)
    assert row.is_live == (source == "live")
