"""The index template for logplane's daily log indices (idempotent: PUT replaces it)."""

from __future__ import annotations

from typing import Any

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import NotFoundError

TEMPLATE_NAME = "logplane-logs"
INDEX_PATTERN = "logplane-logs-*"

_KEYWORDS = ("tenant_id", "severity", "service", "host", "user_id", "action", "trace_id", "span_id", "pattern_id")
# Fields added to the template after daily indices existed: `put_mapping` adds them to old indices.
ADDED_FIELDS = ("attributes_full", "pattern_id")

TEMPLATE: dict[str, Any] = {
    "index_patterns": [INDEX_PATTERN],
    "template": {
        "settings": {"number_of_shards": 1, "number_of_replicas": 0},
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "id": {"type": "keyword"},
                # Nanosecond dates: cursors compare exactly what PostgreSQL stores (microseconds).
                "timestamp": {"type": "date_nanos"},
                "received_at": {"type": "date"},
                "severity_number": {"type": "short"},
                **{name: {"type": "keyword"} for name in _KEYWORDS},
                "message": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}},
                "attributes": {"type": "flat_object"},
                # The attributes as sent, only when some key or value was too long to index whole.
                "attributes_full": {"type": "object", "enabled": False},
            },
        },
    },
}


def added_properties() -> dict[str, Any]:
    properties: dict[str, Any] = TEMPLATE["template"]["mappings"]["properties"]
    return {name: properties[name] for name in ADDED_FIELDS}


async def ensure_index_template(url: str) -> None:
    client = AsyncOpenSearch(hosts=[url])
    try:
        await client.indices.put_index_template(name=TEMPLATE_NAME, body=TEMPLATE)
        # Daily indices made from an older template get the fields added since (additions only).
        await client.indices.put_mapping(
            index=INDEX_PATTERN,
            body={"properties": added_properties()},
            params={"allow_no_indices": "true", "ignore_unavailable": "true"},
        )
    finally:
        await client.close()


async def index_is_empty(url: str) -> bool:
    """True when no log document exists at all (e.g. osmem-server just started, in memory)."""
    client = AsyncOpenSearch(hosts=[url])
    try:
        result = await client.count(index=INDEX_PATTERN, params={"ignore_unavailable": "true"})
        return int(result["count"]) == 0
    except NotFoundError:
        return True
    finally:
        await client.close()
