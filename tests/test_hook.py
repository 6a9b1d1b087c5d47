"""``--on-change``: the command's environment, one at a time per instance, the timeout, failures."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

import pytest

from cwdash.store.history.hook import HookError, HookRunner, hook_environment, parse_command
from cwdash.store.history.model import Event

AT = 1_800_000_000.0


def event(name: str = "suporte", new: str = "error", **kw: object) -> Event:
    values: dict[str, object] = {"field": "status", "old": "active", "observer": "dashboard", "site": "prod"}
    values.update(kw)
    return Event(AT, name, new=new, **values)  # type: ignore[arg-type]


def test_the_environment_carries_the_event_and_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CWDASH_KEY", "BRIDGE_TOKEN", "RYZEAPI_TOKEN", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN"):
        monkeypatch.setenv(name, "s3cret-value")
    monkeypatch.setenv("LANG", "C.UTF-8")
    env = hook_environment(event(), "inbox gone")
    assert env["CWDASH_INSTANCE"] == "suporte" and env["CWDASH_SITE"] == "prod"
    assert (env["CWDASH_FIELD"], env["CWDASH_OLD"], env["CWDASH_NEW"]) == ("status", "active", "error")
    assert env["CWDASH_ERROR"] == "inbox gone" and env["CWDASH_AT"] == "2027-01-15T08:00:00Z"
    assert env["LANG"] == "C.UTF-8" and env["PATH"]
    assert "s3cret-value" not in env.values()
    assert not {k for k in env if "TOKEN" in k or "KEY" in k or "SECRET" in k}


def test_a_real_command_sees_only_that_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_TOKEN", "bridge-secret")
    monkeypatch.setenv("CWDASH_KEY", "key-secret")
    out = tmp_path / "env.txt"
    runner = HookRunner(
        [sys.executable, "-c", f"import os, json; json.dump(dict(os.environ), open({str(out)!r}, 'w'))"]
    )
    assert runner.run(event(), "boom\x00x") == 0
    seen = json.loads(out.read_text())
    assert "bridge-secret" not in out.read_text() and "key-secret" not in out.read_text()
    assert seen["CWDASH_ERROR"] == "boom\\x00x" and seen["CWDASH_NEW"] == "error"
    runner.close()


def test_one_command_at_a_time_per_instance_newest_kept(tmp_path: Path) -> None:
    log = tmp_path / "log"
    gate = tmp_path / "gate"
    script = (
        "import os, time, pathlib, sys\n"
        f"log = pathlib.Path({str(log)!r})\n"
        "name, new = os.environ['CWDASH_INSTANCE'], os.environ['CWDASH_NEW']\n"
        "with log.open('a') as f: f.write(f'start {name} {new}\\n')\n"
        f"while not pathlib.Path({str(gate)!r}).exists(): time.sleep(0.01)\n"
        "with log.open('a') as f: f.write(f'end {name} {new}\\n')\n"
    )
    runner = HookRunner([sys.executable, "-c", script], backlog=2, concurrency=4)
    runner.submit(event("a", "e1"))
    runner.submit(event("b", "x1"))
    while log.read_text().count("start") < 2 if log.exists() else True:
        time.sleep(0.01)
    for new in ("e2", "e3", "e4"):  # a is busy: queued, the oldest dropped beyond two
        runner.submit(event("a", new))
    gate.touch()
    runner.close()
    lines = log.read_text().splitlines()
    a_lines = [line for line in lines if " a " in line]
    assert a_lines == ["start a e1", "end a e1", "start a e3", "end a e3", "start a e4", "end a e4"]
    assert runner.dropped == 1 and runner.ran == 4


def test_the_same_instance_in_two_sites_is_not_held_back_by_the_other(tmp_path: Path) -> None:
    """One runner serves every site of --all-sites: one command at a time per site and instance."""
    log = tmp_path / "log"
    gate = tmp_path / "gate"
    script = (
        "import os, time, pathlib\n"
        f"log = pathlib.Path({str(log)!r})\n"
        "with log.open('a') as f: f.write(f\"start {os.environ['CWDASH_SITE']}\\n\")\n"
        f"while not pathlib.Path({str(gate)!r}).exists(): time.sleep(0.01)\n"
    )
    runner = HookRunner([sys.executable, "-c", script], concurrency=4)
    runner.submit(event("a", site="prod"))
    runner.submit(event("a", site="staging"))  # both start while prod's a still runs
    give_up = time.monotonic() + 30  # only stops a broken test from hanging
    while (log.read_text().count("start") < 2 if log.exists() else True) and time.monotonic() < give_up:
        time.sleep(0.01)
    gate.touch()
    runner.close()
    assert sorted(log.read_text().split()) == ["prod", "staging", "start", "start"]


def test_a_hanging_command_is_killed_with_its_children(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pid_file = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(600)\n"
    )
    runner = HookRunner([sys.executable, "-c", script], timeout=1.0)
    with caplog.at_level(logging.WARNING, logger="cwdash.alerts"):
        assert runner.run(event()) is None
    assert runner.timed_out == 1
    assert any("did not finish in 1 s: killed" in r.getMessage() for r in caplog.records)
    child = int(pid_file.read_text())
    for _ in range(200):  # the kill is asynchronous: wait for the child to be reaped by init
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        if Path(f"/proc/{child}/stat").exists() and Path(f"/proc/{child}/stat").read_text().split()[2] == "Z":
            break
        time.sleep(0.05)
    else:
        pytest.fail("the hook's child survived")
    runner.close()


def test_a_failing_command_is_logged_and_nothing_is_shown(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = HookRunner([sys.executable, "-c", "import sys; print('out'); sys.exit('webhook said 500')"])
    with caplog.at_level(logging.WARNING, logger="cwdash.alerts"):
        assert runner.run(event()) == 1
        missing = HookRunner(["/nonexistent/hook"])
        assert missing.run(event()) is None
    messages = [r.getMessage() for r in caplog.records]
    assert "--on-change command for suporte exited with 1: webhook said 500" in messages
    assert any("could not start" in m for m in messages)
    captured = capsys.readouterr()
    assert "out" not in captured.out and "webhook" not in captured.err
    runner.close()
    missing.close()


def test_a_bad_command_line_is_refused() -> None:
    assert parse_command("curl -d 'a b' https://x") == ["curl", "-d", "a b", "https://x"]
    for bad in ("", "   ", "curl 'unclosed"):
        with pytest.raises(HookError):
            parse_command(bad)
