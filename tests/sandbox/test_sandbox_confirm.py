"""confirm_url (docs/iamport-v1.md#confirm-url): the merchant gets the last word before the PG is asked to
pay."""

from __future__ import annotations

import json
from typing import Any

from tests.support.imp_api import WebhookReceiver


def test_confirm_url_200_lets_the_payment_through(sandbox: Any, receiver: WebhookReceiver) -> None:
    paid = sandbox.control.pay("order-k1", 7000, confirm_url=receiver.url)
    assert paid["status"] == "paid"
    [asked] = receiver.wait_for(1)
    assert asked.body == {"imp_uid": paid["imp_uid"], "merchant_uid": "order-k1", "amount": 7000}


def test_confirm_url_refusal_fails_the_payment_with_the_merchants_reason(
    sandbox: Any, receiver: WebhookReceiver
) -> None:
    receiver.default_status = 409
    receiver.reply_body = json.dumps({"reason": "재고 부족"}).encode()
    refused = sandbox.control.pay("order-k2", 7000, confirm_url=receiver.url)
    assert refused["status"] == "failed" and refused["paid_at"] == 0
    assert refused["fail_reason"] == "고객사 요청에 의해 결제를 중단합니다. (상세사유 : 재고 부족)"
    assert sandbox.control.webhooks() == []


def test_confirm_url_refusal_without_reason_says_unknown(sandbox: Any, receiver: WebhookReceiver) -> None:
    receiver.default_status = 500
    refused = sandbox.control.pay("order-k3", 7000, confirm_url=receiver.url)
    assert refused["fail_reason"] == "고객사 요청에 의해 결제를 중단합니다. (상세사유 : 알 수 없음)"
