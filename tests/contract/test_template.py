"""template.yaml is deployable and agrees with the code: cfn-lint clean (also after the SAM transform,
which is where circular dependencies show), every route served by a handler that registers it, auth
where it belongs, and every table reference real."""

from __future__ import annotations

import copy
import fnmatch
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
    # The mobile redirect carries no token; the page's own report (POST) does.
    ("GET", "/payments/complete"),
    ("POST", "/iamport/webhook"),
}
TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable")
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


def test_cfn_lint_reports_nothing_even_informational():
    """Warnings and informational checks too (e.g. every stateful resource says what happens to its data
    when the stack deletes or replaces it)."""
    import cfnlint.api
    from cfnlint.api import ManualArgs

    assert [str(m) for m in cfnlint.api.lint_file(TEMPLATE, config=ManualArgs(include_checks=["I"]))] == []


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


# ---------------------------------------------------------------- least privilege (DynamoDB)

# What each function may do in DynamoDB: exactly the calls its code makes, per table or index (read
# from checkout.store through the services each handler uses). A change to the code's calls must change
# this table on purpose. An order change is one TransactWriteItems, which needs the action of each
# item it holds on that item's table (Put: PutItem, Update: UpdateItem, Delete: DeleteItem; the code
# sends no ConditionCheck items).
_SETTLES_ORDERS = {
    # the order read and rewritten; stock, cart lines and points that come back; ledger entries
    "OrdersTable": {"GetItem", "PutItem"},
    "ProductsTable": {"UpdateItem"},
    "CartsTable": {"UpdateItem"},
    "PointsTable": {"PutItem", "UpdateItem"},
}
EXPECTED_DYNAMODB: dict[str, dict[str, set[str]]] = {
    # catalogue listed (Scan) and read (BatchGetItem); the buyer's cart lines
    "CartFunction": {
        "ProductsTable": {"Scan", "BatchGetItem"},
        "CartsTable": {"Query", "PutItem", "DeleteItem"},
    },
    # the cart read and taken into the order (DeleteItem), stock reserved, points held, the balance read
    # to explain a refusal; Idempotency-Key records; a failed registration at I'mport rolls back
    "CreateOrderFunction": {
        "ProductsTable": {"BatchGetItem", "UpdateItem"},
        "CartsTable": {"Query", "DeleteItem", "UpdateItem"},
        "OrdersTable": {"GetItem", "PutItem"},
        "PointsTable": {"GetItem", "PutItem", "UpdateItem"},
        "IdempotencyTable": {"GetItem", "PutItem", "UpdateItem", "DeleteItem"},
    },
    "CompleteFunction": _SETTLES_ORDERS,
    "WebhookFunction": _SETTLES_ORDERS,
    # refunds and cancels settle orders the same way
    "RefundFunction": _SETTLES_ORDERS,
    # the orders due are found through the sparse sweep index
    "ReconcileFunction": {**_SETTLES_ORDERS, "OrdersTable/index/sweep": {"Query"}},
    "AuditFunction": _SETTLES_ORDERS,
    # read only: an order, a buyer's orders, the balance, the ledger
    "OrdersFunction": {
        "OrdersTable": {"GetItem"},
        "OrdersTable/index/by_user": {"Query"},
        "PointsTable": {"GetItem"},
        "PointsTable/index/ledger": {"Query"},
    },
}
# Functions on routes the internet reaches (without a token, or for any signed-in buyer).
PUBLIC_FUNCTIONS = ("CompleteFunction", "WebhookFunction", "CartFunction", "OrdersFunction")
# Whole-table reads, bulk and table-level changes, PartiQL (which bypasses the per-item actions).
BROAD_ACTIONS = (
    "Scan",
    "BatchWriteItem",
    "DeleteTable",
    "CreateTable",
    "UpdateTable",
    "UpdateTimeToLive",
    "CreateBackup",
    "DeleteBackup",
    "RestoreTableFromBackup",
    "RestoreTableToPointInTime",
    "ExportTableToPointInTime",
    "ImportTable",
    "UpdateContinuousBackups",
    "PartiQLSelect",
    "PartiQLInsert",
    "PartiQLUpdate",
    "PartiQLDelete",
)
# AWS managed policies SAM attaches to every function (logs, X-Ray): none grants DynamoDB.
NO_DYNAMODB_MANAGED_POLICIES = ("AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess")
_TABLE_ARN_SUB = re.compile(
    r"^arn:\$\{AWS::Partition\}:dynamodb:\$\{AWS::Region\}:\$\{AWS::AccountId\}:table/"
)


@pytest.fixture(scope="module")
def expanded() -> dict[str, Any]:
    """template.yaml after the SAM transform (DeploySite=false): the roles as CloudFormation gets them."""
    with pytest.MonkeyPatch.context() as mp:
        return _sam_expanded(mp, "false")


def _table_resource(resource: Any) -> str:
    """A policy's Resource as `Table` or `Table/index/name`; anything else as its JSON (never expected)."""
    if resource == "*":
        return "*"
    if isinstance(resource, dict) and list(resource) == ["Fn::GetAtt"]:
        lid, attribute = resource["Fn::GetAtt"]
        if attribute == "Arn":
            return str(lid)
    if isinstance(resource, dict) and list(resource) == ["Fn::Sub"]:
        arg = resource["Fn::Sub"]
        if isinstance(arg, str):
            m = re.fullmatch(r"\$\{(\w+)\.Arn\}(/index/[\w.*-]+)?", arg)
            if m:
                return m.group(1) + (m.group(2) or "")
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            # SAM's policy templates: ".../table/${tableName}" with tableName a Ref to the table.
            text = _TABLE_ARN_SUB.sub("", arg[0])
            for name, value in (arg[1] or {}).items():
                if isinstance(value, dict) and "Ref" in value:
                    text = text.replace(f"${{{name}}}", str(value["Ref"]))
            if text != arg[0] and "$" not in text:
                return text
    return json.dumps(resource, sort_keys=True)


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement") or []
    return [statements] if isinstance(statements, dict) else list(statements)


def _dynamodb_grants(expanded: dict[str, Any], function_id: str) -> dict[str, set[str]]:
    """Every DynamoDB action the function's role allows, by table (or index), from every source a role
    gets permissions from: its inline policies, its managed policies and policies attached to it (SAM
    connectors). A source this cannot read fails the test rather than being skipped."""
    resources = expanded["Resources"]
    role_ref = resources[function_id]["Properties"]["Role"]
    assert isinstance(role_ref, dict) and "Fn::GetAtt" in role_ref, f"{function_id}: a role from outside"
    role_id = role_ref["Fn::GetAtt"][0]
    role = resources[role_id]["Properties"]
    documents = [policy["PolicyDocument"] for policy in role.get("Policies") or []]
    for arn in role.get("ManagedPolicyArns") or []:
        if (
            isinstance(arn, dict)
            and resources.get(arn.get("Ref"), {}).get("Type") == "AWS::IAM::ManagedPolicy"
        ):
            documents.append(resources[arn["Ref"]]["Properties"]["PolicyDocument"])
        else:
            assert isinstance(arn, str) and arn.rsplit("/", 1)[-1] in NO_DYNAMODB_MANAGED_POLICIES, (
                f"{function_id}: managed policy {arn} is not known to grant no DynamoDB access"
            )
    for resource in resources.values():
        attached = resource["Properties"].get("Roles") or [] if "Properties" in resource else []
        if (
            resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
            and {"Ref": role_id} in attached
        ):
            documents.append(resource["Properties"]["PolicyDocument"])
    grants: dict[str, set[str]] = {}
    for document in documents:
        for statement in _statements(document):
            assert not {"NotAction", "NotResource"} & set(statement), f"{function_id}: {statement}"
            if statement.get("Effect") != "Allow":
                continue
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            dynamodb = [a for a in actions if a == "*" or a.lower().startswith("dynamodb:")]
            if not dynamodb:
                continue
            targets = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            for target in targets:
                grants.setdefault(_table_resource(target), set()).update(
                    "*" if a == "*" else a.split(":", 1)[1] for a in dynamodb
                )
    return grants


def test_each_function_may_make_exactly_the_dynamodb_calls_its_code_makes(template, expanded):
    """No SAM DynamoDB policy template (DynamoDBCrudPolicy grants Scan, DeleteItem and BatchWriteItem on
    the whole table), no wildcard: the actions and tables each function's role allows are the table
    above, no more and no less."""
    assert set(_functions(template)) == set(EXPECTED_DYNAMODB), "a function without an expected grant"
    for lid in EXPECTED_DYNAMODB:
        assert _dynamodb_grants(expanded, lid) == EXPECTED_DYNAMODB[lid], lid
        for policy in _functions(template)[lid]["Properties"].get("Policies") or []:
            assert not (isinstance(policy, dict) and any(k.startswith("DynamoDB") for k in policy)), lid


def _allows(granted: str, action: str) -> bool:
    return granted == "*" or fnmatch.fnmatchcase(action.lower(), granted.lower())


def test_public_functions_cannot_scan_or_manage_tables(expanded):
    """Functions the internet reaches hold no whole-table or table-level power. The one exception is the
    public catalogue: listing the products is a Scan of the Products table, and of nothing else."""
    for lid in PUBLIC_FUNCTIONS:
        for table, actions in _dynamodb_grants(expanded, lid).items():
            broad = {a for a in BROAD_ACTIONS for granted in actions if _allows(granted, a)}
            if (lid, table) == ("CartFunction", "ProductsTable"):
                assert broad == {"Scan"}, f"{lid} on {table}: {sorted(broad)}"
            else:
                assert not broad, f"{lid} on {table}: {sorted(broad)}"
    # Nor any function at all: nothing in the code manages tables or writes in bulk.
    for lid in EXPECTED_DYNAMODB:
        for table, actions in _dynamodb_grants(expanded, lid).items():
            for action in BROAD_ACTIONS[1:]:
                assert not any(_allows(granted, action) for granted in actions), f"{lid}: {action} on {table}"


def test_settling_functions_never_delete_and_only_order_creation_takes_cart_lines(expanded):
    """The payment paths (browser, redirect, webhook, sweeper, audit, refunds) give stock, cart lines and
    points back; only order creation deletes (the cart lines it takes; its released Idempotency-Key
    records), and the buyer's own cart edits."""
    deleters = {
        (lid, table)
        for lid in EXPECTED_DYNAMODB
        for table, actions in _dynamodb_grants(expanded, lid).items()
        if "DeleteItem" in actions
    }
    assert deleters == {
        ("CartFunction", "CartsTable"),
        ("CreateOrderFunction", "CartsTable"),
        ("CreateOrderFunction", "IdempotencyTable"),
    }


def test_every_grant_names_a_real_table_or_index(template, expanded):
    tables = set(resources_of_type(template, *TABLE_TYPES))
    global_env = template["Globals"]["Function"]["Environment"]["Variables"]
    table_of = {variable: lid for lid, variable in TABLE_ENV.items()}
    for variable, lid in table_of.items():
        assert global_env[variable] == {"Ref": lid}, variable
        assert lid in tables
    indexes = {
        f"{lid}/index/{index['IndexName']}"
        for lid, definition in table_definitions().items()
        for index in definition.get("GlobalSecondaryIndexes", [])
    }
    for fn_lid, fn in _functions(template).items():
        env = (fn["Properties"].get("Environment") or {}).get("Variables") or {}
        for variable, value in env.items():
            if variable.endswith("_TABLE"):
                assert value == {"Ref": table_of[variable]}, f"{fn_lid}: {variable}"
        granted = _dynamodb_grants(expanded, fn_lid)
        assert granted, f"{fn_lid} has no table access"
        assert set(granted) <= tables | indexes, f"{fn_lid}: {sorted(set(granted) - tables - indexes)}"


def test_the_reads_query_only_the_indexes_they_read_and_never_write(expanded):
    """GET /orders and GET /points read through the `by_user` and `ledger` indexes: Query there, only
    GetItem on the tables themselves."""
    grants = _dynamodb_grants(expanded, "OrdersFunction")
    assert set().union(*grants.values()) <= {"GetItem", "Query"}
    assert grants["OrdersTable/index/by_user"] == grants["PointsTable/index/ledger"] == {"Query"}


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


def test_settlement_audit_runs_daily_with_the_sweepers_grants_but_its_index(template, expanded):
    functions = _functions(template)
    audit = functions["AuditFunction"]["Properties"]
    (schedule,) = [e for e in audit["Events"].values() if e["Type"] in ("Schedule", "ScheduleV2")]
    expression = schedule["Properties"]["Schedule"]
    # A fixed time once a day (minute, hour, every day of every month).
    assert re.fullmatch(r"cron\(\d{1,2} \d{1,2} \* \* \? \*\)", expression), expression
    assert schedule["Properties"].get("Enabled", True) is True
    # It reconciles like the sweeper does, so it needs the sweeper's grants, without the sweep index.
    sweeper = functions["ReconcileFunction"]["Properties"]
    audit_grants = _dynamodb_grants(expanded, "AuditFunction")
    sweeper_grants = _dynamodb_grants(expanded, "ReconcileFunction")
    assert audit_grants == {k: v for k, v in sweeper_grants.items() if k != "OrdersTable/index/sweep"}
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
    # API Gateway alone does CORS: the functions are not told the origins.
    assert "SITE_ORIGIN" not in template["Globals"]["Function"]["Environment"]["Variables"]


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


# ---------------------------------------------------------------- hygiene: logs, headers, URLs, floods


def _local_values(template: dict[str, Any], **parameters: Any) -> Any:
    """The template's expressions resolvable with these parameter values (defaults otherwise)."""
    from local.intrinsics import LocalValues, evaluate_conditions
    from local.samapp import parameter_values

    issuer = "https://cognito-idp.ap-northeast-2.amazonaws.com/ap-northeast-2_Example"
    overrides = {"JwtIssuer": issuer, "JwtAudience": "checkout", "SiteUrl": "https://shop.example.com"}
    # As the offline stack reads them: every value a string (lists for list parameters).
    params = parameter_values(template, overrides | {name: str(value) for name, value in parameters.items()})
    local = LocalValues(
        region="ap-northeast-2",
        api_url="https://api.example.com",
        parameters=params,
        resources={lid: lid for lid in template["Resources"]},
        attributes={("SiteDistribution", "DomainName"): "d111.cloudfront.net"},
        stack_name="imp-checkout",
    )
    evaluate_conditions(template["Conditions"], local)
    return local


def test_every_log_group_expires_and_every_function_logs_into_its_own(template):
    """No log is kept forever: every log group of the stack has the LogRetentionDays retention, and each
    function's group (/aws/lambda/<function name>) exists before the function, so Lambda never creates
    one of its own without a retention."""
    from local.intrinsics import resolve

    retention = template["Parameters"]["LogRetentionDays"]
    assert retention["Default"] == 90 and 90 in retention["AllowedValues"]
    groups = resources_of_type(template, "AWS::Logs::LogGroup")
    for lid, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, lid
        assert group["DeletionPolicy"] == group["UpdateReplacePolicy"] == "Delete", lid
    local = _local_values(template)
    names = {resolve(g["Properties"].get("LogGroupName"), local): lid for lid, g in groups.items()}
    for lid, fn in _functions(template).items():
        name = resolve(fn["Properties"]["FunctionName"], local)
        assert name.startswith("imp-checkout-"), lid
        group = names.get(f"/aws/lambda/{name}")
        assert group is not None, f"{lid} has no log group /aws/lambda/{name}"
        depends = fn.get("DependsOn") or []
        assert group in ([depends] if isinstance(depends, str) else depends), f"{lid} must depend on {group}"
        # Lambda's names are 64 characters at most: the stack name may have up to 51.
        assert len(name.replace("imp-checkout", "x" * 51)) <= 64, lid
    assert len(names) == len(groups)
    api_logs = template["Resources"]["HttpApi"]["Properties"]["AccessLogSettings"]["DestinationArn"]
    assert api_logs == {"Fn::GetAtt": ["HttpApiAccessLogs", "Arn"]} and "HttpApiAccessLogs" in groups


def test_the_shops_records_survive_deleting_the_stack(template):
    resources = template["Resources"]
    tables = [lid for lid, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"]
    assert len(tables) == 5
    for lid in tables:
        assert resources[lid]["DeletionPolicy"] == resources[lid]["UpdateReplacePolicy"] == "Retain", lid
    # Money or stock: point-in-time recovery.
    for lid in ("OrdersTable", "PointsTable", "ProductsTable"):
        pitr = resources[lid]["Properties"]["PointInTimeRecoverySpecification"]
        assert pitr == {"PointInTimeRecoveryEnabled": True}, lid


def _csp(template: dict[str, Any], **parameters: Any) -> dict[str, list[str]]:
    from local.intrinsics import resolve

    config = template["Resources"]["SiteSecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    policy = config["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    assert policy["Override"] is True
    text = resolve(policy["ContentSecurityPolicy"], _local_values(template, **parameters))
    assert len(text) <= 1783, "CloudFront's limit for the header"
    directives: dict[str, list[str]] = {}
    for part in text.split(";"):
        name, *sources = part.split()
        assert name not in directives, name
        directives[name] = sources
    return directives


def _origin(url: str) -> str:
    parts = url.split("/")
    return f"{parts[0]}//{parts[2]}"


def test_site_sends_the_browser_security_headers(template):
    resources = template["Resources"]
    headers = resources["SiteSecurityHeaders"]
    assert headers["Condition"] == "DeploySite"
    behavior = resources["SiteDistribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": "SiteSecurityHeaders"}
    assert not resources["SiteDistribution"]["Properties"]["DistributionConfig"].get("CacheBehaviors")
    security = headers["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    assert hsts["Override"] and hsts["IncludeSubdomains"] and hsts["AccessControlMaxAgeSec"] >= 31536000
    assert security["FrameOptions"] == {"Override": True, "FrameOption": "DENY"}
    assert security["ReferrerPolicy"] == {
        "Override": True,
        "ReferrerPolicy": "strict-origin-when-cross-origin",
    }
    assert security["ContentTypeOptions"] == {"Override": True}
    csp = _csp(template)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    for name, sources in csp.items():
        # Nothing over plain http, no source that allows any host.
        assert not [s for s in sources if s.startswith("http:") or s in ("*", "https:", "http:")], name
    assert "'unsafe-inline'" not in csp["script-src"]


def test_the_content_security_policy_allows_what_the_page_loads(template):
    """The page's own files, I'mport's SDK where the deploy tool points the page, the API and the sign-in
    it calls, I'mport's payment window; Vue compiles the views' templates in the browser."""
    from tools.deploy_site import IMP_SCRIPT_URL

    index = (ROOT / "web" / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", index, flags=re.S)
    assert scripts, "index.html loads no script"
    for attributes, body in scripts:
        # No inline script: script-src needs no 'unsafe-inline'. Every file from the site itself.
        assert not body.strip(), "an inline script in index.html"
        (src,) = re.findall(r'\bsrc="([^"]+)"', attributes)
        assert src.startswith("/") and not src.startswith("//"), src
    for href in re.findall(r'<link\b[^>]*\bhref="([^"]+)"', index):
        assert href.startswith(("/", "data:")) and not href.startswith("//"), href
    # The page calls only the configured API (and, in development, the dev token URL): no other host.
    for script in sorted((ROOT / "web" / "src").rglob("*.js")):
        assert not re.findall(r"https?://", script.read_text(encoding="utf-8")), script
    assert any("template:" in v.read_text(encoding="utf-8") for v in (ROOT / "web" / "src").rglob("*.js"))

    csp = _csp(template)
    assert csp["script-src"] == ["'self'", "'unsafe-eval'", _origin(IMP_SCRIPT_URL)]
    config = (ROOT / "web" / "config.js").read_text(encoding="utf-8")
    (sdk,) = re.findall(r'impScriptUrl:\s*"([^"]+)"', config)
    assert _origin(sdk) in csp["script-src"]
    for name in ("frame-src", "form-action"):
        assert "https://*.iamport.kr" in csp[name], name
    issuer = "https://cognito-idp.ap-northeast-2.amazonaws.com"
    # Without a custom domain the API is one of this region's execute-api hosts.
    assert csp["connect-src"] == [
        "'self'",
        "https://*.execute-api.ap-northeast-2.amazonaws.com",
        issuer,
        "https://*.iamport.kr",
    ]
    assert fnmatch.fnmatchcase(
        "a1b2c3d4e5.execute-api.ap-northeast-2.amazonaws.com", csp["connect-src"][1][8:]
    )
    # With one, exactly its origin.
    custom = _csp(template, PublicApiUrl="https://api.shop.example.com/v1")
    assert custom["connect-src"] == ["'self'", "https://api.shop.example.com", issuer, "https://*.iamport.kr"]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.iamport.kr", True),
        ("https://api.iamport.kr/", True),
        ("https://sandbox.example.com:8443/v1", True),
        ("http://127.0.0.1:8090", True),
        ("http://127.0.0.1", True),
        ("http://localhost:8090/", True),
        ("http://[::1]:8090", True),
        ("http://api.iamport.kr", False),
        ("http://host.docker.internal:8090", False),
        ("http://127.0.0.1.example.com", False),
        ("http://localhost.example.com:8090", False),
        ("http://127.0.0.1@example.com", False),
        ("http://127.0.0.1:8090@example.com", False),
        ("http://10.0.0.5", False),
        ("https://", False),
        ("https:// api.iamport.kr", False),
        ("ftp://api.iamport.kr", False),
        ("api.iamport.kr", False),
        ("", False),
    ],
)
def test_iamport_base_url_is_https_except_on_this_machine(template, url, allowed):
    """The I'mport credentials and token travel to IamportBaseUrl: CloudFormation refuses plain http
    except to the loopback address, where the offline sandbox runs."""
    spec = template["Parameters"]["IamportBaseUrl"]
    pattern = spec["AllowedPattern"]
    # CloudFormation matches the whole value (Java's String.matches).
    assert bool(re.fullmatch(pattern, url)) is allowed
    assert re.fullmatch(pattern, spec["Default"])


def test_the_offline_stack_sets_an_iamport_url_the_template_accepts(template):
    from local.stack import LocalUrls, local_parameter_overrides

    urls = LocalUrls("http://127.0.0.1:3000", "http://127.0.0.1:4000", "http://127.0.0.1:8090")
    overrides = local_parameter_overrides(template, urls)
    assert overrides["IamportBaseUrl"] == urls.sandbox_url
    assert re.fullmatch(template["Parameters"]["IamportBaseUrl"]["AllowedPattern"], urls.sandbox_url)


def test_each_route_has_throttling_and_the_webhook_outlasts_order_creation(template):
    """Per-route throttling on the stage: every route setting names a real route, routes that call
    I'mport or write orders are limited below the default, and the webhook takes a larger burst than
    order creation."""
    api = template["Resources"]["HttpApi"]["Properties"]
    default = api["DefaultRouteSettings"]
    settings = api["RouteSettings"]
    routes = {f"{method} {path}": lid for lid, method, path, _ in _routes(template)}
    assert set(settings) <= set(routes), sorted(set(settings) - set(routes))
    for limits in [default, *settings.values()]:
        assert 0 < limits["ThrottlingRateLimit"] <= limits["ThrottlingBurstLimit"], limits
    credentialed = {
        lid
        for lid, fn in _functions(template).items()
        if {"Ref": "IamportCredentialsReadPolicy"} in fn["Properties"].get("Policies", [])
    }
    for key, lid in routes.items():
        if lid in credentialed:
            assert key in settings, f"{key} calls I'mport and has no throttling of its own"
            assert settings[key]["ThrottlingRateLimit"] < default["ThrottlingRateLimit"], key
    webhook, create = settings["POST /iamport/webhook"], settings["POST /orders"]
    assert webhook["ThrottlingBurstLimit"] > create["ThrottlingBurstLimit"]
    assert webhook["ThrottlingRateLimit"] > create["ThrottlingRateLimit"]


@pytest.mark.parametrize(
    ("function", "parameter", "default"),
    [
        ("WebhookFunction", "WebhookReservedConcurrency", 10),
        ("ReconcileFunction", "SweeperReservedConcurrency", 2),
    ],
)
def test_webhook_and_sweeper_have_concurrency_of_their_own(template, function, parameter, default):
    """A flood on one route cannot starve the webhook or the sweeper of Lambda concurrency. The amounts
    stay small: an account's unreserved concurrency must stay at 100 or more (of 1,000 by default)."""
    from local.intrinsics import resolve

    spec = template["Parameters"][parameter]
    assert spec["Type"] == "Number" and spec["Default"] == default and spec["MinValue"] == 0
    reserved = {
        lid: fn["Properties"]["ReservedConcurrentExecutions"]
        for lid, fn in _functions(template).items()
        if "ReservedConcurrentExecutions" in fn["Properties"]
    }
    assert set(reserved) == {"WebhookFunction", "ReconcileFunction"}
    assert (
        sum(
            template["Parameters"][p]["MaxValue"]
            for p in ("WebhookReservedConcurrency", "SweeperReservedConcurrency")
        )
        <= 900
    )
    props = _functions(template)[function]["Properties"]
    assert resolve({"x": props["ReservedConcurrentExecutions"]}, _local_values(template)) == {
        "x": str(default)
    }
    # 0 reserves nothing (Lambda would read 0 as "never run").
    assert (
        resolve({"x": props["ReservedConcurrentExecutions"]}, _local_values(template, **{parameter: 0})) == {}
    )


# ---------------------------------------------------------------- observability per stack

_NAMESPACE = {"Fn::Sub": "Checkout/${AWS::StackName}"}


def _emitted_metrics() -> set[str]:
    """Every business metric the code emits: the capitalised string literals inside each call of
    metric(...), count(...) or self._metric(...) in shared/ and functions/ (a name picked from a mapping
    included)."""
    import ast

    found: set[str] = set()
    for root in (ROOT / "shared" / "checkout", ROOT / "functions"):
        for path in root.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in ("metric", "count", "_metric"):
                    continue
                found |= {
                    c.value
                    for c in ast.walk(node)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value[:1].isupper()
                }
    return found


def _alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        lid: r["Properties"]
        for lid, r in template["Resources"].items()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }


def test_metrics_are_namespaced_by_stack_and_every_alarmed_metric_is_emitted(template):
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == _NAMESPACE
    emitted = _emitted_metrics()
    assert {"OrdersCreated", "PaymentsVerified", "IamportUnavailable", "DuplicatePayment"} <= emitted
    custom = {lid: a for lid, a in _alarms(template).items() if not str(a["Namespace"]).startswith("AWS/")}
    assert len(custom) >= 5
    for lid, alarm in custom.items():
        assert alarm["Namespace"] == _NAMESPACE, lid  # never a namespace another stack shares
        assert alarm["MetricName"] in emitted, f"{lid} watches {alarm['MetricName']}, which nothing emits"
        assert alarm["Dimensions"] == [{"Name": "service", "Value": "checkout"}], lid


def test_every_function_has_an_errors_and_a_throttles_alarm_and_the_money_has_its_alarms(template):
    watched: dict[str, set[str]] = {}
    for alarm in _alarms(template).values():
        if alarm["Namespace"] == "AWS/Lambda":
            (dim,) = alarm["Dimensions"]
            watched.setdefault(dim["Value"]["Ref"], set()).add(alarm["MetricName"])
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert {lid: watched.get(lid) for lid in _functions(template)} == {
        lid: {"Errors", "Throttles"} for lid in _functions(template)
    }
    custom = {a["MetricName"] for a in _alarms(template).values() if a["Namespace"] == _NAMESPACE}
    assert custom >= {
        "AmountMismatch",
        "StrayRefundRejected",
        "SweepErrors",
        "AuditDiscrepancies",
        "IamportUnavailable",
    }
    api = [a for a in _alarms(template).values() if a["Namespace"] == "AWS/ApiGateway"]
    assert [(a["MetricName"], a["Dimensions"][0]["Value"]) for a in api] == [("5xx", {"Ref": "HttpApi"})]
    dlq = [a for a in _alarms(template).values() if a["Namespace"] == "AWS/SQS"]
    assert [a["Dimensions"][0]["Value"] for a in dlq] == [
        {"Fn::GetAtt": ["SweepDeadLetterQueue", "QueueName"]}
    ]


def test_the_sweepers_schedule_retries_then_parks_what_it_could_not_run(template):
    fn = template["Resources"]["ReconcileFunction"]["Properties"]
    sweep = fn["Events"]["Sweep"]["Properties"]
    assert sweep["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert sweep["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["SweepDeadLetterQueue", "Arn"]}}
    assert fn["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["SweepDeadLetterQueue", "Arn"]
    }
    policy = template["Resources"]["SweepDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    rule = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${AWS::StackName}-sweep"
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == {"Fn::Sub": rule}
    assert sweep["Name"] == {"Fn::Sub": "${AWS::StackName}-sweep"}


def test_the_dashboard_shows_the_money_flow_from_metrics_the_code_emits(template):
    import json
    import re

    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(body)["widgets"]
    names = {
        m[1]
        for w in widgets
        if w["type"] == "metric"
        for m in w["properties"]["metrics"]
        if m[0] == "Checkout/${AWS::StackName}"
    }
    assert names >= {
        "OrdersCreated",
        "PaymentsVerified",
        "OrdersFailed",
        "OrdersExpired",
        "RefundsIssued",
        "DuplicateDelivery",
    }
    assert names - {"ColdStart"} <= _emitted_metrics(), names - _emitted_metrics()
    # ColdStart is Powertools' own metric, emitted by every handler that asks for it.
    assert "ColdStart" in names
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        assert "@metrics.log_metrics(capture_cold_start_metric=True)" in app.read_text(), app.parent.name
    # Every ${...} it substitutes is a resource or a pseudo parameter of this template.
    for ref in set(re.findall(r"\$\{([^}]+)\}", body)):
        assert ref.startswith("AWS::") or ref in template["Resources"], ref
    aws = {
        m[1] for w in widgets if w["type"] == "metric" for m in w["properties"]["metrics"] if m[0] != "..."
    }
    assert {"Latency", "5xx", "Errors", "Throttles"} <= aws
