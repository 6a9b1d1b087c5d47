"""Pilot tests of every mapped state in the detail, and of every reason a live read fails,
with the local data standing in. Live reads go to real sockets on 127.0.0.1."""

from __future__ import annotations

import pytest
from dashkit import (
    CHARLIE_ERROR,
    NAMES,
    WITH_INTEGRATION,
    banner_text,
    closed_port_url,
    detail_text,
    record_notifications,
    row_texts,
    scheduler_of,
    screen_text,
    select,
    summary_text,
    wait_settled,
    wait_until,
)

from cwdash.store.simbridge import Reply, SimBridge, live, self_signed_context
from cwdash.store.sources.outcome import Reason

pytestmark = pytest.mark.anyio


def line_of(app, name: str) -> str:  # type: ignore[no-untyped-def]
    for line in row_texts(app)[1:]:
        if f" {name} " in f" {line} ":
            return line
    raise AssertionError(f"{name} is not on screen")


async def test_instance_not_found_when_it_vanished_after_the_list_was_read(dash) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await select(pilot, "bravo")
        assert "paused" in detail_text(app)
        dash.delete_instance("bravo")  # another process removes it
        await pilot.press("r")
        await wait_until(pilot, lambda: "instance not found" in detail_text(app), "the mapped state")
        text = detail_text(app)
        assert text.startswith("bravo")
        assert "404  instance not found" in text
        assert "what to do: no instance by that name in the store" in text
        # the selected row stays listed, marked gone, so the person sees why it went
        assert "bravo" in app.dashboard.fleet.rows and app.dashboard.selected == "bravo"
        assert line_of(app, "bravo").startswith("⊘ gone")
        assert "instance not found" in line_of(app, "bravo")
        # the other rows are untouched
        assert line_of(app, "alpha").startswith("● active")
        await select(pilot, "alpha")
        assert "instance not found" not in detail_text(app)


async def test_no_chatwoot_integration(dash) -> None:
    sim = dash.bridge()
    app = dash.app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        await select(pilot, "delta")
        text = detail_text(app)
        assert text.startswith("delta")
        assert "404  no chatwoot integration for this instance" in text
        assert "what to do: set one up with `cwdash set NAME ...`" in text
        assert "chatwoot_api_token" not in text
        assert line_of(app, "delta").startswith("○ no integration") and "no integration" in line_of(
            app, "delta"
        )
        # an instance without integration is never asked about on the bridge
        assert not any("delta" in path for path in sim.stats.paths)
        await pilot.press("t")
        await pilot.pause()
        assert "no chatwoot integration for this instance" in detail_text(app)


async def test_gateway_not_configured_banner_with_local_data_marked_local(dash) -> None:
    app = dash.app(None)  # no BRIDGE_URL / BRIDGE_TOKEN
    notes = record_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        assert scheduler_of(app) is None
        banner = banner_text(app)
        assert "integration gateway not configured" in banner
        assert "set BRIDGE_URL and BRIDGE_TOKEN" in banner
        assert "local data shown, marked local" in banner
        assert "gateway not configured · showing local data" in summary_text(app)
        assert "integration gateway not configured" in screen_text(app)
        text = detail_text(app)
        assert "source                local  integration gateway not configured" in text
        assert "status                active" in text and "bridge_integration_id int_alpha" in text
        for name in WITH_INTEGRATION:
            assert line_of(app, name).split()[3] == "local"
        await select(pilot, "charlie")
        text = detail_text(app)
        assert "status                error" in text and CHARLIE_ERROR in text
        assert "local  integration gateway not configured" in text
        await pilot.press("r")
        await pilot.pause()
        assert any("gateway not configured" in message for _, message, _ in notes)
        # the token still works with local data
        await pilot.press("t")
        await pilot.pause()
        assert "cwt_charlie_PLAINTEXT" in detail_text(app)


def all_routes(reply: Reply):  # type: ignore[no-untyped-def]
    return lambda ident: reply


FAILURES = {
    # reason: (how to build the bridge, what the detail says, the list's short form)
    "timeout": ("hang", "bridge timed out: ", "local·timeout"),
    "unreachable": ("closed", "bridge unreachable: connection refused", "local·unreachable"),
    "tls": ("tls", "TLS failure: ", "local·TLS"),
    "401": ("wrong-token", "bridge rejected BRIDGE_TOKEN: HTTP 401", "local·auth"),
    "404": ("404", "bridge does not know the integration: HTTP 404", "local·unknown"),
    "500": ("500", "bridge error: HTTP 500 Internal Server Error", "local·bridge err"),
    "bad-json": ("bad-json", "bad answer from bridge: not JSON", "local·bad answer"),
}
REASONS = {
    "timeout": Reason.TIMEOUT,
    "unreachable": Reason.UNREACHABLE,
    "tls": Reason.TLS,
    "401": Reason.UNAUTHORIZED,
    "404": Reason.NOT_FOUND,
    "500": Reason.HTTP_ERROR,
    "bad-json": Reason.BAD_ANSWER,
}


def failing_bridge(dash, kind: str) -> SimBridge | str:  # type: ignore[no-untyped-def]
    if kind == "hang":
        return dash.real_bridge(all_routes(Reply(hang=True)))
    if kind == "closed":
        return closed_port_url()
    if kind == "tls":
        return dash.real_bridge(all_routes(live("active")), tls=self_signed_context())
    if kind == "wrong-token":
        return dash.real_bridge(all_routes(live("active")), token="the-bridge-expects-another-token")
    if kind == "404":
        return dash.real_bridge(all_routes(Reply(status=404, body={"error": "integration not found"})))
    if kind == "500":
        return dash.real_bridge(all_routes(Reply(status=500, body={"error": "boom"})))
    if kind == "bad-json":
        return dash.real_bridge(all_routes(Reply(body=b"{not json at all")))
    raise AssertionError(kind)


@pytest.mark.parametrize("failure", list(FAILURES))
async def test_each_live_failure_reason_with_local_data_standing_in(dash, failure: str) -> None:
    kind, says, short = FAILURES[failure]
    reason = REASONS[failure]
    # a short budget only where the budget is what runs out; the others must fail for
    # their own reason even on a loaded machine (a slow TLS handshake is not a timeout)
    app = dash.app(failing_bridge(dash, kind), timeout=0.5 if kind == "hang" else 5.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        for name in WITH_INTEGRATION:
            row = app.dashboard.fleet.rows[name]
            assert row.failure is not None and row.failure.reason is reason, name
            assert not row.is_live
        text = detail_text(app)
        assert f"source                local  live read failed: {says}" in text
        assert f"what to do: {reason.hint}" in text
        # the local data stands in: alpha's local status and fields
        assert "status                active" in text
        assert "last_error            — (healthy)" in text
        assert "bridge_integration_id int_alpha" in text and "chatwoot_inbox_id     42" in text
        for name in WITH_INTEGRATION:
            assert short in line_of(app, name)
        assert line_of(app, "charlie").startswith("✖ error") and "chatwoot: 401" in line_of(app, "charlie")
        assert line_of(app, "bravo").startswith("◐ paused")
        assert app.dashboard.fleet.counts().failing == len(WITH_INTEGRATION)  # the header's "5 failing"
        await select(pilot, "charlie")
        text = detail_text(app)
        assert "status                error" in text and CHARLIE_ERROR in text
        assert f"live read failed: {says}" in text
        # and the list still works
        await pilot.press("a")
        await pilot.pause()
        assert [r.name for r in app.dashboard.fleet.view] == NAMES  # every row needs attention


async def test_a_live_answer_replaces_status_and_error_then_a_failure_falls_back_to_local(dash) -> None:
    answers = {"int_alpha": live("error", "chatwoot: inbox 17 not found")}
    sim = dash.bridge(lambda ident: answers.get(ident, live("active")))
    app = dash.app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_settled(pilot)
        text = detail_text(app)
        assert "status                error" in text and "chatwoot: inbox 17 not found" in text
        assert "source                live" in text
        assert line_of(app, "alpha").startswith("✖ error")
        answers["int_alpha"] = Reply(status=500, body={})
        await pilot.press("r")
        await wait_until(pilot, lambda: "live read failed" in detail_text(app), "the failure to show")
        text = detail_text(app)
        assert "status                active" in text and "— (healthy)" in text  # the local values
        assert "bridge error: HTTP 500" in text
        assert "last live answer" in text
        assert line_of(app, "alpha").startswith("● active") and "local·bridge err" in line_of(app, "alpha")


async def test_store_and_bridge_text_is_shown_literally(dash) -> None:
    """Markup-like brackets and control characters neither style nor escape the screen."""
    name = "[bold red]evil[/]"
    error = "\x1b[31mred\x1b]52;c;AAAA\x07 [link=https://x.example]click[/link]\nsecond line"
    dash.store.add_instance(name, created_at="2026-04-21T08:00:00Z")
    values = {
        "instance_name": name,
        "status": "error",
        "bridge_integration_id": "int_evil",
        "chatwoot_base_url": "https://chatwoot.example.com",
        "chatwoot_account_id": 1,
        "chatwoot_api_token": dash.sealer.seal(name, "cwt_evil_x"),
        "chatwoot_inbox_id": 3,
        "chatwoot_inbox_name": "[i]inbox[/i]",
        "last_error": error,
        "created_at": "2026-04-21T08:00:00Z",
        "sign_messages": False,
        "ignore_groups": False,
        "start_as_pending": False,
        "reopen_resolved": False,
    }
    dash.store.upsert_integration(values)
    app = dash.app(None)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_settled(pilot)
        await pilot.press("g")
        await wait_until(pilot, lambda: app.dashboard.selected == name, "the instance")
        shown = screen_text(app)
        assert "[bold red]evil[/]" in shown
        assert "\x1b" not in shown and "\x07" not in shown
        assert "\\x1b[31mred" in shown
        text = detail_text(app)
        assert "[bold red]evil[/]" in text and "[i]inbox[/i]" in text
        assert "\\x1b]52;c;AAAA\\x07 [link=https://x.example]click[/link]" in text
        assert "\x1b" not in text
