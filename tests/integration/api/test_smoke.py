from __future__ import annotations

import httpx

from tests.conftest import TenantHandle


async def test_ingest_one_event(app_client: httpx.AsyncClient, tenant: TenantHandle) -> None:
    response = await app_client.post(
        "/api/v1/logs", json={"message": "hello", "severity": "warning"}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "timestamp"}
