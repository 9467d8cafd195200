"""logfmt: `ts=2025-11-25T10:00:00Z level=warn msg="disk almost full" pct=91` (Heroku, Go kit, slog…).

Strict on purpose: every whitespace-separated token must be `key=value` (value bare or double-quoted),
so prose that merely contains an `x=y` falls through to the raw parser instead of being mangled.
Because logfmt is the most permissive format, the registry tries it last.
"""

from __future__ import annotations

import re
from typing import Any

from src.domain.logs import LogDraft
from src.domain.parsing.base import Parser
from src.domain.parsing.fields import FieldMapping, RecordReader

_KEY = r'[^\s="]+'
_VALUE = r'"[^"\\]*(?:\\.[^"\\]*)*"|[^\s"]*'
# Pairs are separated by mandatory whitespace, so there is exactly one way to split a line: the
# pattern cannot backtrack into an exponential search however hostile the input.
_LINE = re.compile(rf"\s*{_KEY}=(?:{_VALUE})(?:\s+{_KEY}=(?:{_VALUE}))*\s*", re.S)
_PAIR = re.compile(rf"({_KEY})=({_VALUE})", re.S)
_ESCAPE = re.compile(r"\\(.)", re.S)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def _unescape(match: re.Match[str]) -> str:
    char = match.group(1)
    return _ESCAPES.get(char, char)


class LogfmtParser(Parser):
    name = "logfmt"

    def __init__(self, mapping: FieldMapping | None = None) -> None:
        self._reader = RecordReader(mapping)

    def parse(self, text: str) -> LogDraft | None:
        if "=" not in text or _LINE.fullmatch(text) is None:
            return None
        record: dict[str, Any] = {}
        for key, value in _PAIR.findall(text):
            if value[:1] == '"':
                value = value[1:-1]
                if "\\" in value:
                    value = _ESCAPE.sub(_unescape, value)
            record[key] = value
        return self._reader.draft(record, parser=self.name, line=text)
