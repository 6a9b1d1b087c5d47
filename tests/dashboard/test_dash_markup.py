"""Text from the store, the gateway, the environment or a path is shown literally, everywhere.

A rule, checked two ways:
- by reading the source: no widget in tui/ is built to parse markup, nothing asks for
  markup, and every notification goes through the app's literal, coalescing ``notify``;
- by driving the dashboard with hostile names and paths through every path that shows
  them (copy, reveal, start-up warnings, store errors, audit errors) and reading the screen.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashkit import BRIDGE_TOKEN, Dash, banner_text, integration, select, summary_text, wait_until
from textual.app import App
from textual.widgets._toast import Toast

import cwdash.tui.app
from cwdash.store.config import generate_key
from cwdash.store.db import Store, StoreError
from cwdash.store.simbridge import live
from cwdash.tui.app import CwdashApp
from cwdash.tui.loader import StoreFailed
from cwdash.tui.notices import LiteralNotifications

TUI = Path(cwdash.tui.app.__file__).resolve().parent
pytestmark = pytest.mark.anyio
HOSTILE = ["[/bold]", "[/]", "[b]x[/b]", "[@click=app.quit]x[/]"]
MARKUP_WIDGETS = {"Static", "Label", "Button", "Link", "Pretty", "Digits"}
MARKUP_PARSERS = {"from_markup", "render_markup", "escape_markup"}


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _violations(source: str, filename: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            where = f"{filename}:{node.lineno}"
            markup = [k for k in node.keywords if k.arg == "markup"]
            for keyword in markup:
                if not (isinstance(keyword.value, ast.Constant) and keyword.value.value is False):
                    found.append(f"{where}: {name}(markup=...) other than False")
            if name in MARKUP_WIDGETS and not markup:
                found.append(f"{where}: {name}() without markup=False")
            if name in MARKUP_PARSERS:
                found.append(f"{where}: {name}() parses markup")
        if isinstance(node, ast.ImportFrom) and node.module in ("rich.markup", "textual.markup"):
            found.append(f"{filename}:{node.lineno}: imports {node.module}")
    return found


def test_the_source_builds_no_markup_anywhere_in_the_dashboard() -> None:
    violations = []
    for path in sorted(TUI.glob("*.py")):
        violations += _violations(path.read_text(encoding="utf-8"), path.name)
    assert violations == []
    # every notification, whoever raises it (a widget, Textual), reaches App.notify and the
    # Notify message: both are the literal, coalescing ones
    assert CwdashApp.notify is LiteralNotifications.notify
    assert CwdashApp._on_notify is LiteralNotifications._on_notify
    assert CwdashApp.__mro__.index(LiteralNotifications) < CwdashApp.__mro__.index(App)


def test_the_rule_catches_what_it_forbids() -> None:
    """The control: the checker does find each kind of markup use."""
    bad = (
        "Static(text)\nLabel('x', markup=True)\nself.notify(m, markup=flag)\n"
        "Content.from_markup(m)\nfrom rich.markup import render\n"
    )
    assert len(_violations(bad, "bad.py")) == 5
    assert _violations("Static(text, markup=False)\nself.notify(m)\n", "good.py") == []


# -- the dashboard, driven ---------------------------------------------------------------


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[Dash]:
    """A store whose path holds "[/]", with instances named like markup, each with a token."""
    where = tmp_path / "x[" / "]y"
    where.mkdir(parents=True)
    d = Dash(where, generate_key(), generate_key())
    for i, name in enumerate(HOSTILE):
        d.store.add_instance(name)
        row = integration("alpha", instance_name=name, bridge_integration_id=f"int_h{i}")
        row["chatwoot_api_token"] = d.sealer.seal(name, f"cwt_hostile_{i}_PLAINTEXT")
        d.store.upsert_integration(row)
    yield d
    d.close()


async def until(pilot, predicate, what: str) -> None:  # type: ignore[no-untyped-def]
    """wait_until, but a crash of the app (a MarkupError, say) is raised at once."""
    app = pilot.app

    def done() -> bool:
        if app._exception is not None:
            raise app._exception
        return bool(predicate())

    await wait_until(pilot, done, what)


def toasts(app: CwdashApp) -> list[str]:
    """The text of every toast on screen, as rendered (markup parsed or not): its title's
    line, then its message with the lines tui/notices.py broke at the toast's width joined."""
    shown = []
    for toast in app.screen.query(Toast):
        text = str(toast.render())
        if toast._notification.title:
            title, _, message = text.partition("\n")
            shown.append(f"{title}\n{message.replace(chr(10), ' ')}")
        else:
            shown.append(text.replace("\n", " "))
    return shown


async def test_hostile_names_are_copied_and_revealed_literally(hostile: Dash) -> None:
    bridge = hostile.bridge(lambda integration_id: live("active"))
    app = hostile.app(bridge)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, lambda: app.dashboard.loaded and app.dashboard.selected is not None, "the list")
        for name in HOSTILE:
            await select(pilot, name)
            await pilot.press("y")  # copy: "token of <name> sent to the terminal"
            await until(pilot, lambda n=name: any(f"token of {n} sent" in t for t in toasts(app)), name)
            await pilot.press("t")  # reveal
            await pilot.pause()
            assert app.dashboard.token.secret is not None
            await pilot.press("t")
        assert app.is_running  # "[@click=app.quit]" quit nothing
        shown = "\n".join(toasts(app))
        for name in HOSTILE:
            assert f"token of {name} sent" in shown
        assert "token of x sent" not in shown  # "[b]x[/b]" was not taken as bold markup


async def test_a_path_with_markup_in_a_start_up_warning_and_store_errors(
    hostile: Dash, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.chmod(hostile.path, 0o644)  # the start-up warning names the store path, "[/]" and all
    warning = Store.open(hostile.path).permissions_warning()
    assert warning is not None and "[/]" in warning
    app = hostile.app()
    app.notices = (warning,)
    problem = f"cannot write {hostile.path}: [/bold] disk I/O error [@click=app.quit]x[/]"

    def failing_audit(self: Store, name: str, action: str) -> None:
        raise StoreError(problem)

    monkeypatch.setattr(Store, "record_audit", failing_audit)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, lambda: app.dashboard.loaded and app.dashboard.selected is not None, "the list")
        await until(pilot, lambda: any("[/]" in t for t in toasts(app)), "the start-up warning")
        await select(pilot, "[/bold]")
        await pilot.press("t")  # the reveal is audited; the audit fails with the hostile text
        await until(pilot, lambda: any(problem in t for t in toasts(app)), "the audit error")
        app.dashboard.post_message(
            StoreFailed(problem)
        )  # a store error while listing: a toast and the banner
        await until(pilot, lambda: any(f"store\n{problem}" in t for t in toasts(app)), "the store toast")
        assert app.is_running
        assert str(hostile.path) in "\n".join(toasts(app))
        assert problem in banner_text(app)


async def test_a_crafted_notification_is_shown_as_written(hostile: Dash) -> None:
    """Even a caller asking for markup gets the literal text (Textual's default is markup on)."""
    app = hostile.app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        for text in HOSTILE:
            app.notify(text, title=text, markup=True)
        await until(pilot, lambda: len(toasts(app)) == len(HOSTILE), "the toasts")
        assert sorted(toasts(app)) == sorted(f"{t}\n{t}" for t in HOSTILE)
        assert BRIDGE_TOKEN not in "".join(toasts(app))


async def test_the_header_never_shows_a_url_password(dash: Dash) -> None:
    app = dash.app(dash.bridge(), shown_url="http://ops:hunter2-secret@gateway.example:8080/base")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.dashboard.loaded, "the list")
        header = summary_text(app)
        assert "gateway.example:8080/base" in header
        assert "hunter2" not in header and "ops" not in header
