"""Online sessions and sending invoices: thin wrappers of the sessions.* and
invoices.send operations (docs/ops.md). Every check, the encryption, the
retry-safety and the waiting happen in Go; this module builds inputs and
turns results into dataclasses.

    with client.online_session() as s:          # FA (3) unless form_code=…
        sent = s.send(xml_bytes)                # -> SentInvoice (reference, KOD I link)
    result = s.wait()                           # -> SessionResult (KSeF numbers, UPO)

    report = client.invoices.send([xml1, xml2])  # the whole job in one call
"""
from __future__ import annotations

import base64
import builtins
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional, Union

from . import _backend
from ._types import parse_time
from .errors import KsefError, error_from_envelope
from .receive import InvoiceReceiving

if TYPE_CHECKING:
    from .client import Client

#: An invoice: its XML as bytes (exactly the bytes to issue), or a file path
#: (read by the core; the native backend only — ksef.wasm has no filesystem).
Invoice = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]"]
#: An invoice with a name for reports.
NamedInvoice = tuple[str, Invoice]


def _document(inv: Union[Invoice, NamedInvoice]) -> dict[str, Any]:
    name: Optional[str] = None
    if isinstance(inv, tuple):
        name, inv = inv
    d: dict[str, Any]
    if isinstance(inv, (bytes, bytearray, memoryview)):
        d = {"xml": base64.b64encode(bytes(inv)).decode("ascii")}
    else:
        d = {"path": os.fspath(inv)}
    if name is not None:
        d["name"] = name
    return d


def _ms(seconds: Optional[float]) -> Optional[int]:
    return None if seconds is None else round(seconds * 1000)


def _compact(**kw: Any) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if v is not None and v is not False}


def _error(raw: Optional[dict[str, Any]]) -> Optional[KsefError]:
    return error_from_envelope({"error": raw}) if raw else None


@dataclass(frozen=True)
class Status:
    """KSeF's status of an invoice or session: code, description, details and
    extensions (440: originalKsefNumber, originalSessionReferenceNumber)."""

    code: int
    description: str = ""
    details: tuple[str, ...] = ()
    extensions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, d: Optional[dict[str, Any]]) -> Status:
        d = d or {}
        return cls(int(d.get("code", 0)), d.get("description", ""), tuple(d.get("details") or ()),
                   dict(d.get("extensions") or {}))


@dataclass(frozen=True)
class SentInvoice:
    """What KSeF acknowledged for one invoice; the KSeF number comes with wait()."""

    invoice_reference_number: str
    invoice_hash: str
    invoice_size: int
    invoice_number: str
    seller_nip: str
    issue_date: str
    verification_link: str
    recovered: bool
    attempts: int

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SentInvoice:
        return cls(d.get("invoiceReferenceNumber", ""), d.get("invoiceHash", ""), int(d.get("invoiceSize", 0)),
                   d.get("invoiceNumber", ""), d.get("sellerNip", ""), d.get("issueDate", ""),
                   d.get("verificationLink", ""), bool(d.get("recovered")), int(d.get("attempts", 0)))


@dataclass(frozen=True)
class InvoiceResult:
    """One invoice of a session as KSeF reports it. ``ok`` is True when the
    invoice is in KSeF under ``ksef_number`` (outcome "accepted", or
    "duplicate": an earlier copy already was)."""

    invoice_reference_number: str
    ordinal_number: int
    outcome: str
    ok: bool
    ksef_number: Optional[str]
    invoice_number: Optional[str]
    invoice_hash: str
    status: Status
    original_session_reference_number: Optional[str]
    invoicing_date: Optional[datetime]
    acquisition_date: Optional[datetime]
    permanent_storage_date: Optional[datetime]
    invoicing_mode: Optional[str]
    invoice_file_name: Optional[str]
    verification_link: Optional[str]
    attempts: int

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> InvoiceResult:
        return cls(d.get("invoiceReferenceNumber", ""), int(d.get("ordinalNumber", 0)), d.get("outcome", ""),
                   bool(d.get("ok")), d.get("ksefNumber") or None, d.get("invoiceNumber") or None,
                   d.get("invoiceHash", ""), Status.from_json(d.get("status")),
                   d.get("originalSessionReferenceNumber") or None, parse_time(d.get("invoicingDate")),
                   parse_time(d.get("acquisitionDate")), parse_time(d.get("permanentStorageDate")),
                   d.get("invoicingMode") or None, d.get("invoiceFileName") or None,
                   d.get("verificationLink") or None, int(d.get("attempts") or 0))


@dataclass(frozen=True)
class Upo:
    """A UPO (KSeF's official receipt) as downloaded: the signed XML, whether
    its x-ms-meta-hash matched, and whether its XAdES signature holds —
    ``upo`` is then the parsed receipt and ``signer`` who signed it."""

    reference_number: str
    xml: bytes
    sha256: str
    hash_checked: bool
    verified: bool
    signer: Optional[dict[str, Any]]
    signing_time: Optional[datetime]
    upo: Optional[dict[str, Any]]
    verification_error: Optional[KsefError]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Upo:
        v = d.get("verification") or {}
        return cls(d.get("referenceNumber", ""), base64.b64decode(d.get("xml") or ""), d.get("sha256", ""),
                   bool(d.get("hashChecked")), bool(d.get("verified")), v.get("signer"),
                   parse_time(v.get("signingTime")), v.get("upo"), _error(d.get("verificationError")))

    def __repr__(self) -> str:
        return (f"Upo(reference_number={self.reference_number!r}, verified={self.verified}, "
                f"hash_checked={self.hash_checked}, {len(self.xml)} bytes)")


@dataclass(frozen=True)
class SessionResult:
    """A processed session: KSeF's status (ok: processed; individual invoices
    may still have failed), the counts, every invoice and the UPO pages."""

    reference_number: str
    status: Status
    ok: bool
    invoice_count: int
    successful_invoice_count: int
    failed_invoice_count: int
    invoices: tuple[InvoiceResult, ...]
    upo: tuple[Upo, ...]
    upo_error: Optional[KsefError]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SessionResult:
        return cls(d.get("referenceNumber", ""), Status.from_json(d.get("status")), bool(d.get("ok")),
                   int(d.get("invoiceCount") or 0), int(d.get("successfulInvoiceCount") or 0),
                   int(d.get("failedInvoiceCount") or 0),
                   tuple(InvoiceResult.from_json(x) for x in d.get("invoices") or ()),
                   tuple(Upo.from_json(x) for x in d.get("upo") or ()), _error(d.get("upoError")))


@dataclass(frozen=True)
class DocumentResult:
    """The fate of one input document of invoices.send: ok with its KSeF
    number, or why not (outcome "rejected" with result.status, "invalid" or
    "failed" with error)."""

    index: int
    name: Optional[str]
    ok: bool
    ksef_number: Optional[str]
    outcome: str
    sent: Optional[SentInvoice]
    result: Optional[InvoiceResult]
    error: Optional[KsefError]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> DocumentResult:
        sent, res = d.get("sent"), d.get("result")
        return cls(int(d.get("index", 0)), d.get("name") or None, bool(d.get("ok")), d.get("ksefNumber") or None,
                   d.get("outcome", ""), SentInvoice.from_json(sent) if sent else None,
                   InvoiceResult.from_json(res) if res else None, _error(d.get("error")))


@dataclass(frozen=True)
class SendReport(SessionResult):
    """invoices.send: the session's result plus one entry per input document,
    in input order."""

    documents: tuple[DocumentResult, ...] = ()

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SendReport:
        base = SessionResult.from_json(d)
        return cls(**{f: getattr(base, f) for f in SessionResult.__dataclass_fields__},
                   documents=tuple(DocumentResult.from_json(x) for x in d.get("documents") or ()))


class SavedSession:
    """An open session's exported state (SECRET: holds the session's AES key).
    ``to_json()`` is the text to store; str/repr show no key."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = dict(raw)
        self.reference_number: str = raw.get("referenceNumber", "")
        self.valid_until: Optional[datetime] = parse_time(raw.get("validUntil"))

    def to_json(self) -> str:
        return json.dumps(self._raw, separators=(",", ":"))

    def raw(self) -> dict[str, Any]:
        return dict(self._raw)

    def __repr__(self) -> str:
        return f"SavedSession(reference_number={self.reference_number!r}, valid_until={self.valid_until}, key=<redacted>)"

    __str__ = __repr__


class OnlineSession:
    """An online session open on a client. A context manager: leaving the
    ``with`` block closes it (the invoices sent stay sent)."""

    def __init__(self, client: Client, info: dict[str, Any]) -> None:
        self._c = client
        self.reference_number: str = info.get("referenceNumber", "")
        self.form_code: dict[str, str] = dict(info.get("formCode") or {})
        self.valid_until: Optional[datetime] = parse_time(info.get("validUntil"))
        self.closed = False

    def send(self, invoice: Invoice, *, offline_mode: bool = False,
             hash_of_corrected_invoice: Optional[str] = None) -> SentInvoice:
        """Check the invoice locally, encrypt it and send it; safe to retry."""
        d = {"referenceNumber": self.reference_number, **_document(invoice),
             **_compact(offlineMode=offline_mode, hashOfCorrectedInvoice=hash_of_corrected_invoice)}
        return SentInvoice.from_json(self._c.call("sessions.online.send", d))

    def close(self, *, wait: bool = False, upo: bool = True, timeout: Optional[float] = None) -> Optional[SessionResult]:
        """Close the session; with wait=True also wait for KSeF's processing."""
        d = {"referenceNumber": self.reference_number,
             **_compact(wait=wait, noUpo=not upo, timeoutMs=_ms(timeout) if wait else None)}
        r = self._c.call("sessions.online.close", d)
        self.closed = True
        p = r.get("processed")
        return SessionResult.from_json(p) if p else None

    def wait(self, *, upo: bool = True, timeout: Optional[float] = None) -> SessionResult:
        """Wait until KSeF has processed the (closed) session."""
        return self._c.sessions.wait(self.reference_number, upo=upo, timeout=timeout)

    def export(self) -> SavedSession:
        """The state to resume this session after a restart (SECRET)."""
        return SavedSession(self._c.call("sessions.online.export", {"referenceNumber": self.reference_number}))

    def __enter__(self) -> OnlineSession:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.closed:
            self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<OnlineSession {self.reference_number} {self.form_code.get('systemCode', '')} {state}>"


class Sessions:
    """KSeF sessions of the client's context (``client.sessions``)."""

    def __init__(self, client: Client) -> None:
        self._c = client

    def open(self, form_code: Optional[str] = None) -> OnlineSession:
        """Open an online session (FA (3) unless form_code says otherwise)."""
        return OnlineSession(self._c, self._c.call("sessions.online.open", _compact(formCode=form_code)))

    def restore(self, saved: Union[SavedSession, str, bytes, dict[str, Any]]) -> OnlineSession:
        """Resume a session exported by OnlineSession.export() (object, its
        to_json() text, or the dict)."""
        if isinstance(saved, (str, bytes)):
            # Text goes to the core as it is: a malformed state is an
            # InputError from Go, never a JSONDecodeError quoting the key.
            return OnlineSession(self._c, _backend.call_text(self._c.handle, "sessions.online.restore", saved, "saved"))
        raw = saved.raw() if isinstance(saved, SavedSession) else dict(saved)
        return OnlineSession(self._c, self._c.call("sessions.online.restore", raw))

    def open_here(self) -> builtins.list[dict[str, Any]]:
        """The online sessions open on this client (no network call)."""
        return list(self._c.call("sessions.online.list").get("sessions") or ())

    def status(self, reference_number: str) -> dict[str, Any]:
        """GET /sessions/{referenceNumber}, as KSeF answers it."""
        return dict(self._c.call("sessions.status", {"referenceNumber": reference_number}))

    def wait(self, reference_number: str, *, upo: bool = True, timeout: Optional[float] = None) -> SessionResult:
        """Wait until KSeF has processed a closed session; a timeout is a
        resumable KsefTimeoutError carrying the reference number."""
        d = {"referenceNumber": reference_number, **_compact(noUpo=not upo, timeoutMs=_ms(timeout))}
        return SessionResult.from_json(self._c.call("sessions.wait", d))

    def invoices(self, reference_number: str, *, failed: bool = False, page_size: Optional[int] = None) -> Iterator[InvoiceResult]:
        """Every invoice of a session (or only the failed ones), page by page."""
        token: Optional[str] = None
        while True:
            r = self._c.call("sessions.invoices.list", {"referenceNumber": reference_number,
                                                        **_compact(failed=failed, pageSize=page_size,
                                                                   continuationToken=token)})
            for x in r.get("invoices") or ():
                yield InvoiceResult.from_json(x)
            token = r.get("continuationToken") or None
            if not token:
                return

    def invoice(self, reference_number: str, invoice_reference_number: str) -> InvoiceResult:
        """One invoice's status and result."""
        return InvoiceResult.from_json(self._c.call("sessions.invoices.status", {
            "referenceNumber": reference_number, "invoiceReferenceNumber": invoice_reference_number}))

    def invoice_upo(self, reference_number: str, *, invoice_reference_number: Optional[str] = None,
                    ksef_number: Optional[str] = None) -> Upo:
        """One invoice's UPO, by invoice reference or KSeF number."""
        return Upo.from_json(self._c.call("sessions.invoices.upo", {"referenceNumber": reference_number, **_compact(
            invoiceReferenceNumber=invoice_reference_number, ksefNumber=ksef_number)}))

    def upo(self, reference_number: str, *, upo_reference_number: Optional[str] = None) -> tuple[Upo, ...]:
        """A processed session's UPO pages (or one page)."""
        r = self._c.call("sessions.upo", {"referenceNumber": reference_number,
                                          **_compact(upoReferenceNumber=upo_reference_number)})
        return tuple(Upo.from_json(x) for x in r.get("pages") or ())

    def list(self, session_type: str = "Online", *, page_size: Optional[int] = None,
             continuation_token: Optional[str] = None, **filters: Any) -> dict[str, Any]:
        """GET /sessions: one page. filters: reference_number, date_created_from, …, statuses."""
        camel = {"".join(p if i == 0 else p.capitalize() for i, p in enumerate(k.split("_"))): v
                 for k, v in filters.items()}
        return dict(self._c.call("sessions.list", {"sessionType": session_type, **camel, **_compact(
            pageSize=page_size, continuationToken=continuation_token)}))


class Invoices(InvoiceReceiving):
    """Sending invoices (``client.invoices``) — and receiving them (receive.py)."""

    def __init__(self, client: Client) -> None:
        self._c = client

    def send(self, invoices: Iterable[Union[Invoice, NamedInvoice]], *, wait: bool = True,
             form_code: Optional[str] = None, offline_mode: bool = False, skip_invalid: bool = False,
             resend_550: Optional[int] = None, concurrency: Optional[int] = None, upo: bool = True,
             timeout: Optional[float] = None) -> SendReport:
        """Send invoices through one online session. With wait (the default)
        the report has, per document, its KSeF number or typed failure, and the
        session UPO; without, each document's invoice reference and the session
        reference to pass to client.sessions.wait() later."""
        d = {"invoices": [_document(x) for x in invoices], **_compact(
            formCode=form_code, offlineMode=offline_mode, skipInvalid=skip_invalid, resend550=resend_550,
            concurrency=concurrency, noUpo=not upo, noWait=not wait, timeoutMs=_ms(timeout))}
        return SendReport.from_json(self._c.call("invoices.send", d))
