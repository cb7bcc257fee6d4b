"""The API documentation renders under the portal's strict CSP, from local assets."""

from __future__ import annotations

from playwright.sync_api import expect


def test_the_api_docs_render_their_operations(page, screenshot):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto("/api/v1/docs/")
    expect(page.locator(".opblock-tag-section").first).to_be_visible(timeout=20_000)
    expect(page.get_by_text("/api/v1/imports/").first).to_be_attached()
    screenshot(page, "api-docs")
    origin = page.url.split("/api/")[0]
    assert all(url.startswith((origin, "data:")) for url in requests), requests
