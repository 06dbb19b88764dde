"""The offline API explorer (`make run` serves it at /api-docs/): Swagger UI, vendored from npm, over the
committed OpenAPI document, with the local API as its server, tried in Chromium."""

from __future__ import annotations

import json
from typing import Any

import requests
from playwright.sync_api import expect

from local.cfn import ROOT
from tests.support.browser import screenshot


def test_the_explorer_serves_the_committed_document_with_the_local_api_as_server(stack: Any) -> None:
    reply = requests.get(f"{stack.web_url}/api-docs/openapi.json", timeout=10)
    assert reply.status_code == 200
    served = reply.json()
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert served["servers"] == [{"url": stack.api_url, "description": "This offline stack (make run)"}]
    assert {k: v for k, v in served.items() if k != "servers"} == {
        k: v for k, v in committed.items() if k != "servers"
    }
    page = requests.get(f"{stack.web_url}/api-docs/", timeout=10)
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    bundle = requests.get(f"{stack.web_url}/api-docs/swagger-ui-bundle.js", timeout=10)
    assert bundle.status_code == 200 and bundle.headers["content-type"].startswith("text/javascript")
    assert requests.get(f"{stack.web_url}/api-docs/../../template.yaml", timeout=10).status_code == 404


def test_trying_the_catalog_route_in_the_explorer_calls_the_local_api(open_page: Any, stack: Any) -> None:
    page = open_page()
    page.goto(f"{stack.web_url}/api-docs/")
    operation = page.locator("#operations-cart-list_products")
    expect(operation).to_contain_text("List the catalog")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    live = operation.locator(".live-responses-table tbody .response-col_status").first
    expect(live).to_have_text("200", timeout=30_000)
    expect(operation.locator(".live-responses-table .microlight").first).to_contain_text("products")
    screenshot(page, "api-explorer")
