"""Issue 14 in the dashboard (Pilot, in-memory sources): scripted transitions become events
in the store; SINCE and FLAP in the list; the detail's timeline; the attention view by the
most recent breakage; c; alerts (notification, bell, debounce); --on-change."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
from dashkit import (
    FAST,
    ROUTES,
    detail_text,
    record_notifications,
    row_texts,
    select,
    view_names,
    wait_settled,
    wait_until,
)

from cwdash.store.simbridge import live
from cwdash.tui.changes import ChangesScreen

pytestmark = pytest.mark.anyio
OFTEN = FAST._replace(visible_every=0.1, round_every=0.1)


def events_in_store(path: Path, name: str) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT field, old, new FROM history WHERE name = ? ORDER BY id", (name,)
        ).fetchall()
    except sqlite3.OperationalError:
        rows = []
    finally:
        conn.close()
    return [tuple(r) for r in rows]


def line_of(app, name: str) -> str:  # type: ignore[no-untyped-def]
    return next(line for line in row_texts(app) if f" {name} " in line)


def scripted(dash):  # type: ignore[no-untyped-def]
    answers = {k: v for k, v in ROUTES.items()}
    return answers, dash.bridge(lambda ident: answers[ident])


async def test_transitions_are_events_shown_as_since_flaps_timeline_and_alerts(dash) -> None:
    answers, source = scripted(dash)
    app = dash.app(source, settings=OFTEN)
    bells: list[int] = []
    async with app.run_test(size=(100, 30)) as pilot:
        app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
        notes = record_notifications(app)
        await wait_settled(pilot)
        assert "SINCE" in row_texts(app)[0] and "FLAP" in row_texts(app)[0]
        answers["int_alpha"] = live("error", "chatwoot: 500 [bold]boom[/]")
        await wait_until(pilot, lambda: app.dashboard.fleet.rows["alpha"].status == "error", "alpha in error")
        await wait_until(pilot, lambda: any(t == "alert" for t, _, _ in notes), "the alert")
        alert = next(m for t, m, _ in notes if t == "alert")
        assert alert == "alpha entered error: chatwoot: 500 [bold]boom[/]"  # literal text
        assert not bells  # no bell unless asked for
        await wait_until(
            pilot, lambda: ("status", "active", "error") in events_in_store(dash.path, "alpha"), "the event"
        )
        assert "↯1" in line_of(app, "alpha")
        assert app.dashboard.fleet.broke_at.get("alpha") is not None
        await select(pilot, "alpha")
        await wait_until(pilot, lambda: "transitions" in detail_text(app), "the timeline")
        text = detail_text(app)
        assert "last 24 h" in text and "█" in text
        assert "status active → error: chatwoot: 500 [bold]boom[/]" in text
        assert "in this state" in text


async def test_a_flapping_instance_raises_one_alert_then_a_summary_and_the_bell_rings(dash) -> None:
    answers, source = scripted(dash)
    app = dash.app(source, settings=OFTEN)
    app.bell_on_alert = True
    bells: list[int] = []
    async with app.run_test(size=(100, 30)) as pilot:
        app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
        notes = record_notifications(app)
        await wait_settled(pilot)
        engine = app.dashboard._history.alerts
        engine.window = 3600.0  # the whole test is one debounce window
        for i in range(3):
            answers["int_echo"] = live("error", f"flap {i}")
            await wait_until(
                pilot, lambda: app.dashboard.fleet.rows["echo"].status == "error", "echo in error"
            )
            answers["int_echo"] = live("active")
            await wait_until(pilot, lambda: app.dashboard.fleet.rows["echo"].status == "active", "echo back")
        alerts = [m for t, m, _ in notes if t == "alert"]
        assert alerts == ["echo entered error: flap 0"]
        assert len(bells) == 1
        engine.window = 0.0  # the window ends: the next tick says how many were held back
        await wait_until(pilot, lambda: any("flapped" in m for t, m, _ in notes if t == "alert"), "summary")
        summary = [m for t, m, _ in notes if t == "alert"][-1]
        assert summary.startswith("echo flapped 3 times")
        assert len(bells) == 2
        assert "↯6" in line_of(app, "echo")


async def test_attention_view_lists_the_most_recent_breakage_first(dash) -> None:
    answers, source = scripted(dash)
    app = dash.app(source, settings=OFTEN)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        for name in ("echo", "alpha"):  # echo breaks first, alpha after
            answers[f"int_{name}"] = live("error", f"{name} broke")
            await wait_until(pilot, lambda n=name: n in app.dashboard.fleet.broke_at, f"{name} broke")
        await pilot.press("a")
        await wait_until(pilot, lambda: view_names(app)[:2] == ["alpha", "echo"], "the newest breakage first")
        assert app.dashboard.fleet.sort_key == "broke"
        await pilot.press("a")
        await pilot.pause()
        assert app.dashboard.fleet.sort_key == "name"


async def test_c_lists_what_changed_since_you_last_looked_and_enter_goes_there(dash) -> None:
    answers, source = scripted(dash)
    app = dash.app(source, settings=OFTEN)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        answers["int_golf"] = live("error", "golf broke")
        await wait_until(pilot, lambda: app.dashboard.fleet.rows["golf"].status == "error", "golf in error")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), "the changes list")
        changes = app.screen.changes
        assert [c.name for c in changes] == ["golf"]
        assert "status" in changes[0].what and "error" in changes[0].what
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChangesScreen), "back")
        assert app.dashboard.selected == "golf"
        await pilot.press("c")  # since the last c: nothing
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), "the changes list again")
        assert app.screen.changes == []
        await pilot.press("escape")


async def test_on_change_runs_the_command_with_the_event_in_its_environment(
    dash, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("BRIDGE_TOKEN", "must-not-leak")
    out = tmp_path / "hook.txt"
    script = tmp_path / "hook.py"
    script.write_text(
        "import os\n"
        f"with open({str(out)!r}, 'a') as fh:\n"
        "    fh.write(' '.join(f'{k}={os.environ.get(k, \"\")}' for k in ('CWDASH_INSTANCE', 'CWDASH_FIELD',"
        " 'CWDASH_OLD', 'CWDASH_NEW', 'CWDASH_ERROR', 'CWDASH_OBSERVER', 'BRIDGE_TOKEN')) + '\\n')\n"
    )
    answers, source = scripted(dash)
    app = dash.app(source, settings=OFTEN)
    app.on_change = f"{sys.executable} {script}"
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_settled(pilot)
        answers["int_bravo"] = live("error", "bravo broke")
        await wait_until(
            pilot, lambda: out.exists() and "CWDASH_FIELD=status" in out.read_text(), "the hook", limit=20
        )
    lines = out.read_text().splitlines()
    status = next(line for line in lines if "CWDASH_FIELD=status" in line)
    assert (
        "CWDASH_INSTANCE=bravo" in status and "CWDASH_OLD=paused" in status and "CWDASH_NEW=error" in status
    )
    assert "CWDASH_ERROR=bravo broke" in status and "CWDASH_OBSERVER=dashboard" in status
    assert "must-not-leak" not in out.read_text()
