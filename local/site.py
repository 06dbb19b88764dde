"""The development web server for `web/`: static files, a generated `/config.js` that points the
page at the local API and the sandbox's `IMP` shim, the development sign-in `POST /_dev/token`, and the
offline API explorer at `/api-docs/` (Swagger UI over docs/openapi.json, "Try it out" against the local
API; its files come from `.cache/swagger-ui`, never from `web/`, so the deployed site never carries it)."""

from __future__ import annotations

import json
import mimetypes
import pathlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from local.serving import LocalServer, OneWriteHandler
from local.tokens import TokenIssuer

EXPLORER = "/api-docs"
EXPLORER_ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css")
MAX_TOKEN_REQUEST_BYTES = 4096
MAX_SUBJECT_LENGTH = 128
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".map": "application/json",
    ".woff2": "font/woff2",
}


def config_script(config: Mapping[str, Any]) -> bytes:
    return f"window.CHECKOUT_CONFIG = {json.dumps(dict(config), indent=2)};\n".encode()


@dataclass(frozen=True)
class ApiExplorer:
    """Swagger UI (vendored from npm by tools/fetch-swagger-ui.sh) over the committed OpenAPI document,
    with the local API as its one server."""

    assets: pathlib.Path  # swagger-ui-bundle.js, swagger-ui.css
    document: pathlib.Path  # docs/openapi.json
    api_url: str

    def page(self) -> bytes:
        return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Checkout API (offline)</title>
<link rel="stylesheet" href="{EXPLORER}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{EXPLORER}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: "{EXPLORER}/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  // Sign in with a dev token (make token SUB=...) under Authorize to try the buyers' routes.
  persistAuthorization: false,
}});
</script>
</body>
</html>
""".encode()

    def openapi(self) -> bytes:
        document = json.loads(self.document.read_text(encoding="utf-8"))
        document["servers"] = [{"url": self.api_url, "description": "This offline stack (make run)"}]
        return json.dumps(document, ensure_ascii=False).encode()


class SiteServer(LocalServer):
    def __init__(self, host: str, port: int, web_dir: pathlib.Path) -> None:
        super().__init__((host, port), _SiteHandler)
        self.web_dir = web_dir.resolve()
        self.config: dict[str, Any] = {}
        self.issuer: TokenIssuer | None = None
        # Admin tokens only when the stack was started for it (`python -m local run --dev-admin`).
        self.allow_admin = False
        self.explorer: ApiExplorer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def configure(
        self, config: Mapping[str, Any], issuer: TokenIssuer | None, *, allow_admin: bool = False
    ) -> None:
        self.config = dict(config)
        self.issuer = issuer
        self.allow_admin = allow_admin

    def own_origins(self) -> set[str]:
        """The host:port forms under which this site's own page is served."""
        port = self.server_address[1]
        return {f"127.0.0.1:{port}", f"localhost:{port}"}


class _SiteHandler(OneWriteHandler):
    server_version = "local-site"
    server: SiteServer

    def _send(
        self, status: int, body: bytes, content_type: str, extra: Mapping[str, str] | None = None
    ) -> None:
        # Development: every reload sees the files as they are on disk.
        headers = [("content-type", content_type), ("cache-control", "no-store"), *(extra or {}).items()]
        self.send_whole(status, headers, body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _error(self, status: int, code: str, message: str) -> None:
        self._json(status, {"error": {"code": code, "message": message}})

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
        path = unquote(urlsplit(self.path).path)
        if path == "/config.js":
            self._send(200, config_script(self.server.config), "text/javascript; charset=utf-8")
            return
        if path == EXPLORER or path.startswith(EXPLORER + "/"):
            self._explorer(path.removeprefix(EXPLORER))
            return
        if path == "/_dev/jwks.json" and self.server.issuer is not None:
            self._json(200, self.server.issuer.key.jwks)
            return
        target = self._resolve(path)
        if target is None:
            self._error(404, "not_found", f"{path} does not exist")
            return
        content_type = (
            _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        )
        self._send(200, target.read_bytes(), content_type)

    do_HEAD = do_GET

    def _explorer(self, rest: str) -> None:
        explorer = self.server.explorer
        if explorer is None:
            self._error(404, "not_found", "the API explorer is not configured")
        elif rest == "":
            self._send(301, b"", "text/plain", {"location": EXPLORER + "/"})
        elif rest == "/":
            self._send(200, explorer.page(), _TYPES[".html"])
        elif rest == "/openapi.json":
            self._send(200, explorer.openapi(), _TYPES[".json"])
        elif rest.lstrip("/") in EXPLORER_ASSETS:
            asset = explorer.assets / rest.lstrip("/")
            if asset.is_file():
                self._send(200, asset.read_bytes(), _TYPES[asset.suffix])
            else:
                self._error(
                    404, "not_found", f"{asset} is missing: run `make setup` (tools/fetch-swagger-ui.sh)"
                )
        else:
            self._error(404, "not_found", f"{EXPLORER}{rest} does not exist")

    def _resolve(self, path: str) -> pathlib.Path | None:
        root = self.server.web_dir
        candidate = (root / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(root):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if candidate.is_file():
            return candidate
        # The site routes with the History API: /result?merchant_uid=.. is the page, not a file.
        if "." not in pathlib.PurePosixPath(path).name:
            index = root / "index.html"
            return index if index.is_file() else None
        return None

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
        if urlsplit(self.path).path != "/_dev/token" or self.server.issuer is None:
            # The body is left unread, so the connection must end: its bytes are not a next request.
            self.close_connection = True
            self._error(404, "not_found", "no such endpoint")
            return
        # Only the site's own page may sign in: another page the browser has open (or a DNS-rebinding
        # name pointing here) sends another Host or Origin.
        own = self.server.own_origins()
        origin = (self.headers.get("origin") or "").strip().lower()
        if (self.headers.get("host") or "").strip().lower() not in own or (
            origin and origin not in {f"http://{o}" for o in own}
        ):
            self.close_connection = True
            self._error(403, "forbidden_origin", "development tokens are issued to this site's own page only")
            return
        raw_length = (self.headers.get("content-length") or "0").strip()
        length = int(raw_length) if raw_length.isdigit() else MAX_TOKEN_REQUEST_BYTES + 1
        if length > MAX_TOKEN_REQUEST_BYTES:
            self.close_connection = True
            self._error(413, "payload_too_large", "the sign-in request is too large")
            return
        try:
            payload = json.loads(self.rfile.read(length) or b"null")
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past the parser's depth
            self._error(400, "invalid_json", 'the body must be JSON: {"sub": "...", "admin": false}')
            return
        if not isinstance(payload, dict):
            self._error(422, "validation_failed", "the body must be an object with sub and admin")
            return
        sub, admin = payload.get("sub"), payload.get("admin", False)
        if not isinstance(sub, str) or not sub.strip() or len(sub) > MAX_SUBJECT_LENGTH:
            self._error(
                422,
                "validation_failed",
                f"sub must be a non-empty string of at most {MAX_SUBJECT_LENGTH} characters",
            )
            return
        if not isinstance(admin, bool):
            self._error(422, "validation_failed", "admin must be true or false")
            return
        if admin and not self.server.allow_admin:
            self._error(
                403,
                "admin_tokens_off",
                "admin tokens are off: start the stack with `python -m local run --dev-admin` "
                "(make run DEV_ADMIN=1), or use `make token ADMIN=1`",
            )
            return
        self._json(200, {"token": self.server.issuer.issue(sub.strip(), admin=admin)})

    def _method_not_allowed(self) -> None:
        self.close_connection = True  # any body is left unread
        self._send(
            405,
            json.dumps(
                {"error": {"code": "method_not_allowed", "message": f"{self.command} is not served"}}
            ).encode(),
            "application/json",
            {"allow": "GET, HEAD, POST"},
        )

    def __getattr__(self, name: str) -> Any:
        # http.server answers a method without a do_* handler with an HTML 501; this site answers 405.
        if name.startswith("do_"):
            return self._method_not_allowed
        raise AttributeError(name)
