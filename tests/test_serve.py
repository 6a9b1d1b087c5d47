"""``cwdash serve`` without a browser: the served command line, the --host guard, the
address it prints, a port in use, Ctrl+C. The browser itself: test_serve_browser.py."""

from __future__ import annotations

import argparse
import shlex
import socket
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from servekit import free_port, start_serve

from cwdash.cli.dashboard import terminal_problem
from cwdash.cli.parser import build_parser
from cwdash.cli.serve import host_problem, public_url, served_command


def _args(*argv: str) -> argparse.Namespace:
    args = build_parser().parse_args(["serve", *argv])
    for name in ("env_file", "db", "log_file", "site", "source"):
        if not hasattr(args, name):
            setattr(args, name, None)
    return args


def test_the_served_dashboard_never_reveals_or_copies() -> None:
    served = served_command(_args(), python="/usr/bin/python3")
    assert served.argv == ["/usr/bin/python3", "-m", "cwdash", "--no-reveal"]
    assert served.env == {"CWDASH_NO_REVEAL": "1"}  # the variable too, whatever a .env says
    assert not served.reveal


def test_the_served_demo_reveals_unless_told_not_to() -> None:
    demo = served_command(_args("--demo"), python="py")
    assert demo.argv == ["py", "-m", "cwdash", "demo"] and demo.env == {} and demo.reveal
    quiet = served_command(_args("--demo", "--no-reveal", "--ascii"), python="py")
    assert quiet.argv == ["py", "-m", "cwdash", "demo", "--ascii", "--no-reveal"]
    assert quiet.env == {"CWDASH_NO_REVEAL": "1"} and not quiet.reveal


def test_the_served_command_names_files_but_carries_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RYZEAPI_TOKEN", "ryze-secret-token-123")
    monkeypatch.setenv("BRIDGE_TOKEN", "bridge-secret-token-456")
    odd = tmp_path / "a dir; rm -rf x" / "my env"
    args = _args("--env-file", str(odd), "--db", "rel.db", "--site", "acme", "--source", "ryzeapi")
    served = served_command(args, python=sys.executable)
    words = shlex.split(served.command)  # textual-serve runs it through the shell
    assert words == served.argv
    assert words[words.index("--env-file") + 1] == str(odd)
    assert words[words.index("--db") + 1] == str(Path("rel.db").absolute())
    assert words[words.index("--site") : words.index("--site") + 4] == [
        "--site",
        "acme",
        "--source",
        "ryzeapi",
    ]
    for token in ("ryze-secret-token-123", "bridge-secret-token-456"):
        assert token not in served.command and token not in repr(served.env)


def test_any_host_but_loopback_needs_the_no_login_flag(cli: Callable[..., object]) -> None:
    assert host_problem("127.0.0.1", False) is None
    assert host_problem("0.0.0.0", True) is None
    for host in ("0.0.0.0", "192.168.1.5", "localhost", "::1"):
        problem = host_problem(host, False)
        assert problem and "no login" in problem and "--i-know-this-has-no-login" in problem
    run = cli("serve", "--host", "10.1.2.3")
    assert run.code == 2  # type: ignore[attr-defined]
    assert "no login" in run.err and "every browser" in run.err and "Traceback" not in run.err  # type: ignore[attr-defined]
    run = cli("serve", "--host", "0.0.0.0", "--i-know-this-has-no-login")
    assert run.code == 2 and "--public-url" in run.err  # type: ignore[attr-defined]


def test_bad_ports_are_usage_errors(cli: Callable[..., object]) -> None:
    for port in ("0", "65536", "http"):
        run = cli("serve", "--port", port)
        assert run.code == 2 and "--port" in run.err and "Traceback" not in run.err  # type: ignore[attr-defined]


def test_the_url_browsers_open() -> None:
    assert public_url("127.0.0.1", 8000, None) == "http://127.0.0.1:8000"
    assert public_url("::1", 9000, None) == "http://[::1]:9000"
    assert public_url("0.0.0.0", 80, "https://demo.example/") == "https://demo.example"


def test_a_served_dashboard_needs_no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.web_driver:WebDriver")
    assert terminal_problem() is None  # the pipes are textual-serve's
    monkeypatch.delenv("TEXTUAL_DRIVER")
    assert terminal_problem() is not None  # pytest's capture is no terminal


def test_a_missing_store_is_said_once_before_serving(cli: Callable[..., object], tmp_path: Path) -> None:
    run = cli("serve", "--db", str(tmp_path / "none.db"), "--port", str(free_port()))
    assert run.code == 1 and "Traceback" not in run.err and "http://" not in run.out  # type: ignore[attr-defined]


def test_serve_prints_its_address_serves_the_page_and_stops_on_ctrl_c() -> None:
    port = free_port()
    served = start_serve("--demo", "--port", str(port))
    try:
        assert served.url == f"http://127.0.0.1:{port}", served.said
        with urllib.request.urlopen(served.url + "/", timeout=30) as answer:
            page = answer.read().decode()
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page
        assert "<div>cwdash</div>" in page  # the title, not the command line
    finally:
        code = served.stop()
    assert code == 0, served.said
    assert "Ctrl+C" in served.said and "cwdash: stopped" in served.said
    assert "Traceback" not in served.said and sys.executable not in served.said


def test_a_port_in_use_is_said_plainly() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        served = start_serve("--demo", "--port", str(port))
        code = served.process.wait(timeout=60)
    assert code == 2
    assert f"port {port} is already in use" in served.said and "--port" in served.said
    assert "Traceback" not in served.said and "http://" not in "".join(served.lines)


def test_what_the_server_passes_on_is_redacted() -> None:
    """textual-serve copies a failing app's stderr to stdout: known secrets are blanked."""
    import io

    from cwdash.cli.serve import _Redacting
    from cwdash.store import redact

    redact.register("bridge-secret-token-456")
    out = io.StringIO()
    try:
        _Redacting(out).write("bridge said: Bearer bridge-secret-token-456\n")
    finally:
        redact.forget_all()
    assert out.getvalue() == f"bridge said: Bearer {redact.MASK}\n"
