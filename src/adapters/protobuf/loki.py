"""Loki's push request (`logproto.PushRequest`, pkg/push/push.proto), snappy-compressed.

    PushRequest     { repeated StreamAdapter streams = 1; }
    StreamAdapter   { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
    EntryAdapter    { google.protobuf.Timestamp timestamp = 1; string line = 2;
                      repeated LabelPairAdapter structuredMetadata = 3; }
    LabelPairAdapter{ string name = 1; string value = 2; }

Strings are declared `bytes` here (the same wire type): Loki does not insist on UTF-8, so neither
do we; text that is not UTF-8 is decoded with replacement characters rather than failing the batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cramjam
from google.protobuf import timestamp_pb2
from google.protobuf.message import DecodeError

from src.adapters.protobuf.descriptors import Field, FieldType, build_messages
from src.adapters.protobuf.wire import refuse_over
from src.domain.errors import InvalidInput, PayloadTooLarge
from src.usecases.cooperative import cooperative

_BYTES = FieldType.TYPE_BYTES
_MESSAGES = build_messages(
    file_name="logplane/loki/push.proto",
    package="logproto",
    dependencies=(timestamp_pb2.DESCRIPTOR,),
    messages={
        "LabelPairAdapter": [Field("name", 1, _BYTES), Field("value", 2, _BYTES)],
        "EntryAdapter": [
            Field("timestamp", 1, FieldType.TYPE_MESSAGE, message=".google.protobuf.Timestamp"),
            Field("line", 2, _BYTES),
            Field("structuredMetadata", 3, FieldType.TYPE_MESSAGE, repeated=True, message=".logproto.LabelPairAdapter"),
        ],
        "StreamAdapter": [
            Field("labels", 1, _BYTES),
            Field("entries", 2, FieldType.TYPE_MESSAGE, repeated=True, message=".logproto.EntryAdapter"),
            Field("hash", 3, FieldType.TYPE_UINT64),
        ],
        "PushRequest": [Field("streams", 1, FieldType.TYPE_MESSAGE, repeated=True, message=".logproto.StreamAdapter")],
    },
)
PushRequest = _MESSAGES["PushRequest"]


def snappy_decompress(body: bytes, *, max_bytes: int) -> bytes:
    """Snappy's raw (block) format, as Promtail and the Loki clients send it; the size it declares
    is checked before anything is inflated."""
    try:
        declared = cramjam.snappy.decompress_raw_len(body)
    except cramjam.DecompressionError as e:
        raise InvalidInput("the body is not snappy-compressed protobuf", code="invalid_snappy") from e
    if declared > max_bytes:
        raise PayloadTooLarge(
            f"decompressed body is larger than {max_bytes} bytes",
            code="decompressed_too_large",
            details={"max_bytes": max_bytes},
        )
    try:
        return bytes(cramjam.snappy.decompress_raw(body))
    except cramjam.DecompressionError as e:
        raise InvalidInput(f"the body is not valid snappy: {e}", code="invalid_snappy") from e


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


async def decode_push_request(body: bytes, *, max_decompressed: int, max_entries: int) -> dict[str, Any]:
    """A snappy-compressed PushRequest as `{"streams": [{"labels": "<label text>", "values":
    [[<unix ns>, "<line>", {structured metadata}], …]}]}`; a push of more than `max_entries`
    entries is refused (413) before it is parsed, having counted one past the limit. The walk
    and the conversion give other requests a turn every slice (see `cooperative`)."""
    raw = snappy_decompress(body, max_bytes=max_decompressed)
    await refuse_over(raw, (1, 2), max_records=max_entries, what="Loki PushRequest")
    message = PushRequest()
    try:
        message.ParseFromString(raw)
    except DecodeError as e:
        raise InvalidInput("the body is not a valid Loki PushRequest", code="invalid_protobuf") from e
    streams = []
    for stream in message.streams:
        values = [value async for value in cooperative(_values(stream))]
        streams.append({"labels": _text(stream.labels), "values": values})
    return {"streams": streams}


def _values(stream: Any) -> Iterator[list[Any]]:
    for entry in stream.entries:
        nanos = entry.timestamp.seconds * 1_000_000_000 + entry.timestamp.nanos
        metadata = {_text(pair.name): _text(pair.value) for pair in entry.structuredMetadata}
        yield [nanos, _text(entry.line), metadata]
