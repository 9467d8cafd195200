"""JSON lines: one object per line, as written by structlog, pino, bunyan, logrus, zap, Docker, ECS …"""

from __future__ import annotations

import orjson

from src.domain.logs import LogDraft
from src.domain.parsing.base import Parser
from src.domain.parsing.fields import FieldMapping, RecordReader
from src.domain.text import sanitised_value

__all__ = ["FieldMapping", "JsonLinesParser"]


class JsonLinesParser(Parser):
    """Mapped keys (see `FieldMapping`) become draft fields; every other key stays, as parsed, in
    `attributes`. A line that is not a JSON object is not a match."""

    name = "json"

    def __init__(self, mapping: FieldMapping | None = None) -> None:
        self._reader = RecordReader(mapping)

    def parse(self, text: str) -> LogDraft | None:
        # The cheap test first: most lines in a mixed stream are not JSON, and orjson's error path
        # (building an exception) costs more than its success path.
        body = text if text[:1] == "{" else text.lstrip()
        if body[:1] != "{":
            return None
        try:
            record = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(record, dict):
            return None
        if "\\u0000" in body:
            # The one character a JSON escape can add that storage refuses: sanitised, as in raw text.
            record = sanitised_value(record)
        return self._reader.draft(record, parser=self.name, line=text)
