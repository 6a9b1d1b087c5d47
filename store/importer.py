"""``cwdash import``: status documents in, validated as a whole before anything is written.

Accepts a JSON array or JSON Lines of the documents ``status --json`` prints (and
RyzeAPI returns). Every record is checked first; the first bad one is reported with
its line and reason, and then nothing is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cwdash.store.db import Store, now_rfc3339
from cwdash.store.document import InvalidRecord, validate_record
from cwdash.store.sealing import Sealer


class ImportError_(ValueError):
    """An import refused as a whole; the message names the record and why."""


@dataclass(frozen=True)
class ImportSummary:
    instances: int
    integrations: int


_TOO_DEEP = "bad JSON (nested too deeply)"


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def parse_records(text: str) -> list[tuple[int, Any]]:
    """Split ``text`` into ``(line, value)`` pairs: a JSON array, or one JSON value per line."""
    stripped = text.lstrip()
    if not stripped:
        return []
    decoder = json.JSONDecoder()
    if stripped.startswith("["):
        out: list[tuple[int, Any]] = []
        pos = text.index("[") + 1
        expect_value = True
        while True:
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
            if pos >= len(text):
                raise ImportError_(f"line {_line_of(text, pos)}: the JSON array is not closed")
            if text[pos] == "]":
                if out and expect_value:
                    raise ImportError_(f"line {_line_of(text, pos)}: trailing comma before ']'")
                rest = text[pos + 1 :].strip()
                if rest:
                    raise ImportError_(f"line {_line_of(text, pos)}: unexpected text after the array")
                return out
            if not expect_value:
                if text[pos] != ",":
                    raise ImportError_(f"line {_line_of(text, pos)}: expected ',' or ']' between records")
                pos += 1
                expect_value = True
                continue
            try:
                value, end = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                raise ImportError_(f"line {exc.lineno}: bad JSON ({exc.msg})") from None
            except RecursionError:
                raise ImportError_(f"line {_line_of(text, pos)}: {_TOO_DEEP}") from None
            out.append((_line_of(text, pos), value))
            pos = end
            expect_value = False
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ImportError_(f"line {number}: bad JSON ({exc.msg})") from None
        except RecursionError:
            raise ImportError_(f"line {number}: {_TOO_DEEP}") from None
    return records


def import_text(store: Store, sealer: Sealer | None, text: str) -> ImportSummary:
    """Validate every record of ``text``, then upsert them all in one transaction."""
    now = now_rfc3339()
    checked: list[tuple[str, dict[str, Any] | None]] = []
    seen: dict[str, int] = {}
    for line, record in parse_records(text):
        where = f"line {line}"
        if isinstance(record, dict) and isinstance(record.get("instance_name"), str):
            where += f" ({record['instance_name'][:60]!r})"
        try:
            name, values, token = validate_record(record, now)
        except InvalidRecord as exc:
            raise ImportError_(f"{where}: {exc}") from None
        if name in seen:
            raise ImportError_(f"{where}: duplicate instance_name, first seen on line {seen[name]}")
        seen[name] = line
        if values is not None:
            if sealer is None:
                raise ImportError_("CWDASH_KEY is not set, so tokens cannot be sealed; run `cwdash init`")
            values["chatwoot_api_token"] = sealer.seal(name, token or "")
        checked.append((name, values))
    if not checked:
        raise ImportError_("no records to import")
    store.import_records(checked)
    return ImportSummary(len(checked), sum(1 for _, v in checked if v is not None))
