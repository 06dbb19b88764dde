"""DynamoDB's wire format for what every payment reads and writes: the order item and a transition's items.

Every report of a payment (the page, the redirect, the webhook, the sweeper) reads one order and writes
one transaction. Through pynamodb model instances that cost about 0.45 ms of CPU per completion on top of
botocore's own work (building an instance per item, checking every attribute, expression objects, and
pynamodb regrouping the transaction's items): the largest single part of what the checkout added to the
calls it must make (docs/architecture.md, "The warm payment path"). So these items are built here as
DynamoDB attribute values and sent with the shared connection's botocore client, while the models stay
the one description of each table: `ItemCodec` takes every attribute's name, type and (de)serializer from the
model class (store/models.py), so an item written here is byte for byte what `Model.save` writes, and
one written by a model reads back here (tests/integration/core/test_store.py checks both ways).

Expressions are spelled out with placeholders for every name and value (`Expression`); the transaction
items are sent in the order they are added, so DynamoDB's cancellation reasons, which are by position,
map straight back to the item they concern.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]


class ItemCodec:
    """One table's items <-> plain values (None = absent), with the model's own attribute classes."""

    def __init__(self, model: Any) -> None:
        self.table_name: str = model.Meta.table_name
        self._attributes: dict[str, Any] = dict(model.get_attributes())
        self._hash_key = next(n for n, a in self._attributes.items() if a.is_hash_key)
        self._range_key = next((n for n, a in self._attributes.items() if a.is_range_key), None)

    def encode(self, values: Mapping[str, Any]) -> Item:
        """The item of `values`: a nullable attribute that is None is left out (as pynamodb leaves it); a
        required one that is None is refused, as pynamodb refuses it, before anything is sent."""
        item: Item = {}
        for name, value in values.items():
            attribute = self._attributes[name]
            if value is None:
                if not attribute.null:
                    raise ValueError(f"{self.table_name}.{name} is required")
                continue
            item[attribute.attr_name] = {attribute.attr_type: attribute.serialize(value)}
        return item

    def decode(self, item: Mapping[str, AttributeValue]) -> dict[str, Any]:
        """Every attribute of the model: its value, or None when the item does not carry it."""
        values: dict[str, Any] = {}
        for name, attribute in self._attributes.items():
            raw = item.get(attribute.attr_name)
            value = None if raw is None else raw.get(attribute.attr_type)
            values[name] = None if value is None else attribute.deserialize(value)
        return values

    def key(self, hash_key: str, range_key: str | None = None) -> Item:
        key = {self._hash_key: hash_key}
        if self._range_key is not None:
            if range_key is None:
                raise ValueError(f"{self.table_name} needs a range key")
            key[self._range_key] = range_key
        return self.encode(key)

    def attribute(self, name: str) -> str:
        """The name DynamoDB knows `name` by (checked: a typo fails here, not as a silent new attribute)."""
        return str(self._attributes[name].attr_name)


def number(value: int) -> AttributeValue:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"a number attribute here is an int, got {value!r}")
    return {"N": str(value)}


def string(value: str) -> AttributeValue:
    return {"S": value}


class Expression:
    """Placeholders for one request's expressions: `#name` for each attribute, `:vN` for each value."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._values: dict[str, AttributeValue] = {}

    def name(self, attribute: str) -> str:
        placeholder = f"#{attribute}"
        self._names[placeholder] = attribute
        return placeholder

    def value(self, value: AttributeValue) -> str:
        placeholder = f":v{len(self._values)}"
        self._values[placeholder] = value
        return placeholder

    def into(self, request: dict[str, Any]) -> dict[str, Any]:
        """`request` with the placeholders it uses."""
        if self._names:
            request["ExpressionAttributeNames"] = self._names
        if self._values:
            request["ExpressionAttributeValues"] = self._values
        return request
