"""Elasticsearch/OpenSearch `_bulk`: NDJSON action/source pairs, and a source document as a LogDraft.

Field names are looked up both dotted (`"log.level": …`, as Fluent Bit and Vector often send) and
nested (`"log": {"level": …}`, as Beats and Logstash send ECS), and top-level names also without
regard to case: syslog-ng's stock `elasticsearch-http()` template sends `MESSAGE`, `HOST`,
`PROGRAM` and `PRIORITY`. Each of our fields takes the first name of its list that the document
has, in the order the lists give (the most specific name first). What is mapped leaves the
document; everything else stays as it came, in `attributes`, with the target index as `es_index`.
A document with no usable message is kept whole (its JSON becomes the message) rather than refused:
a shipper with an unexpected template should lose nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from src.domain.errors import DomainError, InvalidEvent, InvalidInput, PayloadTooLarge
from src.domain.logs import LogDraft
from src.domain.severity import Severity
from src.usecases.bounded_input import CutLine
from src.usecases.compat.common import as_text, check_moment, lenient_severity, storable

WRITE_ACTIONS = frozenset({"index", "create"})
# Known to Elasticsearch but not to a log store: refused per item. `delete` has no source line.
OTHER_ACTIONS = frozenset({"update", "delete"})

MESSAGE_FIELDS = ("message", "msg", "log", "@message")
# A date in the first of these must parse (as Elasticsearch requires of `@timestamp`); the others
# (rsyslog's `timereported`, syslog-ng's `ISODATE`) are used when they parse and kept otherwise.
TIMESTAMP_FIELDS = ("@timestamp", "timestamp")
LENIENT_TIMESTAMP_FIELDS = ("timereported", "isodate")
SEVERITY_FIELDS = ("log.level", "level", "severity", "priority", "syslog.severity", "@severity")
TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    # rsyslog: programname / syslogtag ("sshd[42]:"); syslog-ng: PROGRAM; python logging: logger /
    # log.logger (opensearch-logger); python-logging-loki and many apps: app / application.
    "service": (
        "service.name",
        "service",
        "program",
        "programname",
        "app",
        "application",
        "app_name",
        "syslogtag",
        "tag",
        "log.logger",
        "logger",
        "logger_name",
    ),
    "host": ("host.name", "host.hostname", "host", "hostname", "fromhost", "sysloghost", "@host"),
    "trace_id": ("trace.id", "trace_id"),
    "span_id": ("span.id", "span_id"),
    "user_id": ("user.id",),
    "action": ("event.action",),
}
# "sshd[42]:" → "sshd": the pid is not part of the program's name.
_SYSLOG_TAG = re.compile(r"^(?P<name>[^\[\]:]+?)(?:\[(?P<pid>[^\]]*)\])?:?$")
_TAG_FIELDS = frozenset({"syslogtag", "tag"})


@dataclass(frozen=True, slots=True, kw_only=True)
class BulkOperation:
    """One action of a bulk body; `error` set when the operation is refused on its own."""

    action: str
    index: str | None
    doc_id: str | None
    source: dict[str, Any] | None = None
    error: DomainError | None = None


def _action_line(line: bytes, number: int) -> tuple[str, dict[str, Any]]:
    try:
        parsed = orjson.loads(line)
    except orjson.JSONDecodeError as e:
        raise InvalidInput(f"Malformed action/metadata line [{number}]: not JSON ({e})", code="malformed_action") from e
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise InvalidInput(
            f"Malformed action/metadata line [{number}], expected an object with one action",
            code="malformed_action",
        )
    ((action, meta),) = parsed.items()
    if action not in WRITE_ACTIONS | OTHER_ACTIONS:
        raise InvalidInput(
            f"Malformed action/metadata line [{number}], expected one of [create, delete, index, update] "
            f"but found [{action}]",
            code="malformed_action",
        )
    if not isinstance(meta, dict):
        raise InvalidInput(
            f"Malformed action/metadata line [{number}], the metadata of [{action}] must be an object",
            code="malformed_action",
        )
    return action, meta


def _source(line: bytes) -> dict[str, Any] | DomainError:
    if isinstance(line, CutLine):
        return PayloadTooLarge(
            f"the document is longer than {len(line)} bytes", code="event_too_large", details={"max_bytes": len(line)}
        )
    try:
        parsed = orjson.loads(line)
    except orjson.JSONDecodeError as e:
        return InvalidEvent(f"failed to parse the document: {e}", code="invalid_json")
    if not isinstance(parsed, dict):
        return InvalidEvent("the document must be a JSON object", code="invalid_document")
    return parsed


def parse_bulk(body: bytes, *, default_index: str | None) -> list[BulkOperation]:
    """The operations of a whole bulk body (see `iter_bulk`)."""
    return list(iter_bulk(body.splitlines(), default_index=default_index))


def iter_bulk(lines: Iterable[bytes], *, default_index: str | None) -> Iterator[BulkOperation]:
    """The operations of a bulk body's lines, lazily. A malformed action line refuses the whole
    request (as Elasticsearch does: the pairs can no longer be told apart); a bad document only its item."""
    numbered = enumerate((line for line in lines if line.strip()), start=1)
    for number, line in numbered:
        action, meta = _action_line(line, number)
        index = as_text(meta.get("_index")) or default_index
        raw_id = meta.get("_id")
        doc_id = as_text(raw_id) if raw_id is not None else None
        if action == "delete":
            yield BulkOperation(action=action, index=index, doc_id=doc_id, error=_unsupported(action))
            continue
        following = next(numbered, None)
        if following is None:
            raise InvalidInput(f"the action on line [{number}] is not followed by a document", code="malformed_action")
        source = _source(following[1])
        if action in OTHER_ACTIONS:
            yield BulkOperation(action=action, index=index, doc_id=doc_id, error=_unsupported(action))
        elif index is None:
            missing = InvalidEvent("index is missing", code="index_missing")
            yield BulkOperation(action=action, index=None, doc_id=doc_id, error=missing)
        elif isinstance(source, DomainError):
            yield BulkOperation(action=action, index=index, doc_id=doc_id, error=source)
        else:
            yield BulkOperation(action=action, index=index, doc_id=doc_id, source=source)


def _unsupported(action: str) -> InvalidEvent:
    return InvalidEvent(
        f"the [{action}] action is not supported: logs are append-only; use index or create",
        code="unsupported_action",
    )


_MISSING = object()


def _find(doc: dict[str, Any], path: str) -> str | None:
    """The key under which `path` is in the document: itself (dotted or nested), or a top-level key
    equal to it without regard to case; None when it is absent."""
    if path in doc or _nested(doc, path) is not _MISSING:
        return path
    lowered = path.lower()
    for key in doc:
        if isinstance(key, str) and key.lower() == lowered:
            return key
    return None


def _nested(doc: dict[str, Any], path: str) -> Any:
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _peek(doc: dict[str, Any], path: str) -> Any:
    if path in doc:
        return doc[path]
    return _nested(doc, path)


def _remove(doc: dict[str, Any], path: str) -> None:
    """Drop a field, dotted or nested; copies what it changes, and prunes objects left empty."""
    if path in doc:
        del doc[path]
        return
    head, _, rest = path.partition(".")
    child = doc.get(head)
    if not rest or not isinstance(child, dict):
        return
    child = dict(child)
    _remove(child, rest)
    if child:
        doc[head] = child
    else:
        del doc[head]


def _take_text(doc: dict[str, Any], names: tuple[str, ...]) -> str | None:
    """The first non-empty text among the names; an empty string is no value (rsyslog sends "")."""
    for name in names:
        key = _find(doc, name)
        if key is None:
            continue
        text = as_text(_peek(doc, key))
        if text is not None and text.strip():
            _remove(doc, key)
            if name in _TAG_FIELDS:
                return _program_of(text, doc)
            return text
    return None


def _program_of(tag: str, doc: dict[str, Any]) -> str:
    match = _SYSLOG_TAG.match(tag.strip())
    if match is None:
        return tag
    if match.group("pid") and "pid" not in doc:
        doc["pid"] = match.group("pid")
    return match.group("name")


def _take_severity(doc: dict[str, Any]) -> Severity:
    for name in SEVERITY_FIELDS:
        key = _find(doc, name)
        if key is None:
            continue
        found = lenient_severity(_peek(doc, key))
        if found is not None:
            _remove(doc, key)
            return found
    return Severity.INFO  # an unknown spelling stays in attributes, where it can still be searched


def _take_timestamp(doc: dict[str, Any]) -> datetime | None:
    for name in TIMESTAMP_FIELDS:
        value = _peek(doc, name)
        if value is not _MISSING and value is not None:
            moment = parse_es_date(value)
            _remove(doc, name)
            return moment
    for name in LENIENT_TIMESTAMP_FIELDS:
        key = _find(doc, name)
        if key is None:
            continue
        try:
            moment = parse_es_date(_peek(doc, key))
        except InvalidEvent:
            continue  # not a date we can read: it stays in attributes, and the receipt time is used
        _remove(doc, key)
        return moment
    return None


def parse_es_date(value: Any) -> datetime:
    """Elasticsearch's default date format: ISO 8601 (UTC when no offset) or epoch milliseconds."""
    text = as_text(value)
    if text is None:
        raise InvalidEvent("failed to parse field [@timestamp]: not a date", code="invalid_timestamp")
    text = text.strip()
    try:
        if text.lstrip("-").replace(".", "", 1).isdigit():
            return check_moment(datetime.fromtimestamp(float(text) / 1000, tz=UTC))
        return check_moment(datetime.fromisoformat(text))
    except (ValueError, OverflowError, OSError) as e:
        raise InvalidEvent(
            f"failed to parse field [@timestamp] with value [{text[:64]}]", code="invalid_timestamp"
        ) from e


def draft_from_source(source: dict[str, Any], *, index: str, doc_id: str | None) -> LogDraft:
    """One document as an event; raises InvalidEvent when it cannot be one."""
    doc = dict(source)
    message = _take_text(doc, MESSAGE_FIELDS)
    if message is None:
        # Keep the document whole: its JSON is searchable as the message, its fields as attributes.
        message = orjson.dumps(source, option=orjson.OPT_SORT_KEYS).decode()
    timestamp = _take_timestamp(doc)
    severity = _take_severity(doc)
    texts = {field: _take_text(doc, names) for field, names in TEXT_FIELDS.items()}
    return storable(
        LogDraft(
            message=message,
            timestamp=timestamp,
            severity=severity,
            service=texts["service"],
            host=texts["host"],
            user_id=texts["user_id"],
            action=texts["action"],
            trace_id=texts["trace_id"],
            span_id=texts["span_id"],
            attributes={**doc, "es_index": index},
            client_id=f"es:{doc_id}" if doc_id else None,
        )
    )


def drafts_from_bulk(operations: Iterable[BulkOperation]) -> list[LogDraft | DomainError]:
    return list(iter_drafts(operations))


def iter_drafts(operations: Iterable[BulkOperation]) -> Iterator[LogDraft | DomainError]:
    for op in operations:
        if op.error is not None or op.source is None or op.index is None:
            yield op.error or InvalidEvent("no document", code="invalid_document")
            continue
        try:
            yield draft_from_source(op.source, index=op.index, doc_id=op.doc_id)
        except DomainError as e:
            yield e
