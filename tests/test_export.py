"""The export module (store/export.py): CSV cells defused against formula injection, JSON
written as json.dumps(indent=2) writes it, ``cwdash list --csv``, and the dashboard's file
export (whole or nothing, never over an existing file unless asked). Never a token."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_list_stream import TOKEN, mixed  # noqa: F401  (mixed: the fixture)

from cwdash.cli import output
from cwdash.store import export, exportfile
from cwdash.store.db import Store
from cwdash.store.fleet import Fleet
from cwdash.store.fleetrow import rows_from_listing

LIST_HEADER = [name for name, _ in export.LIST_COLUMNS]


def sealed(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    conn.text_factory = bytes
    try:
        return [
            r[0].decode("utf-8", "replace")
            for r in conn.execute("SELECT chatwoot_api_token FROM chatwoot_integrations")
            if isinstance(r[0], bytes) and len(r[0]) > 20
        ]
    finally:
        conn.close()


# -- cells --------------------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_like_a_formula_gets_a_quote(start: str) -> None:
    assert export.csv_cell(f"{start}1+1") == f"'{start}1+1"


def test_other_cells_are_literal() -> None:
    assert export.csv_cell("plain, with comma") == "plain, with comma"
    assert export.csv_cell("a=b") == "a=b"
    assert (
        export.csv_cell(None) == "" and export.csv_cell(True) == "true" and export.csv_cell(False) == "false"
    )
    assert export.csv_cell(42) == "42"
    assert export.csv_cell("bad \ud800 text") == "bad \\ud800 text"  # no UTF-8 stream carries it
    assert export.csv_cell("café", ascii_only=True) == "caf\\xe9"
    assert export.csv_cell("-\ud800", ascii_only=True) == "'-\\ud800"


def test_csv_lines_quote_what_needs_it() -> None:
    text = "".join(
        export.csv_chunks([("a", lambda r: r[0]), ("b", lambda r: r[1])], [("x,y", 'say "hi"\nbye')])
    )
    assert text == 'a,b\n"x,y","say ""hi""\nbye"\n'
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["x,y", 'say "hi"\nbye']]


# -- JSON ---------------------------------------------------------------------------------------

VALUES = [
    [],
    [{}],
    [{"a": 1}],
    [{"s": "x", "n": -3, "f": 1.5, "t": True, "z": None, "big": 2**70}],
    [{"u": "café 東京 👍", "c": "\x00\x1b[31m\n\t", "q": '"\\'}],
    [{"nested": {"x": {"y": [1, {"z": []}]}, "e": {}}, "after": "a", "l": [1, "2", None]}],
    [{"sur": "lone \ud800 and \udfff"}, {"k": "v"}],
    [{"deep": {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}}],
    [{"nan": float("nan"), "inf": float("inf")}],
    # a document and its upstream (a flat last member), beside the shapes that are not
    [
        {"a": 1, "up": {"x": None, "y": "}\n{"}},
        {"a": "b"},
        {"a": 1, "up": {}},
        {"a": 1, "up": {"x": {"y": 1}}},
    ],
    [{"up": {"x": 1}}, {"a": [1], "up": {"x": 1}}, {"a": "é\ud800", "up": {"x": "\udfff"}}],
]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("ascii_only", [False, True])
def test_json_chunks_write_what_json_text_writes(value: list, ascii_only: bool) -> None:
    streamed = "".join(export.json_chunks(value, ascii_only=ascii_only))
    assert streamed == output.json_text(value, ascii_only=ascii_only) + "\n"


def test_json_chunks_in_batches() -> None:
    objects = [{"n": n, "s": f"row {n}"} for n in range(2 * export.BATCH + 7)]
    chunks = list(export.json_chunks(iter(objects)))
    assert len(chunks) == 3
    assert "".join(chunks) == json.dumps(objects, indent=2, ensure_ascii=False) + "\n"


# -- cwdash list --csv ---------------------------------------------------------------------------


def test_list_csv_has_the_tables_columns_and_the_documents_fields(cli, mixed: Path) -> None:  # noqa: F811
    run = cli("list", "--csv")
    assert run.code == 0
    rows = list(csv.reader(io.StringIO(run.out)))
    assert (
        rows[0]
        == LIST_HEADER
        == [
            "instance_name",
            "state",
            "connection",
            "note",
            "status",
            "bridge_integration_id",
            "chatwoot_base_url",
            "chatwoot_account_id",
            "chatwoot_inbox_id",
            "chatwoot_inbox_name",
            "last_error",
            "created_at",
            "sign_messages",
            "ignore_groups",
            "start_as_pending",
            "reopen_resolved",
        ]
    )
    by_name = {r[0]: dict(zip(LIST_HEADER, r, strict=True)) for r in rows[1:]}
    documents = {o["instance_name"]: o for o in cli("list", "--json").json()}  # type: ignore[union-attr]
    assert list(by_name) == list(documents)  # the same instances, the same order
    alpha = by_name["alpha"]
    assert alpha["state"] == "active" and alpha["connection"] == "connected"
    for field in LIST_HEADER[4:]:
        value = documents["alpha"][field]
        assert alpha[field] == (("true" if value else "false") if isinstance(value, bool) else str(value))
    assert by_name["bare"]["state"] == "no integration" and by_name["bare"]["status"] == ""
    assert by_name["bare"]["connection"] == "connecting"
    assert by_name["offline"]["note"] == "number offline"
    assert by_name["unlisted"]["note"] == "not listed upstream"
    assert by_name["zz-not-synced"]["note"] == "token not synced"
    assert (
        by_name["zz-bad-flag"]["state"] == "bad row"
        and by_name["zz-bad-flag"]["note"] == "bad row: sign_messages"
    )
    assert by_name["zz-bad-token"]["note"] == "bad row: chatwoot_api_token"
    assert by_name["zz-bad-flag"]["chatwoot_base_url"] == ""  # a bad row's values mean nothing
    # text from outside that a spreadsheet would run is defused; the rest is literal
    assert by_name["formula"]["last_error"] == '\'=HYPERLINK("http://x")'
    assert by_name["formula"]["chatwoot_inbox_name"] == "'+1 inbox"
    assert by_name["ctrl"]["last_error"] == "line one\nline two\t\x1b[31mred\x1b[0m"
    assert by_name["東京-支店"]["last_error"] == "接続が切断されました"
    assert run.err.startswith("cwdash: 3 bad row(s) in the store")


def test_no_token_in_any_listing(cli, mixed: Path) -> None:  # noqa: F811
    blobs = sealed(mixed)
    assert blobs  # the sealed tokens are in the store
    for argv in (["list"], ["list", "--json"], ["list", "--csv"]):
        run = cli(*argv)
        for secret in [TOKEN, *blobs]:
            assert secret not in run.out and secret not in run.err, argv


def test_json_and_csv_are_exclusive_and_help_says_what_the_quote_is(cli, mixed: Path, capsys) -> None:  # noqa: F811
    run = cli("list", "--json", "--csv")
    assert run.code == 2 and "not allowed with argument" in run.err
    run = cli("list", "--help")
    text = " ".join(run.out.split())
    assert "starting with = + - @ or a tab or CR gets a leading '" in text


# -- the dashboard's export ---------------------------------------------------------------------


def fleet_rows(db: Path) -> list:
    store = Store.open(db)
    try:
        return Fleet(rows_from_listing(store.iter_list())).view
    finally:
        store.close()


def test_write_fleet_csv_and_json(mixed: Path, tmp_path: Path) -> None:  # noqa: F811
    rows = fleet_rows(mixed)
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    count = exportfile.write_fleet(tmp_path / "out.csv", rows)
    assert count == len(rows)
    text = (tmp_path / "out.csv").read_text(encoding="utf-8")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == [name for name, _ in export.FLEET_COLUMNS]
    assert [r[0] for r in table[1:]] == [r.name for r in rows]
    shown = {r[0]: r for r in table[1:]}
    assert shown["alpha"][1:4] == ["active", "local", ""]  # never read live here
    assert shown["zz-bad-flag"][1] == "bad row" and shown["bare"][1] == "no integration"
    assert shown["formula"][6] == '\'=HYPERLINK("http://x")'
    exportfile.write_fleet(tmp_path / "out.json", rows)
    objects = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert [o["instance_name"] for o in objects] == [r.name for r in rows]
    alpha = next(o for o in objects if o["instance_name"] == "alpha")
    assert alpha["chatwoot_account_id"] == 3 and alpha["live_read_at"] == ""
    for path in (tmp_path / "out.csv", tmp_path / "out.json"):
        for secret in [TOKEN, *sealed(mixed)]:
            assert secret not in path.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.json"]  # no temporary file


def test_write_fleet_never_replaces_a_file_unless_asked(mixed: Path, tmp_path: Path) -> None:  # noqa: F811
    rows = fleet_rows(mixed)
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    target = tmp_path / "fleet.csv"
    target.write_text("keep me\n")
    with pytest.raises(exportfile.ExportError, match="exists; nothing was written"):
        exportfile.write_fleet(target, rows)
    assert target.read_text() == "keep me\n"
    exportfile.write_fleet(target, rows, overwrite=True)
    assert target.read_text(encoding="utf-8").startswith("instance_name,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet.csv"]


def test_write_fleet_failing_midway_leaves_nothing(mixed: Path, tmp_path: Path, monkeypatch) -> None:  # noqa: F811
    rows = fleet_rows(mixed)
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    target = tmp_path / "fleet.csv"
    target.write_text("old\n")

    def full(*args: object, **kwargs: object) -> object:
        yield "instance_name\n"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "fleet_chunks", full)
    with pytest.raises(exportfile.ExportError, match="the disk is full"):
        exportfile.write_fleet(target, rows, overwrite=True)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet.csv"]
    with pytest.raises(exportfile.ExportError, match="there is no folder"):
        exportfile.write_fleet(tmp_path / "nowhere" / "x.csv", rows)


def test_default_name() -> None:
    when = datetime(2026, 5, 30, 5, 24, 0, tzinfo=UTC)
    assert exportfile.default_name("acme", when) == "cwdash-acme-20260530T052400Z.csv"
    assert exportfile.default_name("my site/../x", when) == "cwdash-my_site_.._x-20260530T052400Z.csv"
    assert exportfile.format_of(Path("a.JSON")) == "json" and exportfile.format_of(Path("a.txt")) == "csv"
