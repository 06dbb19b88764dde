"""The local API Gateway: an HTTP server that serves the template's HTTP API.

Per request, as API Gateway does it: answer CORS preflights from the API's CorsConfiguration, select
the route, run the route's JWT authorizer, build the payload-2.0 event, invoke the function in its
warm environment, and turn the result into the HTTP response (or API Gateway's own error bodies).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any

from local.events import (
    Authorization,
    HttpRequest,
    HttpResponse,
    MalformedLambdaResponse,
    build_event,
    json_response,
    lambda_response,
    new_request_id,
)
from local.lambdas import FunctionRuntime, InvocationFailed
from local.routing import select_route
from local.samapp import CorsSpec, SamApp
from local.serving import LocalServer, OneWriteHandler
from local.tokens import JwtVerifier, TokenRejected, claim_strings

log = logging.getLogger("local.api")

INTEGRATION_TIMEOUT_S = 30.0  # HTTP API's maximum integration timeout
MAX_BODY_BYTES = 10 * 1024 * 1024  # HTTP API's payload limit


class ApiGateway:
    """Request handling, independent of the HTTP server (so tests can drive it directly)."""

    def __init__(
        self,
        app: SamApp,
        runtime: FunctionRuntime,
        jwks: Mapping[str, Any],
        cors_origin_aliases: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.app = app
        self.runtime = runtime
        self.verifiers = {
            name: JwtVerifier(jwks, spec.issuer, spec.audiences) for name, spec in app.authorizers.items()
        }
        self.cors = app.cors
        self._origin_aliases = dict(cors_origin_aliases or {})

    # -- CORS -------------------------------------------------------------------------------------

    def _origin_allowed(self, cors: CorsSpec, origin: str) -> bool:
        allowed = set(cors.allow_origins)
        for origin_value in cors.allow_origins:
            allowed.update(self._origin_aliases.get(origin_value, ()))
        return "*" in allowed or origin in allowed

    def _preflight(self, request: HttpRequest, cors: CorsSpec) -> HttpResponse:
        origin = request.header("origin") or ""
        headers: list[tuple[str, str]] = []
        method = (request.header("access-control-request-method") or "").upper()
        if self._origin_allowed(cors, origin) and (
            "*" in cors.allow_methods or method in cors.allow_methods or not cors.allow_methods
        ):
            headers.append(("access-control-allow-origin", "*" if "*" in cors.allow_origins else origin))
            methods = cors.allow_methods or ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
            headers.append(("access-control-allow-methods", method if "*" in methods else ",".join(methods)))
            requested = request.header("access-control-request-headers")
            if "*" in cors.allow_headers and requested:
                headers.append(("access-control-allow-headers", requested))
            elif cors.allow_headers:
                headers.append(("access-control-allow-headers", ",".join(cors.allow_headers)))
            if cors.max_age is not None:
                headers.append(("access-control-max-age", str(cors.max_age)))
            if cors.allow_credentials:
                headers.append(("access-control-allow-credentials", "true"))
        return HttpResponse(204, headers)

    def _with_cors(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        cors = self.cors
        origin = request.header("origin")
        if cors is None or not origin:
            return response
        # With CORS configured, API Gateway answers the CORS headers itself and drops the function's.
        headers = [(k, v) for k, v in response.headers if not k.lower().startswith("access-control-")]
        if self._origin_allowed(cors, origin):
            headers.append(("access-control-allow-origin", "*" if "*" in cors.allow_origins else origin))
            if cors.expose_headers:
                headers.append(("access-control-expose-headers", ",".join(cors.expose_headers)))
            if cors.allow_credentials:
                headers.append(("access-control-allow-credentials", "true"))
            headers.append(("vary", "Origin"))
        return HttpResponse(response.status, headers, response.body)

    # -- the request --------------------------------------------------------------------------------

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = new_request_id()
        response = self._handle(request, request_id)
        response.headers.append(("apigw-requestid", request_id))
        return response

    def _handle(self, request: HttpRequest, request_id: str) -> HttpResponse:
        if (
            self.cors is not None
            and request.method == "OPTIONS"
            and request.header("origin")
            and request.header("access-control-request-method")
        ):
            return self._preflight(request, self.cors)
        match = select_route(self.app.routes, request.method, request.raw_path)
        if match is None:
            return self._with_cors(request, json_response(404, {"message": "Not Found"}))
        route = match.route
        authorization = None
        if route.authorizer is not None:
            try:
                authorization = self._authorize(route.authorizer, route.scopes, request)
            except TokenRejected as exc:
                body = {"message": "Unauthorized" if exc.status == 401 else "Forbidden"}
                challenge = (
                    f'Bearer scope="{" ".join(route.scopes)}" error="invalid_token" '
                    f'error_description="{exc.description}"'
                )
                return self._with_cors(
                    request, json_response(exc.status, body, [("www-authenticate", challenge)])
                )
        event = build_event(
            request,
            route_key=route.route_key,
            path_parameters=match.path_parameters,
            authorization=authorization,
            request_id=request_id,
        )
        spec = self.app.functions[route.function_id]
        try:
            result = self.runtime.invoke(route.function_id, event).result
            response = lambda_response(result)
        except InvocationFailed as exc:
            log.warning("%s %s -> %s failed: %s", request.method, request.raw_path, spec.logical_id, exc)
            if exc.kind == "Sandbox.Timedout" and spec.timeout_s > INTEGRATION_TIMEOUT_S:
                response = json_response(503, {"message": "Service Unavailable"})
            else:
                response = json_response(500, {"message": "Internal Server Error"})
        except MalformedLambdaResponse as exc:
            log.warning("%s returned a malformed response: %s", spec.logical_id, exc)
            response = json_response(500, {"message": "Internal Server Error"})
        return self._with_cors(request, response)

    def _authorize(self, name: str, scopes: tuple[str, ...], request: HttpRequest) -> Authorization:
        verifier = self.verifiers.get(name)
        if verifier is None:
            raise TokenRejected(f"authorizer {name} is not a JWT authorizer of this API")
        source = self.app.authorizers[name].identity_source
        header = (
            source.removeprefix("$request.header.")
            if source.startswith("$request.header.")
            else "authorization"
        )
        token = (request.header(header) or "").strip()
        if token[:7].lower() == "bearer " or token.lower() == "bearer":
            token = token[7:].strip()
        if not token:
            raise TokenRejected("the token is missing")
        claims, granted = verifier.verify(token, required_scopes=scopes)
        return Authorization(claims=claim_strings(claims), scopes=granted)


def _handler_class(
    gateway: ApiGateway, on_access: Callable[[str], None] | None, server_port: int
) -> type[BaseHTTPRequestHandler]:
    class Handler(OneWriteHandler):
        server_version = "local-apigw"

        def _serve(self) -> None:
            started = time.perf_counter()
            raw_length = (self.headers.get("content-length") or "0").strip()
            if not raw_length.isdigit():
                self.close_connection = True  # the body's end is unknown: the connection cannot be reused
                self._send(json_response(400, {"message": "Bad Request"}))
                return
            length = int(raw_length)
            if length > MAX_BODY_BYTES:
                self.close_connection = True
                self._send(json_response(413, {"message": "Request Entity Too Large"}))
                return
            body = self.rfile.read(length) if length else b""
            request = HttpRequest(
                method=self.command,
                target=self.path,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
                server_port=server_port,
                protocol=self.request_version,
            )
            try:
                response = gateway.handle(request)
            except Exception:  # the gateway itself must never take the server down
                log.exception("local API failed on %s %s", self.command, self.path)
                response = json_response(500, {"message": "Internal Server Error"})
            self._send(response)
            if on_access:
                on_access(
                    f"{self.command} {self.path} -> {response.status} "
                    f"({(time.perf_counter() - started) * 1000:.0f} ms)"
                )

        def _send(self, response: HttpResponse) -> None:
            self.send_whole(response.status, response.headers, response.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _serve

        def __getattr__(self, name: str) -> Any:
            # http.server answers a method without a do_* handler with an HTML 501; API Gateway
            # selects routes for any method, so such a request gets its JSON 404 like any other miss.
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

    return Handler


class ApiServer(LocalServer):
    pass


def make_server(host: str, port: int) -> ApiServer:
    """Bind first (so the port is known and a busy port fails early), attach the gateway later."""
    server = ApiServer((host, port), BaseHTTPRequestHandler, bind_and_activate=True)
    return server


def attach(server: ApiServer, gateway: ApiGateway, on_access: Callable[[str], None] | None = None) -> None:
    # The server is already bound (make_server), so its port is the one requests arrive on.
    server.RequestHandlerClass = _handler_class(gateway, on_access, server.server_port)
