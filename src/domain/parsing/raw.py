"""The fallback every line can take: the text as the message, with a guessed level and time."""

from __future__ import annotations

import re
from typing import Any

from src.domain.logs import LogDraft
from src.domain.parsing.severity_inference import infer_severity
from src.domain.parsing.timestamps import parse_iso
from src.domain.text import sanitised

RAW = "raw"

# `2025-11-25 10:00:00,123 ERROR …` (Python logging), `[2025-11-25T10:00:00Z] …`: a leading ISO-ish
# time is common enough in unstructured logs to be worth keeping as the event time.
_LEADING_TIME = re.compile(r"\[?(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?: ?(?:Z|[+-]\d\d(?::?\d\d)?))?)")


def raw_draft(text: str, *, parse_error: bool = False) -> LogDraft:
    """Never fails and never drops: whatever `text` is, it becomes the message."""
    attributes: dict[str, Any] = {"parser": RAW}
    if parse_error:
        attributes["parse_error"] = True
    timestamp = None
    if text[:1].isdigit() or text[:1] == "[":
        match = _LEADING_TIME.match(text)
        if match is not None:
            timestamp = parse_iso(match.group(1))
    return LogDraft(message=text, timestamp=timestamp, severity=infer_severity(text), attributes=attributes)


def to_valid_text(text: str) -> str:
    """Lone surrogates (from `errors="surrogateescape"` decoding) and U+0000 replaced with U+FFFD.

    They would pass every parser but fail later, when the event is stored: a raw line is sanitised,
    not refused, as undecodable bytes already are (the line is kept, the damage visible).
    """
    return sanitised(text)
    try:
        text.encode()
    except UnicodeEncodeError:
        try:
            data = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            data = text.encode("utf-8", "surrogatepass")
        return data.decode("utf-8", "replace")
    return text
