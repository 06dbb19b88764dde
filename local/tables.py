"""Create the checkout's DynamoDB tables from `template.yaml` itself (one source of truth for keys
and indexes): the offline stack and the integration tests both use this."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from local.cfn import load_template, resources_of_type

TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable")

# Each table's logical id and the environment variable the functions read its name from.
TABLE_ENV = {
    "ProductsTable": "PRODUCTS_TABLE",
    "CartsTable": "CARTS_TABLE",
    "OrdersTable": "ORDERS_TABLE",
    "PointsTable": "POINTS_TABLE",
    "IdempotencyTable": "IDEMPOTENCY_TABLE",
}


def table_definitions(template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Logical id -> CreateTable arguments (without TableName), as the template declares them."""
    template = template or load_template()
    out: dict[str, dict[str, Any]] = {}
    for lid, res in resources_of_type(template, *TABLE_TYPES).items():
        props = res.get("Properties", {})
        args: dict[str, Any] = {
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if props.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = [
                {k: v for k, v in gsi.items() if k in ("IndexName", "KeySchema", "Projection")}
                for gsi in props["GlobalSecondaryIndexes"]
            ]
        out[lid] = args
    return out


def local_table_names(prefix: str = "checkout") -> dict[str, str]:
    return {lid: f"{prefix}-{lid.removesuffix('Table').lower()}" for lid in TABLE_ENV}


def table_env(names: Mapping[str, str]) -> dict[str, str]:
    """The functions' table environment variables for the given logical id -> name mapping."""
    return {TABLE_ENV[lid]: name for lid, name in names.items() if lid in TABLE_ENV}


def dynamodb_client(endpoint: str, region: str = "ap-northeast-2") -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local
    )


def create_tables(endpoint: str, names: Mapping[str, str], *, template: dict[str, Any] | None = None) -> None:
    """Create every table the template declares. A table already there (an offline shop's kept data) keeps
    its items and gets the indexes the template added since, as a deploy would give them."""
    client = dynamodb_client(endpoint)
    existing = set(client.list_tables().get("TableNames", []))
    defs = table_definitions(template)
    missing = set(TABLE_ENV) - set(defs)
    if missing:
        raise ValueError(f"template.yaml lacks tables {sorted(missing)}")
    for lid, args in defs.items():
        name = names[lid]
        if name in existing:
            _add_missing_indexes(client, name, args)
            continue
        client.create_table(TableName=name, **args)
        if lid in ("IdempotencyTable",):
            # DynamoDB Local accepts TTL settings; keeping them mirrors the template.
            client.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"AttributeName": "expiration", "Enabled": True}
            )


def _add_missing_indexes(client: Any, name: str, args: Mapping[str, Any], timeout_s: float = 30.0) -> None:
    """Create the template's global secondary indexes the table lacks (one at a time, as DynamoDB
    requires), waiting until each is filled with the items already there."""
    table = client.describe_table(TableName=name)["Table"]
    have = {g["IndexName"] for g in table.get("GlobalSecondaryIndexes", [])}
    for gsi in args.get("GlobalSecondaryIndexes", []):
        if gsi["IndexName"] in have:
            continue
        client.update_table(
            TableName=name,
            AttributeDefinitions=args["AttributeDefinitions"],
            GlobalSecondaryIndexUpdates=[{"Create": gsi}],
        )
        deadline = time.monotonic() + timeout_s
        while True:
            indexes = client.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", [])
            if all(g.get("IndexStatus") == "ACTIVE" for g in indexes):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name}: index {gsi['IndexName']} is not ready after {timeout_s:.0f} s")
            time.sleep(0.1)


def delete_tables(endpoint: str, names: Mapping[str, str]) -> None:
    client = dynamodb_client(endpoint)
    existing = set(client.list_tables().get("TableNames", []))
    for name in names.values():
        if name in existing:
            client.delete_table(TableName=name)
