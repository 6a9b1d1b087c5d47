"""The dashboard in a real browser: ``cwdash serve --demo`` opened by headless Chromium.

Debian's Chromium (``/usr/bin/chromium``, never a browser downloaded by ``playwright
install``), driven by Playwright, on 127.0.0.1 only: every request for anything else (the
page asks Google for a font) is refused. The test waits for the dashboard, moves the
cursor, filters, opens ``?``, and checks the text after each step; screenshots go to
``$CWDASH_ARTIFACTS`` (default tests/artifacts/).

xterm.js draws the terminal on a canvas, so the page's DOM holds no text. textual-serve's
script keeps its terminal in a closure; the test hands the page a copy of that script
which also sets ``window.__cwdashTerminal``, and reads the screen through xterm.js's own
buffer API (``buffer.active.getLine(i).translateToString()``).

Not skipped anywhere: ``.ci/run`` installs Chromium when it is missing; run locally
without it, the test fails saying how to install it.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from servekit import ROOT, free_port, start_serve

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = os.environ.get("CWDASH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 90_000  # generous waits for text to appear (two shared cores), never a timing assertion
# where textual-serve's script (textual.js) creates its terminal object and connects
HOOK = "t.fit(),s||t.connect()"
SCREEN_JS = """() => {
  const term = window.__cwdashTerminal;
  if (!term) return "";
  const buf = term.buffer.active, rows = [];
  for (let i = 0; i < term.rows; i++) {
    const line = buf.getLine(buf.viewportY + i);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
}"""


def artifacts() -> Path:
    where = Path(os.environ.get("CWDASH_ARTIFACTS") or ROOT / "tests" / "artifacts")
    where.mkdir(parents=True, exist_ok=True)
    return where


@pytest.fixture
def chromium_path() -> str:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
        pytest.fail(
            f"Chromium is needed for the browser test and {CHROMIUM} is missing: install Debian's package "
            "with `apt-get install -y chromium` (or point CWDASH_CHROMIUM at one); .ci/run does it in CI. "
            "Never `playwright install`."
        )
    return CHROMIUM


@pytest.fixture
def server() -> Iterator[str]:
    served = start_serve("--demo", "--port", str(free_port()))
    try:
        assert served.url, f"cwdash serve printed no address: {served.said}"
        yield served.url
    finally:
        code = served.stop()
        assert code == 0 and "cwdash: stopped" in served.said, served.said
        assert "demo-bridge-token" not in served.said  # the demo's own secret is not printed


def _header(text: str) -> tuple[int, str, int]:
    """The list's heading row: its index, the selected instance (the detail's title,
    right of the divider on that row), and where the INSTANCE column starts."""
    for i, line in enumerate(text.splitlines()):
        if "STATUS" in line and "INSTANCE" in line and "│" in line:
            title = line.split("│", 1)[1].split(" · site ", 1)[0]  # the demo has two sites
            return i, title.strip(), line.index("INSTANCE")
    return -1, "", -1


def listed(text: str) -> list[str]:
    """The instance names in the list, top to bottom."""
    index, _, column = _header(text)
    if index < 0:
        return []
    names = []
    for line in text.splitlines()[index + 1 :]:
        left = line.split("│", 1)[0] if "│" in line else line
        words = left[column:].split()
        if words and re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", words[0]):
            names.append(words[0])
    return names


def selected(text: str) -> str:
    return _header(text)[1]


def test_the_demo_dashboard_in_a_browser(chromium_path: str, server: str, tmp_path: Path) -> None:
    from playwright.sync_api import Route, sync_playwright

    def local_only(route: Route) -> None:
        url = route.request.url
        if not url.startswith(server + "/"):
            route.abort()  # no network beyond loopback (the page's web font)
        elif url.split("?")[0].endswith("/static/js/textual.js"):
            answer = route.fetch()
            script = answer.text()
            assert HOOK in script, "textual-serve's textual.js changed: update HOOK in this test"
            script = script.replace(HOOK, "window.__cwdashTerminal=t.terminal," + HOOK, 1)
            route.fulfill(response=answer, body=script)
        else:
            route.continue_()

    shots = artifacts()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh user-data dir
            executable_path=chromium_path,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1100, "height": 640},
        )
        try:
            page = browser.new_page()
            page.route("**/*", local_only)
            page.goto(server + "/")

            def screen() -> str:
                return str(page.evaluate(SCREEN_JS))

            def wait_for(check: Callable[[str], bool], what: str) -> str:
                """Poll the screen's text until ``check`` holds (the wait is the only thing timed)."""
                try:
                    _poll(page, check)
                except TimeoutError:
                    pytest.fail(f"never saw {what}; the screen was:\n{screen()}")
                return screen()

            text = wait_for(
                lambda t: "cwdash · demo" in t and len(listed(t)) > 3 and bool(selected(t)), "the list"
            )
            page.screenshot(path=str(shots / "serve-1-list.png"))
            names = listed(text)
            assert selected(text) == names[0] and "active" in text and "gateway" in text

            page.locator("textarea.xterm-helper-textarea").focus()
            page.keyboard.press("ArrowDown")
            text = wait_for(lambda t: selected(t) == names[1], f"the cursor move to {names[1]}")
            page.screenshot(path=str(shots / "serve-2-moved.png"))

            page.keyboard.press("/")
            page.keyboard.type("cobr")
            text = wait_for(
                lambda t: bool(listed(t)) and all("cobr" in n for n in listed(t)), "the list filtered to cobr"
            )
            assert names[0] not in listed(text) and "cobr" in text
            page.screenshot(path=str(shots / "serve-3-filtered.png"))

            page.keyboard.press("Enter")  # keep the filter, back to the list (an Escape then a key
            page.keyboard.press("?")  # in quick succession would reach the app as one alt+key)
            text = wait_for(lambda t: "quit cwdash" in t and "keep the filter and go back" in t, "the help")
            assert "first / last instance" in text and "Actions" in text
            page.screenshot(path=str(shots / "serve-4-help.png"))
        finally:
            browser.close()


def _poll(page: Page, check: Callable[[str], bool]) -> None:
    """Wait until ``check(screen text)`` holds, reading the screen every 100 ms; WAIT_MS is
    a limit for a hung page, not an assertion on speed."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        if check(str(page.evaluate(SCREEN_JS))):
            return
        if time.monotonic() > deadline:
            raise TimeoutError
        page.wait_for_timeout(100)
