"""`make deploy-site` (tools/deploy_site.py): the site goes to the stack's bucket configured for the
deployed API, on moto's S3 and CloudFront. moto cannot create this stack (its CloudFormation needs
extras this project does not install), so the stack's outputs come from a botocore Stubber that checks
the DescribeStacks call and reply against the service model."""

from __future__ import annotations

import json
import pathlib
import shutil
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from local.cfn import load_template
from tools import deploy_site as tool

REGION = "ap-northeast-2"
STACK = "imp-checkout"
BUCKET = "imp-checkout-sitebucket-abc123"
API_URL = "https://a1b2c3d4e5.execute-api.ap-northeast-2.amazonaws.com/"
WEB_DIR = pathlib.Path(__file__).resolve().parents[3] / "web"


@pytest.fixture
def web(tmp_path: pathlib.Path) -> pathlib.Path:
    """A copy of web/ (Vue vendored or, before set-up, a stand-in file in its place)."""
    copy = tmp_path / "web"
    shutil.copytree(WEB_DIR, copy)
    vendor = copy / "vendor" / "vue.esm-browser.prod.js"
    if not vendor.exists():
        vendor.parent.mkdir(exist_ok=True)
        vendor.write_text("export const createApp = () => {};\n")
    return copy


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        cloudfront = boto3.client("cloudfront", region_name=REGION)
        distribution = cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": "site",
                "Comment": "checkout site",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "site",
                            "DomainName": f"{BUCKET}.s3.{REGION}.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "site",
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "MinTTL": 0,
                    "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                    "TrustedSigners": {"Enabled": False, "Quantity": 0},
                },
            }
        )["Distribution"]
        yield {"s3": s3, "cloudfront": cloudfront, "distribution_id": distribution["Id"]}


def stack_client(outputs: dict[str, str] | None, error: str | None = None) -> Any:
    client = boto3.client(
        "cloudformation", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    if error is not None:
        stubber.add_client_error(
            "describe_stacks", "ValidationError", error, expected_params={"StackName": STACK}
        )
    else:
        stubber.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": STACK,
                        "CreationTime": "2026-01-01T00:00:00Z",
                        "StackStatus": "UPDATE_COMPLETE",
                        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in (outputs or {}).items()],
                    }
                ]
            },
            expected_params={"StackName": STACK},
        )
    stubber.activate()
    return client


def site_outputs(aws: dict[str, Any]) -> dict[str, str]:
    return {
        "ApiUrl": API_URL,
        "SiteBucketName": BUCKET,
        "SiteDistributionId": aws["distribution_id"],
        "SiteUrl": "https://d111111abcdef8.cloudfront.net",
        "WebhookUrl": API_URL + "iamport/webhook",
    }


def deploy(aws: dict[str, Any], web: pathlib.Path, outputs: dict[str, str] | None = None, **kw: Any) -> Any:
    return tool.deploy_site(
        cloudformation=stack_client(site_outputs(aws) if outputs is None else outputs),
        s3=aws["s3"],
        cloudfront=aws["cloudfront"],
        stack=STACK,
        merchant_code=kw.pop("merchant_code", "imp12345678"),
        web_dir=web,
        log=lambda line: None,
        **kw,
    )


def stored(aws: dict[str, Any]) -> dict[str, dict[str, Any]]:
    s3 = aws["s3"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    return {key: s3.get_object(Bucket=BUCKET, Key=key) for key in keys}


def read_config(obj: dict[str, Any]) -> dict[str, Any]:
    text = obj["Body"].read().decode()
    assignment = text[text.index("window.CHECKOUT_CONFIG = ") + len("window.CHECKOUT_CONFIG = ") :]
    return json.loads(assignment.rstrip().removesuffix(";"))


def test_uploads_every_site_file_with_vendor_and_a_production_config(
    aws: dict[str, Any], web: pathlib.Path
) -> None:
    report = deploy(aws, web)
    objects = stored(aws)
    expected = {
        p.relative_to(web).as_posix() for p in web.rglob("*") if p.is_file() and p.name != "README.md"
    }
    assert set(objects) == expected and set(report.uploaded) == expected
    assert {"index.html", "config.js", "styles.css", "src/main.js", "vendor/vue.esm-browser.prod.js"} <= (
        expected
    )
    assert read_config(objects["config.js"]) == {
        "apiBaseUrl": API_URL.rstrip("/"),
        "merchantCode": "imp12345678",
        "impScriptUrl": "https://cdn.iamport.kr/v1/iamport.js",
        "devTokenUrl": None,
    }
    assert objects["src/main.js"]["Body"].read() == (web / "src/main.js").read_bytes()
    assert report.site_url == "https://d111111abcdef8.cloudfront.net"


def test_content_types_and_cache_headers_fit_each_file(aws: dict[str, Any], web: pathlib.Path) -> None:
    deploy(aws, web)
    objects = stored(aws)
    headers = {key: (obj["ContentType"], obj["CacheControl"]) for key, obj in objects.items()}
    assert headers["index.html"] == ("text/html; charset=utf-8", "no-cache")
    assert headers["config.js"] == ("text/javascript; charset=utf-8", "no-cache")
    assert headers["styles.css"] == ("text/css; charset=utf-8", "public, max-age=300")
    assert headers["src/main.js"] == ("text/javascript; charset=utf-8", "public, max-age=300")
    vendor = headers["vendor/vue.esm-browser.prod.js"]
    assert vendor == ("text/javascript; charset=utf-8", "public, max-age=300")


def test_invalidates_the_whole_distribution(aws: dict[str, Any], web: pathlib.Path) -> None:
    report = deploy(aws, web)
    invalidation = aws["cloudfront"].get_invalidation(
        DistributionId=aws["distribution_id"], Id=report.invalidation_id
    )["Invalidation"]
    assert invalidation["InvalidationBatch"]["Paths"]["Items"] == ["/*"]


def test_files_an_earlier_upload_left_are_deleted_and_the_rest_replaced(
    aws: dict[str, Any], web: pathlib.Path
) -> None:
    aws["s3"].put_object(Bucket=BUCKET, Key="src/views/OldView.js", Body=b"old")
    aws["s3"].put_object(Bucket=BUCKET, Key="index.html", Body=b"old page")
    report = deploy(aws, web)
    objects = stored(aws)
    assert report.deleted == ["src/views/OldView.js"] and "src/views/OldView.js" not in objects
    assert objects["index.html"]["Body"].read() == (web / "index.html").read_bytes()


def test_a_stack_without_the_site_outputs_is_refused_before_any_upload(
    aws: dict[str, Any], web: pathlib.Path
) -> None:
    with pytest.raises(tool.DeployError, match="DeploySite=true"):
        deploy(aws, web, outputs={"ApiUrl": API_URL, "WebhookUrl": API_URL + "iamport/webhook"})
    assert stored(aws) == {}


def test_an_unknown_stack_is_a_clear_error(aws: dict[str, Any], web: pathlib.Path) -> None:
    with pytest.raises(tool.DeployError, match="imp-checkout.*does not exist"):
        tool.deploy_site(
            cloudformation=stack_client(None, error=f"Stack with id {STACK} does not exist"),
            s3=aws["s3"],
            cloudfront=aws["cloudfront"],
            stack=STACK,
            merchant_code="imp12345678",
            web_dir=web,
            log=lambda line: None,
        )
    assert stored(aws) == {}


@pytest.mark.parametrize("code", ["", "imp1234", "12345678", "imp1234567x", "imp123456789"])
def test_a_merchant_code_that_is_not_an_iamport_code_is_refused(
    aws: dict[str, Any], web: pathlib.Path, code: str
) -> None:
    with pytest.raises(tool.DeployError, match="merchant code"):
        deploy(aws, web, merchant_code=code)
    assert stored(aws) == {}


def test_a_site_without_vendored_vue_is_refused(aws: dict[str, Any], web: pathlib.Path) -> None:
    shutil.rmtree(web / "vendor")
    with pytest.raises(tool.DeployError, match="make setup"):
        deploy(aws, web)
    assert stored(aws) == {}


def test_the_outputs_it_reads_are_the_templates_site_outputs() -> None:
    outputs = load_template()["Outputs"]
    assert set(tool.REQUIRED_OUTPUTS) <= set(outputs)
    for name in ("SiteBucketName", "SiteDistributionId", "SiteUrl"):
        assert outputs[name].get("Condition") == "DeploySite", name


def test_stack_and_region_default_to_samconfig() -> None:
    assert tool.samconfig_defaults() == ("imp-checkout-dev", "ap-northeast-2")
    assert tool.samconfig_defaults(config_env="prod") == ("imp-checkout", "ap-northeast-2")
    assert tool.samconfig_defaults(config_env="staging") == ("imp-checkout-staging", "ap-northeast-2")
    assert tool.parse_args(["--config-env", "prod"]).stack == "imp-checkout"


def test_samconfig_has_three_environments_and_syncs_only_dev() -> None:
    import tomllib

    config = tomllib.loads(tool.SAMCONFIG.read_text(encoding="utf-8"))
    stacks = {env: config[env]["global"]["parameters"]["stack_name"] for env in ("dev", "staging", "prod")}
    assert len(set(stacks.values())) == 3  # one stack each: own alarms, dashboard, metrics namespace
    assert config["default"]["global"]["parameters"]["stack_name"] == stacks["dev"]
    synced = {env for env, sections in config.items() if isinstance(sections, dict) and "sync" in sections}
    assert synced <= {"default", "dev"}
    for env in ("staging", "prod"):
        deploy = config[env]["deploy"]["parameters"]
        assert deploy["confirm_changeset"] is True, env  # a person reads the change set before it lands
        assert config[env]["build"]["parameters"]["cached"] is False, env


def test_cli_without_a_merchant_code_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MERCHANT_CODE", raising=False)
    assert tool.main(["--stack", STACK]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "MERCHANT_CODE" in err
