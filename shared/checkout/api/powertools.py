"""Powertools' HTTP API resolver without the rest of its event handler: the cold start pays for one router.

`aws_lambda_powertools.event_handler/__init__.py` imports every resolver Powertools has (AppSync with
asyncio, AppSync Events, Bedrock agents, VPC Lattice, Lambda function URLs, its HTTP server), and
`aws_lambda_powertools.utilities.data_classes/__init__.py` every event class of every AWS service, while
the checkout uses the API Gateway HTTP API resolver and its one event class. Importing either package
runs all of that in every new execution environment, on the first buyer's request
(docs/architecture.md#cold-start).

`install()` (run when this module is imported, before it imports the names the checkout uses)
registers both packages as *lazy*: the package module exists, its submodules import as
usual, and the handful of names the HTTP API path takes from the package itself (`_EAGER`) come straight
from the submodule that defines them. Any other name read from the package runs the package's real
`__init__` first, so every other use of Powertools still works unchanged, only later. Nothing happens
when a package is already imported (a test, a tool). tests/unit/api/test_cold_start_imports.py checks
that each eager name is the very object the package exports, and that handlers load neither asyncio nor
the other resolvers.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

_EVENT_HANDLER = "aws_lambda_powertools.event_handler"
_DATA_CLASSES = "aws_lambda_powertools.utilities.data_classes"

# package -> {name read from the package: (module that defines it, attribute or None for the module)}
_EAGER: dict[str, dict[str, tuple[str, str | None]]] = {
    _EVENT_HANDLER: {
        **{
            name: (f"{_EVENT_HANDLER}.api_gateway", name)
            for name in (
                "ALBResolver",
                "APIGatewayHttpResolver",
                "APIGatewayRestResolver",
                "ApiGatewayResolver",
                "CORSConfig",
                "Response",
            )
        },
        "content_types": (f"{_EVENT_HANDLER}.content_types", None),
    },
    _DATA_CLASSES: {
        "ALBEvent": (f"{_DATA_CLASSES}.alb_event", "ALBEvent"),
        "APIGatewayProxyEvent": (f"{_DATA_CLASSES}.api_gateway_proxy_event", "APIGatewayProxyEvent"),
        "APIGatewayProxyEventV2": (f"{_DATA_CLASSES}.api_gateway_proxy_event", "APIGatewayProxyEventV2"),
        "BedrockAgentEvent": (f"{_DATA_CLASSES}.bedrock_agent_event", "BedrockAgentEvent"),
        "LambdaFunctionUrlEvent": (f"{_DATA_CLASSES}.lambda_function_url_event", "LambdaFunctionUrlEvent"),
        "VPCLatticeEvent": (f"{_DATA_CLASSES}.vpc_lattice", "VPCLatticeEvent"),
        "VPCLatticeEventV2": (f"{_DATA_CLASSES}.vpc_lattice", "VPCLatticeEventV2"),
    },
}


def _lazy_package(name: str, eager: dict[str, tuple[str, str | None]]) -> None:
    if name in sys.modules:
        return
    parent_name, _, child = name.rpartition(".")
    parent = importlib.import_module(parent_name)
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not the package layout this expects: leave Powertools to import as usual
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def __getattr__(attr: str) -> Any:  # noqa: N807 - the module-level hook of PEP 562
        if attr in eager:
            module_name, member = eager[attr]
            module = importlib.import_module(module_name)
            value = module if member is None else getattr(module, member)
            setattr(package, attr, value)
            return value
        if attr.startswith("__"):
            raise AttributeError(attr)
        # Anything else: the package as Powertools wrote it, then the name from it.
        del package.__dict__["__getattr__"]
        loader.exec_module(package)
        return getattr(package, attr)

    package.__dict__["__getattr__"] = __getattr__
    sys.modules[name] = package
    setattr(parent, child, package)


def install() -> None:
    for name, eager in _EAGER.items():
        _lazy_package(name, eager)


# Before the first Powertools import below: the API modules and the handlers take these names from here.
install()

from aws_lambda_powertools.event_handler import content_types  # noqa: E402
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver, Response  # noqa: E402
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError  # noqa: E402
from aws_lambda_powertools.event_handler.openapi.exceptions import (  # noqa: E402
    RequestUnsupportedContentType,
    RequestValidationError,
    ResponseValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query  # noqa: E402

__all__ = [
    "APIGatewayHttpResolver",
    "Body",
    "Header",
    "NotFoundError",
    "Path",
    "Query",
    "RequestUnsupportedContentType",
    "RequestValidationError",
    "Response",
    "ResponseValidationError",
    "ServiceError",
    "content_types",
    "install",
]
