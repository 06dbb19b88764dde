"""The points ledger on DynamoDB Local: newest first whatever its keys, a page at a time, each entry once,
with a cursor only its own buyer can use."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from checkout.domain.points import LedgerEntry, LedgerKind
from checkout.errors import BadRequest
from checkout.store.transact import ledger_sk
from local.cfn import load_template
from local.dynamodb import DynamoDBLocal
from local.tables import create_tables, delete_tables, dynamodb_client, local_table_names
from tests.support.shop import Shop

pytestmark = pytest.mark.integration

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
LONG_HISTORY = 1_205  # more than the 1000 entries the ledger used to be read whole up to


def grant_history(shop: Shop, user_id: str, count: int) -> list[str]:
    """`count` grants a second apart, written through the store; their ids (the ledger keys) sort in
    another order than their times. Returns the grant ids, newest first."""
    granted = []
    for i in range(count):
        # 101 and `count` share no factor, so this visits every number below `count` once, out of order.
        grant_id = f"grant-{(i * 101) % count:05d}"
        assert shop.store.points.grant(user_id, 1 + i % 7, grant_id, START + timedelta(seconds=i))
        granted.append(grant_id)
    return granted[::-1]


def walk(shop: Shop, user_id: str, limit: int) -> tuple[list[LedgerEntry], list[str]]:
    """Every page through the facade: the entries in the order shown, and the cursors handed out."""
    entries: list[LedgerEntry] = []
    cursors: list[str] = []
    cursor: str | None = None
    while True:
        page = shop.checkout.get_points(user_id, limit, cursor)
        assert len(page.ledger) <= limit
        entries.extend(page.ledger)
        if page.next_cursor is None:
            return entries, cursors
        assert page.ledger, "a page that promises more is never empty"
        cursors.append(page.next_cursor)
        cursor = page.next_cursor


def cursor_for(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def test_a_history_of_more_than_a_thousand_entries_is_read_newest_first_and_paged_whole(shop: Shop) -> None:
    newest_first = grant_history(shop, "u1", LONG_HISTORY)
    # The newest entry's key sorts after the first 1000 keys: reading by key would never reach it.
    assert sorted(newest_first).index(newest_first[0]) >= 1_000

    first = shop.checkout.get_points("u1", 20, None)

    assert [e.merchant_uid for e in first.ledger] == newest_first[:20]
    assert first.ledger[0].at == START + timedelta(seconds=LONG_HISTORY - 1)
    assert {e.kind for e in first.ledger} == {LedgerKind.GRANT}
    assert first.available == sum(1 + i % 7 for i in range(LONG_HISTORY)) and first.held == 0
    assert first.next_cursor is not None

    entries, cursors = walk(shop, "u1", 50)

    assert [e.merchant_uid for e in entries] == newest_first  # each entry once, in order
    assert len(cursors) == len(set(cursors)) == -(-LONG_HISTORY // 50) - 1
    assert shop.checkout.get_points("u2", 50, None).ledger == ()  # nothing of u1's leaks to u2


def test_entries_of_the_same_moment_keep_one_order_across_pages(shop: Shop) -> None:
    """One transition writes several entries at the same moment (a payment's use and earn): pages cut
    through such a group anywhere and still show each entry once, the group in key order."""
    shop.store.points.grant("u1", 10, "before", START)
    same_moment = START + timedelta(seconds=1)
    for grant_id in ("m-3", "m-1", "m-6", "m-2", "m-5", "m-4", "m-0"):
        shop.store.points.grant("u1", 10, grant_id, same_moment)
    shop.store.points.grant("u1", 10, "after", START + timedelta(seconds=2))

    expected = ["after", "m-6", "m-5", "m-4", "m-3", "m-2", "m-1", "m-0", "before"]
    for limit in range(1, len(expected) + 2):
        entries, _ = walk(shop, "u1", limit)
        assert [e.merchant_uid for e in entries] == expected, f"limit {limit}"


def test_an_order_s_entries_show_newest_first_without_the_balance_item(shop: Shop) -> None:
    shop.add_product("mug", 10_000, 5)
    shop.grant("u1", 1_000)
    shop.clock.advance(timedelta(seconds=1))
    order = shop.order_for("u1", {"mug": 1}, points=600).order

    page = shop.checkout.get_points("u1", 1, None)
    rest = shop.checkout.get_points("u1", 1, page.next_cursor)

    assert [(e.kind, e.merchant_uid) for e in page.ledger + rest.ledger] == [
        (LedgerKind.HOLD, order.merchant_uid),
        (LedgerKind.GRANT, "welcome-u1-1000"),
    ]
    assert rest.next_cursor is None  # the BALANCE item is not an entry
    assert (rest.available, rest.held) == (400, 600)


def test_a_cursor_is_good_only_for_its_own_buyer_and_only_as_handed_out(shop: Shop) -> None:
    for i in range(3):
        shop.store.points.grant("u1", 10, f"g{i}", START + timedelta(seconds=i))
        shop.store.points.grant("u2", 10, f"g{i}", START + timedelta(seconds=i))
    cursor = shop.checkout.get_points("u1", 1, None).next_cursor
    assert cursor is not None
    assert [e.merchant_uid for e in shop.checkout.get_points("u1", 5, cursor).ledger] == ["g1", "g0"]

    with pytest.raises(BadRequest) as refused:
        shop.checkout.get_points("u2", 5, cursor)  # another buyer's cursor
    assert refused.value.code == "invalid_cursor"

    last_shown = {
        "user_id": {"S": "u1"},
        "sk": {"S": ledger_sk(LedgerEntry("u1", LedgerKind.GRANT, 10, "g2", START))},
        "at": {"S": "2025-03-01T09:00:02.000000Z"},
    }
    assert [e.merchant_uid for e in shop.checkout.get_points("u1", 5, cursor_for(last_shown)).ledger] == [
        "g1",
        "g0",
    ]
    malformed = [
        "not-a-cursor",
        "A" * 2_000,
        cursor_for([1, 2]),
        cursor_for({**last_shown, "sk": {"S": "BALANCE"}}),  # not a ledger entry
        cursor_for({**last_shown, "at": {"S": "yesterday"}}),
        cursor_for({**last_shown, "at": {"S": "2025-03-01T09:00:02Z"}}),  # not as the ledger writes times
        cursor_for({**last_shown, "at": {"S": ""}}),
        cursor_for({**last_shown, "sk": {"N": "1"}}),
        cursor_for({k: v for k, v in last_shown.items() if k != "at"}),
        cursor_for({**last_shown, "merchant_uid": {"S": "g2"}}),
        # An order history cursor is not a ledger cursor.
        cursor_for({"merchant_uid": {"S": "ord_1"}, "user_id": {"S": "u1"}, "created_at": {"S": "x"}}),
    ]
    for bad in malformed:
        with pytest.raises(BadRequest) as refused:
            shop.checkout.get_points("u1", 5, bad)
        assert refused.value.code == "invalid_cursor", bad
    for bad_limit in (0, 51, True):
        with pytest.raises(BadRequest) as refused:
            shop.checkout.get_points("u1", bad_limit, None)
        assert refused.value.code == "invalid_limit"


def test_a_points_table_kept_from_before_the_ledger_index_gets_it_with_its_entries(
    dynamodb_local: DynamoDBLocal,
) -> None:
    """An offline shop keeps its tables between runs: starting it again adds the index, filled."""
    before = copy.deepcopy(load_template())
    points = before["Resources"]["PointsTable"]["Properties"]
    del points["GlobalSecondaryIndexes"]
    points["AttributeDefinitions"] = [a for a in points["AttributeDefinitions"] if a["AttributeName"] != "at"]
    names = local_table_names(prefix="kept")
    create_tables(dynamodb_local.endpoint, names, template=before)
    try:
        client = dynamodb_client(dynamodb_local.endpoint)
        entry = {
            "user_id": {"S": "u1"},
            "sk": {"S": "LEDGER#welcome#grant"},
            "at": {"S": "2025-03-01T09:00:00.000000Z"},
        }
        client.put_item(TableName=names["PointsTable"], Item=entry)

        create_tables(dynamodb_local.endpoint, names)

        found = client.query(
            TableName=names["PointsTable"],
            IndexName="ledger",
            KeyConditionExpression="user_id = :u",
            ExpressionAttributeValues={":u": {"S": "u1"}},
        )["Items"]
        assert [item["sk"] for item in found] == [entry["sk"]]
    finally:
        delete_tables(dynamodb_local.endpoint, names)
