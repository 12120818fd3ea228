"""Exceptions: one class per envelope error code.

The classes, their parents and ERROR_CLASSES are generated from the one
table of codes in Go (core/errs/table.go), as are the Node package's, so
both bindings raise the same class for the same code. Every attribute comes
from the envelope Go built; Python adds nothing but the class. Messages
never contain tokens, keys or passwords (the core does not put them there,
and this module only copies its fields).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Optional


@dataclass(frozen=True)
class ExceptionDetail:
    """One KSeF exception (exceptionDetailList / problem errors[])."""

    code: int
    description: str = ""
    details: tuple[str, ...] = ()


class KsefError(Exception):
    """Base of every ksefkit error; ``code`` is the envelope's stable code.

    ``retryable`` tells whether the same call, made again later unchanged,
    can succeed (transport, timeout, rate limit)."""

    retryable: ClassVar[bool] = False

    def __init__(self, code: str, message: str, *, raw: Optional[dict[str, Any]] = None,
                 warnings: Optional[list[dict[str, Any]]] = None) -> None:
        super().__init__(message)
        raw = raw or {}
        self.code = code
        self.message = message
        self.raw = raw
        self.http_status: Optional[int] = raw.get("httpStatus")
        self.exceptions: tuple[ExceptionDetail, ...] = tuple(
            ExceptionDetail(x.get("code", 0), x.get("description", ""), tuple(x.get("details") or ()))
            for x in raw.get("exceptions") or ())
        self.trace_id: Optional[str] = raw.get("traceId")
        self.reference_number: Optional[str] = raw.get("referenceNumber")
        self.status: Optional[int] = raw.get("status")
        self.status_description: Optional[str] = raw.get("statusDescription")
        self.status_details: tuple[str, ...] = tuple(raw.get("statusDetails") or ())
        self.findings: tuple[str, ...] = tuple(raw.get("findings") or ())
        self.field: Optional[str] = raw.get("field")
        # Seconds KSeF asked to wait (a 429 that outlasted the retries).
        self.retry_after: Optional[int] = raw.get("retryAfterSeconds")
        self.warnings: tuple[dict[str, Any], ...] = tuple(warnings or raw.get("warnings") or ())

    def __str__(self) -> str:
        s = f"{self.code}: {self.message}"
        if self.http_status:
            s += f" (HTTP {self.http_status})"
        if self.status:
            s += f" [status {self.status} {self.status_description or ''}]".rstrip()
        return s

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


# BEGIN GENERATED classes by `make errors` from core/errs/table.go; do not edit


class InputError(KsefError, ValueError):
    """input.invalid — The caller's input is wrong (bad identifier, missing field, malformed JSON,
    unreadable certificate); nothing was sent.
    """


class UnknownOperationError(InputError):
    """op.unknown — The operation name is not in the table (ops.list lists them); an empty name is
    input.invalid for the field op.
    """


class ApiError(KsefError):
    """ksef.api — KSeF answered with an error (HTTP 4xx/5xx or an exception body); the base of
    every ksef.* code.
    """


class AuthFailedError(ApiError):
    """ksef.auth_failed — An authentication ended with a terminal status (415, 425, 450, 460, 470,
    480, 500, 550 after the retry); see status.
    """


class UnauthorizedError(ApiError):
    """ksef.unauthorized — HTTP 401: the access token is missing, expired or revoked; authenticate
    again.
    """


class ForbiddenError(ApiError):
    """ksef.forbidden — HTTP 403: permissions, IP policy or a security block."""


class RateLimitError(ApiError):
    """ksef.rate_limited — HTTP 429 that outlasted the retry budget; retry after
    retryAfterSeconds.
    """

    retryable = True


class GoneError(ApiError):
    """ksef.gone — HTTP 410: an asynchronous operation's status passed its retention."""


class ProtocolError(ApiError):
    """ksef.protocol — KSeF (or something posing as it) answered with a body the client cannot
    understand.
    """


class NotAuthenticatedError(KsefError):
    """auth.required — The operation needs an authenticated client."""


class TransportError(KsefError):
    """transport — The request got no HTTP answer (DNS, TCP, TLS, reset, truncated body) after the
    retries allowed.
    """

    retryable = True


class KsefTimeoutError(KsefError):
    """timeout — A deadline passed (per request, overall, or polling); polling timeouts carry the
    reference number to resume with.
    """

    retryable = True


class CanceledError(KsefError):
    """canceled — The caller canceled the operation."""


class CryptoError(KsefError):
    """crypto — A cryptographic step failed (wrong password, key not matching the certificate)."""


class SignatureError(KsefError):
    """signature.invalid — An XAdES signature failed verification; findings name the causes."""


class InvalidHandleError(KsefError):
    """handle.invalid — A client or operation handle is unknown, freed or forged."""


class InternalError(KsefError):
    """internal — A bug in ksefkit (a recovered panic, an impossible state)."""


ERROR_CLASSES: dict[str, type[KsefError]] = {
    "input.invalid": InputError,
    "op.unknown": UnknownOperationError,
    "ksef.api": ApiError,
    "ksef.auth_failed": AuthFailedError,
    "ksef.unauthorized": UnauthorizedError,
    "ksef.forbidden": ForbiddenError,
    "ksef.rate_limited": RateLimitError,
    "ksef.gone": GoneError,
    "ksef.protocol": ProtocolError,
    "auth.required": NotAuthenticatedError,
    "transport": TransportError,
    "timeout": KsefTimeoutError,
    "canceled": CanceledError,
    "crypto": CryptoError,
    "signature.invalid": SignatureError,
    "handle.invalid": InvalidHandleError,
    "internal": InternalError,
}
# END GENERATED classes


class ForkError(InternalError):
    """ksefkit was used in a child forked after the library was loaded."""


def error_from_envelope(env: dict[str, Any]) -> KsefError:
    err = env.get("error") or {}
    code = err.get("code", "internal")
    cls = ERROR_CLASSES.get(code, KsefError)
    return cls(code, err.get("message", "unknown error"), raw=err, warnings=env.get("warnings"))
