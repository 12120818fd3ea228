"""ksefkit — a client for KSeF 2.0, Poland's national e-invoicing system.

A thin layer over the Go core — libksef.so through ctypes (the default
backend) or ksef.wasm under wasmtime (``KSEFKIT_BACKEND=wasm`` or
``ksefkit.use_backend("wasm")``): every call is an operation of the core's
table (docs/ops.md); this package only converts arguments to JSON, results
to dataclasses and errors to exceptions.

    import ksefkit
    with ksefkit.Client(ksefkit.Environment.TEST) as c:
        c.auth.with_token(token=..., nip="5265877635")
        print(c.auth.info())
"""
from __future__ import annotations

from typing import Any, Optional

from . import _backend, certs, xades
from .batch import BatchDocument, BatchReport, SavedBatchState
from ._backend import use_backend
from ._native import library_path
from ._types import (AuthInfo, AuthResult, AuthSession, CertificateInfo, Context, GeneratedToken, KsefToken,
                     PendingSignature, Revoked, SavedTokens, SessionsPage, SignedXml, TestCertificate, TokensPage,
                     VersionInfo, build)
from .client import Client, Environment
from .errors import ExceptionDetail, ForkError
from .receive import (DownloadedInvoice, ExportedInvoice, ExportResult, InvoiceMetadata, MetadataPage, SyncedInvoice,
                      SyncState)
from .sessions import (DocumentResult, InvoiceResult, OnlineSession, SavedSession, SendReport, SentInvoice,
                       SessionResult, Status, Upo)

# The exception classes, one per error code of the core.
# BEGIN GENERATED imports by `make errors` from core/errs/table.go; do not edit
from .errors import (
    KsefError, InputError, UnknownOperationError, ApiError, AuthFailedError, UnauthorizedError,
    ForbiddenError, RateLimitError, GoneError, ProtocolError, NotAuthenticatedError, TransportError,
    KsefTimeoutError, CanceledError, CryptoError, SignatureError, InvalidHandleError, InternalError,
)
# END GENERATED imports

__version__ = "0.1.0"


def version() -> VersionInfo:
    """The library's version, KSeF API version, Go toolchain and platform
    (``wasip1/wasm`` on the wasm backend)."""
    return build(VersionInfo, _backend.call(0, "version"))


def backend() -> str:
    """The backend running the core: "native" (libksef.so) or "wasm" (ksef.wasm).

    Chooses it now (from use_backend() or $KSEFKIT_BACKEND) if no call has yet."""
    return _backend.name()


def call(op: str, input: Optional[dict[str, Any]] = None, client: Optional[Client] = None) -> Any:
    """Run any operation by name (the escape hatch); returns its result or raises KsefError."""
    return _backend.call(client.handle if client is not None else 0, op, input)


__all__ = [
    "Client", "Environment", "version", "call", "certs", "xades", "library_path", "backend", "use_backend",
    "AuthInfo", "AuthResult", "AuthSession", "CertificateInfo", "Context", "Revoked", "SessionsPage",
    "SignedXml", "TestCertificate", "VersionInfo", "PendingSignature", "SavedTokens",
    "GeneratedToken", "KsefToken", "TokensPage", "BatchReport", "BatchDocument", "SavedBatchState", "ForkError", "ExceptionDetail",
    "OnlineSession", "SavedSession", "SentInvoice", "InvoiceResult", "DocumentResult", "SessionResult",
    "SendReport", "Status", "Upo",
    "InvoiceMetadata", "DownloadedInvoice", "MetadataPage", "ExportResult", "ExportedInvoice", "SyncedInvoice",
    "SyncState",
]
# BEGIN GENERATED __all__ by `make errors` from core/errs/table.go; do not edit
__all__ += [
    "KsefError", "InputError", "UnknownOperationError", "ApiError", "AuthFailedError",
    "UnauthorizedError", "ForbiddenError", "RateLimitError", "GoneError", "ProtocolError",
    "NotAuthenticatedError", "TransportError", "KsefTimeoutError", "CanceledError", "CryptoError",
    "SignatureError", "InvalidHandleError", "InternalError",
]
# END GENERATED __all__
