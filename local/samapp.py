"""What `template.yaml` deploys, read the way SAM reads it: the HTTP API (routes, JWT authorizers, CORS),
each function (code, handler, environment, layers, timeout) and the scheduled invocations.

Everything is derived from the template, so a new route, function or variable needs no change here.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local.cfn import ROOT, resources_of_type
from local.intrinsics import LocalValues, evaluate_conditions, resolve, resolve_str

IMPLICIT_HTTP_API = "ServerlessHttpApi"  # the API SAM creates for HttpApi events without ApiId
DEFAULT_TIMEOUT_S = 3  # Lambda's default
DEFAULT_MEMORY_MB = 128
DEFAULT_RUNTIME = "python3.12"
_RUNTIME_PROPERTIES = (
    "CodeUri",
    "Handler",
    "Environment",
    "Timeout",
    "MemorySize",
    "Runtime",
    "FunctionName",
)


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str  # FunctionName as deployed offline
    code_dir: pathlib.Path
    handler: str
    environment: dict[str, str]
    layer_dirs: tuple[pathlib.Path, ...]
    timeout_s: float
    memory_mb: int
    runtime: str


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or "ANY"; "$default" routes carry "ANY"
    path: str  # "/orders/{merchant_uid}", or "$default"
    function_id: str
    authorizer: str | None  # None: open route
    scopes: tuple[str, ...] = ()

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class JwtAuthorizerSpec:
    name: str
    issuer: str
    audiences: tuple[str, ...]
    identity_source: str = "$request.header.Authorization"


@dataclass(frozen=True)
class CorsSpec:
    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


@dataclass(frozen=True)
class Schedule:
    function_id: str
    expression: str  # "rate(5 minutes)" or "cron(...)"
    enabled: bool
    input: Any | None  # the event to send instead of the scheduled-event envelope
    rule_name: str

    @property
    def rate_seconds(self) -> float | None:
        m = re.fullmatch(r"\s*rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)\s*", self.expression)
        if not m:
            return None
        unit = {"minute": 60, "hour": 3600, "day": 86400}[m.group(2).rstrip("s")]
        return int(m.group(1)) * unit


@dataclass
class SamApp:
    api_id: str  # the HTTP API's logical id
    functions: dict[str, FunctionSpec]
    routes: list[Route]
    authorizers: dict[str, JwtAuthorizerSpec]
    cors: CorsSpec | None
    schedules: list[Schedule]
    parameters: dict[str, Any] = field(default_factory=dict)

    def authorizer_claim_names(self) -> tuple[str, str]:
        """(groups claim, admin group) as the functions read them, defaults as in the architecture."""
        for fn in self.functions.values():
            env = fn.environment
            if "ADMIN_GROUPS_CLAIM" in env or "ADMIN_GROUP" in env:
                return env.get("ADMIN_GROUPS_CLAIM", "cognito:groups"), env.get("ADMIN_GROUP", "admin")
        return "cognito:groups", "admin"


def parameter_values(template: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    """Every template parameter's local value: the override, else its Default, else a readable stand-in.

    List parameters (`CommaDelimitedList`, `List<...>`) resolve to lists, as `!Ref` gives them.
    """
    out: dict[str, Any] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        if name in overrides:
            value: Any = overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            value = f"local-{name}"
        ptype = str(spec.get("Type", "String"))
        is_list = ptype == "CommaDelimitedList" or ptype.startswith("List<")
        if is_list:
            items = value if isinstance(value, list) else str(value).split(",")
            out[name] = [str(v).strip() for v in items]
        else:
            out[name] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return out


def _merge_globals(globals_fn: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(globals_fn)
    for key, value in props.items():
        if key == "Environment":
            variables = dict((globals_fn.get("Environment") or {}).get("Variables") or {})
            variables.update((value or {}).get("Variables") or {})
            merged["Environment"] = {"Variables": variables}
        elif key == "Layers":
            merged["Layers"] = list(globals_fn.get("Layers") or []) + list(value or [])
        else:
            merged[key] = value
    return merged


def _layer_dirs(
    layers: list[Any], template: Mapping[str, Any], root: pathlib.Path
) -> tuple[pathlib.Path, ...]:
    out = []
    for layer in layers:
        logical_id = None
        if isinstance(layer, dict) and "Ref" in layer:
            logical_id = layer["Ref"]
        res = template["Resources"].get(logical_id) if logical_id else None
        if not res or res.get("Type") not in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            continue  # a published ARN (e.g. Powertools' public layer) is installed in the venv instead
        props = res.get("Properties") or {}
        content = props.get("ContentUri") or (props.get("Content") or {}).get("S3Key")
        if isinstance(content, str):
            out.append((root / content).resolve())
    return tuple(out)


def load_app(
    template: Mapping[str, Any],
    *,
    region: str,
    api_url: str,
    parameter_overrides: Mapping[str, str],
    table_names: Mapping[str, str],
    root: pathlib.Path = ROOT,
    api_id: str | None = None,
) -> SamApp:
    """Build the offline view of the template; intrinsics resolve to the local stack's values."""
    resources: Mapping[str, Any] = template["Resources"]
    params = parameter_values(template, parameter_overrides)
    functions_res = resources_of_type(template, "AWS::Serverless::Function")
    apis = resources_of_type(template, "AWS::Serverless::HttpApi")
    globals_ = template.get("Globals") or {}

    refs: dict[str, str] = {}
    for lid, res in resources.items():
        props = res.get("Properties") or {}
        if lid in table_names:
            refs[lid] = table_names[lid]
        elif res.get("Type") == "AWS::Serverless::Function":
            name = props.get("FunctionName")
            refs[lid] = name if isinstance(name, str) else f"checkout-local-{lid}"
        else:
            refs[lid] = f"local-{lid}"
    http_api_ids = frozenset(apis) | {IMPLICIT_HTTP_API}
    for lid in http_api_ids:
        refs[lid] = "local"  # the API id in requestContext.apiId
    local = LocalValues(
        region=region,
        api_url=api_url,
        parameters=params,
        resources=refs,
        http_api_ids=frozenset(http_api_ids),
    )
    evaluate_conditions(template.get("Conditions") or {}, local)

    functions: dict[str, FunctionSpec] = {}
    routes: list[Route] = []
    schedules: list[Schedule] = []
    events_by_api: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for lid, res in functions_res.items():
        props = _merge_globals(globals_.get("Function") or {}, res.get("Properties") or {})
        # Only what runs offline is resolved: policies, roles and the like have no local meaning.
        props = {k: resolve(v, local) for k, v in props.items() if k in _RUNTIME_PROPERTIES}
        env = {
            k: resolve_str(v, local)
            for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()
        }
        code_uri = props.get("CodeUri") or "."
        functions[lid] = FunctionSpec(
            logical_id=lid,
            name=refs[lid],
            code_dir=(root / str(code_uri)).resolve(),
            handler=str(props.get("Handler") or "app.lambda_handler"),
            environment=env,
            layer_dirs=_layer_dirs(
                list((res.get("Properties") or {}).get("Layers") or [])
                + list((globals_.get("Function") or {}).get("Layers") or []),
                template,
                root,
            ),
            timeout_s=float(props.get("Timeout") or DEFAULT_TIMEOUT_S),
            memory_mb=int(props.get("MemorySize") or DEFAULT_MEMORY_MB),
            runtime=str(props.get("Runtime") or DEFAULT_RUNTIME),
        )
        for event_name, event in ((res.get("Properties") or {}).get("Events") or {}).items():
            etype = event.get("Type")
            raw_props = dict(event.get("Properties") or {})
            # ApiId names a resource: keep the logical id rather than its (shared) local value.
            api_ref = raw_props.pop("ApiId", None)
            eprops = resolve(raw_props, local)
            if etype == "HttpApi":
                api_lid = api_ref.get("Ref") if isinstance(api_ref, dict) else api_ref
                events_by_api.setdefault(str(api_lid or IMPLICIT_HTTP_API), []).append((lid, eprops))
            elif etype in ("Schedule", "ScheduleV2"):
                expression = eprops.get("Schedule") or eprops.get("ScheduleExpression") or ""
                enabled = eprops.get("Enabled", True)
                if eprops.get("State"):
                    enabled = eprops["State"] == "ENABLED"
                raw_input = eprops.get("Input")
                schedules.append(
                    Schedule(
                        function_id=lid,
                        expression=str(expression),
                        enabled=bool(enabled),
                        input=raw_input,
                        rule_name=str(eprops.get("Name") or f"{lid}{event_name}"),
                    )
                )

    chosen = api_id or _choose_api(apis, events_by_api)
    api_props = resolve(
        dict((globals_.get("HttpApi") or {}) | ((apis.get(chosen) or {}).get("Properties") or {})), local
    )
    auth = api_props.get("Auth") or {}
    authorizers = {
        name: JwtAuthorizerSpec(
            name=name,
            issuer=str((spec.get("JwtConfiguration") or {}).get("issuer") or ""),
            audiences=_strings((spec.get("JwtConfiguration") or {}).get("audience")),
            identity_source=str(spec.get("IdentitySource") or "$request.header.Authorization"),
        )
        for name, spec in (auth.get("Authorizers") or {}).items()
        if "JwtConfiguration" in spec
    }
    default_authorizer = auth.get("DefaultAuthorizer")
    for lid, eprops in events_by_api.get(chosen, []):
        path = str(eprops.get("Path") or "$default")
        method = str(eprops.get("Method") or "ANY").upper()
        route_auth = eprops.get("Auth") or {}
        authorizer = route_auth.get("Authorizer", default_authorizer)
        if authorizer == "NONE":
            authorizer = None
        scopes = tuple(route_auth.get("AuthorizationScopes") or auth.get("DefaultAuthorizationScopes") or ())
        routes.append(
            Route(
                method="ANY" if path == "$default" else method,
                path=path,
                function_id=lid,
                authorizer=authorizer,
                scopes=scopes if authorizer else (),
            )
        )
    return SamApp(
        api_id=chosen,
        functions=functions,
        routes=routes,
        authorizers=authorizers,
        cors=_cors(api_props.get("CorsConfiguration")),
        schedules=schedules,
        parameters=params,
    )


def _choose_api(apis: Mapping[str, Any], events_by_api: Mapping[str, list[Any]]) -> str:
    if len(apis) == 1 and not events_by_api.get(IMPLICIT_HTTP_API):
        return next(iter(apis))
    if not events_by_api:
        return next(iter(apis), IMPLICIT_HTTP_API)
    return max(events_by_api, key=lambda a: len(events_by_api[a]))


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(str(v) for v in value)


def _cors(config: Any) -> CorsSpec | None:
    if not config:
        return None
    if config is True:
        return CorsSpec(allow_origins=("*",), allow_methods=("*",), allow_headers=("*",))
    max_age = config.get("MaxAge")
    return CorsSpec(
        allow_origins=_strings(config.get("AllowOrigins")),
        allow_methods=tuple(m.upper() for m in _strings(config.get("AllowMethods"))),
        allow_headers=tuple(h.lower() for h in _strings(config.get("AllowHeaders"))),
        expose_headers=tuple(h.lower() for h in _strings(config.get("ExposeHeaders"))),
        max_age=int(max_age) if max_age is not None else None,
        allow_credentials=bool(config.get("AllowCredentials", False)),
    )
