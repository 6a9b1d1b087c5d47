"""Property-based tests (hypothesis): the import / ``status --json`` round trip, the merge of
local and live values, and the input paths that must answer with a value, never a crash.

The store and CLI fixtures are function-scoped and shared by every example of a test;
that is sound here because each example only upserts (a later import of the same name
replaces every field) and checks what it just wrote, so the function-scoped-fixture
health check is suppressed on purpose.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import fields
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from storekit import rows

from cwdash.store.db import Store
from cwdash.store.document import FIELDS, SealedToken, StatusDocument
from cwdash.store.endpoint import integration_id_problem
from cwdash.store.importer import ImportError_, import_text
from cwdash.store.readmodel import ReadModel, StatusRead, merge, needs_backfill
from cwdash.store.sealing import Sealer
from cwdash.store.sources.outcome import STATUSES, LiveFailure, LiveState, Reason, parse_state
from cwdash.store.text import literal, one_line

SHARED_STATE = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MAX_INTEGER = 2**63 - 1

# What a terminal must never receive raw (C0 but newline/tab, DEL, C1, bidi controls).
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")


# -- strategies for valid status documents -------------------------------------------------

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=200)
any_text = st.text(st.characters(codec="utf-8"), max_size=60)  # controls, NUL, bidi included
statuses = st.sampled_from(STATUSES)

_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?", fullmatch=True)
_ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
_hosts = st.one_of(st.lists(_label, min_size=1, max_size=3).map(".".join), _ipv4, st.just("localhost"))
_segment = st.one_of(
    st.from_regex(r"[A-Za-z0-9._~%!$&'()*+,;=:@-]{1,12}", fullmatch=True),
    # non-ASCII path text; no spaces or separators (stripped as whitespace by design)
    st.text(st.characters(min_codepoint=0xA0, exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=6),
)  # fmt: skip


@st.composite
def base_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https"]))
    port = draw(st.none() | st.integers(1, 65535))
    path = draw(st.lists(_segment, max_size=3))
    url = f"{scheme}://{draw(_hosts)}" + (f":{port}" if port else "")
    url += "".join(f"/{p}" for p in path)
    return url + "/" * draw(st.integers(0, 3))  # trailing slashes are removed on import


@st.composite
def rfc3339(draw: st.DrawFn) -> str:
    year, month, day = draw(st.integers(1, 9999)), draw(st.integers(1, 12)), draw(st.integers(1, 28))
    hour, minute, second = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    digits = draw(st.text("0123456789", min_size=0, max_size=9))
    frac = f".{digits}" if digits else ""
    offset = draw(
        st.one_of(
            st.sampled_from(["Z", "z"]),
            st.tuples(st.sampled_from("+-"), st.integers(0, 23), st.integers(0, 59)).map(
                lambda t: f"{t[0]}{t[1]:02d}:{t[2]:02d}"
            ),
        )
    )
    sep = draw(st.sampled_from("Tt"))
    return f"{year:04d}-{month:02d}-{day:02d}{sep}{hour:02d}:{minute:02d}:{second:02d}{frac}{offset}"


VALID = {
    "instance_name": names,
    "status": statuses,
    # any text that is one URL path segment (cwdash.store.endpoint's rule; others are refused)
    "bridge_integration_id": st.text(min_size=1, max_size=40).filter(
        lambda t: integration_id_problem(t) is None
    ),
    "chatwoot_base_url": base_urls(),
    "chatwoot_account_id": st.integers(1, MAX_INTEGER),
    "chatwoot_api_token": st.text(min_size=1, max_size=80),
    "chatwoot_inbox_id": st.integers(0, MAX_INTEGER),
    "chatwoot_inbox_name": any_text,
    "last_error": any_text,
    "created_at": rfc3339(),
    "sign_messages": st.booleans(),
    "ignore_groups": st.booleans(),
    "start_as_pending": st.booleans(),
    "reopen_resolved": st.booleans(),
}
assert tuple(VALID) == FIELDS
documents = st.fixed_dictionaries(VALID)


# -- (a) import, then status --json --local: the same document --------------------------------


@SHARED_STATE
@given(doc=documents, as_array=st.booleans())
def test_import_then_status_json_round_trip(cli, store, configure, doc: dict, as_array: bool) -> None:
    configure()
    text = json.dumps([doc], indent=2) if as_array else json.dumps(doc) + "\n"
    imported = cli("import", "-", stdin=text)
    assert imported.code == 0, imported.err
    run = cli("status", "--json", "--local", "--", doc["instance_name"])  # "--": names may start with "-"
    assert run.code == 0, run.err
    expected = {**doc, "chatwoot_base_url": doc["chatwoot_base_url"].rstrip("/")}
    got = run.json()
    assert got == expected
    assert list(got) == list(FIELDS)  # seed order
    assert all(type(got[k]) is type(expected[k]) for k in FIELDS)  # no bool/int confusion


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(documents, min_size=1, max_size=4, unique_by=lambda d: d["instance_name"]))
def test_import_many_then_read_model_round_trip(store: Store, sealer: Sealer, docs: list[dict]) -> None:
    """The same rule, many records at once, through import_text and the read model directly."""
    summary = import_text(store, sealer, "\n".join(json.dumps(d) for d in docs))
    assert (summary.instances, summary.integrations) == (len(docs), len(docs))
    model = ReadModel(store, sealer, None)
    for doc in docs:
        result = model.local(doc["instance_name"])
        assert isinstance(result, StatusRead)
        assert result.document.as_json() == {**doc, "chatwoot_base_url": doc["chatwoot_base_url"].rstrip("/")}


# -- (b) the merge rule ------------------------------------------------------------------------

local_documents = st.builds(
    StatusDocument,
    instance_name=names,
    status=statuses,
    bridge_integration_id=VALID["bridge_integration_id"],
    chatwoot_base_url=base_urls().map(lambda u: u.rstrip("/")),
    chatwoot_account_id=VALID["chatwoot_account_id"],
    chatwoot_api_token=st.builds(
        SealedToken, instance_name=names, sealed=st.text(max_size=20), sealer=st.none()
    ),
    chatwoot_inbox_id=st.one_of(st.just(0), VALID["chatwoot_inbox_id"]),
    chatwoot_inbox_name=any_text,
    last_error=any_text,
    created_at=rfc3339(),
    sign_messages=st.booleans(),
    ignore_groups=st.booleans(),
    start_as_pending=st.booleans(),
    reopen_resolved=st.booleans(),
)
live_inbox_ids = st.one_of(st.none(), st.just(0), st.integers(-5, -1), st.integers(1, MAX_INTEGER))
live_states = st.builds(LiveState, status=statuses, last_error=any_text, inbox_id=live_inbox_ids)
live_failures = st.builds(LiveFailure, reason=st.sampled_from(Reason), detail=any_text)
outcomes = st.one_of(st.none(), live_states, live_failures)
VOLATILE = {"status", "last_error", "chatwoot_inbox_id"}


@settings(max_examples=300, deadline=None)
@given(doc=local_documents, outcome=outcomes)
def test_merge_rule(doc: StatusDocument, outcome: LiveState | LiveFailure | None) -> None:
    result = merge(doc, outcome)
    merged = result.document
    if isinstance(outcome, LiveState):
        assert result.source == "live" and result.failure is None
        assert merged.status == outcome.status
        assert merged.last_error == outcome.last_error
        fills = doc.chatwoot_inbox_id == 0 and outcome.inbox_id is not None and outcome.inbox_id > 0
        assert merged.chatwoot_inbox_id == (outcome.inbox_id if fills else doc.chatwoot_inbox_id)
        if outcome.inbox_id is None or outcome.inbox_id >= 0:  # what a live read can carry
            assert needs_backfill(doc, outcome) == (outcome.inbox_id if fills else None)
    else:
        assert result.source == "local" and result.failure is outcome
        assert merged == doc
        assert (merged.status, merged.last_error, merged.chatwoot_inbox_id) == (
            doc.status,
            doc.last_error,
            doc.chatwoot_inbox_id,
        )
        assert needs_backfill(doc, outcome) is None
    for f in fields(StatusDocument):
        if f.name not in VOLATILE:
            assert getattr(merged, f.name) is getattr(doc, f.name), f.name
    assert merged.as_json(include_token=False).keys() == doc.as_json(include_token=False).keys()


# -- inputs that must answer with a value, never a crash -----------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=8,
)
_edge_ints = st.sampled_from([0, -1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, 1.0, True, "5"])
_edge_strings = st.sampled_from(
    ["", " ", "http://[oops", "javascript:x", "https://", "x.com", "2026-04-20T10:15:60Z"]
)
INTEGER_FIELDS = ("chatwoot_account_id", "chatwoot_inbox_id")
EDGES = {
    name: st.one_of(_edge_ints if name in INTEGER_FIELDS else _edge_strings, json_values) for name in FIELDS
}
# the fields with the most to check are picked more often
MUTATED = st.sampled_from(FIELDS + 3 * (*INTEGER_FIELDS, "chatwoot_base_url", "created_at"))


@st.composite
def odd_records(draw: st.DrawFn) -> object:
    """A valid document with one to three fields dropped or replaced by odd values, or any JSON."""
    if draw(st.integers(0, 4)) == 0:
        return draw(json_values)
    record: dict[str, object] = draw(documents)
    for name in draw(st.lists(MUTATED, min_size=1, max_size=3, unique=True)):
        if draw(st.integers(0, 3)) == 0:
            del record[name]
        else:
            record[name] = draw(EDGES[name])
    return record


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(odd_records(), min_size=1, max_size=2), as_array=st.booleans())
def test_import_of_anything_is_done_or_refused_whole(
    store: Store, sealer: Sealer, db_path: Path, records: list, as_array: bool
) -> None:
    text = json.dumps(records) if as_array else "\n".join(json.dumps(r) for r in records)
    before = rows(db_path)
    try:
        summary = import_text(store, sealer, text)
    except ImportError_ as exc:
        assert re.match(r"(line \d+|no records to import)", str(exc)), str(exc)
        assert rows(db_path) == before  # refused means nothing written
    else:
        assert summary.instances == len(records)


@settings(max_examples=300, deadline=None)
@given(body=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())))
@example(b"\x00" * 200)
@example(b"[" * 100_000)  # deeper than the decoder's recursion limit
@example(json.dumps({"status": "\U000e0001" * 50}).encode())
def test_parse_state_always_answers_a_value(body: bytes) -> None:
    outcome = parse_state(body)
    if isinstance(outcome, LiveState):
        assert outcome.status in STATUSES
        assert isinstance(outcome.last_error, str)
        assert outcome.inbox_id is None or (type(outcome.inbox_id) is int and outcome.inbox_id > 0)
    else:
        assert isinstance(outcome, LiveFailure) and outcome.reason is Reason.BAD_ANSWER
        # bounded, and literal: the quoted snippet of the answer escapes what it quotes
        # (repr can grow a 40-character status to ~400 characters, hence the loose bound)
        assert 0 < len(outcome.detail) < 450
        assert RAW.search(outcome.detail) is None


# Any string at all: lone surrogates (a live "\ud800" decodes to one), joiners, combining
# marks, variation selectors, private use, unassigned code points.
any_text = st.text(st.characters(exclude_categories=()), max_size=200)
HOSTILE_TEXT = "\ud800x\udfff\u200d👨\u200d👩e\u0301☺\ufe0f🇧🇷👍🏽a\u1160\ue000\u0378䷀中\x1b[2J\u202e"


@settings(max_examples=300, deadline=None)
@given(value=any_text)
@example(value=HOSTILE_TEXT)
@example(value="\ud800")
def test_terminal_text_has_a_width_of_its_own_and_never_a_control(value: str) -> None:
    """Whatever a value holds, what reaches the terminal is encodable, holds no control, and
    every character has its own width of one or two cells, so the width of the text is
    the sum of its characters' and a table cell cut or padded to N cells is N cells."""
    from rich.cells import cell_len, get_character_cell_size

    from cwdash.store.text import cell_width
    from cwdash.tui.cells import fit

    shown = literal(value)
    assert RAW.search(shown) is None
    shown.encode("utf-8")  # no lone surrogate reaches the terminal
    line = one_line(value)
    assert RAW.search(line) is None and "\n" not in line and "\t" not in line
    for char in line:
        assert unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Mn", "Me"), char
        assert get_character_cell_size(char) in (1, 2), char
    assert cell_len(line) == cell_width(line) == sum(get_character_cell_size(c) for c in line)
    for width in (0, 1, 2, 7, 30):
        assert cell_len(fit(line, width)) == width


@settings(max_examples=100, deadline=None)
@given(value=st.text(st.sampled_from("aZ09 -_.:/[]é中文😀🚀Ωж€ãçÅ한"), max_size=40))
def test_ordinary_text_passes_unchanged(value: str) -> None:
    """Letters with accents, CJK, Hangul syllables and emoji keep their looks."""
    assert literal(value) == value == one_line(value)
    assert literal(unicodedata.normalize("NFD", value)) == value  # composed again, not escaped


json_leaves = st.one_of(st.none(), st.booleans(), st.integers(), any_text)
json_like = st.recursive(
    json_leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(any_text, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(value=json_like)
@example(value={"last_error": "\ud800", "\udfff": ["\ud83d\ude00", "é"]})
def test_json_output_always_parses_back_to_the_same_value(value: object) -> None:
    """``--json`` output (``status``, ``list``, ``audit``) for any value any field can hold:
    valid UTF-8, valid JSON, the same value read back."""
    from cwdash.cli.output import json_text

    for ascii_only in (False, True):
        text = json_text(value, ascii_only=ascii_only)
        text.encode("utf-8")
        assert json.loads(text) == value or _paired(value) == json.loads(text)


def _paired(value: object) -> object:
    """Two surrogates in a row are one character once written out as JSON escapes."""
    if isinstance(value, str):
        return re.sub(
            "[\ud800-\udbff][\udc00-\udfff]",
            lambda m: chr(0x10000 + ((ord(m[0][0]) - 0xD800) << 10) + ord(m[0][1]) - 0xDC00),
            value,
        )
    if isinstance(value, list):
        return [_paired(v) for v in value]
    if isinstance(value, dict):
        return {_paired(k): _paired(v) for k, v in value.items()}
    return value


# -- the fleet filter ----------------------------------------------------------------------

small_text = st.text(alphabet="abAB-é 4:zZ", max_size=8)
fleet_rows = st.builds(
    lambda name, has, status, error, url, live: (name, has, status, error, url, live),
    name=small_text.filter(bool),
    has=st.booleans(),
    status=st.sampled_from([*STATUSES, "weird"]),
    error=small_text,
    url=st.sampled_from(["http://Z.é", "https://4.4", "http://q"]),  # each needle letter hits one field
    live=st.one_of(st.none(), live_states, live_failures),
)


@settings(max_examples=200, deadline=None)
@given(specs=st.lists(fleet_rows, max_size=12), needles=st.lists(small_text, min_size=1, max_size=4))
@example(specs=[("b", True, "active", "", "http://q", None)], needles=["a"])  # the status alone
@example(specs=[("b", True, "error", "", "http://Z.é", None)], needles=["z"])  # the URL alone
@example(specs=[("b", True, "error", "4:A", "http://q", None)], needles=["4:a"])  # the error alone
@example(specs=[("b", False, "error", "", "http://q", None)], needles=["n"])  # "no integration"
@example(specs=[("b", True, "error", "", "http://q", LiveState("error", "zZ", None))], needles=["zz"])
@example(specs=[("b", True, "error", "", "http://q", LiveState("active", "", None))], needles=["a"])
def test_filter_holds_exactly_the_rows_whose_shown_text_holds_the_needle(specs: list, needles: list) -> None:
    """Whatever was typed before (narrowing) and whatever the rows' live state."""
    from cwdash.store.fleet import Fleet, FleetRow
    from cwdash.store.fleetrow import natural_key

    fleet = Fleet()
    for i, (name, has, status, error, url, live) in enumerate(specs):
        row = FleetRow(f"{name}{i}", has, status, error, url, 1, 1)
        if live is not None and has:
            local = StatusDocument(
                row.name, status, "int", url, 1, SealedToken(row.name, "", None), 1, "", error,
                "2026-01-01T00:00:00Z", False, False, False, False,
            )  # fmt: skip
            row.apply(merge(local, live), 1.0)
        fleet.rows[row.name] = row
    fleet.rebuild(full=True)
    for needle in needles:
        fleet.filter_text = needle
        fleet.rebuild()
        typed = needle.strip().lower()
        expected = [
            r.name
            for r in sorted(fleet.rows.values(), key=lambda r: natural_key(r.name.lower()))
            if any(
                typed in text
                for text in (
                    r.name.lower(),
                    r.base_url.lower(),
                    r.status or "no integration",
                    r.last_error.lower(),
                )
            )
        ]
        assert [r.name for r in fleet.view] == expected, needle
