"""What an operation costs at the transport, counted where the requests leave this process.

DynamoDB: every botocore client made after `install()` gets two hooks on its event system: `before-send`
(one per HTTP attempt, retries included: the round trips) and `after-call` (the parsed reply, whose
`ConsumedCapacity` DynamoDB returns when asked: pynamodb asks on every call, the floors ask too). I'mport:
every request `requests` sends, and which of them fetched a token.

Capacity is what the engine reports (DynamoDB Local computes it by the same rules as AWS: a read unit per
4 KB, half for an eventually consistent read; a write unit per 1 KB; twice both for a transaction's items).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Usage:
    """Totals between two snapshots."""

    dynamodb: int = 0  # HTTP round trips to DynamoDB
    iamport: int = 0  # HTTP round trips to I'mport
    tokens: int = 0  # of which /users/getToken
    read_units: float = 0.0
    write_units: float = 0.0
    operations: Counter[str] = field(default_factory=Counter)  # DynamoDB operation -> round trips

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            self.dynamodb - other.dynamodb,
            self.iamport - other.iamport,
            self.tokens - other.tokens,
            self.read_units - other.read_units,
            self.write_units - other.write_units,
            self.operations - other.operations,
        )

    @property
    def round_trips(self) -> int:
        return self.dynamodb + self.iamport

    @property
    def units(self) -> float:
        return self.read_units + self.write_units

    def calls(self) -> str:
        """`GetItem, TransactWriteItems + 1 I'mport`: what was sent, in a few words."""
        parts = [f"{n}x {op}" if n > 1 else op for op, n in sorted(self.operations.items())]
        if self.iamport:
            parts.append(f"{self.iamport} I'mport")
        return ", ".join(parts) or "-"


_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


class Transport:
    """Counters for every client of this process (thread-safe; the benchmark's own clients included)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._usage = Usage()
        self._installed = False

    def snapshot(self) -> Usage:
        with self._lock:
            u = self._usage
            return Usage(u.dynamodb, u.iamport, u.tokens, u.read_units, u.write_units, Counter(u.operations))

    def install(self) -> Transport:
        if self._installed:
            return self
        import botocore.session
        import requests

        transport = self
        create_client = botocore.session.Session.create_client

        def hooked_create_client(session: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
            client = create_client(session, service_name, *args, **kwargs)
            if service_name == "dynamodb":
                client.meta.events.register("before-send.dynamodb", transport._on_send)
                client.meta.events.register("after-call.dynamodb", transport._on_reply)
            return client

        send = requests.Session.send

        def counted_send(session: Any, request: Any, **kwargs: Any) -> Any:
            with transport._lock:
                transport._usage.iamport += 1
                if str(request.url).endswith("/users/getToken"):
                    transport._usage.tokens += 1
            return send(session, request, **kwargs)

        botocore.session.Session.create_client = hooked_create_client  # type: ignore[method-assign]
        requests.Session.send = counted_send  # type: ignore[method-assign]
        self._installed = True
        return self

    def _on_send(self, request: Any, **_: Any) -> None:
        target = (request.headers.get("X-Amz-Target") or b"").decode() if request.headers else ""
        with self._lock:
            self._usage.dynamodb += 1
            self._usage.operations[target.rpartition(".")[2] or "?"] += 1

    def _on_reply(self, parsed: Any = None, model: Any = None, **_: Any) -> None:
        consumed = (parsed or {}).get("ConsumedCapacity")
        if not consumed:
            return
        entries = consumed if isinstance(consumed, list) else [consumed]
        units = sum(float(c.get("CapacityUnits") or 0) for c in entries)
        with self._lock:
            if model is not None and model.name in _WRITES:
                self._usage.write_units += units
            else:
                self._usage.read_units += units


TRANSPORT = Transport()
