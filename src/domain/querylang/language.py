"""Entry points: a whole query (filter + pipeline), or a filter alone where no pipeline makes sense."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from src.domain.querylang.ast import Expr
from src.domain.querylang.parser import FilterParser
from src.domain.querylang.pipeline import PipelineParser, Plan
from src.domain.querylang.scanner import Scanner
from src.domain.text import require_storable

MAX_QUERY_LENGTH = 4000


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    filter: Expr
    plan: Plan
    has_pipeline: bool


def parse_query(text: str, *, now: datetime, query_field: str = "q") -> ParsedQuery:
    # A value bound into SQL must be text PostgreSQL can hold (no U+0000, no lone surrogate).
    require_storable(text, field=query_field)
    scanner = Scanner(text, query_field=query_field)
    if len(text) > MAX_QUERY_LENGTH:
        raise scanner.error(f"the query is longer than {MAX_QUERY_LENGTH} characters", at=MAX_QUERY_LENGTH)
    expr = FilterParser(scanner, now=now).parse()
    scanner.skip_space()
    if not scanner.at_end() and scanner.peek() != "|":
        # Only a stray ')' can stop the filter before the end or a pipe.
        raise scanner.error("unexpected ')': it closes no '('")
    has_pipeline = not scanner.at_end()
    return ParsedQuery(expr, PipelineParser(scanner).parse(), has_pipeline)


def parse_filter(text: str, *, now: datetime, query_field: str = "q", where: str = "here") -> Expr:
    parsed = parse_query(text, now=now, query_field=query_field)
    if parsed.has_pipeline:
        scanner = Scanner(text, query_field=query_field)
        raise scanner.error(
            f"a pipeline (| stats, | top …) cannot be used {where}; send it to GET /api/v1/query",
            at=text.index("|"),
        )
    return parsed.filter
