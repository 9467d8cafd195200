"""Shared steps of the analytics tests: ingest, then wait until the index worker has mined everything."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Stack
from tests.polling import eventually


async def mined_events(stack: Stack, headers: dict[str, str], expected: int, **params: Any) -> list[dict[str, Any]]:
    """The tenant's events once `expected` of them are searchable with a pattern id."""

    async def check() -> list[dict[str, Any]] | None:
        response = await stack.client.get(
            "/api/v1/logs", params={"page_size": 1000, "q": "pattern_id:*", **params}, headers=headers
        )
        if response.status_code != 200 or response.headers.get("x-logplane-source") != "opensearch":
            return None
        items: list[dict[str, Any]] = response.json()["items"]
        return items if len(items) >= expected else None

    return await eventually(check, within=60, what=f"{expected} mined and indexed events", every=0.2)
