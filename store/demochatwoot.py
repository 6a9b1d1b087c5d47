"""The demo's Chatwoot: a simulated Chatwoot, the nginx-like proxy dropping underscore headers
and a web page server, all on 127.0.0.1, with a few demo instances misconfigured in each
way a verify names (``v`` in the demo shows every diagnosis).

Every demo integration's base URL points at the simulated Chatwoot, which knows its token
(administrator of its account) and its inbox; the first healthy instances after the first
one are given one fault each (:data:`FAULTS`). The servers start on their own threads, as
the demo's simulated bridge does.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from cwdash.store.db import Store
from cwdash.store.demo import DemoInstance
from cwdash.store.sealing import Sealer, TokenError
from cwdash.store.simchatwoot import HtmlServer, SimChatwoot, UnderscoreProxy

# fault -> what the demo instance shows when verified
FAULTS = {
    "underscores": "its Chatwoot sits behind a proxy that drops underscore headers",
    "revoked": "its token was revoked in Chatwoot",
    "account_missing": "its token's user is not in the configured account",
    "agent": "its token's user is an agent, not an administrator",
    "inbox_deleted": "its inbox was deleted in Chatwoot",
    "inbox_renamed": "its inbox was renamed in Chatwoot",
    "html": "its base URL points at a web site, not at Chatwoot's API",
}
BACKFILL_INBOX = 900  # the demo bridge backfills inbox 900 + the instance's index


def assign(fleet: list[DemoInstance]) -> dict[str, str]:
    """Instance name -> fault: the healthy instances after the first, one fault each, in order."""
    healthy = [inst.name for inst in fleet if inst.behaviour == "healthy"][1:]
    return dict(zip(healthy, FAULTS, strict=False))


@dataclass
class DemoChatwoot:
    """The three servers; ``with DemoChatwoot() as world:`` starts and stops them."""

    chatwoot: SimChatwoot = field(default_factory=SimChatwoot)
    html: HtmlServer = field(default_factory=HtmlServer)
    proxy: UnderscoreProxy | None = None
    faults: dict[str, str] = field(default_factory=dict)

    def __enter__(self) -> DemoChatwoot:
        self.chatwoot.start()
        self.proxy = UnderscoreProxy(("127.0.0.1", self.chatwoot.port))
        self.proxy.start()
        self.html.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in (self.proxy, self.html, self.chatwoot):
            if server is not None:
                server.stop()

    def url_for(self, fault: str | None) -> str:
        assert self.proxy is not None
        return {"underscores": self.proxy.url, "html": self.html.url}.get(fault or "", self.chatwoot.url)

    def wire(self, store: Store, sealer: Sealer, fleet: list[DemoInstance]) -> dict[str, str]:
        """Point every demo integration at the simulated Chatwoot, set its token and inbox up
        there (with the instance's fault, if any); the faults by instance name."""
        self.faults = assign(fleet)
        index = {inst.name: i for i, inst in enumerate(fleet)}
        backfill = {inst.name for inst in fleet if inst.behaviour == "backfill"}
        cw = self.chatwoot
        urls: list[tuple[str, str]] = []
        for doc in store.integrations():
            name = doc.instance_name
            fault = self.faults.get(name)
            urls.append((self.url_for(fault), name))
            token = None
            with contextlib.suppress(TokenError):  # the demo's "badtoken" row cannot be opened
                token = sealer.open(name, doc.chatwoot_api_token.sealed).reveal()
            account, inbox = doc.chatwoot_account_id, doc.chatwoot_inbox_id
            if token is not None and fault != "revoked":
                roles = {account: "agent" if fault == "agent" else "administrator"}
                cw.add_token(token, {account + 100: "administrator"} if fault == "account_missing" else roles)
            if name in backfill:
                inbox = BACKFILL_INBOX + index.get(name, 0)
            if fault == "inbox_renamed":
                cw.add_inbox(account, inbox, doc.chatwoot_inbox_name + " (renamed)")
            elif fault != "inbox_deleted" and inbox:
                cw.add_inbox(account, inbox, doc.chatwoot_inbox_name)
        with store.write():
            store.conn.executemany(
                "UPDATE chatwoot_integrations SET chatwoot_base_url = ? WHERE instance_name = ?", urls
            )
        return self.faults
