"""Development identity: an RS256 key pair kept under `.local/`, tokens signed with it, and the
verification API Gateway's JWT authorizer performs (signature against the JWKS, `exp`/`nbf`, `iss`,
`aud` or `client_id`, route scopes).

Tokens are for the offline stack only; production tokens come from the shop's identity provider.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import pathlib
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_FILE = "signing-key.pem"
JWKS_FILE = "jwks.json"
DEFAULT_TTL_S = 12 * 3600  # a working day of clicking around


class TokenRejected(Exception):
    """The authorizer refuses the request; `description` goes into `www-authenticate` as on AWS."""

    def __init__(self, description: str, *, status: int = 401) -> None:
        super().__init__(description)
        self.description = description
        self.status = status


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _load_or_create_key(key_dir: pathlib.Path) -> rsa.RSAPrivateKey:
    key_dir.mkdir(parents=True, exist_ok=True)
    path = key_dir / KEY_FILE
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd, tmp = tempfile.mkstemp(dir=key_dir, prefix=".key-")
        try:
            os.write(fd, pem)
            os.close(fd)
            os.chmod(tmp, 0o600)
            # link() refuses to overwrite: when `make run` and `python -m local token` race on a fresh
            # checkout, both end up signing with the one key that got there first.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError(f"{path} is not an RSA private key")
    return loaded


@dataclass(frozen=True)
class SigningKey:
    private_key: rsa.RSAPrivateKey
    kid: str
    jwks: dict[str, Any]

    @classmethod
    def load(cls, key_dir: pathlib.Path) -> SigningKey:
        private_key = _load_or_create_key(key_dir)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
        # RFC 7638 thumbprint: a stable kid derived from the key itself.
        canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
        kid = _b64url(hashlib.sha256(canonical.encode()).digest())
        jwks = {"keys": [jwk | {"kid": kid, "use": "sig", "alg": "RS256"}]}
        jwks_path = key_dir / JWKS_FILE
        text = json.dumps(jwks, indent=2)
        if not jwks_path.exists() or jwks_path.read_text() != text:
            jwks_path.write_text(text)
        return cls(private_key=private_key, kid=kid, jwks=jwks)


@dataclass(frozen=True)
class TokenIssuer:
    key: SigningKey
    issuer: str
    audience: str
    groups_claim: str = "cognito:groups"
    admin_group: str = "admin"

    def issue(
        self,
        sub: str,
        *,
        admin: bool = False,
        ttl_s: int = DEFAULT_TTL_S,
        extra: Mapping[str, Any] | None = None,
        now: float | None = None,
    ) -> str:
        if not isinstance(sub, str) or not sub.strip():
            raise ValueError("sub must be a non-empty string")
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "sub": sub,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": issued,
            "exp": issued + ttl_s,
            "token_use": "id",
            "cognito:username": sub,
        }
        if admin:
            claims[self.groups_claim] = [self.admin_group]
        claims.update(extra or {})
        return jwt.encode(claims, self.key.private_key, algorithm="RS256", headers={"kid": self.key.kid})


@dataclass(frozen=True)
class JwtVerifier:
    """What an HTTP API JWT authorizer checks, against a local JWKS."""

    jwks: Mapping[str, Any]
    issuer: str
    audiences: Sequence[str]

    def verify(
        self, token: str, *, required_scopes: Sequence[str] = (), now: float | None = None
    ) -> tuple[dict[str, Any], list[str] | None]:
        """The token's claims and the scopes to pass on (None when the route asks for none)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenRejected("the token is malformed") from exc
        key = next((k for k in self.jwks.get("keys", []) if k.get("kid") == header.get("kid")), None)
        if key is None or header.get("alg") != "RS256":
            raise TokenRejected("the token's signing key is unknown")
        public_key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(key))
        if not isinstance(public_key, rsa.RSAPublicKey):
            # A JWKS entry carrying private parameters cannot verify a signature: trust only public keys.
            raise TokenRejected("the token's signing key is unknown")
        try:
            claims = jwt.decode(
                token,
                public_key,
                algorithms=["RS256"],
                options={
                    "verify_aud": False,
                    "verify_iss": False,
                    "require": ["exp"],
                    "verify_exp": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise TokenRejected("the token's signature is invalid") from exc
        clock = time.time() if now is None else now
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp <= clock:
            raise TokenRejected("the token has expired")
        nbf = claims.get("nbf")
        if isinstance(nbf, (int, float)) and nbf > clock:
            raise TokenRejected("the token is not valid yet")
        if claims.get("iss") != self.issuer:
            raise TokenRejected("the token does not have a valid issuer")
        # As on AWS: `aud` when present, `client_id` only when `aud` is absent.
        aud = claims.get("aud", claims.get("client_id"))
        token_audiences = aud if isinstance(aud, list) else [aud]
        if not any(a in self.audiences for a in token_audiences):
            raise TokenRejected("the token does not have a valid audience")
        if not required_scopes:
            return claims, None
        raw = claims.get("scp", claims.get("scope", ""))
        token_scopes = raw if isinstance(raw, list) else str(raw).split()
        granted = [s for s in token_scopes if s in required_scopes]
        if not granted:
            raise TokenRejected("the token does not have the required scope", status=403)
        return claims, granted


def claim_strings(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as HTTP APIs pass them to Lambda: every value a string, arrays as `[a b]`, nulls dropped."""
    out: dict[str, str] = {}
    for name, value in claims.items():
        if value is not None:
            out[name] = _claim_string(value)
    return out


def _claim_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list):
        return "[" + " ".join(_claim_string(v) for v in value) + "]"
    return json.dumps(value, separators=(",", ":"))
