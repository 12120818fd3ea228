"""ksefkit — a client for KSeF 2.0, Poland's national e-invoicing system.

A thin ctypes layer over libksef.so (the Go core): every call is an
operation of the core's table (docs/ops.md); this package only converts
arguments to JSON, results to dataclasses and errors to exceptions.

    import ksefkit
    with ksefkit.Client(ksefkit.Environment.TEST) as c:
        c.auth.with_token(token=..., nip="5265877635")
        print(c.auth.info())
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from . import certs, xades
from ._native import library_path
from ._types import (AuthInfo, AuthResult, AuthSession, CertificateInfo, Context, PendingSignature, Revoked,
                     SavedTokens, SessionsPage, SignedXml, TestCertificate, VersionInfo, build)
from .client import Client, Environment
from .errors import (ApiError, AuthFailedError, CanceledError, CryptoError, ExceptionDetail, ForbiddenError,
                     ForkError, GoneError, InputError, InternalError, InvalidHandleError, KsefError,
                     KsefTimeoutError, NotAuthenticatedError, ProtocolError, RateLimitError, SignatureError,
                     TransportError, UnauthorizedError, UnknownOperationError)

__version__ = "0.1.0"


def version() -> VersionInfo:
    """The library's version, KSeF API version, Go toolchain and platform."""
    from . import _native
    return build(VersionInfo, _native.call(0, "version"))


def call(op: str, input: Optional[Dict[str, Any]] = None, client: Optional[Client] = None) -> Any:
    """Run any operation by name (the escape hatch); returns its result or raises KsefError."""
    from . import _native
    return _native.call(client.handle if client is not None else 0, op, input)


__all__ = [
    "Client", "Environment", "version", "call", "certs", "xades", "library_path",
    "AuthInfo", "AuthResult", "AuthSession", "CertificateInfo", "Context", "Revoked", "SessionsPage",
    "SignedXml", "TestCertificate", "VersionInfo", "PendingSignature", "SavedTokens",
    "KsefError", "InputError", "ApiError", "AuthFailedError", "UnauthorizedError", "ForbiddenError", "GoneError",
    "RateLimitError", "ProtocolError", "NotAuthenticatedError", "TransportError", "KsefTimeoutError",
    "CanceledError", "CryptoError", "SignatureError", "UnknownOperationError", "InvalidHandleError",
    "InternalError", "ForkError", "ExceptionDetail",
]
