"""Hostile and odd input: shown literally, never executed by the terminal, kept exactly.

Instance names and ``last_error`` values with markup, ANSI/OSC escapes (an OSC 52
clipboard write among them), NUL, C1, right-to-left overrides, emoji, wide characters
and a 5 MB string go in through ``cwdash import``; ``list`` and plain ``status`` must
emit no raw control character and not crash, ``status --json --local`` must give back
the exact value. Import files that are wrong must be refused with a message naming the
record's line, exit 1, and nothing written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from storekit import rows

from cwdash.store.db import Store
from cwdash.store.simbridge import live

# What must never reach the terminal raw: C0 controls but newline and tab, DEL, C1, and
# the bidi overrides/isolates that reorder what is shown.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
OSC52 = "\x1b]52;c;aGk=\x07"
MB5 = 5 * 1024 * 1024


def assert_clean(text: str) -> None:
    found = RAW.search(text)
    assert found is None, (
        f"raw {found.group()!r} at {found.start()}: {text[max(0, found.start() - 40) :][:80]!r}"
    )


def field(status_text: str, label: str) -> str:
    """The value line of one field of the plain ``status`` output."""
    found = [line for line in status_text.splitlines() if line.startswith(f"  {label}  ")]
    assert len(found) == 1, status_text[:2000]
    return found[0]


@pytest.fixture
def seeded(store: Store, configure: Callable[..., None]) -> Store:
    configure()
    return store


@pytest.fixture
def import_file(cli, tmp_path: Path) -> Callable[..., object]:
    """Write records (JSON Lines, or a raw text) to a file and ``cwdash import`` it."""
    counter = iter(range(1_000_000))

    def run(records: list[object] | str):
        path = tmp_path / f"import-{next(counter)}.jsonl"
        text = records if isinstance(records, str) else "\n".join(json.dumps(r) for r in records) + "\n"
        path.write_text(text, encoding="utf-8")
        return cli("import", str(path))

    return run


# -- values shown literally --------------------------------------------------------------

HOSTILE_ERRORS = [
    pytest.param(OSC52, r"\x1b]52;c;aGk=\x07", id="osc52-clipboard"),
    pytest.param("\x1b[31mred\x1b[0m\x1b[2J", r"\x1b[31mred\x1b[0m\x1b[2J", id="ansi-csi"),
    pytest.param(
        "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
        "\\x1b]8;;https://evil.example\\x1b\\click\\x1b]8;;\\x1b\\",
        id="osc8-hyperlink",
    ),
    pytest.param("a\x00b", r"a\x00b", id="nul"),
    pytest.param("ding\x07", r"ding\x07", id="bel"),
    pytest.param("\x9b31mC1 csi\x9d0;title\x9c", r"\x9b31mC1 csi\x9d0;title\x9c", id="c1"),
    pytest.param("\rOVERWRITTEN\x08\x7f", r"\x0dOVERWRITTEN\x08\x7f", id="cr-bs-del"),
    pytest.param("\u202etxt.exe", r"\u202etxt.exe", id="rtl-override"),
    pytest.param("[/bold][link=https://x]y[/link][red]", "[/bold][link=https://x]y[/link][red]", id="markup"),
    pytest.param("🚀 漢字テスト ｗｉｄｅ 👨‍👩‍👧", "🚀 漢字テスト ｗｉｄｅ 👨‍👩‍👧", id="emoji-wide"),
]


@pytest.mark.parametrize(("value", "shown"), HOSTILE_ERRORS)
def test_hostile_last_error_is_shown_literally_and_kept_exactly(
    cli, seeded, document, import_file, value: str, shown: str
) -> None:
    doc = document("odd", last_error=value, chatwoot_inbox_name=value)
    assert import_file([doc]).code == 0

    listing = cli("list")
    assert listing.code == 0, listing.err
    assert_clean(listing.out + listing.err)
    assert shown[:20] in listing.out  # the list cell is cut, but starts literally

    plain = cli("status", "odd", "--local")
    assert plain.code == 0, plain.err
    assert_clean(plain.out + plain.err)
    assert field(plain.out, "last error").endswith(shown)
    assert field(plain.out, "inbox").endswith(shown)  # the inbox name too

    exact = cli("status", "odd", "--json", "--local")
    assert exact.code == 0
    assert exact.json() == doc
    assert json.loads(exact.out)["last_error"] == value
    listed = {d["instance_name"]: d for d in cli("list", "--json").json()}["odd"]
    assert listed["last_error"] == value and listed["chatwoot_inbox_name"] == value


DISPLAY_NAMES = [
    pytest.param("[/bold]", "[/bold]", id="closing-tag"),
    pytest.param("[link=https://x]y[/link]", "[link=https://x]y[/link]", id="link-markup"),
    pytest.param("\u202eexe.txt", r"\u202eexe.txt", id="rtl-override"),
    pytest.param("\u2067isolate\u2069", r"\u2067isolate\u2069", id="rtl-isolate"),
    pytest.param("مرحبا-suporte", "مرحبا-suporte", id="arabic"),
    pytest.param("🚀suporte✨", "🚀suporte✨", id="emoji"),
    pytest.param("漢字テスト", "漢字テスト", id="wide"),
    pytest.param("👨‍👩‍👧 family", "👨‍👩‍👧 family", id="zwj-emoji"),
]


@pytest.mark.parametrize(("name", "shown"), DISPLAY_NAMES)
def test_odd_instance_names_display_literally(
    cli, seeded, document, import_file, name: str, shown: str
) -> None:
    doc = document(name, last_error=f"{OSC52}boom\x00")
    assert import_file([doc, {"instance_name": name + "-bare"}]).code == 0

    listing = cli("list")
    assert listing.code == 0
    assert_clean(listing.out + listing.err)
    lines = [line for line in listing.out.splitlines() if line.startswith(shown)]
    assert len(lines) == 2  # the instance and its bare sibling, both shown literally

    plain = cli("status", name, "--local")
    assert plain.code == 0, plain.err
    assert_clean(plain.out + plain.err)
    assert plain.out.splitlines()[0] == shown
    assert r"\x1b]52;c;aGk=\x07boom\x00" in plain.out

    exact = cli("status", name, "--json", "--local")
    assert exact.code == 0 and exact.json() == doc

    missing = cli("status", name + "-bare", "--local")
    assert missing.code == 4 and "no chatwoot integration" in missing.err
    assert_clean(missing.err)


def test_hostile_last_error_from_the_live_read(cli, seeded, configure, bridge) -> None:
    """The same values arriving from the gateway: plain output clean, JSON exact."""
    value = f"Chatwoot said {OSC52}\x1b[2J\x00\u202e[/bold]🚀"
    sim = bridge({"int_xyz789abc": live("error", value, inbox_id=42)})
    configure(sim)
    plain = cli("status", "suporte")
    assert plain.code == 0, plain.err
    assert_clean(plain.out + plain.err)
    assert r"Chatwoot said \x1b]52;c;aGk=\x07\x1b[2J\x00\u202e[/bold]🚀" in plain.out
    exact = cli("status", "suporte", "--json")
    assert exact.code == 0 and exact.err == ""
    assert exact.json()["last_error"] == value


def test_five_megabyte_values(cli, seeded, document, import_file) -> None:
    big = OSC52 + "x" * (MB5 - 2 * len(OSC52)) + OSC52  # escapes at both ends
    wide = "漢" * 1_000_000
    doc = document("huge", last_error=big, chatwoot_inbox_name=wide)
    assert import_file([doc]).code == 0

    listing = cli("list")
    assert listing.code == 0
    assert_clean(listing.out)
    assert len(listing.out) < 2_000  # one cut cell, not 5 MB

    plain = cli("status", "huge", "--local")
    assert plain.code == 0
    assert_clean(plain.out + plain.err)
    assert len(plain.out) < 50_000
    assert "more characters]" in plain.out
    assert plain.out.count(r"\x1b]52;c;aGk=\x07") == 1  # the start is shown; the rest is cut

    exact = cli("status", "huge", "--json", "--local")
    assert exact.code == 0
    got = exact.json()
    assert len(got["last_error"]) == MB5
    assert got["last_error"] == big and got["chatwoot_inbox_name"] == wide
    assert got == doc


# -- names with control characters are refused ------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "\x1b[31mred",
        "clip" + OSC52,
        "nul\x00byte",
        "bell\x07",
        "c1\x9bcsi",
        "del\x7f",
        "new\nline",
        "tab\tname",
        "cr\rname",
    ],
    ids=["ansi", "osc52", "nul", "bel", "c1", "del", "newline", "tab", "cr"],
)
def test_control_characters_in_names_are_refused(
    cli, seeded, document, import_file, db_path: Path, name: str
) -> None:
    before = rows(db_path)
    run = import_file([document("fine"), document(name)])
    assert run.code == 1
    assert "line 2" in run.err
    assert "instance_name contains control characters" in run.err
    assert "import refused, nothing written" in run.err
    assert_clean(run.out + run.err)
    assert "Traceback" not in run.err
    assert rows(db_path) == before  # not even the good first record

    added = cli("add", name)
    assert added.code == 2 and "control characters" in added.err
    assert_clean(added.err)
    assert rows(db_path) == before


def test_overlong_names_are_refused_without_echoing_them(
    cli, seeded, document, import_file, db_path: Path
) -> None:
    before = rows(db_path)
    for name in ("n" * 201, "\u202e" + "x" * MB5):
        run = import_file([document(name)])
        assert run.code == 1
        assert "line 1" in run.err and "longer than 200 characters" in run.err
        assert len(run.err) < 2_000
        assert_clean(run.err)
    assert rows(db_path) == before


# -- import refusals ------------------------------------------------------------------------

BASE = {
    "instance_name": "bad",
    "status": "active",
    "bridge_integration_id": "int_bad",
    "chatwoot_base_url": "https://chatwoot.example.com",
    "chatwoot_account_id": 5,
    "chatwoot_api_token": "tok_bad",
    "chatwoot_inbox_id": 0,
    "chatwoot_inbox_name": "Inbox",
    "last_error": "",
    "created_at": "2026-04-20T10:15:30Z",
    "sign_messages": False,
    "ignore_groups": False,
    "start_as_pending": False,
    "reopen_resolved": False,
}
OK = {**BASE, "instance_name": "good", "bridge_integration_id": "int_good"}


def _line(record: object) -> str:
    return json.dumps(record)


REFUSALS = [
    # bad JSON
    pytest.param(_line(OK) + "\n" + '{"instance_name": "bad",}\n', 2, "bad JSON", id="json-trailing-comma"),
    pytest.param(_line(OK) + "\n\n" + '{"instance_name": \n', 3, "bad JSON", id="json-truncated"),
    pytest.param("[\n" + _line(OK) + ",\n" + _line(BASE) + "\n", 4, "not closed", id="array-unclosed"),
    pytest.param("[\n" + _line(OK) + "\n" + _line(BASE) + "\n]", 3, "expected ','", id="array-no-comma"),
    pytest.param("[\n" + _line(OK) + ",\n]", 3, "trailing comma", id="array-trailing-comma"),
    pytest.param("[\n" + _line(OK) + "\n] junk", 3, "unexpected text", id="array-junk-after"),
    pytest.param(_line(OK) + "\n" + "[" * 50_000 + "]" * 50_000 + "\n", 2, "nested too deeply", id="json-deep"),
    # wrong shapes and types
    pytest.param(_line(OK) + "\n" + '["bad"]\n', 2, "expected a JSON object, got list", id="record-list"),
    pytest.param(_line(OK) + "\n" + '"bad"\n', 2, "expected a JSON object, got str", id="record-str"),
    pytest.param(_line({**BASE, "instance_name": 5}), 1, "instance_name must be a non-empty string", id="name-int"),
    pytest.param(_line({**BASE, "instance_name": None}), 1, "instance_name must be a non-empty string", id="name-null"),
    pytest.param(_line({**BASE, "instance_name": ""}), 1, "instance_name must be a non-empty string", id="name-empty"),
    pytest.param(_line({**BASE, "chatwoot_account_id": 5.5}), 1, "chatwoot_account_id must be an integer", id="account-float"),
    pytest.param(_line({**BASE, "chatwoot_account_id": True}), 1, "chatwoot_account_id must be an integer", id="account-bool"),
    pytest.param(_line({**BASE, "chatwoot_account_id": None}), 1, "chatwoot_account_id must be an integer", id="account-null"),
    pytest.param(_line({**BASE, "chatwoot_account_id": 2**63}), 1, "chatwoot_account_id is larger than", id="account-huge"),
    pytest.param(_line({**BASE, "chatwoot_inbox_id": "42"}), 1, "chatwoot_inbox_id must be an integer", id="inbox-str"),
    pytest.param(_line({**BASE, "chatwoot_inbox_id": -1}), 1, "chatwoot_inbox_id must be an integer, 0 or more", id="inbox-negative"),
    pytest.param(_line({**BASE, "chatwoot_inbox_id": 10**30}), 1, "chatwoot_inbox_id is larger than", id="inbox-huge"),
    pytest.param(_line({**BASE, "last_error": 3}), 1, "last_error must be a string", id="last-error-int"),
    pytest.param(_line({**BASE, "chatwoot_inbox_name": None}), 1, "chatwoot_inbox_name must be a string", id="inbox-name-null"),
    pytest.param(_line({**BASE, "chatwoot_api_token": None}), 1, "chatwoot_api_token must be a string", id="token-null"),
    pytest.param(_line({**BASE, "bridge_integration_id": "  "}), 1, "bridge_integration_id is empty", id="bridge-id-blank"),
    pytest.param(_line({**BASE, "ignore_groups": 1}), 1, "ignore_groups must be true or false", id="flag-int"),
    pytest.param(_line({**BASE, "created_at": 1776680130}), 1, "created_at must be an RFC 3339 string", id="created-int"),
    pytest.param(_line({**BASE, "created_at": "2026-04-20T10:15:30"}), 1, "needs a date, a time and an offset", id="created-no-offset"),
    pytest.param(_line({k: v for k, v in BASE.items() if k != "chatwoot_api_token"}), 1, "chatwoot_api_token is missing", id="token-missing"),
    pytest.param('{"instance_name": "bad", "last_error": "\\ud800"}', 1, "last_error is not valid Unicode", id="lone-surrogate"),
    # account ids
    pytest.param(_line({**BASE, "chatwoot_account_id": 0}), 1, "chatwoot_account_id must be greater than 0, got 0", id="account-zero"),
    pytest.param(_line({**BASE, "chatwoot_account_id": -7}), 1, "chatwoot_account_id must be greater than 0, got -7", id="account-negative"),
    # URLs
    pytest.param(_line({**BASE, "chatwoot_base_url": "chatwoot.example.com"}), 1, "must be an http(s) URL", id="url-no-scheme"),
    pytest.param(_line({**BASE, "chatwoot_base_url": "//chatwoot.example.com"}), 1, "must be an http(s) URL", id="url-scheme-relative"),
    pytest.param(_line({**BASE, "chatwoot_base_url": "javascript:alert(document.cookie)"}), 1, "must be an http(s) URL", id="url-javascript"),
    pytest.param(_line({**BASE, "chatwoot_base_url": "JavaScript://x.com/%0aalert(1)"}), 1, "must be an http(s) URL", id="url-javascript-mixed-case"),
    pytest.param(_line({**BASE, "chatwoot_base_url": "file:///etc/passwd"}), 1, "must be an http(s) URL", id="url-file"),
    pytest.param(_line({**BASE, "chatwoot_base_url": "https://"}), 1, "has no host", id="url-no-host"),
    pytest.param(_line({**BASE, "chatwoot_base_url": "http://[oops"}), 1, "not a valid URL", id="url-unparseable"),
    pytest.param(_line({**BASE, "chatwoot_base_url": "https://chat example.com"}), 1, "spaces or control characters", id="url-space"),
    pytest.param(_line({**BASE, "chatwoot_base_url": "https://x.com/" + OSC52}), 1, "spaces or control characters", id="url-escape"),
    pytest.param(_line({**BASE, "chatwoot_base_url": ""}), 1, "chatwoot_base_url must be a non-empty string", id="url-empty"),
    # duplicates
    pytest.param(
        "\n".join([_line(BASE), _line(OK), _line({**BASE, "last_error": "again"})]),
        3,
        "duplicate instance_name, first seen on line 1",
        id="duplicate",
    ),
    pytest.param(
        "\n".join([_line({"instance_name": "bad"}), _line(BASE)]),
        2,
        "duplicate instance_name, first seen on line 1",
        id="duplicate-bare-then-full",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "why"), REFUSALS)
def test_import_refusals_name_the_line_and_write_nothing(
    cli, seeded, import_file, db_path: Path, text: str, line: int, why: str
) -> None:
    before = rows(db_path)
    run = import_file(text)
    assert run.code == 1
    assert run.out == ""
    assert run.err.startswith("cwdash: import refused, nothing written: ")
    assert f"line {line}" in run.err and why in run.err, run.err
    assert "Traceback" not in run.err
    assert_clean(run.err)
    assert rows(db_path) == before
    assert cli("status", "good", "--local").code == 4  # the good record was not written either


def test_refusal_names_the_record(cli, seeded, import_file) -> None:
    run = import_file([OK, {**BASE, "instance_name": "the-bad-one", "chatwoot_account_id": -1}])
    assert run.code == 1
    assert "line 2 ('the-bad-one'): chatwoot_account_id must be greater than 0, got -1" in run.err


def test_import_into_an_empty_file_is_refused(cli, seeded, import_file, db_path: Path) -> None:
    before = rows(db_path)
    run = import_file("\n  \n")
    assert run.code == 1 and "no records to import" in run.err
    assert rows(db_path) == before


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://chat.example.com/", "https://chat.example.com"),
        ("https://chat.example.com///", "https://chat.example.com"),
        ("  http://chat.example.com:3000/  ", "http://chat.example.com:3000"),
        ("https://chat.example.com/base/path/", "https://chat.example.com/base/path"),
        ("HTTPS://Chat.Example.com/", "HTTPS://Chat.Example.com"),
    ],
)
def test_base_url_trailing_slashes_are_normalised(
    cli, seeded, document, import_file, given: str, stored: str
) -> None:
    assert import_file([document("slashes", chatwoot_base_url=given)]).code == 0
    doc = cli("status", "slashes", "--json", "--local").json()
    assert doc["chatwoot_base_url"] == stored
    listed = {d["instance_name"]: d for d in cli("list", "--json").json()}["slashes"]
    assert listed["chatwoot_base_url"] == stored
