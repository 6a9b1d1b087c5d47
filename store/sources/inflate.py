"""Bounded decoding of a compressed answer body.

cwdash asks the gateway for no encoding (``Accept-Encoding: identity``), but an answer
may arrive compressed anyway. A few kilobytes of gzip can inflate to gigabytes, so the
body cap must count *decoded* bytes, and decoding must stop as soon as it is passed:
every inflate step is bounded (``max_length``), so no more than about one step beyond
the cap is ever allocated, and the work per answer is bounded by the cap too (which
keeps the read's time budget meaningful). httpx's own decoders inflate each received
chunk whole, so the live read reads the raw body and decodes it here.

Stacked encodings (``gzip, gzip``) are undone in reverse order, each stage bounded.
An encoding this module does not know is a bad answer, not something to pass through.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

STEP = 64 * 1024  # the most one inflate step may produce
MAX_STAGES = 3  # "gzip, gzip, gzip" is already more than any real server sends


class BodyTooLarge(Exception):
    """The decoded body passed its cap."""


class BadEncoding(Exception):
    """The body's Content-Encoding is unknown, or its data does not decode."""


class _Stage:
    """One encoding undone: a zlib stream (gzip, zlib-wrapped or raw deflate)."""

    __slots__ = ("_fallback", "_kind", "_obj", "_started", "limit", "total")

    def __init__(self, kind: str, limit: int) -> None:
        self._kind = kind
        self.limit = limit
        self.total = 0
        self._started = False
        self._fallback = kind == "deflate"  # servers send zlib-wrapped or raw deflate
        self._obj = self._new()

    def _new(self) -> zlib._Decompress:
        wbits = 16 + zlib.MAX_WBITS if self._kind == "gzip" else zlib.MAX_WBITS
        return zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded output of ``data``, in pieces of at most :data:`STEP` bytes."""
        while data:
            obj = self._obj
            if obj.eof:
                if self._kind != "gzip":
                    raise BadEncoding(f"data after the end of the {self._kind} stream")
                obj = self._obj = self._new()  # gzip members may be concatenated
            try:
                out = obj.decompress(data, self._room())
            except zlib.error:
                if self._fallback and not self._started:
                    self._fallback = False
                    obj = self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise BadEncoding(f"{self._kind} data does not decode") from None
            self._started = True
            data = obj.unconsumed_tail or (obj.unused_data if obj.eof else b"")
            yield from self._count(out)
            if not data and len(out) == STEP:
                yield from self.feed_pending()

    def feed_pending(self) -> Iterator[bytes]:
        """Output zlib holds back after a step filled up (no input left to give)."""
        while not self._obj.eof:
            out = self._obj.decompress(b"", self._room())
            if not out:
                return
            yield from self._count(out)

    def _room(self) -> int:
        return min(STEP, self.limit - self.total + 1)

    def _count(self, out: bytes) -> Iterator[bytes]:
        if out:
            self.total += len(out)
            if self.total > self.limit:
                raise BodyTooLarge
            yield out


_KINDS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}


class Decoder:
    """Undoes a Content-Encoding header's encodings, raising :class:`BodyTooLarge` as soon
    as the decoded body (or any intermediate stage) passes ``limit`` bytes."""

    def __init__(self, encodings: Iterable[str], limit: int) -> None:
        names = [e.strip().lower() for e in encodings]
        names = [e for e in names if e and e != "identity"]
        if len(names) > MAX_STAGES:
            raise BadEncoding(f"{len(names)} stacked content encodings")
        unknown = [e for e in names if e not in _KINDS]
        if unknown:
            raise BadEncoding(f"unsupported content encoding {unknown[0][:20]!r}")
        # the last encoding listed was applied last: it is undone first. An intermediate
        # stage holds compressed data, which is never much larger than what it decodes to.
        self._stages = [_Stage(_KINDS[e], limit if i == 0 else 2 * limit) for i, e in enumerate(names)][::-1]

    @property
    def active(self) -> bool:
        return bool(self._stages)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded output of one raw chunk, piece by piece."""
        return self._through(0, data)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._stages):
            yield data
            return
        for piece in self._stages[index].feed(data):
            yield from self._through(index + 1, piece)

    def finish(self) -> Iterator[bytes]:
        """What is left once the raw body has ended."""
        for index, stage in enumerate(self._stages):
            for piece in stage.feed_pending():
                yield from self._through(index + 1, piece)


def encodings_of(header_values: list[str]) -> list[str]:
    """The encodings named by (possibly several) Content-Encoding headers, in order."""
    return [part for value in header_values for part in value.split(",") if part.strip()]
