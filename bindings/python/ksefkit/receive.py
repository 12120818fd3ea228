"""Invoices out of KSeF: thin wrappers of invoices.get, invoices.query,
invoices.export and invoices.sync (docs/ops.md). The filters are KSeF's
InvoiceQueryFilters as a dict (``{"subjectType": "Subject2", "dateRange":
{"dateType": "PermanentStorage", "from": datetime(...)}}``; datetimes may be
given as such). Every check, the narrowing past KSeF's limits, the
decryption and the sync's state happen in Go.

    for m in client.invoices.query(filters):          # every record, once
        print(m.ksef_number, m.gross_amount)
    inv = client.invoices.get(m.ksef_number)          # .xml: the stored bytes
    client.invoices.export(filters, dir="inbox/")     # decrypted, extracted
    for doc in client.invoices.sync(state="sync.json", dir="inbox/"):
        store(doc.ksef_number, doc.xml)               # the state moves after
"""
from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Optional, Union

from ._backend import Progress
from ._types import parse_time

if TYPE_CHECKING:
    from .client import Client

Filters = Mapping[str, Any]
PathLike = Union[str, "os.PathLike[str]"]


def _jsonable(v: Any) -> Any:
    """datetimes (and dates: their midnight) as ISO 8601, recursively."""
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat() + "T00:00:00"
    if isinstance(v, Mapping):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _compact(**kw: Any) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if v is not None and v is not False}


def _ms(seconds: Optional[float]) -> Optional[int]:
    return None if seconds is None else round(seconds * 1000)


@dataclass(frozen=True)
class InvoiceMetadata:
    """One invoice's InvoiceMetadata (KSeF's fields; all of them in ``raw``)."""

    ksef_number: str
    invoice_number: str
    issue_date: str
    seller_nip: str
    buyer_identifier: dict[str, str]
    net_amount: float
    gross_amount: float
    vat_amount: float
    currency: str
    invoice_type: str
    invoice_hash: str
    invoicing_date: Optional[datetime]
    permanent_storage_date: Optional[datetime]
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> InvoiceMetadata:
        return cls(d.get("ksefNumber", ""), d.get("invoiceNumber", ""), d.get("issueDate", ""),
                   (d.get("seller") or {}).get("nip", ""), dict((d.get("buyer") or {}).get("identifier") or {}),
                   float(d.get("netAmount", 0)), float(d.get("grossAmount", 0)), float(d.get("vatAmount", 0)),
                   d.get("currency", ""), d.get("invoiceType", ""), d.get("invoiceHash", ""),
                   parse_time(d.get("invoicingDate")), parse_time(d.get("permanentStorageDate")), d)


@dataclass(frozen=True)
class DownloadedInvoice:
    """An invoice exactly as KSeF stores it (or the file it was written to)."""

    ksef_number: str
    xml: Optional[bytes]
    path: Optional[str]
    size: int
    sha256: str
    hash_checked: bool


@dataclass(frozen=True)
class MetadataPage:
    """One page of the metadata query; pass ``cursor`` back for the next (None: the end)."""

    invoices: tuple[InvoiceMetadata, ...]
    cursor: Optional[str]
    permanent_storage_hwm_date: Optional[datetime]
    narrowed: bool


@dataclass(frozen=True)
class ExportedInvoice:
    metadata: InvoiceMetadata
    path: Optional[str]
    xml: Optional[bytes]


@dataclass(frozen=True)
class ExportResult:
    """A finished export: the package (as KSeF describes it) and where it went."""

    reference_number: str
    package: dict[str, Any]
    path: Optional[str]
    dir: Optional[str]
    invoices: tuple[ExportedInvoice, ...]

    @property
    def is_truncated(self) -> bool:
        return bool(self.package.get("isTruncated"))


@dataclass(frozen=True)
class SyncedInvoice:
    """A document a sync delivered: its files in the sync's directory."""

    ksef_number: str
    subject_type: str
    path: Optional[str]
    metadata_path: str
    metadata: InvoiceMetadata

    @property
    def xml(self) -> bytes:
        """The invoice's XML, read from its file."""
        if self.path is None:
            raise ValueError("a metadata-only sync has no XML")
        with open(self.path, "rb") as f:
            return f.read()


class SyncState:
    """A sync's state kept by the caller instead of in a file: pass it as
    ``state=``; after the loop ``to_json()`` is what to store."""

    def __init__(self, raw: Optional[dict[str, Any]] = None) -> None:
        self.raw: dict[str, Any] = dict(raw or {})

    @classmethod
    def from_json(cls, text: str) -> SyncState:
        return cls(json.loads(text))

    def to_json(self) -> str:
        return json.dumps(self.raw)

    def __repr__(self) -> str:
        subjects = sorted((self.raw.get("subjects") or {}).keys())
        return f"SyncState(subjects={subjects})"


class InvoiceReceiving:
    """Downloading, querying, exporting and syncing (``client.invoices``)."""

    _c: Client

    def get(self, ksef_number: str, *, path: Optional[PathLike] = None,
            timeout: Optional[float] = None) -> DownloadedInvoice:
        """GET /invoices/ksef/{ksefNumber}: the XML exactly as stored (x-ms-meta-hash
        checked), or written to path. ApiError with exception 21164: no such invoice."""
        r = self._c.call("invoices.get", {"ksefNumber": ksef_number, **_compact(
            path=os.fspath(path) if path is not None else None, timeoutMs=_ms(timeout))})
        xml = r.get("xml")
        return DownloadedInvoice(r["ksefNumber"], base64.b64decode(xml) if xml else None, r.get("path"),
                                 int(r.get("size", 0)), r.get("sha256", ""), bool(r.get("hashChecked")))

    def query_page(self, filters: Filters, *, sort_order: Optional[str] = None, page_size: Optional[int] = None,
                   cursor: Optional[str] = None) -> MetadataPage:
        """One request of the metadata query; the filters are checked before it is sent."""
        r = self._c.call("invoices.query", {"filters": _jsonable(filters), **_compact(
            sortOrder=sort_order, pageSize=page_size, cursor=cursor)})
        return MetadataPage(tuple(InvoiceMetadata.from_json(x) for x in r.get("invoices") or ()),
                            r.get("cursor") or None, parse_time(r.get("permanentStorageHwmDate")), bool(r.get("narrowed")))

    def query(self, filters: Filters, *, sort_order: Optional[str] = None,
              page_size: Optional[int] = None) -> Iterator[InvoiceMetadata]:
        """Every record of the query, each exactly once (also past KSeF's
        10 000-record limit); pages are fetched as the loop advances."""
        cursor: Optional[str] = None
        while True:
            p = self.query_page(filters, sort_order=sort_order, page_size=page_size, cursor=cursor)
            yield from p.invoices
            if not p.cursor:
                return
            cursor = p.cursor

    def export(self, filters: Filters, *, path: Optional[PathLike] = None, dir: Optional[PathLike] = None,
               only_metadata: bool = False, timeout: Optional[float] = None,
               progress: Optional[Progress] = None) -> ExportResult:
        """POST /invoices/exports, wait, download, check and decrypt every part; the
        package goes to path (a ZIP), or into dir, or (neither) its invoices come back
        inline (up to 64 MiB). A tampered part is a ProtocolError. progress(report)
        follows the download (stage "download": parts and bytes)."""
        r = self._c.call("invoices.export", {"filters": _jsonable(filters), **_compact(
            path=os.fspath(path) if path is not None else None, dir=os.fspath(dir) if dir is not None else None,
            onlyMetadata=only_metadata, timeoutMs=_ms(timeout))}, progress)
        invoices = tuple(ExportedInvoice(InvoiceMetadata.from_json(x["metadata"]), x.get("path"),
                                         base64.b64decode(x["xml"]) if x.get("xml") else None)
                         for x in r.get("invoices") or ())
        return ExportResult(r["referenceNumber"], dict(r.get("package") or {}), r.get("path"), r.get("dir"), invoices)

    def sync(self, *, state: Union[PathLike, SyncState], dir: PathLike, subject_types: Optional[Sequence[str]] = None,
             since: Optional[Union[datetime, date]] = None, only_metadata: bool = False,
             timeout: Optional[float] = None) -> Iterator[SyncedInvoice]:
        """Every invoice new since the last run (since on the first), window by
        window; each window's documents are files in dir. The state — a file
        path, or a SyncState — moves on when the loop asks for the document after
        a window's last: a loop that stops early (or a crash) gets that window
        again next time, never loses one."""
        base: dict[str, Any] = {"dir": os.fspath(dir), **_compact(
            subjectTypes=list(subject_types) if subject_types else None, since=_jsonable(since),
            onlyMetadata=only_metadata, timeoutMs=_ms(timeout))}
        in_file = not isinstance(state, SyncState)
        until: Optional[str] = None
        while True:
            d = dict(base)
            if in_file:
                d["statePath"] = os.fspath(state)  # type: ignore[arg-type]
            else:
                d["state"] = state.raw  # type: ignore[union-attr]
            if until:
                d["until"] = until
            w = self._c.call("invoices.sync.window", d)
            until = w.get("until")
            if w.get("done"):
                return
            for x in w.get("documents") or ():
                yield SyncedInvoice(x["ksefNumber"], x.get("subjectType", ""), x.get("path"), x["metadataPath"],
                                    InvoiceMetadata.from_json(x.get("metadata") or {}))
            # Every document of the window was taken: only now the state moves.
            if in_file:
                self._c.call("invoices.sync.commit", {"statePath": os.fspath(state), "state": w["next"]})  # type: ignore[arg-type]
            else:
                state.raw = dict(w["next"])  # type: ignore[union-attr]

    def sync_all(self, *, state: PathLike, dir: PathLike, subject_types: Optional[Sequence[str]] = None,
                 since: Optional[Union[datetime, date]] = None, only_metadata: bool = False,
                 timeout: Optional[float] = None, progress: Optional[Progress] = None) -> dict[str, Any]:
        """The whole sync in one call (invoices.sync): documents into dir, the state
        file moved after each window. Returns the report (delivered, windows, documents).
        progress(report) gets the download and sync reports."""
        return dict(self._c.call("invoices.sync", {"statePath": os.fspath(state), "dir": os.fspath(dir), **_compact(
            subjectTypes=list(subject_types) if subject_types else None, since=_jsonable(since),
            onlyMetadata=only_metadata, timeoutMs=_ms(timeout))}, progress))


__all__: list[str] = ["InvoiceReceiving", "InvoiceMetadata", "DownloadedInvoice", "MetadataPage", "ExportResult",
                      "ExportedInvoice", "SyncedInvoice", "SyncState"]
