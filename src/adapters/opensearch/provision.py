"""The index template for logplane's daily log indices (idempotent: PUT replaces it)."""

from __future__ import annotations

from typing import Any

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import NotFoundError

TEMPLATE_NAME = "logplane-logs"
INDEX_PATTERN = "logplane-logs-*"

_KEYWORDS = ("tenant_id", "severity", "service", "host", "user_id", "action", "trace_id", "span_id")

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
            },
        },
    },
}


async def ensure_index_template(url: str) -> None:
    client = AsyncOpenSearch(hosts=[url])
    try:
        await client.indices.put_index_template(name=TEMPLATE_NAME, body=TEMPLATE)
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
