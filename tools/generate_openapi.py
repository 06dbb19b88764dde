"""Write docs/openapi.json: the checkout API as one OpenAPI 3.1 document, generated from the handlers.

    python tools/generate_openapi.py [--output PATH] [--check]
    make openapi

Every function builds its own Powertools resolver, so each describes only its own routes; their
documents are merged into one. The code says everything about a route: its parameters and request body
(pydantic inputs), its reply (the handler's return type, a model of checkout.api.replies, which
Powertools also validates every reply against), its refusals and summary (`responses=`, `summary=` on
the route, checkout.api.described). What only template.yaml decides is added here: who may call which
route (a route is public only with `Authorizer: NONE`; API Gateway's JWT authorizer answers 401 itself),
API Gateway's own answers (throttling, a crashed function), and where the API is served. Powertools'
default 422 and 500 descriptions (FastAPI-style `detail` lists) are dropped: the resolver never answers
with them. The output is deterministic, so a test can fail on drift.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib.util
import json
import os
import pathlib
import re
import sys
import tomllib
from collections.abc import Iterator
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "openapi.json"
# Run as a script, the repository and the layer are not importable yet.
for _path in (ROOT, ROOT / "shared"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from local.cfn import load_template, resources_of_type  # noqa: E402

# What the handler modules read when they are imported; no AWS is touched (tracing off, no clients).
IMPORT_ENV = {
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "checkout",
    "POWERTOOLS_METRICS_NAMESPACE": "Checkout",
}
SCHEMAS = "#/components/schemas/"
JSON = "application/json"
# Powertools describes refusals with FastAPI's `{"detail": [...]}`; our resolver never answers with it.
POWERTOOLS_ERROR_SCHEMAS = {"HTTPValidationError", "ValidationError", "ResponseValidationError"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": SCHEMAS + name}


def _reply(description: str, schema: dict[str, Any], headers: dict[str, Any] | None = None) -> dict[str, Any]:
    reply: dict[str, Any] = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        reply["headers"] = headers
    return reply


TEXT = {"type": "string"}
# API Gateway's own body (not the functions'): the template decides when it answers.
GATEWAY_MESSAGE = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": TEXT},
    "description": "API Gateway's own answer, before or instead of a function: 401 from the JWT "
    "authorizer, 429 when throttled, 500 when a function crashed or timed out.",
}


# API Gateway answers some requests itself (the authorizer, throttling, a crashed function).
UNAUTHORIZED = "No valid bearer token (API Gateway's JWT authorizer), or one without a subject"
EITHER_BODY = {"anyOf": [_ref("ErrorBody"), _ref("GatewayMessage")]}
CATCH_ALL = {
    "4XX": _reply(
        "Refused: `error.code` says why (API Gateway's own, such as 429, carry `message`)", EITHER_BODY
    ),
    "5XX": _reply("Failed: retry later", EITHER_BODY),
}


def template_routes(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, str]]:
    """(METHOD, path) -> the function's code directory and authorizer ("NONE" for a public route)."""
    api = template["Resources"]["HttpApi"]["Properties"]
    default = api["Auth"]["DefaultAuthorizer"]
    routes = {}
    for fn in resources_of_type(template, "AWS::Serverless::Function").values():
        for event in (fn["Properties"].get("Events") or {}).values():
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                routes[(props["Method"].upper(), props["Path"])] = {
                    "code_dir": fn["Properties"]["CodeUri"].strip("/"),
                    "authorizer": (props.get("Auth") or {}).get("Authorizer", default),
                }
    return routes


@contextlib.contextmanager
def _import_env() -> Iterator[None]:
    missing = [key for key in IMPORT_ENV if key not in os.environ]
    os.environ.update({key: IMPORT_ENV[key] for key in missing})
    try:
        yield
    finally:
        for key in missing:
            os.environ.pop(key, None)


def function_document(code_dir: str) -> dict[str, Any]:
    """The OpenAPI document of one function's resolver; every handler module is named `app`, so each
    is imported from its file under a name of its own."""
    module_name = "openapi_" + re.sub(r"\W", "_", code_dir)
    spec = importlib.util.spec_from_file_location(module_name, ROOT / code_dir / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        with _import_env():
            spec.loader.exec_module(module)
        return json.loads(module.app.get_openapi_json_schema(title="checkout", version="0"))
    finally:
        sys.modules.pop(module_name, None)


def merge_schemas(into: dict[str, Any], more: dict[str, Any], origin: str) -> None:
    for name, schema in more.items():
        if name in into and into[name] != schema:
            raise ValueError(f"two different schemas are named {name} ({origin})")
        into[name] = schema


def describe_operation(
    method: str, path: str, generated: dict[str, Any], authorizer: str, tag: str
) -> dict[str, Any]:
    """The operation Powertools generated, with what the template decides added."""
    operation = {k: v for k, v in generated.items() if k not in ("responses", "operationId")}
    # Powertools names operations `<function><path>_<method>`; the function name alone is unique here.
    suffix = re.sub(r"\W", "_", path) + "_" + method.lower()
    operation["operationId"] = generated["operationId"].removesuffix(suffix)
    operation["tags"] = [tag]
    responses: dict[str, Any] = copy.deepcopy(CATCH_ALL)
    for status, reply in generated["responses"].items():
        if _powertools_default(reply):
            continue
        if reply.get("content") == {}:
            reply = {k: v for k, v in reply.items() if k != "content"}  # a redirect: no body
        responses[str(status)] = reply
    if authorizer == "NONE":
        operation["security"] = []
    else:
        operation["security"] = [{authorizer: []}]
        responses["401"] = _reply(UNAUTHORIZED, {"anyOf": [_ref("GatewayMessage"), _ref("ErrorBody")]})
    operation["responses"] = responses
    return operation


def _powertools_default(reply: dict[str, Any]) -> bool:
    """Powertools' own 422/500 descriptions, which the checkout's resolver never answers with."""
    return any(name in json.dumps(reply) for name in (f'"{SCHEMAS}{n}"' for n in POWERTOOLS_ERROR_SCHEMAS))


def _referenced(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMAS):
            yield ref.removeprefix(SCHEMAS)
        for value in node.values():
            yield from _referenced(value)
    elif isinstance(node, list):
        for value in node:
            yield from _referenced(value)


def reachable_schemas(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """Only the schemas the paths use, directly or through other schemas."""
    keep: set[str] = set()
    pending = list(_referenced(paths))
    while pending:
        name = pending.pop()
        if name not in keep:
            keep.add(name)
            pending.extend(_referenced(schemas[name]))
    return {name: schemas[name] for name in sorted(keep)}


def _whole_numbers(node: Any) -> Any:
    """pydantic writes an int bound as 99.0; an integer's bounds read better as integers."""
    if isinstance(node, dict):
        out = {key: _whole_numbers(value) for key, value in node.items()}
        if out.get("type") == "integer":
            for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
                if isinstance(out.get(key), float) and out[key].is_integer():
                    out[key] = int(out[key])
        return out
    if isinstance(node, list):
        return [_whole_numbers(value) for value in node]
    return node


def build_document(template: dict[str, Any] | None = None) -> dict[str, Any]:
    template = template if template is not None else load_template()
    routes = template_routes(template)
    functions = {
        lid: fn["Properties"] for lid, fn in resources_of_type(template, "AWS::Serverless::Function").items()
    }
    schemas: dict[str, Any] = {"GatewayMessage": GATEWAY_MESSAGE}
    paths: dict[str, dict[str, Any]] = {}
    authorizers: set[str] = set()
    tags = []
    for props in functions.values():
        code_dir = props["CodeUri"].strip("/")
        mine = {key: route for key, route in routes.items() if route["code_dir"] == code_dir}
        if not mine:
            continue  # not behind the API (the sweeper)
        tag = pathlib.PurePosixPath(code_dir).name
        tags.append({"name": tag, "description": props.get("Description", "")})
        generated = function_document(code_dir)
        merge_schemas(schemas, generated.get("components", {}).get("schemas", {}), code_dir)
        served = {
            (m.upper(), p): op for p, item in generated.get("paths", {}).items() for m, op in item.items()
        }
        if set(served) != set(mine):
            raise ValueError(f"{code_dir} serves {sorted(served)}, template.yaml routes {sorted(mine)}")
        for (method, path), route in sorted(mine.items()):
            if route["authorizer"] != "NONE":
                authorizers.add(route["authorizer"])
            paths.setdefault(path, {})[method.lower()] = describe_operation(
                method, path, served[(method, path)], route["authorizer"], tag
            )
    for name in POWERTOOLS_ERROR_SCHEMAS:
        schemas.pop(name, None)
    api_auth = template["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]
    security_schemes = {}
    for name in sorted(authorizers):
        if "JwtConfiguration" not in api_auth[name]:
            raise ValueError(f"authorizer {name} is not a JWT authorizer; describe it here first")
        security_schemes[name] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A token of the stack's JwtIssuer for JwtAudience; `sub` is the buyer, the "
            "ADMIN_GROUPS_CLAIM claim holding ADMIN_GROUP makes an admin.",
        }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "I'mport checkout API",
            "version": project["version"],
            "description": project["description"] + ". Money is integer KRW. Every refusal is "
            '`{"error": {"code", "message"}}` with a stable `code`. Generated by '
            "tools/generate_openapi.py (make openapi); do not edit by hand.",
        },
        "servers": [
            {
                "url": "https://{api_id}.execute-api.{region}.amazonaws.com",
                "description": "The deployed stack (its ApiUrl output, unless PublicApiUrl is set)",
                "variables": {
                    "api_id": {"default": "api-id", "description": "the HttpApi's id"},
                    "region": {"default": "ap-northeast-2"},
                },
            },
            {"url": "http://127.0.0.1:3000", "description": "The offline stack (make run; API_PORT)"},
        ],
        "tags": sorted(tags, key=lambda tag: tag["name"]),
        "paths": paths,
        "components": {
            "schemas": reachable_schemas(paths, schemas),
            "securitySchemes": security_schemes,
        },
    }
    return _whole_numbers(document)


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=pathlib.Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="fail if the file differs instead of writing")
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
