"""The one error the parser raises: it names the column (1-based) where the query went wrong."""

from __future__ import annotations

from src.domain.errors import InvalidInput


class QueryError(InvalidInput):
    def __init__(self, message: str, *, column: int, query_field: str = "q") -> None:
        super().__init__(
            f"{message} at column {column}",
            code="invalid_query",
            details={"field": query_field, "column": column},
        )
        self.column = column


class UnsupportedQuery(InvalidInput):
    """A backend cannot answer this (part of a) query exactly; the caller may try another backend."""

    def __init__(self, message: str, *, backend: str) -> None:
        super().__init__(message, code="unsupported_query", details={"backend": backend})
        self.backend = backend
