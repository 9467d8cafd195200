"""Single sign-on from the console's login page: a real (mock) OpenID Connect provider, Chromium
following the redirects there and back, and the session that results."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

import httpx

from tests.e2e.console.conftest import Platform, add_user, new_tenant, open_tab

# The provider's own page styles itself from a CDN; the tab's guard blocks that (nothing leaves
# 127.0.0.1) and Chrome reports the blocked stylesheet. Everything else must be clean.
PROVIDER_CDN = "cdn.jsdelivr.net"


def _provider_user(issuer: str, email: str) -> str:
    sub = f"sub-{secrets.token_hex(4)}"
    response = httpx.put(f"{issuer}/users/{quote(sub)}", json={"email": email, "email_verified": True}, timeout=30)
    assert response.status_code == 204, response.text
    return sub


def test_single_sign_on_from_the_login_page_opens_a_session_in_the_chosen_tenant(
    browser: Any, platform: Platform
) -> None:
    tenant, other = new_tenant(platform, "sso"), new_tenant(platform, "sso-other")
    email = add_user(platform, tenant, "editor")
    add_user(platform, other, "admin")
    sub = _provider_user(platform.issuer, email)
    context, tab = open_tab(browser, platform)
    try:
        page = tab.page
        page.goto("/")
        sso = page.get_by_role("button", name="Log in with single sign-on")
        # Without a tenant there is nowhere to sign in to: said, not sent.
        page.get_by_label("Tenant").fill("")
        sso.click()
        page.get_by_role("alert").filter(has_text="Enter your tenant first").wait_for()
        assert page.url.startswith(platform.base)

        page.get_by_label("Tenant").fill(tenant.name)
        tab.shot("login-sso")
        sso.click()
        page.wait_for_url(f"{platform.issuer}/**")  # at the provider
        page.locator("input[name='sub']").fill(sub)
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(f"{platform.base}/**")  # back, through the callback, into the console
        page.locator("#nav").get_by_role("link", name="Search").wait_for()
        page.locator("main[data-page='search']").wait_for()
        me = page.evaluate("fetch('/api/v1/auth/me').then((r) => r.json())")
        assert (me["user"]["email"], me["role"], me["via"]) == (email, "editor", "session")
        assert me["tenant_id"] == tenant.id and me["tenant_name"] == tenant.name  # not the other tenant
        tab.shot("sso-logged-in")
    finally:
        context.close()
    assert all(PROVIDER_CDN in url for url in tab.outside), tab.outside
    assert [e for e in tab.unexpected() if PROVIDER_CDN not in e and "ERR_FAILED" not in e] == []
