"""Exceptions: one class per envelope error code, chosen by one table.

Every attribute comes from the envelope Go built; Python adds nothing but
the class. Messages never contain tokens, keys or passwords (the core does
not put them there, and this module only copies its fields).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple


@dataclass(frozen=True)
class ExceptionDetail:
    """One KSeF exception (exceptionDetailList / problem errors[])."""

    code: int
    description: str = ""
    details: Tuple[str, ...] = ()


class KsefError(Exception):
    """Base of every ksefkit error; ``code`` is the envelope's stable code."""

    def __init__(self, code: str, message: str, *, raw: Optional[Dict[str, Any]] = None,
                 warnings: Optional[List[Dict[str, Any]]] = None) -> None:
        super().__init__(message)
        raw = raw or {}
        self.code = code
        self.message = message
        self.raw = raw
        self.http_status: Optional[int] = raw.get("httpStatus")
        self.exceptions: Tuple[ExceptionDetail, ...] = tuple(
            ExceptionDetail(x.get("code", 0), x.get("description", ""), tuple(x.get("details") or ()))
            for x in raw.get("exceptions") or ())
        self.trace_id: Optional[str] = raw.get("traceId")
        self.reference_number: Optional[str] = raw.get("referenceNumber")
        self.status: Optional[int] = raw.get("status")
        self.status_description: Optional[str] = raw.get("statusDescription")
        self.status_details: Tuple[str, ...] = tuple(raw.get("statusDetails") or ())
        self.findings: Tuple[str, ...] = tuple(raw.get("findings") or ())
        self.field: Optional[str] = raw.get("field")
        self.warnings: Tuple[Dict[str, Any], ...] = tuple(warnings or raw.get("warnings") or ())

    def __str__(self) -> str:
        s = f"{self.code}: {self.message}"
        if self.http_status:
            s += f" (HTTP {self.http_status})"
        if self.status:
            s += f" [status {self.status} {self.status_description or ''}]".rstrip()
        return s

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class InputError(KsefError, ValueError):
    """input.invalid — the caller's input is wrong; nothing was sent."""


class ApiError(KsefError):
    """ksef.api — KSeF answered with an error."""


class AuthFailedError(KsefError):
    """ksef.auth_failed — authentication ended with a terminal status (see status)."""


class UnauthorizedError(ApiError):
    """ksef.unauthorized — HTTP 401."""


class ForbiddenError(ApiError):
    """ksef.forbidden — HTTP 403."""


class GoneError(ApiError):
    """ksef.gone — HTTP 410."""


class RateLimitError(ApiError):
    """ksef.rate_limited — HTTP 429 that outlasted the retry budget."""

    @property
    def retry_after(self) -> Optional[int]:
        """Seconds KSeF asked to wait, when it said."""
        return self.raw.get("retryAfterSeconds")


class ProtocolError(KsefError):
    """ksef.protocol — an answer the client cannot understand."""


class NotAuthenticatedError(KsefError):
    """auth.required — the operation needs an authenticated client."""


class TransportError(KsefError):
    """transport — no HTTP answer (DNS, TCP, TLS, reset)."""


class KsefTimeoutError(KsefError):
    """timeout — a deadline passed."""


class CanceledError(KsefError):
    """canceled — the operation was canceled."""


class CryptoError(KsefError):
    """crypto — a cryptographic step failed (wrong password, key mismatch …)."""


class SignatureError(KsefError):
    """signature.invalid — an XAdES signature failed verification."""


class UnknownOperationError(KsefError):
    """op.unknown — no such operation."""


class InvalidHandleError(KsefError):
    """handle.invalid — a client is closed, freed or was never valid."""


class InternalError(KsefError):
    """internal — a bug in ksefkit."""


class ForkError(KsefError):
    """ksefkit was used in a child forked after the library was loaded."""


ERROR_CLASSES = {
    "input.invalid": InputError,
    "ksef.api": ApiError,
    "ksef.auth_failed": AuthFailedError,
    "ksef.unauthorized": UnauthorizedError,
    "ksef.forbidden": ForbiddenError,
    "ksef.gone": GoneError,
    "ksef.rate_limited": RateLimitError,
    "ksef.protocol": ProtocolError,
    "auth.required": NotAuthenticatedError,
    "transport": TransportError,
    "timeout": KsefTimeoutError,
    "canceled": CanceledError,
    "crypto": CryptoError,
    "signature.invalid": SignatureError,
    "op.unknown": UnknownOperationError,
    "handle.invalid": InvalidHandleError,
    "internal": InternalError,
}


def error_from_envelope(env: Dict[str, Any]) -> KsefError:
    err = env.get("error") or {}
    code = err.get("code", "internal")
    cls = ERROR_CLASSES.get(code, KsefError)
    return cls(code, err.get("message", "unknown error"), raw=err, warnings=env.get("warnings"))
