"""What an operation costs at the transport, counted where the requests leave this process.

DynamoDB: every botocore client made after `install()` gets two hooks on its event system: `before-send`
(one per HTTP attempt, retries included: the round trips) and `after-call` (the parsed reply, whose
`ConsumedCapacity` DynamoDB returns when asked). While `measuring_capacity()` is on, a
`before-parameter-build` hook asks for it on every call that can (the checkout itself does not ask for
it on its transactions or the order's read: it never reads it, and asking costs the engine time the
latency figures should not include). I'mport: every request `requests` sends, and which of them fetched
a token. While `recording()` is on, every request is also kept as it was asked for (bench/floors.py
replays them).

Capacity is what the engine reports (DynamoDB Local computes it by the same rules as AWS: a read unit per
4 KB, half for an eventually consistent read; a write unit per 1 KB; twice both for a transaction's items).
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
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


@dataclass
class Sent:
    """One request as it left: DynamoDB's operation and parameters, or I'mport's method, URL and body."""

    service: str  # dynamodb | iamport
    operation: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    method: str = ""
    url: str = ""
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


class Transport:
    """Counters for every client of this process (thread-safe; the benchmark's own clients included)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._usage = Usage()
        self._installed = False
        self._asking = False
        self._recording: list[Sent] | None = None

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[Sent]]:
        """Every request sent meanwhile, in order (one recording at a time, from one thread)."""
        sent: list[Sent] = []
        self._recording = sent
        try:
            yield sent
        finally:
            self._recording = None

    @contextlib.contextmanager
    def measuring_capacity(self) -> Iterator[None]:
        """Every DynamoDB call made meanwhile asks for its ConsumedCapacity (TOTAL)."""
        self._asking = True
        try:
            yield
        finally:
            self._asking = False

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
                client.meta.events.register("before-parameter-build.dynamodb", transport._before_build)
                client.meta.events.register("before-send.dynamodb", transport._on_send)
                client.meta.events.register("after-call.dynamodb", transport._on_reply)
            return client

        send = requests.Session.send

        def counted_send(session: Any, request: Any, **kwargs: Any) -> Any:
            if transport._recording is not None:
                transport._recording.append(
                    Sent(
                        "iamport",
                        method=request.method,
                        url=request.url,
                        body=request.body,
                        headers=dict(request.headers),
                    )
                )
            with transport._lock:
                transport._usage.iamport += 1
                if str(request.url).endswith("/users/getToken"):
                    transport._usage.tokens += 1
            return send(session, request, **kwargs)

        botocore.session.Session.create_client = hooked_create_client  # type: ignore[method-assign]
        requests.Session.send = counted_send  # type: ignore[method-assign]
        self._installed = True
        return self

    def _before_build(self, params: Any = None, model: Any = None, **_: Any) -> None:
        if params is None or model is None:
            return
        if self._asking and "ReturnConsumedCapacity" in model.input_shape.members:
            params["ReturnConsumedCapacity"] = "TOTAL"
        if self._recording is not None:
            # Kept as is (copying here would be timed with the handler); the floor copies it afterwards.
            self._recording.append(Sent("dynamodb", operation=model.name, params=params))

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
