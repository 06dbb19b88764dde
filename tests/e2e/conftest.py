"""Browser tests through the whole offline shop: site, local API Gateway + functions, DynamoDB Local and
the I'mport sandbox, driven in Debian's Chromium. Each test leaves a screenshot of its final page in
test-artifacts/e2e/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.api import Buyer, new_buyer
from tests.support.browser import ARTIFACTS, chromium_path
from tests.support.browser_shop import ShopState
from tests.support.stack import logged_stack

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def stack() -> Iterator[Any]:
    if chromium_path() is None:
        pytest.skip("Debian's chromium is not installed (make chromium)")
    with logged_stack(ARTIFACTS) as running:
        yield running


@pytest.fixture(scope="session")
def browser(stack: Any, chromium_browser: Any) -> Any:
    return chromium_browser


@pytest.fixture
def state(stack: Any) -> ShopState:
    return ShopState(stack, id_prefix="e2e")


@pytest.fixture
def buyer(stack: Any) -> Buyer:
    return new_buyer(stack, "buyer")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_FAILED] = report.failed


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def open_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Opens pages in a fresh browser context (own sessionStorage); on failure the last page is kept."""
    contexts: list[Any] = []
    pages: list[Any] = []

    def open_(viewport: dict[str, int] = DESKTOP, **options: Any) -> Any:
        context = browser.new_context(viewport=viewport, locale="ko-KR", timezone_id="Asia/Seoul", **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        pages.append(page)
        return page

    yield open_
    if request.node.stash.get(_FAILED, False) and pages:
        pages[-1].screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"), full_page=True)
    for context in contexts:
        context.close()
