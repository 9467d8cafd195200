"""LogQL errors, worded as Loki words them (its clients show the text as it is)."""

from __future__ import annotations

from src.domain.errors import InvalidInput


class LogQLError(InvalidInput):
    def __init__(self, message: str, *, column: int | None = None) -> None:
        text = f"parse error at line 1, col {column}: {message}" if column is not None else message
        super().__init__(text, code="bad_logql", details={"column": column} if column is not None else None)


def unsupported(construct: str, column: int | None = None) -> LogQLError:
    return LogQLError(f"unsupported LogQL construct in logplane: {construct}", column=column)
