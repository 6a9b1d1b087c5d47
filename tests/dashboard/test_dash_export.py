"""Pilot tests of ``e``: the list as shown (filtered, sorted) written to CSV or JSON, never a
token; a modal asks where (Enter writes, Escape cancels), an existing file is replaced only
on a second Enter, and a folder that cannot be written says so."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from pathlib import Path

import pytest
from dashkit import TOKENS, record_notifications, view_names, wait_settled, wait_until
from textual.widgets import Input

from cwdash.store.export import FLEET_COLUMNS
from cwdash.tui.export_screen import ExportScreen

pytestmark = pytest.mark.anyio
HEADER = [name for name, _ in FLEET_COLUMNS]


def sealed_tokens(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("SELECT chatwoot_api_token FROM chatwoot_integrations")]
    finally:
        conn.close()


def assert_no_token(text: str, db: Path) -> None:
    for token in [*TOKENS.values(), *sealed_tokens(db)]:
        assert token not in text


async def open_export(pilot) -> ExportScreen:  # type: ignore[no-untyped-def]
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ExportScreen), "the export modal")
    return pilot.app.screen  # type: ignore[return-value]


async def type_path(pilot, path: Path | str) -> None:  # type: ignore[no-untyped-def]
    field = pilot.app.screen.query_one(Input)
    field.value = str(path)
    await pilot.pause()
    await pilot.press("enter")


async def test_e_writes_the_view_as_csv_at_the_default_path(dash, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = dash.app(dash.bridge())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        seen = record_notifications(app)
        modal = await open_export(pilot)
        default = modal.query_one(Input).value
        assert re.fullmatch(r"\./cwdash-dash-\d{8}T\d{6}Z\.csv", default), default
        await pilot.press("enter")
        written = tmp_path / default
        await wait_until(pilot, lambda: any(t == "export" for t, _, _ in seen), "the export's notice")
        assert not isinstance(app.screen, ExportScreen)
        names = view_names(app)
    assert seen == [("export", f"{len(names)} instances written to {written.absolute()}", "information")]
    text = written.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADER
    assert [r[0] for r in rows[1:]] == names
    by_name = {r[0]: dict(zip(HEADER, r, strict=True)) for r in rows[1:]}
    assert by_name["alpha"]["state"] == "active" and by_name["alpha"]["source"] == "live"
    assert by_name["delta"]["state"] == "no integration" and by_name["delta"]["chatwoot_base_url"] == ""
    assert by_name["charlie"]["state"] == "error"
    assert_no_token(text, dash.path)
    assert not list(tmp_path.glob(".cwdash-export-*"))  # no temporary file left behind


async def test_the_export_follows_the_filter_and_the_sort_and_json_by_its_name(dash, tmp_path) -> None:
    app = dash.app(dash.bridge())
    target = tmp_path / "out" / "view.JSON"
    target.parent.mkdir()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        seen = record_notifications(app)
        await pilot.press("a", "S")  # attention only, sorted the other way
        await wait_until(pilot, lambda: app.dashboard.fleet.sort_reverse, "the reversed sort")
        names = view_names(app)
        assert names != sorted(names) and len(names) < 6
        await open_export(pilot)
        await type_path(pilot, target)
        await wait_until(pilot, lambda: any(t == "export" for t, _, _ in seen), "the export's notice")
    objects = json.loads(target.read_text(encoding="utf-8"))
    assert [o["instance_name"] for o in objects] == names
    assert list(objects[0]) == HEADER
    assert_no_token(target.read_text(encoding="utf-8"), dash.path)


async def test_an_existing_file_is_replaced_only_on_a_second_enter(dash, tmp_path) -> None:
    app = dash.app(dash.bridge())
    target = tmp_path / "fleet.csv"
    target.write_text("keep me\n")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        seen = record_notifications(app)
        modal = await open_export(pilot)
        await type_path(pilot, target)
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        note = str(modal.query_one("#export-note").render())
        assert "exists" in note and "Enter again replaces it" in note
        assert target.read_text() == "keep me\n"
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(t == "export" for t, _, _ in seen), "the export's notice")
    assert target.read_text(encoding="utf-8").startswith("instance_name,state,")


async def test_escape_cancels_and_writes_nothing(dash, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = dash.app(dash.bridge())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        await open_export(pilot)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ExportScreen), "the modal to close")
        await pilot.press("j")  # the keys are the list's again
        await wait_until(pilot, lambda: app.dashboard.selected == "bravo", "the cursor to move")
    assert list(tmp_path.glob("cwdash-*")) == []


async def test_a_folder_that_does_not_exist_or_cannot_be_written_says_so(dash, tmp_path) -> None:
    app = dash.app(dash.bridge())
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        seen = record_notifications(app)
        await open_export(pilot)
        await type_path(pilot, tmp_path / "nowhere" / "x.csv")
        await wait_until(pilot, lambda: len(seen) == 1, "the first failure's notice")
        await open_export(pilot)
        await type_path(pilot, locked / "x.csv")
        await wait_until(pilot, lambda: len(seen) == 2, "the second failure's notice")
    locked.chmod(0o700)
    assert seen[0] == ("export", f"there is no folder {tmp_path / 'nowhere'}; nothing was written", "error")
    if not list(locked.iterdir()) and seen[1][2] == "error":  # root writes anywhere: then it just worked
        assert seen[1][1] == f"no permission to write in {locked}; nothing was written"
