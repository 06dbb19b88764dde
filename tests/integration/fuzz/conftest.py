"""One offline stack for the whole fuzz suite, a shop with something to lose, and the tools to prove
that bad input changed none of it.

Before any malformed request is sent the buyer has a paid order (refundable), a ready order (payable)
and a full cart; a second user has no data at all. The tables are read directly (boto3 on DynamoDB
Local), so "changes nothing" is checked against what is stored, not against what the API says.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from local.cfn import ROOT
from tests.support.api import BUYER, pay_order
from tests.support.fuzzing import (
    FunctionLog,
    RawClient,
    Shop,
    Tables,
    call_api,
    template_routes,
)
from tests.support.stack import logged_stack

ARTIFACTS = ROOT / "test-artifacts" / "integration-fuzz"


# -- the shop ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop() -> Iterator[Shop]:
    log = FunctionLog()
    # One worker per function: the fuzzing is sequential, and a 2-core machine pays for every cold start.
    with logged_stack(ARTIFACTS, log, max_environments=1) as stack:
        yield _open_shop(stack, log)


def _open_shop(stack: Any, log: FunctionLog) -> Shop:
    buyer_sub = f"fuzz-buyer-{uuid.uuid4().hex[:10]}"
    stranger_sub = f"fuzz-stranger-{uuid.uuid4().hex[:10]}"
    buyer_token = stack.token_for(buyer_sub)
    products = call_api(stack, "GET", "/products", None, None, 200)["products"]
    product_ids = [p["product_id"] for p in products]
    by_stock = sorted(products, key=lambda p: -int(p["stock"]))
    first, second, third, fourth = (p["product_id"] for p in by_stock[:4])

    call_api(stack, "PUT", f"/cart/items/{first}", buyer_token, {"quantity": 2}, 200)
    created = call_api(stack, "POST", "/orders", buyer_token, {"buyer": BUYER, "pay_method": "card"}, 201)
    paid_order = pay_order(stack, buyer_token, created)
    call_api(stack, "PUT", f"/cart/items/{second}", buyer_token, {"quantity": 1}, 200)
    ready_order = call_api(
        stack, "POST", "/orders", buyer_token, {"buyer": BUYER, "pay_method": "card"}, 201
    )["order"]
    cart = {third: 3, fourth: 1}
    for product_id, quantity in cart.items():
        call_api(stack, "PUT", f"/cart/items/{product_id}", buyer_token, {"quantity": quantity}, 200)

    tables = Tables(stack.ddb_endpoint, stack.table_names)
    shop = Shop(
        stack=stack,
        client=RawClient(stack.api_url),
        tables=tables,
        log=log,
        routes=template_routes(),
        buyer_sub=buyer_sub,
        buyer_token=buyer_token,
        stranger_sub=stranger_sub,
        stranger_token=stack.token_for(stranger_sub),
        paid_order=paid_order,
        ready_order=ready_order,
        cart=cart,
        product_ids=product_ids,
    )
    shop.baseline = tables.snapshot()
    assert paid_order["status"] == "paid" and ready_order["status"] == "ready"
    assert not log.errors(), log.errors()
    return shop
