"""What a live read produces: a :class:`LiveState`, or a :class:`LiveFailure` with its
:class:`Reason`, worded for the source that failed (:class:`Wording`).

The outcome is a value, never an exception. :func:`parse_state` turns a JSON answer
into one; any source answering an integration's state in JSON can use it.
"""

# No `from __future__ import annotations`: it would make this module's NamedTuple field
# annotations strings, each compiled when the class is made, before the first paint
# (tests/test_packaging.py).
from enum import Enum
from typing import NamedTuple

from cwdash.store.status import STATUSES  # the one vocabulary

MAX_INTEGER = 2**63 - 1  # the store's INTEGER column: a larger inbox id could not be kept
ID_FIELDS = ("id", "integration_id", "bridge_integration_id")


class Reason(Enum):
    """Why a live read did not produce a live state; each maps to a title and a hint,
    worded by the source that failed (see :class:`Wording`)."""

    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    TLS = "tls"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"
    HTTP_ERROR = "http_error"
    BAD_ANSWER = "bad_answer"
    BAD_ID = "bad_id"
    PROXY = "proxy"
    PROXY_AUTH = "proxy_auth"
    UNEXPECTED = "unexpected"
    RATE_LIMITED = "rate_limited"  # 429, or the token's budget used up for longer than a read may wait

    @property
    def title(self) -> str:
        """The bridge's wording; a failure's own :attr:`LiveFailure.title` names its source."""
        return BRIDGE_WORDING.titles[self]

    @property
    def hint(self) -> str:
        """The bridge's wording; a failure's own :attr:`LiveFailure.hint` names its source."""
        return BRIDGE_WORDING.hints[self]


# The texts the user reads, templated on the source: {name} ("bridge"), {url} (the
# setting holding its address), {credential} (the setting holding its secret), {target}
# (what the source reads by). {credential_hint} and {target_hint} say where to fix those.
_TITLES = {
    Reason.TIMEOUT: "{name} timed out",
    Reason.UNREACHABLE: "{name} unreachable",
    Reason.TLS: "TLS failure",
    Reason.UNAUTHORIZED: "{name} rejected {credential}",
    Reason.NOT_FOUND: "{name} does not know the integration",
    Reason.HTTP_ERROR: "{name} error",
    Reason.BAD_ANSWER: "bad answer from {name}",
    Reason.BAD_ID: "{target} not usable",
    Reason.PROXY: "proxy refused",
    Reason.PROXY_AUTH: "proxy needs authentication",
    Reason.UNEXPECTED: "unexpected error in the live read",
    Reason.RATE_LIMITED: "{name} rate limit reached",
}
_HINTS = {
    Reason.TIMEOUT: "{the}{name} is slow or hung; check its load and logs",
    Reason.UNREACHABLE: "check {url} and that the {name} service is running",
    Reason.TLS: "{the}{name}'s certificate is not trusted here: trust its CA with CWDASH_CA_FILE=PATH",
    Reason.UNAUTHORIZED: "{credential_hint}",
    Reason.NOT_FOUND: "{the}{name} lost this integration; re-run `set` for this instance",
    Reason.HTTP_ERROR: "{the}{name} failed this request; check {the}{name}'s logs",
    Reason.BAD_ANSWER: "{the}{name} answered something that is not an integration state",
    Reason.BAD_ID: "{target_hint}",
    Reason.PROXY: "the proxy (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY) is down or refused the {name}; "
    "check the proxy, or list the {name}'s host in NO_PROXY to go direct",
    Reason.PROXY_AUTH: "the proxy wants a user and password: put them in the proxy's URL "
    "(HTTPS_PROXY=http://USER:PASSWORD@proxy:port), or ask for the {name}'s host in NO_PROXY",
    Reason.UNEXPECTED: "local values shown; the log has the details",
    Reason.RATE_LIMITED: "the requests a minute of {credential} are used up (by cwdash and the token's "
    "other users); reads resume after the reset",
}


class Wording:
    """The reason texts of one live source, worked out once (never per read)."""

    __slots__ = ("credential", "hints", "name", "titles")

    def __init__(
        self,
        *,
        name: str,
        url: str,
        credential: str,
        credential_hint: str,
        target: str,
        target_hint: str,
        the: str = "the ",
    ) -> None:
        self.name = name
        self.credential = credential
        fields = {
            "name": name,
            "url": url,
            "credential": credential,
            "credential_hint": credential_hint,
            "target": target,
            "target_hint": target_hint,
            "the": the,  # "the bridge", but "RyzeAPI"
        }
        self.titles = {reason: text.format(**fields) for reason, text in _TITLES.items()}
        self.hints = {reason: text.format(**fields) for reason, text in _HINTS.items()}
        _WORDINGS.setdefault(name, self)

    def __repr__(self) -> str:
        return f"Wording({self.name!r})"

    def __reduce__(self) -> tuple[object, tuple[str]]:
        # pickled by name (results cross from the live reads' process, store/livechild.py):
        # the same object on the other side, so failures compare equal as in one process
        return wording_named, (self.name,)


_WORDINGS: dict[str, Wording] = {}


def wording_named(name: str) -> Wording:
    """The first wording made with this name (what a pickled :class:`Wording` becomes)."""
    return _WORDINGS[name]


BRIDGE_WORDING = Wording(
    name="bridge",
    url="BRIDGE_URL",
    credential="BRIDGE_TOKEN",
    credential_hint="BRIDGE_TOKEN is wrong or expired; copy it from RyzeAPI's server .env",
    target="integration id",
    target_hint="the row's bridge_integration_id is not one URL path segment; "
    "set the right one with `cwdash set NAME --bridge-id ID`",
)


RYZEAPI_WORDING = Wording(
    name="RyzeAPI",
    url="RYZEAPI_URL",
    credential="RYZEAPI_TOKEN",
    credential_hint="RYZEAPI_TOKEN is wrong, expired or revoked; copy a TokenAccount "
    "(or the instance's TokenInstance) from RyzeAPI",
    target="instance name",
    target_hint="the instance name cannot be one path segment of /api/chatwoot/list/",
    the="",
)


class LiveState(NamedTuple):
    """The volatile fields a live source reports for one integration."""

    status: str
    last_error: str
    inbox_id: int | None


class LiveFailure(NamedTuple):
    """A live read that failed, with its reason, a one-line detail and the wording of
    the source that failed (the bridge's unless said otherwise)."""

    reason: Reason
    detail: str
    wording: Wording = BRIDGE_WORDING

    @property
    def title(self) -> str:
        return self.wording.titles[self.reason]

    @property
    def hint(self) -> str:
        return self.wording.hints[self.reason]

    def describe(self) -> str:
        return f"{self.title}: {self.detail}"


LiveOutcome = LiveState | LiveFailure


def parse_state(
    body: bytes, integration_id: str | None = None, wording: Wording = BRIDGE_WORDING
) -> LiveOutcome:
    """Turn a JSON answer body into a LiveState, or a BAD_ANSWER failure saying what is wrong.

    With ``integration_id``, an answer that names another integration (``id``,
    ``integration_id`` or ``bridge_integration_id``) is not taken as this one's state.
    """
    import json  # a module the dashboard's first paint does without

    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        snippet = body[:60].decode("utf-8", "replace")
        return LiveFailure(Reason.BAD_ANSWER, f"not JSON (starts with {snippet!r})", wording)
    except RecursionError:  # "[[[[…" nested deeper than the decoder's recursion limit
        return LiveFailure(Reason.BAD_ANSWER, "JSON nested too deeply", wording)
    if not isinstance(data, dict):
        return LiveFailure(Reason.BAD_ANSWER, f"expected a JSON object, got {type(data).__name__}", wording)
    problem = _state_problem(data, integration_id)
    if problem is not None:
        return LiveFailure(Reason.BAD_ANSWER, problem, wording)
    last_error = data.get("last_error") or ""
    inbox = data.get("inbox_id", data.get("chatwoot_inbox_id"))
    return LiveState(status=data["status"], last_error=last_error, inbox_id=inbox or None)


def _state_problem(data: dict, integration_id: str | None) -> str | None:
    """What makes ``data`` not an integration's state, or None."""
    status = data.get("status")
    if not isinstance(status, str):
        return "no status field"
    if status not in STATUSES:
        return f"unknown status {status[:40]!r}"
    last_error = data.get("last_error", "")
    if last_error is not None and not isinstance(last_error, str):
        return "last_error is not a string"
    inbox = data.get("inbox_id", data.get("chatwoot_inbox_id"))
    if inbox is not None and (isinstance(inbox, bool) or not isinstance(inbox, int) or inbox < 0):
        return "inbox id is not a non-negative integer"
    if inbox is not None and inbox > MAX_INTEGER:
        return f"inbox id is larger than {MAX_INTEGER}"
    if integration_id is not None:
        for key in ID_FIELDS:
            named = data.get(key)
            if named is not None and not _same_id(named, integration_id):
                return f"the answer's {key} names another integration"
    return None


def _same_id(named: object, integration_id: str) -> bool:
    if isinstance(named, str):
        return named == integration_id
    return isinstance(named, int) and not isinstance(named, bool) and str(named) == integration_id
