"""Results as small frozen dataclasses built from the operations' JSON.

Field names are the JSON names in snake_case; unknown JSON fields are
ignored (the core may add some) and the whole object stays in ``raw``.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional, TypeVar, Union

from .errors import KsefError, error_from_envelope

T = TypeVar("T")
_camel = re.compile(r"(?<!^)(?=[A-Z])")
_frac = re.compile(r"(\.\d{6})\d+")


def snake(name: str) -> str:
    return _camel.sub("_", name).lower()


def parse_time(s: Optional[str]) -> Optional[datetime]:
    """RFC 3339 from Go (nanoseconds, Z) into an aware datetime."""
    if not s:
        return None
    return datetime.fromisoformat(_frac.sub(r"\1", s).replace("Z", "+00:00"))


def build(cls: type[T], data: Optional[dict[str, Any]]) -> T:
    data = data or {}
    names = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kw: dict[str, Any] = {}
    for k, v in data.items():
        n = snake(k)
        if n in names and n != "raw":
            kw[n] = v
    if "raw" in names:
        kw["raw"] = data
    return cls(**kw)


@dataclass(frozen=True)
class Context:
    type: str
    value: str


@dataclass(frozen=True)
class AuthResult:
    """Who the client is authenticated as and until when (never the tokens)."""

    reference_number: str
    context: Context
    method: str
    access_token_valid_until: Optional[datetime]
    refresh_token_valid_until: Optional[datetime]
    authenticated_at: Optional[datetime]
    refreshed_at: Optional[datetime] = None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AuthResult:
        return cls(d.get("referenceNumber", ""), Context(**(d.get("context") or {"type": "", "value": ""})),
                   d.get("method", ""), parse_time(d.get("accessTokenValidUntil")),
                   parse_time(d.get("refreshTokenValidUntil")), parse_time(d.get("authenticatedAt")),
                   parse_time(d.get("refreshedAt")))


@dataclass(frozen=True)
class AuthInfo:
    authenticated: bool
    auth: Optional[AuthResult] = None


@dataclass(frozen=True)
class AuthSession:
    reference_number: str = ""
    is_current: bool = False
    start_date: Optional[str] = None
    authentication_method: Optional[str] = None
    status: dict[str, Any] = field(default_factory=dict)
    is_token_redeemed: Optional[bool] = None
    last_token_refresh_date: Optional[str] = None
    refresh_token_valid_until: Optional[str] = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class SessionsPage:
    items: tuple[AuthSession, ...]
    continuation_token: Optional[str] = None


@dataclass(frozen=True)
class Revoked:
    revoked: str = ""
    current: bool = False


@dataclass(frozen=True)
class VersionInfo:
    version: str = ""
    api_version: str = ""
    go: str = ""
    platform: str = ""

    def __str__(self) -> str:
        return self.version


@dataclass(frozen=True)
class PendingSignature:
    """A signature waiting for its value from an external signer (xades.prepare)."""

    digest: bytes
    hash: str
    signature_method: str
    key_type: str
    state: str = field(repr=False)


@dataclass(frozen=True)
class SignedXml:
    xml: str = ""
    signature_method: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class CertificateInfo:
    subject: str = ""
    issuer: str = ""
    serial_number: str = ""
    serial_number_hex: str = ""
    not_before: Optional[str] = None
    not_after: Optional[str] = None
    key_type: str = ""
    key_bits: int = 0
    curve: Optional[str] = None
    fingerprint_sha256: str = ""
    self_signed: bool = False
    identity: dict[str, Any] = field(default_factory=dict)
    kind: str = ""
    key_loaded: bool = False
    valid: bool = False
    valid_note: Optional[str] = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class TestCertificate:
    """A self-signed KSeF TEST certificate; the key material stays out of repr."""

    certificate_pem: str
    key_pem: str = field(repr=False)
    pkcs12: bytes = field(repr=False)
    info: CertificateInfo = field(default_factory=CertificateInfo)
    __test__ = False  # not a pytest test class


class SavedTokens:
    """Tokens exported for persistence across restarts (auth.tokens.export).

    SECRET: store like a password. repr() shows only the reference number and
    validity; to_json() gives the text to store, SavedTokens.from_json() reads it."""

    __slots__ = ("_raw",)

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = dict(raw)

    @property
    def reference_number(self) -> str:
        ref: str = self._raw.get("referenceNumber", "")
        return ref

    @property
    def refresh_token_valid_until(self) -> Optional[str]:
        return (self._raw.get("refreshToken") or {}).get("validUntil")

    def to_json(self) -> str:
        import json
        return json.dumps(self._raw)

    @classmethod
    def from_json(cls, text: Union[str, bytes]) -> SavedTokens:
        """Read the text of to_json(). A malformed text is an InputError that
        tells where it broke, never what it holds (it holds tokens)."""
        import json

        from .errors import InputError
        problem = ""
        try:
            raw = json.loads(text)
        except ValueError as e:  # JSONDecodeError (its .doc is the whole text) and UnicodeDecodeError
            problem = f"saved tokens are not JSON ({getattr(e, 'msg', 'not UTF-8')} at position {getattr(e, 'pos', '?')})"
        else:
            if isinstance(raw, dict):
                return cls(raw)
            problem = "saved tokens must be a JSON object"
        # Raised outside the except block: no chained exception keeps the text.
        raise InputError("input.invalid", problem, raw={"code": "input.invalid", "message": problem, "field": "saved"})

    def raw(self) -> dict[str, Any]:
        return dict(self._raw)

    def __repr__(self) -> str:
        return (f"SavedTokens(reference_number={self.reference_number!r}, "
                f"refresh_token_valid_until={self.refresh_token_valid_until!r}, tokens=<redacted>)")

    __str__ = __repr__


@dataclass(frozen=True)
class KsefToken:
    """A KSeF token's description and status (never the token itself)."""

    reference_number: str
    status: str
    description: str = ""
    author_identifier: dict[str, str] = field(default_factory=dict)
    context_identifier: dict[str, str] = field(default_factory=dict)
    requested_permissions: tuple[str, ...] = ()
    date_created: Optional[datetime] = None
    last_use_date: Optional[datetime] = None
    status_details: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> KsefToken:
        return cls(d.get("referenceNumber", ""), d.get("status", ""), d.get("description", ""),
                   dict(d.get("authorIdentifier") or {}), dict(d.get("contextIdentifier") or {}),
                   tuple(d.get("requestedPermissions") or ()), parse_time(d.get("dateCreated")),
                   parse_time(d.get("lastUseDate")), tuple(d.get("statusDetails") or ()), d)


@dataclass(frozen=True)
class TokensPage:
    tokens: tuple[KsefToken, ...]
    cursor: Optional[str] = None


class GeneratedToken:
    """A token KSeF has just generated (tokens.generate).

    SECRET: ``token`` is shown by KSeF only this once — store it now. repr()
    hides it. ``wait_error`` is why waiting for Active failed (the token is
    still yours: wait again with ``client.tokens.get(ref, wait=True)``)."""

    __slots__ = ("_raw",)

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = dict(raw)

    @property
    def reference_number(self) -> str:
        return str(self._raw.get("referenceNumber", ""))

    @property
    def token(self) -> str:
        return str(self._raw.get("token", ""))

    @property
    def status(self) -> str:
        return str(self._raw.get("status", ""))

    @property
    def wait_error(self) -> Optional[KsefError]:
        e = self._raw.get("waitError")
        return error_from_envelope({"ok": False, "error": e}) if e else None

    def __repr__(self) -> str:
        return (f"GeneratedToken(reference_number={self.reference_number!r}, status={self.status!r}, "
                f"token=<redacted>)")

    __str__ = __repr__
