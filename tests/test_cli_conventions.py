"""A CLI that behaves: --version, completion, a closed pipe, a dashboard that wants a
terminal, colour, -q/-v, and the clipboard path inside a real tmux."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cwdash import __version__
from cwdash.cli.color import decide
from cwdash.store.terminal import clipboard_path

CWDASH = [sys.executable, "-m", "cwdash"]


def run(*argv: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CWDASH, *argv], capture_output=True, text=True, env=env, check=False, **kw)


def test_version() -> None:
    done = run("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"cwdash {__version__}"
    from importlib.metadata import version

    assert version("cwdash") == __version__


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_parse_and_name_every_command(shell: str, tmp_path: Path) -> None:
    done = run("completion", shell)
    assert done.returncode == 0, done.stderr
    for word in ("status", "doctor", "completion", "color", "env-file", "always"):
        assert word in done.stdout
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    script = tmp_path / f"cwdash.{shell}"
    script.write_text(done.stdout)
    check = {"bash": ["bash", "-n"], "zsh": ["zsh", "-n"], "fish": ["fish", "--no-execute"]}[shell]
    parsed = subprocess.run([*check, str(script)], capture_output=True, text=True, check=False)
    assert parsed.returncode == 0, parsed.stderr


def test_bash_completion_completes_commands_and_choices(tmp_path: Path) -> None:
    script = tmp_path / "c.bash"
    script.write_text(run("completion", "bash").stdout)
    probe = (
        f"source {script}; "
        'COMP_WORDS=(cwdash do); COMP_CWORD=1; _cwdash; echo "${COMPREPLY[*]}"; '
        'COMP_WORDS=(cwdash list --color al); COMP_CWORD=3; _cwdash; echo "${COMPREPLY[*]}"'
    )
    out = subprocess.run(
        ["bash", "-c", probe], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["doctor", "always"]


def _fleet(tmp_path: Path, n: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CWDASH_", "BRIDGE_"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_DATA_HOME=str(tmp_path / "data"))
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), CWDASH_DB=str(tmp_path / "fleet.db"))
    subprocess.run([*CWDASH, "init"], env=env, check=True, capture_output=True, cwd=tmp_path)
    lines = "\n".join(json.dumps({"instance_name": f"inst-{i:05d}"}) for i in range(n))
    subprocess.run([*CWDASH, "import", "-"], env=env, check=True, input=lines, text=True, capture_output=True)
    return env


def test_a_closed_pipe_is_quiet_and_exits_141(tmp_path: Path) -> None:
    env = _fleet(tmp_path, 3000)  # more than a pipe holds (64 KiB): the reader's exit is always seen
    cwdash = f"{sys.executable} -m cwdash list --json"
    for reader, first in (("head -1", ["["]), ("true", [])):
        done = subprocess.run(
            ["bash", "-c", f'{cwdash} | {reader}; echo "rc=${{PIPESTATUS[0]}}"'],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.stderr == "", reader  # no BrokenPipeError, no "Exception ignored"
        assert done.stdout.splitlines()[:-1] == first
        if reader == "true":  # it never reads: cwdash always meets the closed pipe
            assert done.stdout.splitlines()[-1] == "rc=141"
        else:  # head may have read it all before leaving
            assert done.stdout.splitlines()[-1] in ("rc=141", "rc=0")


def _pty_run(argv: list[str], env: dict[str, str]) -> str:
    """Run with stdout (and stdin) on a pseudo-terminal; what it wrote."""
    pid, fd = pty.fork()
    if pid == 0:  # the child
        os.execvpe(argv[0], argv, env)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out.decode("utf-8", "replace")


def test_colour_on_a_terminal_unless_no_color_or_never(tmp_path: Path) -> None:
    env = _fleet(tmp_path, 1)
    red_free = "\x1b["
    on_tty = _pty_run([*CWDASH, "list"], env)
    assert "\x1b[2mNO INTEGRATION\x1b[0m" in on_tty
    assert red_free not in _pty_run([*CWDASH, "list", "--color", "never"], env)
    assert red_free not in _pty_run([*CWDASH, "list"], {**env, "NO_COLOR": "1"})
    piped = run("list", env=env)
    assert red_free not in piped.stdout
    assert "\x1b[2mNO INTEGRATION\x1b[0m" in run("list", "--color", "always", env=env).stdout
    assert "\x1b[" not in run("list", "--json", "--color", "always", env=env).stdout


def test_colour_decision() -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    assert decide("auto", Tty(), {}) is True  # type: ignore[arg-type]
    assert decide("auto", Tty(), {"NO_COLOR": "1"}) is False  # type: ignore[arg-type]
    assert decide("auto", Tty(), {"NO_COLOR": ""}) is True  # type: ignore[arg-type]
    assert decide("auto", Tty(), {"TERM": "dumb"}) is False  # type: ignore[arg-type]
    assert decide("always", None, {"NO_COLOR": "1"}) is True


@pytest.mark.parametrize("argv", [(), ("demo",)])
def test_the_dashboard_refuses_a_stdout_that_is_not_a_terminal(tmp_path: Path, argv: tuple[str, ...]) -> None:
    with open(tmp_path / "out.txt", "w") as out:
        done = subprocess.run(
            [*CWDASH, *argv], stdout=out, stderr=subprocess.PIPE, text=True, timeout=60, check=False
        )
    assert done.returncode == 2
    assert "needs a terminal" in done.stderr and "stdout is not one" in done.stderr
    assert (tmp_path / "out.txt").read_text() == ""


def test_quiet_and_verbose(tmp_path: Path) -> None:
    env = _fleet(tmp_path, 1)
    quiet = run("add", "x", "-q", env=env)
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    assert run("add", "y", env=env).stdout == "added instance y\n"
    verbose = run("-v", "list", env=env)
    assert "CWDASH_DB from environment" in verbose.stderr and "store " in verbose.stderr
    assert "x" in verbose.stdout
    both = run("-q", "-v", "list", env=env)
    assert both.returncode == 2


# -- the clipboard path, inside a real tmux ------------------------------------------------


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize(("value", "state"), [("on", "ok"), ("external", "ok"), ("off", "warn")])
def test_clipboard_path_inside_tmux(tmp_path: Path, value: str, state: str) -> None:
    sock = tmp_path / "tmux.sock"
    base = ["tmux", "-S", str(sock)]
    subprocess.run([*base, "-f", "/dev/null", "new-session", "-d", "-s", "t"], check=True, timeout=20)
    try:
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.05)
        subprocess.run([*base, "set", "-g", "set-clipboard", value], check=True, timeout=20)
        pid = subprocess.run(
            [*base, "display", "-p", "#{pid}"], capture_output=True, text=True, check=True
        ).stdout
        env = {**os.environ, "TMUX": f"{sock},{pid.strip()},0"}
        path = clipboard_path(env, run=lambda *a, **k: subprocess.run(*a, env=env, **k))
        assert path.path == "tmux" and path.set_clipboard == value and path.state == state
        assert f"set-clipboard {value}" in path.detail
        doctor = run("doctor", "--json", env={**env, "XDG_DATA_HOME": str(tmp_path)})
        clip = next(c for c in json.loads(doctor.stdout)["checks"] if c["section"] == "clipboard")
        assert f"set-clipboard {value}" in clip["value"]
    finally:
        subprocess.run([*base, "kill-server"], check=False, timeout=20)


def test_clipboard_path_outside_tmux() -> None:
    path = clipboard_path({})
    assert path.path == "osc52" and path.state == "ok"
