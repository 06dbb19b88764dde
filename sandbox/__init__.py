"""I'mport (PortOne V1) sandbox: the REST API, the browser payment window `IMP` and webhooks, offline.

Start it with `python -m sandbox --port N`, `sandbox.server.SandboxServer(port=0)` or the pytest
fixture `sandbox` (plugin `sandbox.pytest_plugin`). See sandbox/README.md.
"""

DEV_MERCHANT_CODE = "imp00000000"
DEV_IMP_KEY = "sandbox-key"
DEV_IMP_SECRET = "sandbox-secret"

__all__ = ["DEV_IMP_KEY", "DEV_IMP_SECRET", "DEV_MERCHANT_CODE"]
