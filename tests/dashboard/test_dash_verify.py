"""Pilot tests of v: a verify in the background, its notification, the detail's last result
(level, time, diagnosis, what to do), one at a time per instance, never the token on screen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dashkit import TOKENS, detail_text, record_notifications, screen_text, select, wait_settled, wait_until

from cwdash.store.simchatwoot import SimChatwoot, UnderscoreProxy

pytestmark = pytest.mark.anyio


@pytest.fixture
def chatwoot(dash) -> Iterator[tuple[SimChatwoot, UnderscoreProxy]]:  # type: ignore[no-untyped-def]
    """alpha's Chatwoot is healthy; bravo's sits behind a proxy dropping underscore headers."""
    sim = SimChatwoot().start()
    proxy = UnderscoreProxy(("127.0.0.1", sim.port)).start()
    sim.add_token(TOKENS["alpha"], {5: "administrator"})
    sim.add_inbox(5, 42, "WhatsApp - Alpha")
    sim.add_token(TOKENS["bravo"], {7: "administrator"})
    sim.add_inbox(7, 42, "WhatsApp - Bravo")
    for name, url in (("alpha", sim.url), ("bravo", proxy.url), ("echo", sim.url)):
        with dash.store.write():
            dash.store.conn.execute(
                "UPDATE chatwoot_integrations SET chatwoot_base_url = ? WHERE instance_name = ?", (url, name)
            )
    yield sim, proxy
    proxy.stop()
    sim.stop()


def verified(app, name: str) -> bool:  # type: ignore[no-untyped-def]
    book = app.dashboard.verifies
    return name in book.results and name not in book.running


async def test_v_verifies_in_the_background_and_the_detail_shows_the_result(dash, chatwoot) -> None:
    app = dash.app(dash.bridge())
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_settled(pilot)
        seen = record_notifications(app)
        assert "verify" not in detail_text(app)  # nothing until v
        await pilot.press("v")
        await wait_until(pilot, lambda: verified(app, "alpha"), "alpha's verify")
        await pilot.pause()
        text = detail_text(app)
        assert "verify" in text and "OK" in text and "the token works" in text
        assert (
            "verify OK",
            "alpha: " + app.dashboard.verifies.results["alpha"].summary,
            "information",
        ) in seen
        await select(pilot, "bravo")
        await pilot.press("v")
        await wait_until(pilot, lambda: verified(app, "bravo"), "bravo's verify")
        await pilot.pause()
        text = detail_text(app)
        assert "CRITICAL" in text and "drops headers with underscores" in text
        assert "what to do: set `underscores_in_headers on;`" in text
        assert any(t == "verify CRITICAL" and s == "error" for t, _, s in seen)
        everything = screen_text(app) + text + repr(seen)
        assert not any(token in everything for token in TOKENS.values())
        await select(pilot, "alpha")  # the last result stays with its instance
        assert "the token works" in detail_text(app)


async def test_one_verify_per_instance_at_a_time(dash) -> None:
    with SimChatwoot(hang=True) as hung:
        with dash.store.write():
            dash.store.conn.execute(
                "UPDATE chatwoot_integrations SET chatwoot_base_url = ? WHERE instance_name = 'alpha'",
                (hung.url,),
            )
        app = dash.app(dash.bridge())
        async with app.run_test(size=(160, 40)) as pilot:
            await wait_settled(pilot)
            app.dashboard.verify_budget = 0.5
            seen = record_notifications(app)
            await pilot.press("v")
            await wait_until(pilot, lambda: "running" in detail_text(app), "the detail to say it runs")
            await pilot.press("v")
            await wait_until(pilot, lambda: any("already running" in m for _, m, _ in seen), "the refusal")
            await wait_until(pilot, lambda: verified(app, "alpha"), "the timeout")
            await pilot.pause()
            assert "timed out" in detail_text(app)
            assert sum(1 for t, _, _ in seen if t.startswith("verify ")) == 1  # one verify ran


async def test_v_works_with_no_reveal_and_says_what_it_cannot_do(dash, chatwoot) -> None:
    app = dash.app(dash.bridge(), no_reveal=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_settled(pilot)
        seen = record_notifications(app)
        await pilot.press("v")
        await wait_until(pilot, lambda: verified(app, "alpha"), "alpha's verify")
        await select(pilot, "delta")  # no integration
        await pilot.press("v")
        await wait_until(pilot, lambda: any("nothing to verify" in m for _, m, _ in seen), "the refusal")
        await select(pilot, "echo")  # its token is sealed under another key
        await pilot.press("v")
        await wait_until(pilot, lambda: verified(app, "echo"), "echo's verify")
        await pilot.pause()
        assert "UNKNOWN" in detail_text(app) and "cannot be opened" in detail_text(app)
