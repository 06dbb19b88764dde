"""Where credentials come from, and that neither the secret nor the token ever shows in a repr, a log
line or an error; importing the gateway stays cheap for cold starts."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from checkout.gateway import (
    Credentials,
    IamportAuthError,
    IamportV1Gateway,
    MissingCredentials,
    SsmCredentials,
    credentials_provider,
)
from tests.support.fake_iamport import KEY, SECRET, Reply, ok

REPO = Path(__file__).resolve().parents[3]


def test_env_credentials_are_used_directly():
    provider = credentials_provider(api_key="k-local", api_secret="s-local")

    assert provider() == Credentials("k-local", "s-local")


@pytest.fixture
def ssm(monkeypatch):
    """SSM Parameter Store (moto) with the two SecureStrings the template names."""
    import boto3
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-2")
    with mock_aws():
        client = boto3.client("ssm", region_name="ap-northeast-2")
        client.put_parameter(Name="/shop/iamport/key", Value="k-ssm", Type="SecureString")
        client.put_parameter(Name="/shop/iamport/secret", Value="s-ssm", Type="SecureString")
        yield client


def test_ssm_parameters_are_read_decrypted_and_cached_through_powertools(ssm):
    provider = credentials_provider(
        key_param="/shop/iamport/key", secret_param="/shop/iamport/secret", max_age_s=120
    )
    assert isinstance(provider, SsmCredentials)

    assert provider() == Credentials("k-ssm", "s-ssm")
    ssm.put_parameter(Name="/shop/iamport/secret", Value="rotated", Type="SecureString", Overwrite=True)
    assert provider() == Credentials("k-ssm", "s-ssm")  # cached for max_age_s, not read per token


def test_ssm_client_gives_up_well_inside_the_functions_time_budget(ssm):
    client = SsmCredentials("/shop/iamport/key", "/shop/iamport/secret").provider().client

    config = client.meta.config
    # boto3's defaults (60 s connect, 60 s read, retried) would outlast the 29 s Lambda timeout.
    assert config.connect_timeout <= 3 and config.read_timeout <= 5
    assert config.retries["total_max_attempts"] <= 3


def test_empty_ssm_value_is_a_configuration_error(ssm, monkeypatch):
    credentials = SsmCredentials("/k", "/s")
    monkeypatch.setattr(credentials.provider(), "get", lambda name, **_: "")

    with pytest.raises(MissingCredentials):
        credentials()


def test_direct_credentials_win_over_ssm_names():
    provider = credentials_provider(api_key="k", api_secret="s", key_param="/k", secret_param="/s")

    assert provider() == Credentials("k", "s")


@pytest.mark.parametrize("given", [{}, {"api_key": "k"}, {"key_param": "/k"}])
def test_missing_credentials_fail_loudly(given):
    with pytest.raises(MissingCredentials, match="IAMPORT_API_KEY"):
        credentials_provider(**given)


def test_credentials_repr_and_str_hide_the_secret():
    creds = Credentials(KEY, SECRET)

    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert SECRET not in text
        assert KEY not in text


def test_gateway_repr_shows_no_credentials_or_token(fake_iamport, make_gateway, payment_sample):
    fake_iamport.on("GET", "/payments/imp_1", ok(payment_sample(imp_uid="imp_1")))
    gateway = make_gateway()
    gateway.get_payment("imp_1")

    text = repr(gateway) + repr(gateway._tokens)
    assert SECRET not in text and KEY not in text and "token-1" not in text


def test_retry_logs_and_errors_carry_no_secret_or_token(fake_iamport, make_gateway, caplog):
    fake_iamport.on("GET", "/payments/imp_1", Reply(500, {"code": -1, "message": "boom", "response": None}))
    gateway = make_gateway()

    with caplog.at_level(logging.DEBUG), pytest.raises(Exception) as caught:
        gateway.get_payment("imp_1")

    assert len(caplog.records) >= 2  # the retries were logged
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    surfaced = f"{caught.value!r} {caught.value} {caught.value.__cause__!r}"
    for secret in (SECRET, "token-1"):
        assert secret not in logged
        assert secret not in surfaced


def test_refused_credentials_error_does_not_echo_them(fake_iamport, make_gateway, caplog):
    fake_iamport.on(
        "POST", "/users/getToken", Reply(401, {"code": -1, "message": "Unauthorized", "response": None})
    )
    gateway = make_gateway()

    with caplog.at_level(logging.DEBUG), pytest.raises(IamportAuthError) as caught:
        gateway.get_payment("imp_1")

    text = f"{caught.value!r} {caught.value} " + "\n".join(str(r.__dict__) for r in caplog.records)
    assert SECRET not in text and KEY not in text


def test_credentials_provider_is_called_only_when_a_token_is_needed(fake_iamport, payment_sample):
    calls: list[int] = []

    def provider() -> Credentials:
        calls.append(1)
        return Credentials(KEY, SECRET)

    fake_iamport.on("GET", "/payments/imp_1", ok(payment_sample(imp_uid="imp_1")))
    with IamportV1Gateway(provider, base_url=fake_iamport.url) as gateway:
        assert calls == []
        gateway.get_payment("imp_1")
        gateway.get_payment("imp_1")

    assert calls == [1]


def test_importing_the_gateway_does_not_import_boto3():
    probe = (
        "import sys, checkout.gateway, checkout.ports\n"
        "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO / "shared")},
    )

    assert result.stdout.strip() == "[]"


def test_the_services_import_the_gateway_errors_without_the_http_client():
    # The catalog, cart and read routes build every service but never call I'mport: `requests` is loaded
    # only when the adapter is first named.
    probe = (
        "import sys, checkout.services.ordering, checkout.services.reconcile, checkout.services.sweep\n"
        "before = 'requests' in sys.modules\n"
        "from checkout.gateway import IamportV1Gateway\n"
        "print(before, 'requests' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO / "shared")},
    )

    assert result.stdout.split() == ["False", "True"]
