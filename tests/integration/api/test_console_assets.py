"""The console's shell and assets as the API serves them: from the package, with the CSP, gzipped,
revalidated by ETag, and nothing outside the static folder reachable through it."""

from __future__ import annotations

import re

from src.entrypoints.http.console import STATIC_DIR
from tests.integration.conftest import Stack


async def test_the_shell_is_served_at_the_root_with_a_strict_csp(stack: Stack) -> None:
    response = await stack.client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    # Every script and stylesheet the shell names is ours, by path, and no inline code needs allowing.
    for src in re.findall(r'(?:src|href)="([^"]+)"', response.text):
        assert src.startswith(("/console/", "#", "/docs")), src
    assert "<script>" not in response.text and "style=" not in response.text


async def test_assets_are_gzipped_and_revalidated(stack: Stack) -> None:
    response = await stack.client.get("/console/js/pages/search.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.text == (STATIC_DIR / "js" / "pages" / "search.js").read_text()  # httpx decodes gzip
    again = await stack.client.get("/console/js/pages/search.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


async def test_nothing_outside_the_static_folder_is_reachable(stack: Stack) -> None:
    for path in ("/console/../__init__.py", "/console/%2e%2e/__init__.py", "/console/js/../../__init__.py"):
        response = await stack.client.get(path)
        assert response.status_code == 404, path
    assert (await stack.client.get("/console/nope.js")).status_code == 404
