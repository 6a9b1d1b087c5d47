"""Shared pieces of the RyzeAPI tests: start the simulated server, point cwdash at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from cwdash.store.ryzeapi import pacer as pacer_module
from cwdash.store.simryze import SimRyze

RYZE_TOKEN = "ryze-token-0123456789"


@pytest.fixture
def ryze() -> Iterator[Callable[..., SimRyze]]:
    """Start simulated RyzeAPI servers on 127.0.0.1; all stop at the end of the test."""
    started: list[SimRyze] = []
    pacer_module._SHARED.clear()  # each test starts with no budget known

    def start(instances: object = 5, **kwargs: object) -> SimRyze:
        kwargs.setdefault("token", RYZE_TOKEN)
        kwargs.setdefault("limit", 10_000)
        sim = SimRyze(instances, **kwargs).start()  # type: ignore[arg-type]
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()
    pacer_module._SHARED.clear()


@pytest.fixture
def use_ryze(configure: Callable[..., None]) -> Callable[..., None]:
    """Configure the test store and key, and RyzeAPI at ``sim`` (or a URL)."""

    def apply(sim: SimRyze | str, token: str = RYZE_TOKEN, **extra: str) -> None:
        configure(RYZEAPI_URL=sim if isinstance(sim, str) else sim.url, RYZEAPI_TOKEN=token, **extra)

    return apply
