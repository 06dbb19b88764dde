"""Fixtures shared by every suite: the real DynamoDB engine and the I'mport sandbox.

Plugins must be declared here (pytest refuses `pytest_plugins` in nested conftest files).
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator

import pytest

from local.dynamodb import DynamoDBLocal
from local.tables import create_tables, delete_tables, local_table_names
from tests.support.browser import chromium_path, launch_chromium

pytest_plugins = ["sandbox.pytest_plugin"] if importlib.util.find_spec("sandbox.pytest_plugin") else []


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    """One in-memory DynamoDB Local (AWS's own engine) for the whole test session."""
    ddb = DynamoDBLocal().start()
    try:
        yield ddb
    finally:
        ddb.stop()


@pytest.fixture
def checkout_tables(dynamodb_local: DynamoDBLocal) -> Iterator[dict[str, str]]:
    """Fresh tables (created from template.yaml) for one test: logical id -> table name."""
    names = local_table_names(prefix=f"t{uuid.uuid4().hex[:10]}")
    create_tables(dynamodb_local.endpoint, names)
    try:
        yield names
    finally:
        delete_tables(dynamodb_local.endpoint, names)


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[object]:
    """One headless Chromium for every browser suite: Playwright's sync API allows a single driver
    per thread, so suites share this one instead of each starting their own."""
    if chromium_path() is None:
        pytest.skip("Debian's chromium is not installed (make chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()
