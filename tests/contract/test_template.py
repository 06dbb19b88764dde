"""template.yaml is deployable and agrees with the code: cfn-lint clean (also after the SAM transform,
which is where circular dependencies show), every route served by a handler that registers it, auth
where it belongs, and every table reference real."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import pathlib
import re
import sys
import uuid
from typing import Any

import pytest

from local.cfn import ROOT, TEMPLATE, load_template, resources_of_type
from local.tables import TABLE_ENV, table_definitions

PUBLIC_ROUTES = {
    ("GET", "/products"),
    ("POST", "/payments/complete"),
    ("GET", "/payments/complete"),
    ("POST", "/iamport/webhook"),
}
TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable")
TABLE_POLICIES = ("DynamoDBCrudPolicy", "DynamoDBReadPolicy", "DynamoDBWritePolicy")
# What the function needs besides its templates' values, to import its module here.
IMPORT_ENV = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "Checkout"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources_of_type(template, "AWS::Serverless::Function")


def _routes(template: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(function logical id, METHOD, path, event properties) for every HttpApi event."""
    out = []
    for lid, fn in _functions(template).items():
        for event in (fn["Properties"].get("Events") or {}).values():
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                out.append((lid, props["Method"].upper(), props["Path"], props))
    return out


def _code_dir(fn: dict[str, Any]) -> pathlib.Path:
    return ROOT / fn["Properties"]["CodeUri"]


def _load_handler(code_dir: pathlib.Path) -> Any:
    name = f"contract_{code_dir.name}_{uuid.uuid4().hex[:6]}"
    spec = importlib.util.spec_from_file_location(name, code_dir / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _errors(matches: list[Any]) -> list[str]:
    return [str(m) for m in matches if m.rule.id.startswith("E")]


# ---------------------------------------------------------------- cfn-lint


def test_cfn_lint_reports_no_errors():
    import cfnlint.api

    assert _errors(cfnlint.api.lint_file(TEMPLATE)) == []


def _sam_expanded(monkeypatch: pytest.MonkeyPatch, deploy_site: str) -> dict[str, Any]:
    """template.yaml after the SAM transform, the way CloudFormation will expand it."""
    from cfnlint.decode import decode
    from samtranslator.translator.transform import transform

    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-2")
    decoded, matches = decode(str(TEMPLATE))
    assert not matches
    sam = json.loads(json.dumps(decoded))
    for resource in sam["Resources"].values():
        props = resource.get("Properties") or {}
        # Local paths become the S3 locations `sam deploy` uploads them to.
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"s3://checkout-artifacts/{props[key].strip('/').replace('/', '-')}.zip"

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    params = {
        "JwtIssuer": "https://issuer.example.com",
        "JwtAudience": "checkout",
        "SiteUrl": "https://shop.example.com",
        "DeploySite": deploy_site,
    }
    return transform(copy.deepcopy(sam), params, NoManagedPolicies())


def test_the_sam_expanded_template_has_no_errors_such_as_circular_references(monkeypatch):
    """cfn-lint checks SAM resources without expanding them; the circular dependency that appears when a
    function behind the API refers to the API (the API's definition refers back to the function) only
    exists after the transform, so expand it the way CloudFormation will and lint that."""
    import cfnlint.api

    for deploy_site in ("false", "true"):
        expanded = _sam_expanded(monkeypatch, deploy_site)
        assert _errors(cfnlint.api.lint(json.dumps(expanded))) == [], f"DeploySite={deploy_site}"


# ---------------------------------------------------------------- routes and handlers


def test_every_route_is_served_by_a_handler_that_registers_it(template, monkeypatch):
    for key, value in IMPORT_ENV.items():
        monkeypatch.setenv(key, value)
    by_function: dict[str, set[tuple[str, str]]] = {}
    for lid, method, path, _ in _routes(template):
        by_function.setdefault(lid, set()).add((method, re.sub(r"\{(\w+)\}", r"<\1>", path)))
    assert by_function, "the template declares no HttpApi routes"
    for lid, routes in by_function.items():
        fn = _functions(template)[lid]
        code_dir = _code_dir(fn)
        assert fn["Properties"]["Handler"] == "app.lambda_handler", lid
        assert (code_dir / "app.py").is_file(), f"{lid}: {code_dir}/app.py is missing"
        module = _load_handler(code_dir)
        assert callable(module.lambda_handler)
        assert set(module.app.declared_routes) == routes, lid


def test_every_function_has_its_code_and_the_layer(template):
    layer = template["Resources"]["CheckoutLayer"]
    assert layer["Properties"]["ContentUri"] == "shared/"
    assert (ROOT / "shared" / "requirements.txt").is_file()
    assert (ROOT / "shared" / "checkout" / "__init__.py").is_file()
    assert template["Globals"]["Function"]["Layers"] == [{"Ref": "CheckoutLayer"}]
    for lid, fn in _functions(template).items():
        assert (_code_dir(fn) / "app.py").is_file(), lid


def test_user_routes_require_the_jwt_authorizer_and_only_public_routes_do_not(template):
    api = template["Resources"]["HttpApi"]["Properties"]
    assert api["Auth"]["DefaultAuthorizer"] == "JwtAuthorizer"
    jwt = api["Auth"]["Authorizers"]["JwtAuthorizer"]["JwtConfiguration"]
    assert jwt == {"issuer": {"Ref": "JwtIssuer"}, "audience": {"Ref": "JwtAudience"}}
    seen_public = set()
    for lid, method, path, props in _routes(template):
        authorizer = (props.get("Auth") or {}).get("Authorizer", api["Auth"]["DefaultAuthorizer"])
        if (method, path) in PUBLIC_ROUTES:
            assert authorizer == "NONE", f"{method} {path} must be public"
            seen_public.add((method, path))
        else:
            assert authorizer == "JwtAuthorizer", f"{lid}: {method} {path} must require a token"
        assert props["ApiId"] == {"Ref": "HttpApi"}
    assert seen_public == PUBLIC_ROUTES


def test_every_sample_event_matches_a_route_of_its_function(template):
    routes = {
        (pathlib.Path(_functions(template)[lid]["Properties"]["CodeUri"]).name, f"{m} {p}")
        for lid, m, p, _ in _routes(template)
    }
    http_events = 0
    for path in sorted((ROOT / "events").glob("*/*.json")):
        event = json.loads(path.read_text(encoding="utf-8"))
        if event.get("version") != "2.0":
            assert event.get("detail-type") == "Scheduled Event", path
            continue
        http_events += 1
        assert (path.parent.name, event["routeKey"]) in routes, path
        assert event["requestContext"]["routeKey"] == event["routeKey"]
        assert event["requestContext"]["http"]["method"] == event["routeKey"].split(" ")[0]
    assert http_events >= len(routes)


# ---------------------------------------------------------------- tables


def test_tables_keep_their_keys_and_indexes():
    defs = table_definitions()
    keys = {lid: [(k["AttributeName"], k["KeyType"]) for k in d["KeySchema"]] for lid, d in defs.items()}
    assert keys == {
        "ProductsTable": [("product_id", "HASH")],
        "CartsTable": [("user_id", "HASH"), ("product_id", "RANGE")],
        "OrdersTable": [("merchant_uid", "HASH")],
        "PointsTable": [("user_id", "HASH"), ("sk", "RANGE")],
        "IdempotencyTable": [("id", "HASH")],
    }
    indexes = {
        g["IndexName"]: [(k["AttributeName"], k["KeyType"]) for k in g["KeySchema"]]
        for g in defs["OrdersTable"]["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        "by_user": [("user_id", "HASH"), ("created_at", "RANGE")],
        "sweep": [("sweep_pk", "HASH"), ("sweep_at", "RANGE")],
    }
    points = defs["PointsTable"]
    (ledger,) = points["GlobalSecondaryIndexes"]
    assert ledger["IndexName"] == "ledger"
    assert [(k["AttributeName"], k["KeyType"]) for k in ledger["KeySchema"]] == [
        ("user_id", "HASH"),
        ("at", "RANGE"),
    ]
    # Every key attribute is declared, and nothing else (CloudFormation refuses unused definitions).
    for table in defs.values():
        used = {k["AttributeName"] for k in table["KeySchema"]} | {
            k["AttributeName"] for g in table.get("GlobalSecondaryIndexes", []) for k in g["KeySchema"]
        }
        assert {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]} == {
            (name, "S") for name in used
        }


def test_the_store_models_query_the_indexes_the_template_declares():
    """The pynamodb models name the same indexes and keys as the tables; the ledger index stays sparse
    because only ledger entries carry `at` (the BALANCE item never shows in the buyer's history)."""
    from pynamodb.indexes import GlobalSecondaryIndex

    from checkout.config import Settings
    from checkout.store.models import build_models

    env = {variable: f"checkout-{variable.lower()}" for variable in TABLE_ENV.values()}
    models = build_models(
        Settings.from_env({**env, "PUBLIC_API_URL": "https://api.shop.test", "SITE_URL": "https://shop.test"})
    )
    defs = table_definitions()
    for lid, model in (("OrdersTable", models.order), ("PointsTable", models.points)):
        declared = {
            g["IndexName"]: [(k["AttributeName"], k["KeyType"]) for k in g["KeySchema"]]
            for g in defs[lid]["GlobalSecondaryIndexes"]
        }
        in_code = {
            index.Meta.index_name: sorted(
                ((a.attr_name, "HASH" if a.is_hash_key else "RANGE") for a in index.Meta.attributes.values()),
                key=lambda key: key[1],
            )
            for index in vars(model).values()
            if isinstance(index, GlobalSecondaryIndex)
        }
        assert in_code == declared, lid
    assert models.points.at.null  # the BALANCE item has none


def test_every_table_reference_points_at_a_real_table(template):
    tables = set(resources_of_type(template, *TABLE_TYPES))
    global_env = template["Globals"]["Function"]["Environment"]["Variables"]
    table_of = {variable: lid for lid, variable in TABLE_ENV.items()}
    for variable, lid in table_of.items():
        assert global_env[variable] == {"Ref": lid}, variable
        assert lid in tables
    for fn_lid, fn in _functions(template).items():
        env = (fn["Properties"].get("Environment") or {}).get("Variables") or {}
        for variable, value in env.items():
            if variable.endswith("_TABLE"):
                assert value == {"Ref": table_of[variable]}, f"{fn_lid}: {variable}"
        granted = []
        for policy in fn["Properties"].get("Policies") or []:
            if isinstance(policy, dict):
                for name in TABLE_POLICIES:
                    if name in policy:
                        ref = policy[name]["TableName"]
                        assert isinstance(ref, dict) and ref.get("Ref") in tables, f"{fn_lid}: {policy}"
                        granted.append(ref["Ref"])
        assert granted, f"{fn_lid} has no table access"
        assert len(granted) == len(set(granted)), f"{fn_lid} grants a table twice"


def test_functions_reading_points_may_query_the_ledger_index(template, monkeypatch):
    """The ledger is read through the Points table's index: after the SAM transform, the role of each
    function that reads points allows Query on the table's indexes (SAM's DynamoDB policy templates
    cover `table/<name>/index/*`)."""
    expanded = _sam_expanded(monkeypatch, "false")["Resources"]
    index_arn = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}/index/*"
    for lid in ("OrdersFunction",):
        role = expanded[f"{lid}Role"]["Properties"]
        allowed = [
            statement
            for policy in role.get("Policies", [])
            for statement in policy["PolicyDocument"]["Statement"]
            if "dynamodb:Query" in statement["Action"]
            and {"Fn::Sub": [index_arn, {"tableName": {"Ref": "PointsTable"}}]} in statement["Resource"]
        ]
        assert allowed, f"{lid} may not query the Points table's ledger index"


def test_read_only_functions_cannot_write(template):
    orders = _functions(template)["OrdersFunction"]["Properties"]["Policies"]
    assert all("DynamoDBReadPolicy" in p for p in orders)


def test_credentials_are_readable_only_from_their_two_parameters(template):
    policy = template["Resources"]["IamportCredentialsReadPolicy"]["Properties"]["PolicyDocument"]
    ssm = next(s for s in policy["Statement"] if "ssm:GetParameter" in s["Action"])
    arn = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
    assert ssm["Resource"] == [
        {"Fn::Sub": f"{arn}${{IamportApiKeyParam}}"},
        {"Fn::Sub": f"{arn}${{IamportApiSecretParam}}"},
    ]
    users = {
        lid
        for lid, fn in _functions(template).items()
        if {"Ref": "IamportCredentialsReadPolicy"} in fn["Properties"].get("Policies", [])
    }
    # Only functions that talk to I'mport get the credentials.
    assert users == {
        "CreateOrderFunction",
        "CompleteFunction",
        "WebhookFunction",
        "RefundFunction",
        "ReconcileFunction",
        "AuditFunction",
    }


# ---------------------------------------------------------------- operations


def test_traces_do_not_copy_replies_with_buyer_data(template):
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    assert "POWERTOOLS_LOGGER_LOG_EVENT" not in env  # request bodies carry the same data


def test_sweeper_runs_every_five_minutes(template):
    events = _functions(template)["ReconcileFunction"]["Properties"]["Events"]
    (schedule,) = [e for e in events.values() if e["Type"] in ("Schedule", "ScheduleV2")]
    assert schedule["Properties"]["Schedule"] == "rate(5 minutes)"


def test_settlement_audit_runs_daily_with_the_sweepers_grants(template):
    functions = _functions(template)
    audit = functions["AuditFunction"]["Properties"]
    (schedule,) = [e for e in audit["Events"].values() if e["Type"] in ("Schedule", "ScheduleV2")]
    expression = schedule["Properties"]["Schedule"]
    # A fixed time once a day (minute, hour, every day of every month).
    assert re.fullmatch(r"cron\(\d{1,2} \d{1,2} \* \* \? \*\)", expression), expression
    assert schedule["Properties"].get("Enabled", True) is True
    # It reconciles like the sweeper does, so it needs exactly the sweeper's grants, no more.
    sweeper = functions["ReconcileFunction"]["Properties"]
    assert audit["Policies"] == sweeper["Policies"]
    # It is not behind the API: the public API URL comes from the template, like the sweeper's.
    assert audit["Environment"] == sweeper["Environment"]
    assert audit["Timeout"] <= 900  # Lambda's limit
    assert not [e for e in audit["Events"].values() if e["Type"] == "HttpApi"]


def test_alarms_watch_the_metrics_the_code_emits(template):
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    for alarm, metric in (
        ("AmountMismatchAlarm", "AmountMismatch"),
        ("SweepErrorsAlarm", "SweepErrors"),
        ("StrayRefundRejectedAlarm", "StrayRefundRejected"),
        ("AuditDiscrepanciesAlarm", "AuditDiscrepancies"),
    ):
        props = template["Resources"][alarm]["Properties"]
        assert props["Namespace"] == env["POWERTOOLS_METRICS_NAMESPACE"]
        assert props["MetricName"] == metric
        # Powertools Metrics adds the `service` dimension to every business metric.
        assert props["Dimensions"] == [{"Name": "service", "Value": env["POWERTOOLS_SERVICE_NAME"]}]
    sweeper = template["Resources"]["ReconcileErrorsAlarm"]["Properties"]
    assert (sweeper["Namespace"], sweeper["MetricName"]) == ("AWS/Lambda", "Errors")
    assert sweeper["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "ReconcileFunction"}}]
    # Any discrepancy at all (the audit emits the count, 0 included) reaches a person.
    audit = template["Resources"]["AuditDiscrepanciesAlarm"]["Properties"]
    assert (audit["ComparisonOperator"], audit["Threshold"]) == ("GreaterThanThreshold", 0)
    assert audit["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    failed = template["Resources"]["AuditErrorsAlarm"]["Properties"]
    assert (failed["Namespace"], failed["MetricName"]) == ("AWS/Lambda", "Errors")
    assert failed["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "AuditFunction"}}]


def test_outputs_give_the_api_and_webhook_urls(template):
    outputs = template["Outputs"]
    assert "ApiUrl" in outputs and "WebhookUrl" in outputs
    assert outputs["SiteUrl"]["Condition"] == "DeploySite"


def test_site_bucket_is_private_and_read_only_through_cloudfront(template):
    resources = template["Resources"]
    block = resources["SiteBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(block.values())
    origin = resources["SiteDistribution"]["Properties"]["DistributionConfig"]["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    allow = resources["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert "AWS:SourceArn" in allow["Condition"]["StringEquals"]
    for lid in ("SiteBucket", "SiteOriginAccessControl", "SiteDistribution", "SiteBucketPolicy"):
        assert resources[lid]["Condition"] == "DeploySite"


def test_handlers_import_without_boto3_or_the_gateway(template):
    """Cold starts stay cheap: the facade (and boto3, pynamodb, requests, the I'mport adapter) load on
    first use only. The gateway's error classes are light and may be loaded by the error mapping."""
    import subprocess

    for lid, fn in _functions(template).items():
        code = (
            "import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('app', {str(_code_dir(fn) / 'app.py')!r})\n"
            "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
            "heavy = ('boto3', 'pynamodb', 'requests', 'checkout.gateway.iamport_v1', 'checkout.store')\n"
            "print(','.join(m for m in heavy if m in sys.modules))\n"
        )
        env = {**os.environ, **IMPORT_ENV, "PYTHONPATH": str(ROOT / "shared")}
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True
        )
        assert result.stdout.strip() == "", f"{lid} imports {result.stdout.strip()} at module load"


@pytest.mark.parametrize(
    ("site_url", "site_origin", "expected"),
    [
        ("https://shop.example.com/store", "", ["https://shop.example.com"]),
        (
            "https://shop.example.com",
            "https://a.example.com,https://b.example.com",
            ["https://a.example.com", "https://b.example.com"],
        ),
    ],
)
def test_cors_allows_the_sites_origin_only_never_any_origin(template, site_url, site_origin, expected):
    from local.intrinsics import LocalValues, evaluate_conditions, resolve

    params = {name: spec.get("Default", "") for name, spec in template["Parameters"].items()}
    params |= {"SiteUrl": site_url, "SiteOrigin": site_origin, "DeploySite": "false"}
    local = LocalValues(
        region="ap-northeast-2",
        api_url="https://api.example.com",
        parameters=params,
        resources={lid: lid for lid in template["Resources"]},
    )
    evaluate_conditions(template["Conditions"], local)
    api = template["Resources"]["HttpApi"]["Properties"]
    assert resolve(api["CorsConfiguration"]["AllowOrigins"], local) == expected
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert resolve(env["SITE_ORIGIN"], local).split(",") == expected


def test_cors_of_a_hosted_site_without_site_url_is_the_distribution(template):
    from local.intrinsics import LocalValues, evaluate_conditions, resolve

    params = {name: spec.get("Default", "") for name, spec in template["Parameters"].items()}
    params |= {"SiteUrl": "", "SiteOrigin": "", "DeploySite": "true"}
    local = LocalValues(
        region="ap-northeast-2",
        api_url="https://api.example.com",
        parameters=params,
        resources={lid: lid for lid in template["Resources"]},
        attributes={("SiteDistribution", "DomainName"): "d111.cloudfront.net"},
    )
    evaluate_conditions(template["Conditions"], local)
    api = template["Resources"]["HttpApi"]["Properties"]
    assert resolve(api["CorsConfiguration"]["AllowOrigins"], local) == ["https://d111.cloudfront.net"]
