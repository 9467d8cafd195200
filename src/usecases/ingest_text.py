"""Use cases: raw text lines to structured events — a dry run, and durable ingest."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import islice

from src.domain.credentials import Principal, Scope
from src.domain.errors import DomainError, InvalidInput, PayloadTooLarge
from src.domain.logs import LogDraft, StoredRef
from src.domain.parsing.multiline import join_multiline
from src.domain.parsing.registry import ParserRegistry
from src.usecases.cooperative import cooperative, take_at_most
from src.usecases.ingest_logs import IngestLogs, IngestRequest
from src.usecases.tenant_parsers import TenantParsers


@dataclass(frozen=True, slots=True, kw_only=True)
class TextRequest:
    principal: Principal
    lines: Iterable[str]  # may be lazy: ingest reads no further than its event limit
    parser: str | None = None  # None: auto-detect
    service: str | None = None
    extra_attributes: dict[str, str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedLine:
    line: int  # 1-based number of the event's first line
    draft: LogDraft


@dataclass(frozen=True, slots=True, kw_only=True)
class TextIngestResult:
    parsed: list[ParsedLine]
    outcomes: list[StoredRef | DomainError]

    @property
    def accepted(self) -> int:
        return sum(1 for o in self.outcomes if isinstance(o, StoredRef))

    @property
    def parse_errors(self) -> int:
        return sum(1 for p in self.parsed if p.draft.attributes.get("parse_error"))


def parse_lines(
    registry: ParserRegistry,
    lines: Iterable[str],
    *,
    parser: str | None,
    service: str | None,
    extra: dict[str, str] | None,
    first_line: int = 1,
) -> list[ParsedLine]:
    """Join multi-line events (stack traces), parse each; nothing is dropped (raw fallback)."""
    return list(iter_parsed(registry, lines, parser=parser, service=service, extra=extra, first_line=first_line))


def iter_parsed(
    registry: ParserRegistry,
    lines: Iterable[str],
    *,
    parser: str | None,
    service: str | None,
    extra: dict[str, str] | None,
    first_line: int = 1,
) -> Iterator[ParsedLine]:
    """`parse_lines`, lazily: lines are read only as far as events are taken."""
    for number, event in iter_events(lines, first_line=first_line):
        yield parse_event(registry, number, event, parser=parser, service=service, extra=extra)


def iter_events(lines: Iterable[str], *, first_line: int = 1) -> Iterator[tuple[int, str]]:
    """(number of its first line, text) of each non-blank event, stack traces joined; lazily."""
    number = first_line
    for event in join_multiline(lines):
        if event.strip():
            yield number, event
        number += event.count("\n") + 1


def parse_event(
    registry: ParserRegistry,
    number: int,
    event: str,
    *,
    parser: str | None,
    service: str | None,
    extra: dict[str, str] | None,
) -> ParsedLine:
    """One event parsed; nothing is dropped (raw fallback)."""
    draft = registry.parse_with(parser, event) if parser else registry.detect(event)
    if service and not draft.service:
        draft = replace(draft, service=service)
    if extra:
        draft = replace(draft, attributes={**extra, **draft.attributes})
    return ParsedLine(line=number, draft=draft)


class ParseText:
    """Rules: a dry run for any authenticated tenant credential; at most `max_lines` lines."""

    def __init__(self, parsers: TenantParsers, *, max_lines: int = 1000) -> None:
        self._parsers = parsers
        self._max_lines = max_lines

    async def execute(self, request: TextRequest) -> list[ParsedLine]:
        lines = list(islice(request.lines, self._max_lines + 1))
        if len(lines) > self._max_lines:
            raise PayloadTooLarge(f"a dry run takes at most {self._max_lines} lines", code="too_many_lines")
        registry = await self._parsers.registry(request.principal.tenant_id)
        return parse_lines(
            registry, lines, parser=request.parser, service=request.service, extra=request.extra_attributes
        )


class IngestText:
    """Rules: `ingest` scope; one event per line (stack traces joined); at most `max_events`
    events, refused (413) at the first one past it; no lines is 422; same durability and
    per-event results as bulk ingest."""

    def __init__(self, parsers: TenantParsers, ingest: IngestLogs, *, max_events: int) -> None:
        self._parsers = parsers
        self._ingest = ingest
        self._max_events = max_events

    async def execute(self, request: TextRequest) -> TextIngestResult:
        request.principal.require(Scope.INGEST)
        registry = await self._parsers.registry(request.principal.tenant_id)
        # Counted before anything is parsed, lazily, and no further than one event past the
        # limit: a small compressed body of a million lines costs the limit's worth of splitting,
        # not a million lines' (nor their memory), and no parsing at all.
        events = await take_at_most(iter_events(request.lines), self._max_events)
        if events is None:
            raise PayloadTooLarge(
                f"at most {self._max_events} events a request",
                code="batch_too_large",
                details={"max_events": self._max_events, "events": self._max_events + 1},
            )
        if not events:
            raise InvalidInput("the body holds no lines", code="empty_batch")
        parsing = (
            parse_event(
                registry, number, event, parser=request.parser, service=request.service, extra=request.extra_attributes
            )
            for number, event in events
        )
        parsed = [p async for p in cooperative(parsing)]
        result = await self._ingest.execute(
            IngestRequest(principal=request.principal, items=[p.draft for p in parsed], route="raw")
        )
        return TextIngestResult(parsed=parsed, outcomes=result.outcomes)
