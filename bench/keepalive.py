"""Keep-alive latency of the offline stack's HTTP servers (not part of `make test`).

Starts the I'mport sandbox and the static site server on free loopback ports and times, through
`requests`, the same small request made on one reused (keep-alive) connection and on a fresh
connection each time: the sandbox's `GET /payments/{imp_uid}` (what the backend asks after every
payment) and the site's `GET /config.js`. Prints p50/p95 of both and their ratio.

A server that sends a response's headers and its body as two small writes makes a reused connection
wait for the client's delayed acknowledgement (about 40 ms on Linux) on every request, so keep-alive
comes out slower than opening a new connection each time. With each response sent in one write (and
TCP_NODELAY on the server's sockets), keep-alive is at or below the fresh-connection figure.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import requests

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from local.site import SiteServer  # noqa: E402
from local.tokens import SigningKey, TokenIssuer  # noqa: E402
from sandbox import DEV_IMP_KEY, DEV_IMP_SECRET  # noqa: E402
from sandbox.control import SandboxControl  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402

TIMEOUT = (3, 10)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _time(n: int, get: Callable[[], requests.Response]) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        reply = get()
        out.append((time.perf_counter() - t0) * 1000)
        if reply.status_code != 200:
            raise RuntimeError(
                f"{reply.request.method} {reply.url} answered {reply.status_code}: {reply.text}"
            )
    return out


def measure(url: str, headers: dict[str, str], n: int) -> tuple[list[float], list[float]]:
    """(keep-alive samples, fresh-connection samples) in ms, after one warm-up request of each."""
    with requests.Session() as session:

        def kept() -> requests.Response:
            return session.get(url, headers=headers, timeout=TIMEOUT)

        kept()  # opens the connection the samples reuse
        keep_alive = _time(n, kept)

    def fresh() -> requests.Response:
        with requests.Session() as one_off:  # a new connection, closed after the request
            return one_off.get(url, headers=headers, timeout=TIMEOUT)

    fresh()
    return keep_alive, _time(n, fresh)


@contextmanager
def running_sandbox() -> Iterator[tuple[str, dict[str, str]]]:
    """The sandbox with one paid payment: (its GET /payments/{imp_uid} URL, the auth header)."""
    with SandboxServer(port=0) as server:
        paid = SandboxControl(server.url).pay("bench-keepalive-1", 1000)
        token = requests.post(
            f"{server.url}/users/getToken",
            json={"imp_key": DEV_IMP_KEY, "imp_secret": DEV_IMP_SECRET},
            timeout=TIMEOUT,
        ).json()["response"]["access_token"]
        yield f"{server.url}/payments/{paid['imp_uid']}", {"Authorization": token}


@contextmanager
def running_site() -> Iterator[str]:
    """The site server on web/: its /config.js URL."""
    server = SiteServer("127.0.0.1", 0, ROOT / "web")
    with tempfile.TemporaryDirectory() as tmp:
        key = SigningKey.load(pathlib.Path(tmp) / "jwt")
        server.configure({"apiBaseUrl": "http://127.0.0.1:1"}, TokenIssuer(key, "https://i.test", "aud"))
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        try:
            yield f"{server.url}/config.js"
        finally:
            server.shutdown()
            server.server_close()


def _report(label: str, keep_alive: list[float], fresh: list[float]) -> None:
    print(label)
    for name, samples in (("keep-alive (one Session)", keep_alive), ("fresh connection each", fresh)):
        print(
            f"  {name:<26} n={len(samples)} p50={_percentile(samples, 50):6.2f} ms "
            f"p95={_percentile(samples, 95):6.2f} ms mean={statistics.fmean(samples):6.2f} ms"
        )
    ratio50 = _percentile(keep_alive, 50) / _percentile(fresh, 50)
    ratio95 = _percentile(keep_alive, 95) / _percentile(fresh, 95)
    print(f"  keep-alive / fresh: p50 x{ratio50:.2f}, p95 x{ratio95:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="samples per connection mode")
    args = parser.parse_args(argv)
    print(f"Python {sys.version.split()[0]}; requests {requests.__version__}; loopback\n")
    with running_sandbox() as (url, headers):
        _report("sandbox GET /payments/{imp_uid}", *measure(url, headers, args.requests))
    with running_site() as url:
        _report("site GET /config.js", *measure(url, {}, args.requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
