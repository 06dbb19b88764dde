"""pytest plugin: `pytest_plugins = ["sandbox.pytest_plugin"]`, then use the `sandbox` fixture.

One sandbox server per test session on a free port, reset before every test, so each test sees no
payments, the real clock, no faults and default webhook settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from sandbox import DEV_IMP_KEY, DEV_IMP_SECRET, DEV_MERCHANT_CODE
from sandbox.control import SandboxControl
from sandbox.server import SandboxServer


@dataclass
class RunningSandbox:
    server: SandboxServer
    url: str  # no trailing slash
    control: SandboxControl
    merchant_code: str = DEV_MERCHANT_CODE
    imp_key: str = DEV_IMP_KEY
    imp_secret: str = DEV_IMP_SECRET

    @property
    def credentials(self) -> dict[str, str]:
        return {"imp_key": self.imp_key, "imp_secret": self.imp_secret}

    @property
    def script_url(self) -> str:
        return f"{self.url}/sandbox/iamport.js"


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer(port=0) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[RunningSandbox]:
    sandbox_server.sandbox.reset()
    yield RunningSandbox(sandbox_server, sandbox_server.url, SandboxControl(sandbox_server.url))
    sandbox_server.sandbox.reset()
