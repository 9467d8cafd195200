"""Use case: syslog messages off the wire, into the tenants' logs through the ordinary ingest path."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from src.domain.credentials import Principal, Scope
from src.domain.errors import DependencyUnavailable, DomainError, RateLimited
from src.domain.logs import LogDraft
from src.domain.parsing.registry import ParserRegistry
from src.domain.parsing.syslog_token import take_token
from src.domain.ports.syslog_metrics import SyslogMetrics
from src.domain.token_bucket import TokenBuckets
from src.usecases.auth_cache import TtlCache
from src.usecases.authenticate import Authenticate, AuthenticateRequest
from src.usecases.ingest_logs import IngestLogs, IngestRequest

ROUTE = "syslog"


@dataclass(frozen=True, slots=True, kw_only=True)
class SyslogMessage:
    text: str
    transport: str  # tcp, tls or udp
    # The listener's credential for a message without a token of its own: the port's configured
    # API key, or the one mapped to the TLS client certificate. None: the message must carry one.
    credential: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SyslogResult:
    stored: int = 0
    refused: int = 0  # no, a wrong, or an insufficient credential: not stored
    rejected: int = 0  # failed the event limits or the tenant's rate: counted in the tenant's tally


class IngestSyslog:
    """Rules:
    - each message is parsed as RFC 5424 or RFC 3164; one that is neither is kept as a raw event
      flagged `parse_error` (nothing a tenant's sender wrote is silently lost);
    - the tenant comes from a credential only: the token in `[logplane@32473 token="…"]` when the
      message has one, else the listener's (the port's API key, or the TLS client certificate's);
      the token is removed from the stored event;
    - a credential is checked exactly as a Bearer credential (Authenticate, its key and tenant
      caches); it needs the `ingest` scope. A message with none, or a refused one, is counted per
      reason and not stored; a refused credential is remembered for the cache TTL so a flood of
      them does not reach the database; a database outage refuses nothing (it is raised, and the
      caller retries);
    - each tenant may store `events_per_second` (burst: `burst`); messages past it are refused as
      `rate_limited` in the tenant's rejection tally, like events over the event limits;
    - events go through IngestLogs (group commit: stored durably before this returns).
    """

    def __init__(
        self,
        authenticate: Authenticate,
        ingest: IngestLogs,
        *,
        metrics: SyslogMetrics,
        events_per_second: float,
        burst: float,
        refusal_ttl: float = 5.0,
        now: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._authenticate = authenticate
        self._ingest = ingest
        self._metrics = metrics
        self._registry = ParserRegistry(now=now)
        self._rates: TokenBuckets[UUID] = TokenBuckets(rate=events_per_second, burst=burst, clock=monotonic)
        self._refused: TtlCache[bytes, str] = TtlCache(ttl=refusal_ttl, clock=monotonic)

    async def execute(self, messages: Sequence[SyslogMessage]) -> SyslogResult:
        by_credential: dict[str, list[LogDraft]] = {}
        refused: dict[str, int] = {}
        for message in messages:
            draft, token = take_token(self._registry.parse_with("syslog", message.text))
            credential = token or message.credential
            if not credential:
                refused["missing_credential"] = refused.get("missing_credential", 0) + 1
                continue
            draft = replace(draft, attributes={**draft.attributes, "syslog_transport": message.transport})
            by_credential.setdefault(credential, []).append(draft)
        result = SyslogResult()
        for credential, drafts in by_credential.items():
            principal = await self._principal(credential)
            if isinstance(principal, str):
                refused[principal] = refused.get(principal, 0) + len(drafts)
                continue
            result = self._add(result, await self._store(principal, drafts))
        for reason, count in refused.items():
            self._metrics.refused(reason=reason, messages=count)
        return replace(result, refused=sum(refused.values()))

    async def _principal(self, credential: str) -> Principal | str:
        """The credential's principal, or the reason it is refused."""
        digest = hashlib.sha256(credential.encode()).digest()
        known = self._refused.get(digest)
        if known is not None:
            return known
        try:
            principal = await self._authenticate.execute(AuthenticateRequest(credential=credential))
            principal.require(Scope.INGEST)
        except DependencyUnavailable:
            raise  # not the credential's fault: the caller retries the batch, nothing is refused
        except DomainError as e:
            self._refused.put(digest, e.code)
            return e.code
        return principal

    async def _store(self, principal: Principal, drafts: list[LogDraft]) -> SyslogResult:
        granted = self._rates.take(principal.tenant_id, len(drafts))
        items: list[LogDraft | DomainError] = list(drafts[:granted])
        if granted < len(drafts):
            limited = RateLimited(
                "this tenant's syslog rate is exceeded", retry_after=1, code="rate_limited", details={"route": ROUTE}
            )
            items.extend([limited] * (len(drafts) - granted))
        outcome = await self._ingest.execute(IngestRequest(principal=principal, items=items, route=ROUTE))
        return SyslogResult(stored=outcome.accepted, rejected=outcome.rejected)

    @staticmethod
    def _add(a: SyslogResult, b: SyslogResult) -> SyslogResult:
        return SyslogResult(stored=a.stored + b.stored, refused=a.refused + b.refused, rejected=a.rejected + b.rejected)
