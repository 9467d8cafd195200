"""An uploaded file with a NUL byte in a line: that line is sanitised, the file is stored whole."""

from __future__ import annotations

from tests.conftest import create_tenant
from tests.integration.archive.helpers import wait_task
from tests.integration.conftest import Stack, running_worker
from tests.integration.parsing.test_parsing_api import _rows


async def test_an_uploaded_file_with_a_nul_line_is_stored_whole(stack: Stack, postgres_url: str) -> None:
    tenant = await create_tenant(stack.client)
    content = b"before\nnul \x00 here\n" + b'{"msg": "escaped \\u0000 nul"}\n' + b"after\n"
    response = await stack.client.post(
        "/api/v1/logs/upload", files={"file": ("app.log", content, "text/plain")}, headers=tenant.headers
    )
    assert response.status_code == 202, response.text
    async with running_worker(stack.settings, "ingest"):
        task = await wait_task(stack, tenant.headers, response.json()["task_id"], within=60)
    assert task["status"] == "succeeded", task
    assert task["result"]["stored"] == 4 and task["result"]["rejected"] == 0
    messages = sorted(r["message"] for r in await _rows(postgres_url, tenant.id))
    assert messages == ["after", "before", "escaped \ufffd nul", "nul \ufffd here"]


async def test_an_upload_with_a_nul_in_its_form_fields_is_422(stack: Stack) -> None:
    tenant = await create_tenant(stack.client)
    response = await stack.client.post(
        "/api/v1/logs/upload",
        files={"file": ("app.log", b"line\n", "text/plain")},
        data={"service": "svc\x00"},
        headers=tenant.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"] == {"field": "service"}
