"""The four checks of a verify, against Chatwoot's own API (see contract.md, "Chatwoot's API").

1. Chatwoot answers at the base URL (DNS, TLS, the proxy, a refusal, a timeout and a web
   page each named apart);
2. the token is accepted (``GET /api/v1/profile``), retried once with the header
   ``Api-Access-Token`` after a 401: accepted then means a proxy drops underscore headers;
3. the configured account is among the profile's accounts, with role ``administrator``;
4. the configured inbox exists (``GET /api/v1/accounts/{a}/inboxes/{i}``) under its local name.

The caller bounds the whole run with one time budget. The token goes into a request
header and nowhere else: no text built here quotes a header, and transport errors are
classified by :func:`cwdash.store.sources.httpread.classify_transport`, which never
quotes one either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cwdash.store.secret import Secret
from cwdash.store.sources.httpread import classify_transport, read_body_or_failure, short
from cwdash.store.sources.httpxload import load_httpx
from cwdash.store.sources.outcome import LiveFailure, Reason, Wording
from cwdash.store.text import one_line
from cwdash.store.verify.result import Diagnosis, Level, Step

if TYPE_CHECKING:
    import httpx

UNDERSCORE_HEADER = "api_access_token"
DASHED_HEADER = "Api-Access-Token"
WORDING = Wording(
    name="Chatwoot",
    url="chatwoot_base_url",
    credential="the Chatwoot token",
    credential_hint="re-set the token with `cwdash set NAME --token-prompt`",
    target="inbox",
    target_hint="check the inbox id",
    the="",
)


@dataclass
class Findings:
    """What the checks found so far; the runner turns it into a result, even after a timeout."""

    steps: dict[str, Step] = field(default_factory=dict)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    at: str = "reach"  # the step under way (a timeout names it)

    def step(self, name: str, level: Level | None, detail: str) -> None:
        self.steps[name] = Step(name, level, one_line(detail, 300))

    def fail(self, step: str, code: str, reason: str) -> None:
        diagnosis = Diagnosis.of(code, reason)
        self.diagnoses.append(diagnosis)
        self.step(step, diagnosis.level, diagnosis.reason)


class _Answer:
    """A response reduced to what the checks read: status, content type, JSON (or None)."""

    def __init__(self, status: int, content_type: str, body: bytes) -> None:
        self.status = status
        self.content_type = content_type
        self.body = body
        self.json: object = None
        try:
            self.json = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError, RecursionError):
            self.json = None

    @property
    def html(self) -> bool:
        head = self.body[:200].lstrip().lower()
        return "html" in self.content_type.lower() or head.startswith((b"<!doctype", b"<html"))

    def error_text(self) -> str:
        """Chatwoot's own words (``{"error": ...}``), literal and short, or ''."""
        if isinstance(self.json, dict):
            for key in ("error", "message", "errors"):
                value = self.json.get(key)
                if isinstance(value, str):
                    return one_line(value, 120)
        return ""


TRANSPORT_CODES = {
    Reason.TLS: "tls",
    Reason.TIMEOUT: "timeout",
    Reason.PROXY: "proxy",
    Reason.PROXY_AUTH: "proxy",
    Reason.BAD_ANSWER: "not_chatwoot",
}


def transport_code(failure: LiveFailure) -> str:
    """The diagnosis code of a transport failure: DNS and a refusal named apart."""
    if failure.reason is Reason.UNREACHABLE:
        if failure.detail == "host name does not resolve":
            return "dns"
        if failure.detail == "connection refused":
            return "refused"
        return "unreachable"
    return TRANSPORT_CODES.get(failure.reason, "unreachable")


class Checks:
    """One verify's requests against one Chatwoot, with one token."""

    def __init__(self, client: httpx.AsyncClient, base_url: str, token: Secret) -> None:
        self.client = client
        self.base = base_url.rstrip("/")
        self._token = token
        self.found = Findings()

    def __repr__(self) -> str:
        return "Checks(...)"

    async def get(self, path: str, header: str) -> _Answer | LiveFailure:
        """One GET with the token in ``header``; a transport failure as a LiveFailure."""
        httpx = load_httpx()
        try:
            request = self.client.build_request(
                "GET", self.base + path, headers={header: self._token.reveal()}
            )
        except (httpx.InvalidURL, ValueError, UnicodeError):
            # never the exception's text: it may quote the header's value
            return LiveFailure(Reason.BAD_ID, "the request could not be built", WORDING)
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TransportError as exc:
            return classify_transport(exc, WORDING)
        try:
            body = await read_body_or_failure(response, WORDING)
        except httpx.TransportError as exc:
            return classify_transport(exc, WORDING)
        finally:
            await response.aclose()
        if isinstance(body, LiveFailure):
            return body
        return _Answer(response.status_code, response.headers.get("content-type", ""), body)

    def _failed(self, step: str, failure: LiveFailure) -> None:
        if failure.reason is Reason.BAD_ID:
            self.found.fail(step, "token_unusable", "the token cannot be sent in a request header")
            return
        code = transport_code(failure)
        self.found.fail(step, code, f"{failure.title}: {failure.detail}")

    def _unexpected(self, step: str, answer: _Answer, what: str) -> None:
        """An answer that is neither the expected JSON nor a known refusal."""
        said = answer.error_text()
        said = f": {said}" if said else ""
        if answer.html:
            self.found.fail(
                step, "html", f"{what} answered a web page (HTTP {answer.status}, HTML), not Chatwoot's API"
            )
        elif answer.status == 429:
            self.found.fail(step, "rate_limited", f"{what} answered 429 Too Many Requests{said}")
        elif answer.status >= 500:
            self.found.fail(step, "server_error", f"{what} answered HTTP {answer.status}{said}")
        elif answer.status == 200 or answer.json is None:
            self.found.fail(
                step, "not_chatwoot", f"{what} answered HTTP {answer.status} without Chatwoot's JSON{said}"
            )
        else:
            self.found.fail(step, "bad_answer", f"{what} answered HTTP {answer.status}{said}")

    async def run(self, account_id: int, inbox_id: int, inbox_name: str) -> Findings:
        header = await self.profile_and_token(account_id)
        if header is not None:
            await self.inbox(header, account_id, inbox_id, inbox_name)
        return self.found

    async def profile_and_token(self, account_id: int) -> str | None:
        """Steps 1-3; the header that works (for step 4), or None when step 4 cannot run."""
        found = self.found
        answer = await self.get("/api/v1/profile", UNDERSCORE_HEADER)
        if isinstance(answer, LiveFailure):
            self._failed("reach", answer)
            return None
        header = UNDERSCORE_HEADER
        if answer.status == 401 and not answer.html:
            found.step("reach", Level.OK, f"Chatwoot answers at {self.base}")
            found.at = "token"
            retry = await self.get("/api/v1/profile", DASHED_HEADER)
            if isinstance(retry, LiveFailure):
                self._failed("token", retry)
                return None
            if retry.status == 401:
                said = answer.error_text() or "401"
                found.fail(
                    "token", "token_rejected", f"Chatwoot rejects the token with either header ({said})"
                )
                return None
            if retry.status != 200 or not isinstance(retry.json, dict):
                self._unexpected("token", retry, "the profile (with Api-Access-Token)")
                return None
            found.fail(
                "token",
                "underscores",
                "401 with the header api_access_token, accepted with Api-Access-Token: "
                "a proxy in front of Chatwoot drops headers with underscores",
            )
            answer, header = retry, DASHED_HEADER
        elif answer.status != 200 or not isinstance(answer.json, dict):
            self._unexpected("reach", answer, "the profile (GET /api/v1/profile)")
            return None
        else:
            found.step("reach", Level.OK, f"Chatwoot answers at {self.base}")
            found.step("token", Level.OK, "GET /api/v1/profile accepts the token")
        found.at = "account"
        return header if self.account(answer.json, account_id) else None

    def account(self, profile: object, account_id: int) -> bool:
        """Step 3; whether the inbox can be asked for in that account."""
        found = self.found
        accounts = profile.get("accounts") if isinstance(profile, dict) else None
        if not isinstance(accounts, list):
            found.fail("account", "bad_answer", "the profile has no accounts list")
            return False
        mine = [a for a in accounts if isinstance(a, dict) and _same_id(a.get("id"), account_id)]
        if not mine:
            listed = ", ".join(_account_label(a) for a in accounts[:5] if isinstance(a, dict)) or "none"
            found.fail(
                "account",
                "account_missing",
                f"account {account_id} is not among the token's accounts (it has: {listed})",
            )
            return False
        role = mine[0].get("role")
        shown = one_line(str(role), 40) if role is not None else "none"
        if role != "administrator":
            found.fail(
                "account",
                "role_agent",
                f"the token's user is {shown} in account {account_id}, not administrator",
            )
            return True  # the inbox can still be looked at
        found.step("account", Level.OK, f"administrator in account {_account_label(mine[0])}")
        return True

    async def inbox(self, header: str, account_id: int, inbox_id: int, local_name: str) -> None:
        """Step 4."""
        found = self.found
        found.at = "inbox"
        if not inbox_id:
            found.fail(
                "inbox", "inbox_unknown", "the local chatwoot_inbox_id is 0: the inbox is not known yet"
            )
            return
        answer = await self.get(f"/api/v1/accounts/{account_id}/inboxes/{inbox_id}", header)
        if isinstance(answer, LiveFailure):
            self._failed("inbox", answer)
            return
        if answer.status == 404 and not answer.html:
            found.fail(
                "inbox", "inbox_deleted", f"inbox {inbox_id} of account {account_id} does not exist (404)"
            )
            return
        if answer.status in (401, 403) and not answer.html:
            said = answer.error_text() or str(answer.status)
            found.fail(
                "inbox", "account_forbidden", f"Chatwoot refuses account {account_id} to this token ({said})"
            )
            return
        if answer.status != 200 or not isinstance(answer.json, dict):
            self._unexpected("inbox", answer, f"inbox {inbox_id}")
            return
        name = answer.json.get("name")
        if not isinstance(name, str):
            found.fail("inbox", "bad_answer", f"inbox {inbox_id} has no name in Chatwoot's answer")
            return
        if local_name and name != local_name:
            found.fail(
                "inbox",
                "inbox_renamed",
                f"inbox {inbox_id} is named '{one_line(name, 80)}' in Chatwoot, '{one_line(local_name, 80)}' here",
            )
            return
        found.step("inbox", Level.OK, f"inbox {inbox_id} '{one_line(name, 80)}' exists")


def _same_id(value: object, wanted: int) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value == wanted
    return isinstance(value, str) and value.strip() == str(wanted)


def _account_label(account: dict) -> str:
    ident = account.get("id")
    name = account.get("name")
    ident_text = short(one_line(str(ident), 20), 20)
    return f"{ident_text} '{one_line(name, 40)}'" if isinstance(name, str) else ident_text
