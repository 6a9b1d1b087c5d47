"""What a verify finds: a level, the steps it ran, the diagnoses it names, each with what to do.

The levels are the monitoring-plugin convention (``cwdash check`` uses the same exit
codes): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. Every text that came from Chatwoot is
made literal (:mod:`cwdash.store.text`) where the result is built, so whoever shows it
(the CLI, the detail pane, JSON) shows it as it is. No result ever holds the token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from cwdash.store.text import one_line


class Level(IntEnum):
    """Worst wins; the value is the exit code."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3

    @property
    def rank(self) -> int:
        """Severity order for "the worst": UNKNOWN sits between WARNING and CRITICAL, as
        in the plugin convention's aggregation (a known failure outranks an unknown)."""
        return {Level.OK: 0, Level.WARNING: 1, Level.UNKNOWN: 2, Level.CRITICAL: 3}[self]


def worst(levels: list[Level] | tuple[Level, ...]) -> Level:
    return max(levels, key=lambda level: level.rank, default=Level.OK)


# code -> (level, what to do). The one-line reason is written where the fault is found
# (it names the account, the inbox, Chatwoot's own words).
WHAT_TO_DO: dict[str, tuple[Level, str]] = {
    "dns": (Level.CRITICAL, "the host name of chatwoot_base_url does not resolve: fix the URL "
            "(`cwdash set NAME --base-url URL`) or this machine's DNS"),
    "refused": (Level.CRITICAL, "nothing listens at chatwoot_base_url: check the URL's host and port "
                "and that Chatwoot (or its proxy) is running"),
    "unreachable": (Level.CRITICAL, "check chatwoot_base_url and the network path to Chatwoot"),
    "tls": (Level.CRITICAL, "Chatwoot's certificate is not trusted here: renew it, or trust its CA "
            "with CWDASH_CA_FILE=PATH"),
    "proxy": (Level.UNKNOWN, "the outgoing proxy (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY) failed: check it, "
              "or list Chatwoot's host in NO_PROXY to go direct"),
    "timeout": (Level.CRITICAL, "Chatwoot (or something in front of it) is slow or hung: check its "
                "load and logs, then verify again"),
    "html": (Level.CRITICAL, "chatwoot_base_url is not Chatwoot's API (a web page answered): set the "
             "URL Chatwoot is served at, without a path (`cwdash set NAME --base-url URL`)"),
    "not_chatwoot": (Level.CRITICAL, "chatwoot_base_url does not answer as Chatwoot's API: check the URL "
                     "(`cwdash set NAME --base-url URL`)"),
    "server_error": (Level.CRITICAL, "Chatwoot failed the request: check Chatwoot's logs"),
    "rate_limited": (Level.UNKNOWN, "Chatwoot (or its proxy) limits requests: verify again later"),
    "underscores": (Level.CRITICAL, "set `underscores_in_headers on;` in the nginx in front of Chatwoot "
                    "(or let the proxy pass api_access_token), then verify again"),
    "token_rejected": (Level.CRITICAL, "the token is revoked or wrong: re-set it with `cwdash set NAME "
                       "--token-prompt` or RyzeAPI's set (POST /api/chatwoot/set/:instance)"),
    "account_missing": (Level.CRITICAL, "the token's user is not in the configured account: fix "
                        "chatwoot_account_id (`cwdash set NAME --account-id N`) or use a token of a "
                        "user of that account"),
    "role_agent": (Level.CRITICAL, "an integration needs an administrator's token: use an access token "
                   "of an administrator of that account (`cwdash set NAME --token-prompt`)"),
    "account_forbidden": (Level.CRITICAL, "Chatwoot refuses this account to the token: use a token of an "
                          "administrator of the account"),
    "inbox_deleted": (Level.CRITICAL, "the inbox was deleted in Chatwoot: run RyzeAPI's set for this "
                      "instance again so it creates the inbox (POST /api/chatwoot/set/:instance)"),
    "inbox_renamed": (Level.WARNING, "rename the inbox back in Chatwoot, or record its new name here "
                      "(`cwdash set NAME --inbox-name NAME`)"),
    "inbox_unknown": (Level.WARNING, "the inbox id is not known here yet: read the status once "
                      "(`cwdash status NAME`) so it is filled in, then verify again"),
    "bad_answer": (Level.UNKNOWN, "Chatwoot answered something unexpected: check chatwoot_base_url and "
                   "Chatwoot's version"),
    "token_unopened": (Level.UNKNOWN, "the token cannot be opened here, so it was not checked: see "
                       "`cwdash doctor`"),
    "token_unusable": (Level.CRITICAL, "the stored token cannot be sent in a header (control or "
                       "non-ASCII characters): re-set it with `cwdash set NAME --token-prompt`"),
    "bad_setting": (Level.UNKNOWN, "fix the setting named, then verify again"),
    "busy": (Level.UNKNOWN, "a verify of this instance is already running: wait for its result"),
}  # fmt: skip


@dataclass(frozen=True)
class Diagnosis:
    """One named fault: a code, a one-line reason, and what to do about it."""

    code: str
    reason: str
    level: Level
    what_to_do: str

    @classmethod
    def of(cls, code: str, reason: str) -> Diagnosis:
        level, todo = WHAT_TO_DO[code]
        return cls(code, one_line(reason, 300), level, todo)

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "level": self.level.name,
            "reason": self.reason,
            "what_to_do": self.what_to_do,
        }


STEPS = ("reach", "token", "account", "inbox")
STEP_TITLES = {
    "reach": "Chatwoot answers",
    "token": "token accepted",
    "account": "account and role",
    "inbox": "inbox",
}


@dataclass(frozen=True)
class Step:
    """One of the four checks: its level (None: not run) and a one-line detail."""

    name: str
    level: Level | None
    detail: str

    def as_json(self) -> dict[str, object]:
        return {"step": self.name, "level": self.level.name if self.level is not None else "SKIPPED",
                "detail": self.detail}  # fmt: skip


@dataclass(frozen=True)
class VerifyResult:
    """The verify of one instance: when, how long, at which URL (display form), and what it found."""

    instance_name: str
    checked_at: str  # RFC 3339, UTC
    elapsed: float  # seconds
    base_url: str  # display form: never a user or password
    steps: tuple[Step, ...] = ()
    diagnoses: tuple[Diagnosis, ...] = ()
    finished_at: float = field(default=0.0, compare=False)  # time.monotonic(), for "3m ago"

    @property
    def level(self) -> Level:
        return worst([d.level for d in self.diagnoses])

    @property
    def exit_code(self) -> int:
        return int(self.level)

    @property
    def summary(self) -> str:
        """One line: the first (worst) diagnosis' reason, or that all four checks passed."""
        if not self.diagnoses:
            return "the token works: Chatwoot answers, accepts it, the account is administered, the inbox is there"
        first = max(self.diagnoses, key=lambda d: d.level.rank)
        more = len(self.diagnoses) - 1
        return first.reason + (f" (and {more} more)" if more else "")

    def as_json(self) -> dict[str, object]:
        return {
            "instance_name": self.instance_name,
            "level": self.level.name,
            "exit_code": self.exit_code,
            "checked_at": self.checked_at,
            "elapsed_seconds": round(self.elapsed, 3),
            "chatwoot_base_url": self.base_url,
            "summary": self.summary,
            "diagnoses": [d.as_json() for d in self.diagnoses],
            "steps": [s.as_json() for s in self.steps],
        }

    def text_lines(self) -> list[str]:
        """The result as the CLI prints it: a headline, each diagnosis with what to do, the steps."""
        lines = [f"{self.level.name} {one_line(self.instance_name, 200)}: {self.summary}"]
        several = len(self.diagnoses) > 1
        for d in sorted(self.diagnoses, key=lambda d: -d.level.rank):
            if several:
                lines.append(f"  {d.level.name.lower()} [{d.code}] {d.reason}")
            lines.append(f"  {'  ' if several else ''}what to do [{d.code}]: {d.what_to_do}")
        for s in self.steps:
            mark = "skipped" if s.level is None else s.level.name.lower()
            lines.append(f"  {STEP_TITLES.get(s.name, s.name):<17} {mark:<8} {s.detail}")
        lines.append(f"  checked {self.checked_at} in {self.elapsed:.2f} s at {self.base_url}")
        return lines
