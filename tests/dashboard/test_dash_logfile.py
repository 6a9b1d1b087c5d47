"""The dashboard's side of the log, and notifications that do not pile up.

- a crash while a token is revealed: the traceback is in the log, the report points to
  it, and neither holds the token, BRIDGE_TOKEN or a key;
- live reads that fail are logged once, when they start failing;
- a flood of identical failures is one lasting notice, not one toast each.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dashkit import BRIDGE_TOKEN, TOKENS, detail_text, integration, select, wait_settled, wait_until
from textual.widgets._toast import Toast

import cwdash.store.readmodel
import cwdash.tui.app
import cwdash.tui.clipboard
from cwdash.store import logfile
from cwdash.store.db import StoreError
from cwdash.store.refresh import RefreshSettings
from cwdash.store.simbridge import live

pytestmark = pytest.mark.anyio


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    path = tmp_path / "state" / "cwdash" / "cwdash.log"
    logfile.install(path)
    return path


def toasts(app: cwdash.tui.app.CwdashApp) -> list[str]:
    return [str(t.render()) for t in app.screen.query(Toast)]


async def test_a_dashboard_crash_with_a_token_revealed_is_logged_without_secrets(
    dash, log_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def copy_that_leaks(text: str, environ: dict[str, str] | None = None) -> object:
        raise RuntimeError(f"clipboard exploded on {text!r} with Bearer {BRIDGE_TOKEN} and key {dash.key}")

    monkeypatch.setattr(cwdash.tui.clipboard, "osc52_sequences", copy_that_leaks)  # imported by the copy
    app = dash.app(dash.bridge())
    reports: list[str] = []
    with pytest.raises(RuntimeError, match="clipboard exploded"):
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_settled(pilot)
            await select(pilot, "alpha")
            await pilot.press("t")
            await pilot.pause()
            assert TOKENS["alpha"] in detail_text(app)  # revealed: decrypted and on screen
            await pilot.press("y")
            await pilot.pause()
            reports.extend(str(r) for r in app._exit_renderables)
    report = capsys.readouterr().err
    secrets = [TOKENS["alpha"], BRIDGE_TOKEN, dash.key]
    assert log_path.is_file()
    text = log_path.read_text(encoding="utf-8")
    assert "the dashboard crashed" in text and "Traceback (most recent call last)" in text
    assert "copy_that_leaks" in text and "RuntimeError: clipboard exploded on" in text
    assert f"see the log: {log_path}" in report
    assert "clipboard exploded" in report  # the report on the terminal, redacted too
    for secret in secrets:
        assert secret not in text
        assert secret not in report
        assert secret not in "\n".join(reports)
    # the failing reads of the fleet were logged with their reason, once each
    assert text.count("live read of 'golf' failed") == 1


async def test_a_flood_of_backfill_failures_is_one_lasting_notice(
    dash, log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk: every backfill fails the same way; one banner line counts them."""
    names = [f"inst{i:02d}" for i in range(24)]
    for name in names:
        dash.store.add_instance(name)
        row = integration(
            "alpha", instance_name=name, bridge_integration_id=f"int_{name}", chatwoot_inbox_id=0
        )
        row["chatwoot_api_token"] = dash.sealer.seal(name, "cwt_x")
        dash.store.upsert_integration(row)

    def full_disk(writer: object, name: str, inbox_id: int) -> bool:
        raise StoreError("database or disk is full")

    monkeypatch.setattr(cwdash.store.readmodel.BackfillWriter, "_write", full_disk)
    sim = dash.bridge(lambda integration_id: live("active", inbox_id=77))
    app = dash.app(
        sim,
        settings=RefreshSettings(concurrency=8, rate=500.0, round_every=0.5),
    )
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_until(
            pilot, lambda: all(app.dashboard.fleet.rows[n].read_at is not None for n in names), "every read"
        )
        await pilot.pause(2 * app.dashboard.timing.results_every)
        assert [t for t in toasts(app) if "not saved" in t] == []  # no toast per instance
        banner = app.query_one("#banner")
        assert banner.display
        assert "inbox id not saved for 24 instances, will retry: database or disk is full" in str(
            banner.content
        )
        reads = sim.stats.total
        # more rounds fail the same way: still one line, no new toast, no new log line
        await wait_until(pilot, lambda: sim.stats.total >= reads + 2 * len(names), "two more rounds")
        assert [t for t in toasts(app) if "not saved" in t] == []
        assert "for 24 instances" in str(banner.content)
    text = log_path.read_text()
    assert text.count("not saved, will retry: database or disk is full") == len(names)


async def test_identical_notifications_are_coalesced_with_a_count(dash) -> None:
    app = dash.app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        for _ in range(30):
            app.notify("the audit table is locked", severity="warning")
        app.notify("something else")
        await wait_until(pilot, lambda: len(toasts(app)) == 2, "two toasts")
        assert sorted(toasts(app)) == ["something else", "the audit table is locked  ×30"]
