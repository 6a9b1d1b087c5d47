"""The installed package: one top-level import name, resources inside it, no shadowing.

The wheel is built for real (hatchling, offline) and unpacked, which is what
installing a pure-Python wheel amounts to; cwdash then runs from the unpacked copy
with a foreign project's ``store`` and ``tui`` packages ahead of it on the path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_owns_exactly_one_top_level_name(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
    assert top == {"cwdash"}
    # every stylesheet: the first screen's, the terminal modes' and the dialogs' (read when used)
    sheets = {p.name for p in (Path(__file__).parent.parent / "styles").glob("*.tcss")}
    assert sheets >= {
        "cwdash.tcss",
        "ascii.tcss",
        "no-color.tcss",
        "depth-16.tcss",
        "help.tcss",
        "fullview.tcss",
    }
    assert {f"cwdash/styles/{name}" for name in sheets} <= set(names)
    assert "cwdash/store/db.py" in names and "cwdash/tui/app.py" in names
    assert "cwdash/cli/main.py" in names and "cwdash/__main__.py" in names


def test_an_installed_cwdash_ignores_foreign_store_and_tui_packages(
    wheel: Path, tmp_path: Path, key: str, db_path: Path, store: object
) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    foreign = tmp_path / "foreign"  # e.g. a Django project with an app called `store`
    for name in ("store", "tui", "styles"):
        (foreign / name).mkdir(parents=True)
        (foreign / name / "__init__.py").write_text("raise ImportError('the foreign package was imported')\n")
    code = (
        "import sys, importlib.resources as r\n"
        "import cwdash.cli.main as cli\n"
        "import cwdash.store, cwdash.tui.app\n"
        f"assert cwdash.store.__file__.startswith({str(site)!r}), cwdash.store.__file__\n"
        "assert (r.files('cwdash.styles') / 'cwdash.tcss').read_text().strip()\n"
        "assert not {'store', 'tui', 'styles'} & set(sys.modules)\n"
        "sys.exit(cli.main(['list']))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(foreign), str(site)]),
        "CWDASH_DB": str(db_path),
        "CWDASH_KEY": key,
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "suporte" in done.stdout


def test_importing_everything_loads_nothing_outside_cwdash() -> None:
    """Import hygiene: every module of the package imports, and only under ``cwdash.``."""
    code = (
        "import sys, pkgutil, importlib, cwdash\n"
        "for m in pkgutil.walk_packages(cwdash.__path__, 'cwdash.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "stray = sorted({'store', 'tui', 'styles'} & set(sys.modules))\n"
        "assert not stray, stray\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_the_layer_rules_hold() -> None:
    """import-linter's contracts (pyproject.toml): the data side never imports Textual,
    Rich or the screens; headless commands never import Textual."""
    done = subprocess.run(
        ["lint-imports", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]},
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_command_resolves() -> None:
    from cwdash.cli.main import COMMANDS, command

    for name in COMMANDS:
        assert callable(command(name)), name


def test_the_dashboards_start_loads_no_headless_command_and_no_cipher() -> None:
    """What the first paint does not need is not imported before it: the cipher (opened
    only on reveal), the .env parser (only with a file), the headless commands."""
    code = (
        "import sys\n"
        "import cwdash.cli.main, cwdash.cli.dashboard, cwdash.tui.launch, cwdash.tui.app\n"
        "from cwdash.store.config import load_config\n"
        "load_config()\n"
        "heavy = [m for m in ('cryptography', 'dotenv', 'cwdash.cli.keys', 'cwdash.cli.writes',\n"
        "                     'cwdash.cli.reads', 'cwdash.store.envfile', 'httpx', 'cwdash.store.verify',\n"
        "                     'cwdash.store.simchatwoot', 'cwdash.cli.verify',\n"
        "                     'cwdash.cli.serve', 'textual_serve', 'aiohttp') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("argv", [[], ["--all-sites"]])
def test_a_plain_start_reads_as_the_parser_reads_it(argv: list[str]) -> None:
    """``cwdash`` and ``cwdash --all-sites`` skip the parser (cwdash.cli.main): the same
    arguments as parsed."""
    from cwdash.cli.main import PLAIN_STARTS, plain_dashboard_args
    from cwdash.cli.parser import build_parser

    assert argv in PLAIN_STARTS
    parsed = vars(build_parser().parse_args(argv))
    plain = vars(plain_dashboard_args(bool(argv)))
    assert {k: plain[k] for k in parsed} == parsed
    assert plain == {
        **parsed,
        **dict.fromkeys(("env_file", "db", "log_file", "site", "source")),
        "no_reveal": False,
        "color": "auto",
    }


# Nothing the first paint does not need is loaded before it (issue 16): the cipher, the
# HTTP stack, the .env parser, the CLI parser and the headless commands, history, the
# live reads' machinery (the feed is made after the first paint), the other screens.
NOT_AT_FIRST_PAINT = (
    "cryptography",
    "httpx",
    "h11",
    "dotenv",
    "argparse",
    "multiprocessing",
    "cwdash.cli.reads",
    "cwdash.cli.writes",
    "cwdash.cli.keys",
    "cwdash.cli.verify",
    "cwdash.cli.serve",
    "cwdash.store.envfile",
    "cwdash.store.verify",
    "cwdash.store.history",
    "cwdash.tui.history_state",
    "cwdash.tui.timeline",
    "cwdash.tui.changes",
    "cwdash.tui.verify_book",
    "cwdash.tui.clipboard",
    "cwdash.store.upstream",
    "cwdash.store.ryzeapi",
    "cwdash.store.livechild",
    "cwdash.tui.help",
    "cwdash.tui.fullview",
    "cwdash.tui.filter_input",  # the filter and jump fields are made on first use
    "cwdash.tui.sitesummary",  # several sites only
    "json",  # live answers are parsed in the reading child; the log's redaction when first used
    "tomllib",  # the preferences as cwdash writes them are read without it
    "cwdash.store.sources.httpread",  # the bridge's HTTP helpers: at its first read
    "cwdash.store.sources.httpxload",
    "cwdash.store.sources.inflate",
    "cwdash.tui.export_screen",  # the export's dialog: when e opens it
)

DATACLASSES_AT_FIRST_PAINT = {  # the one record definition: its fields() make the table
    "cwdash.store.document.StatusDocument",
}
# NamedTuple fields whose annotation was a string, compiled (typing.ForwardRef) as the class
# was made: a module with `from __future__ import annotations` has only such fields. These
# name a class the module cannot import at run time.
FORWARD_REFS_AT_FIRST_PAINT = {
    "cwdash.store.config.Config.ryzeapi_reserve",
    "cwdash.store.document.SealedToken.sealer",
    "cwdash.store.counts.Counts.top_failure",
}

_AT_FIRST_PAINT = """
import sys
import typing
import cwdash.tui.screen as screen

def at_paint(self):  # the moment the bench calls the first paint: record, then leave
    with open(sys.argv[1], "w") as out:
        out.write("\\n".join(sorted(sys.modules)))
    dataclasses = sorted(  # each one exec()s its methods' source at import (Python 3.11)
        f"{name}.{cls}"
        for name, module in list(sys.modules.items())
        if name.startswith("cwdash.")
        for cls, value in vars(module).items()
        if isinstance(value, type) and value.__module__ == name and "__dataclass_fields__" in vars(value)
    )
    with open(sys.argv[1] + ".dataclasses", "w") as out:
        out.write("\\n".join(dataclasses))
    forward = sorted(  # each one compile()d when its NamedTuple was made (Python 3.11)
        f"{name}.{cls}.{field}"
        for name, module in list(sys.modules.items())
        if name.startswith("cwdash.")
        for cls, value in vars(module).items()
        if isinstance(value, type) and value.__module__ == name and issubclass(value, tuple)
        for field, kind in vars(value).get("__annotations__", {}).items()
        if isinstance(kind, typing.ForwardRef)
    )
    with open(sys.argv[1] + ".forward", "w") as out:
        out.write("\\n".join(forward))
    with open(sys.argv[1] + ".widgets", "w") as out:
        out.write("\\n".join(type(w).__name__ for w in self.walk_children()))
    self.app.exit()

screen.DashboardScreen._after_first_paint = at_paint
from cwdash.cli.main import main
sys.exit(main([]))
"""


def test_the_first_paint_loads_nothing_it_does_not_need(
    tmp_path: Path, key: str, db_path: Path, store: object
) -> None:
    """The real start path (bare ``cwdash`` on a terminal, a live source configured, as on a
    server) up to its first paint: none of NOT_AT_FIRST_PAINT is in ``sys.modules``."""
    import pty
    import select
    import signal
    import time

    listing = tmp_path / "modules.txt"
    from cwdash.store.prefs import prefs_path, save

    save(theme="nord", keys={"refresh": "f5,ctrl+r"})  # a saved theme, as most users have
    assert prefs_path().exists()
    env = {
        **os.environ,
        "CWDASH_DB": str(db_path),
        "CWDASH_KEY": key,
        "BRIDGE_URL": "http://127.0.0.1:9",  # nothing is read before the first paint
        "BRIDGE_TOKEN": "a-bridge-token",
        "TERM": "xterm-256color",
    }
    pid, fd = pty.fork()
    if pid == 0:  # the child
        os.execvpe(sys.executable, [sys.executable, "-c", _AT_FIRST_PAINT, str(listing)], env)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    if not os.read(fd, 65536):
                        break
                except OSError:
                    break
    finally:
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    loaded = set(listing.read_text().split())
    assert "cwdash.tui.screen" in loaded and "textual.app" in loaded
    early = sorted(m for m in loaded for name in NOT_AT_FIRST_PAINT if m == name or m.startswith(name + "."))
    assert not early, early
    # value classes on the start path are NamedTuples or plain classes: a dataclass costs
    # ~0.5 ms to create on Python 3.11; these few remain
    made = set(Path(f"{listing}.dataclasses").read_text().split())
    assert made <= DATACLASSES_AT_FIRST_PAINT, sorted(made - DATACLASSES_AT_FIRST_PAINT)
    forward = set(Path(f"{listing}.forward").read_text().split())
    assert forward <= FORWARD_REFS_AT_FIRST_PAINT, sorted(forward - FORWARD_REFS_AT_FIRST_PAINT)
    # the first screen as it is painted: the footer one widget with its keys drawn (no
    # FooterKey per key, composed after the paint), no filter or jump field (made by their keys),
    # no banner (mounted when it has a line: tui/summary.py BannerSlot)
    widgets = Path(f"{listing}.widgets").read_text().split()
    assert "FleetTable" in widgets and "KeyFooter" in widgets
    assert not {"FooterKey", "FilterInput", "Input", "Banner"} & set(widgets), widgets


_STATUS_AND_WHAT_IT_LOADED = """
import json, sys
from cwdash.cli.main import main
code = main(["status", sys.argv[1], "--json"])
from cwdash.store.sources import trust
print(json.dumps({"code": code, "sqlite_utils": "sqlite_utils" in sys.modules,
                  "tls_contexts": len(trust._contexts)}), file=sys.stderr)
"""


def test_a_status_read_over_plain_http_loads_no_sqlite_utils_and_no_trust_store(
    configure, bridge, store: object
) -> None:
    """``cwdash status NAME --json`` against a bridge on plain http, with its history record
    and the token's print audited: plain SQL writes (sqlite-utils' import was ~60 ms, a third
    of the call) and no TLS context (loading the trust bundles was ~40 ms), which only an
    https URL, a proxy or a CA file needs."""
    from cwdash.store.simbridge import live

    sim = bridge({"int_xyz789abc": live("active", "", inbox_id=42)})
    configure(sim)
    done = subprocess.run(
        [sys.executable, "-c", _STATUS_AND_WHAT_IT_LOADED, "suporte"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report == {"code": 0, "sqlite_utils": False, "tls_contexts": 0}, done.stderr
    assert json.loads(done.stdout)["status"] == "active"
