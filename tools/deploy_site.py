"""Upload the checkout site (`web/`) to the stack's S3 bucket, configured for the deployed API.

    python tools/deploy_site.py --merchant-code imp12345678 [--config-env prod] [--stack imp-checkout]
        [--region ap-northeast-2]
    make deploy-site MERCHANT_CODE=imp12345678 [STACK=...] [REGION=...]

The stack must have been deployed with `DeploySite=true` (template.yaml), which creates a private S3
bucket behind CloudFront and the outputs this reads: `ApiUrl`, `SiteBucketName`, `SiteDistributionId`.
It writes `config.js` for production (the API's URL, the merchant code, I'mport's CDN SDK, no
development sign-in), uploads every file of `web/` (with `web/vendor/`) with its content type and
cache policy, deletes what an earlier upload left that `web/` no longer has, and invalidates
CloudFront so the new files are served at once.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import pathlib
import re
import sys
import time
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
WEB_DIR = ROOT / "web"
SAMCONFIG = ROOT / "samconfig.toml"
IMP_SCRIPT_URL = "https://cdn.iamport.kr/v1/iamport.js"
REQUIRED_OUTPUTS = ("ApiUrl", "SiteBucketName", "SiteDistributionId")
# PortOne V1 merchant identification codes (가맹점 식별코드) are "imp" and 8 digits.
MERCHANT_CODE = re.compile(r"imp\d{8}")
DEFAULT_REGION = "ap-northeast-2"

# Files that must be fetched anew on every visit: the page and its configuration.
NO_CACHE = "no-cache"
# Everything else: a short TTL, because file names carry no content hash (web/README.md, Hosting).
SHORT_CACHE = "public, max-age=300"
NO_CACHE_FILES = {"index.html", "config.js"}
# Repository files in web/ that are not part of the site.
SKIPPED_FILES = {"README.md", ".gitignore", ".DS_Store"}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}


class DeployError(Exception):
    """The upload cannot go ahead; the message says what to do."""


@dataclass(frozen=True)
class SiteFile:
    key: str  # the S3 key, e.g. "src/main.js"
    body: bytes
    content_type: str
    cache_control: str


@dataclass(frozen=True)
class DeployReport:
    bucket: str
    uploaded: list[str]
    deleted: list[str]
    invalidation_id: str
    config: dict[str, Any]
    site_url: str | None


def samconfig_defaults(
    path: pathlib.Path = SAMCONFIG, config_env: str = "default"
) -> tuple[str | None, str | None]:
    """(stack name, region) that `sam deploy --config-env <config_env>` uses, from samconfig.toml."""
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None, None
    default = config.get(config_env, {})
    stack = default.get("global", {}).get("parameters", {}).get("stack_name")
    region = default.get("deploy", {}).get("parameters", {}).get("region")
    return stack, region


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    """The stack's outputs by key; a clear error when the stack or a site output is missing."""
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        raise DeployError(
            f"cannot read stack {stack!r}: {exc.response.get('Error', {}).get('Message', exc)} "
            "(deploy it with `sam deploy`, or pass --stack / STACK=)"
        ) from exc
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    missing = [key for key in REQUIRED_OUTPUTS if not outputs.get(key)]
    if missing:
        raise DeployError(
            f"stack {stack!r} has no {', '.join(missing)} output: deploy it with "
            "`sam deploy --parameter-overrides DeploySite=true` first"
        )
    return outputs


def site_config(api_url: str, merchant_code: str) -> dict[str, Any]:
    """The production configuration (web/config.js documents every key)."""
    if not MERCHANT_CODE.fullmatch(merchant_code):
        raise DeployError(
            f"merchant code {merchant_code!r} is not an I'mport code (imp and 8 digits, "
            "from the PortOne console): set MERCHANT_CODE"
        )
    if not api_url.startswith("https://"):
        raise DeployError(f"the stack's ApiUrl {api_url!r} is not an https URL")
    return {
        "apiBaseUrl": api_url.rstrip("/"),
        "merchantCode": merchant_code,
        "impScriptUrl": IMP_SCRIPT_URL,
        # Production tokens come from the shop's identity provider (src/auth.js), never a dev endpoint.
        "devTokenUrl": None,
    }


def config_script(config: Mapping[str, Any]) -> bytes:
    return (
        "// Written by tools/deploy_site.py from the stack's outputs; edit the stack, not this file.\n"
        f"window.CHECKOUT_CONFIG = {json.dumps(dict(config), indent=2)};\n"
    ).encode()


def content_type(name: str) -> str:
    suffix = pathlib.PurePosixPath(name).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def site_files(web_dir: pathlib.Path, config: Mapping[str, Any]) -> Iterator[SiteFile]:
    """Every file of the site, with `config.js` replaced by the production configuration."""
    if not (web_dir / "index.html").is_file():
        raise DeployError(f"{web_dir} has no index.html")
    vendored = sorted((web_dir / "vendor").glob("*.js")) if (web_dir / "vendor").is_dir() else []
    if not vendored:
        raise DeployError(f"{web_dir / 'vendor'} has no Vue build: run `make setup` (tools/fetch-vue.sh)")
    for path in sorted(p for p in web_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(web_dir)
        if path.name in SKIPPED_FILES or any(part.startswith(".") for part in relative.parts):
            continue
        key = relative.as_posix()
        body = config_script(config) if key == "config.js" else path.read_bytes()
        cache = NO_CACHE if key in NO_CACHE_FILES else SHORT_CACHE
        yield SiteFile(key, body, content_type(key), cache)
    if not (web_dir / "config.js").is_file():
        yield SiteFile("config.js", config_script(config), content_type("config.js"), NO_CACHE)


def _existing_keys(s3: Any, bucket: str) -> set[str]:
    keys: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.update(item["Key"] for item in page.get("Contents", []))
    return keys


def deploy_site(
    *,
    cloudformation: Any,
    s3: Any,
    cloudfront: Any,
    stack: str,
    merchant_code: str,
    web_dir: pathlib.Path = WEB_DIR,
    log: Any = print,
) -> DeployReport:
    outputs = stack_outputs(cloudformation, stack)
    config = site_config(outputs["ApiUrl"], merchant_code)
    files = list(site_files(web_dir, config))
    bucket = outputs["SiteBucketName"]
    stale = sorted(_existing_keys(s3, bucket) - {f.key for f in files})
    for site_file in files:
        s3.put_object(
            Bucket=bucket,
            Key=site_file.key,
            Body=site_file.body,
            ContentType=site_file.content_type,
            CacheControl=site_file.cache_control,
        )
        log(f"  uploaded s3://{bucket}/{site_file.key} ({site_file.content_type}; {site_file.cache_control})")
    # Deleted after the upload, so a visitor never meets a page whose files are gone.
    for start in range(0, len(stale), 1000):
        chunk = stale[start : start + 1000]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True})
        for key in chunk:
            log(f"  deleted  s3://{bucket}/{key} (no longer in web/)")
    invalidation = cloudfront.create_invalidation(
        DistributionId=outputs["SiteDistributionId"],
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"deploy-site-{time.time_ns()}",
        },
    )["Invalidation"]
    return DeployReport(
        bucket, [f.key for f in files], stale, invalidation["Id"], config, outputs.get("SiteUrl")
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--config-env", default=os.environ.get("CONFIG_ENV") or "default")
    config_env = early.parse_known_args(argv)[0].config_env
    default_stack, default_region = samconfig_defaults(config_env=config_env)
    parser = argparse.ArgumentParser(prog="tools/deploy_site.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--config-env",
        default=config_env,
        help="samconfig.toml environment of the default stack and region (default: CONFIG_ENV, else default)",
    )
    parser.add_argument(
        "--stack",
        default=os.environ.get("STACK") or default_stack,
        help=f"CloudFormation stack name (default: STACK, else samconfig.toml's {default_stack!r})",
    )
    parser.add_argument(
        "--region",
        default=os.environ.get("REGION") or default_region or DEFAULT_REGION,
        help="the stack's region (default: REGION, else samconfig.toml's deploy region)",
    )
    parser.add_argument(
        "--merchant-code",
        default=os.environ.get("MERCHANT_CODE"),
        help="I'mport merchant identification code (imp + 8 digits; default: MERCHANT_CODE)",
    )
    parser.add_argument("--web-dir", type=pathlib.Path, default=WEB_DIR, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.stack:
        print("error: no stack name: pass --stack or set STACK", file=sys.stderr)
        return 2
    if not args.merchant_code:
        print(
            "error: no merchant code: set MERCHANT_CODE (or --merchant-code) to the PortOne console's "
            "가맹점 식별코드 (imp + 8 digits)",
            file=sys.stderr,
        )
        return 2
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    # Every AWS call has a deadline and a few retries, so a stalled network fails instead of hanging.
    aws = Config(connect_timeout=10, read_timeout=60, retries={"max_attempts": 5, "mode": "standard"})
    session = boto3.session.Session(region_name=args.region)
    try:
        report = deploy_site(
            cloudformation=session.client("cloudformation", config=aws),
            s3=session.client("s3", config=aws),
            cloudfront=session.client("cloudfront", config=aws),
            stack=args.stack,
            merchant_code=args.merchant_code,
            web_dir=args.web_dir,
        )
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as exc:
        print(f"error: AWS refused the upload: {exc}", file=sys.stderr)
        return 1
    print(
        f"Uploaded {len(report.uploaded)} files to s3://{report.bucket} (API {report.config['apiBaseUrl']}, "
        f"merchant {report.config['merchantCode']}); deleted {len(report.deleted)} stale; "
        f"CloudFront invalidation {report.invalidation_id} started."
    )
    if report.site_url:
        print(f"Site: {report.site_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
