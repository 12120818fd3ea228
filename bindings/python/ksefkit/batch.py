"""Batch sessions (operations batch.*): thousands of invoices in one
package. Packing, encryption, upload, retries and resumption all happen in
the Go core; this module only names the documents and reads the report.

Progress events (documents packed, parts uploaded) will reach Python with
the core's stream support for bindings; until then send() reports once, at
the end.
"""
from __future__ import annotations

import base64
import dataclasses
import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Tuple, Union

from ._types import build
from .errors import KsefError, error_from_envelope

if TYPE_CHECKING:
    from .client import Client

PathLike = Union[str, "os.PathLike[str]"]
# A directory; files; or (name, bytes) pairs for small inputs.
Documents = Union[PathLike, Iterable[PathLike], Iterable[Tuple[str, bytes]]]


def _source(documents: Documents) -> Dict[str, Any]:
    if isinstance(documents, (str, os.PathLike)):
        return {"dir": os.fspath(documents)}
    items = list(documents)
    if items and all(isinstance(d, tuple) for d in items):
        return {"documents": [{"name": n, "xml": base64.b64encode(bytes(b)).decode("ascii")} for n, b in items]}
    return {"paths": [os.fspath(p) for p in items]}  # type: ignore[arg-type]


@dataclass(frozen=True)
class BatchDocument:
    """One document of the source and its fate: ``ok`` means it is in KSeF
    under ``ksef_number`` (for a duplicate, the original's number)."""

    index: int = 0
    name: str = ""
    ok: bool = False
    ksef_number: str = ""
    outcome: str = ""
    result: Optional[Dict[str, Any]] = None
    error: Optional[KsefError] = None


@dataclass(frozen=True)
class BatchReport:
    """The outcome of a batch (the core's batch.Report; all of it in ``raw``)."""

    reference_number: str
    ok: bool
    status: Dict[str, Any]
    successful_invoice_count: int
    failed_invoice_count: int
    documents: Tuple[BatchDocument, ...]
    parts: Tuple[Dict[str, Any], ...]
    upo: Tuple[Dict[str, Any], ...]
    upo_error: Optional[KsefError]
    raw: Dict[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "BatchReport":
        def err(e: Optional[Dict[str, Any]]) -> Optional[KsefError]:
            return error_from_envelope({"ok": False, "error": e}) if e else None

        docs = tuple(dataclasses.replace(build(BatchDocument, x), error=err(x.get("error")))
                     for x in d.get("documents") or ())
        return cls(d.get("referenceNumber", ""), bool(d.get("ok")), d.get("status") or {},
                   int(d.get("successfulInvoiceCount") or 0), int(d.get("failedInvoiceCount") or 0), docs,
                   tuple(d.get("parts") or ()), tuple(d.get("upo") or ()), err(d.get("upoError")), d)


class SavedBatchState:
    """A batch's state (SECRET: the session key and upload URLs). ``json()``
    is the text to store; repr() shows no secret."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Dict[str, Any]) -> None:
        self._raw = dict(raw)

    @property
    def reference_number(self) -> str:
        return str(self._raw.get("referenceNumber", ""))

    def json(self) -> str:
        return json.dumps(self._raw)

    def to_dict(self) -> Dict[str, Any]:
        return dict(self._raw)

    def __repr__(self) -> str:
        return f"<SavedBatchState {self.reference_number} (secret)>"


def _run_input(wait: bool, upo: bool, state_path: Optional[PathLike], upload_concurrency: Optional[int],
               timeout: Optional[float]) -> Dict[str, Any]:
    d: Dict[str, Any] = {}
    if not wait:
        d["noWait"] = True
    if not upo:
        d["noUpo"] = True
    if state_path is not None:
        d["statePath"] = os.fspath(state_path)
    if upload_concurrency is not None:
        d["uploadConcurrency"] = upload_concurrency
    if timeout is not None:
        d["timeoutMs"] = int(round(timeout * 1000))
    return d


class Batch:
    def __init__(self, client: "Client") -> None:
        self._c = client

    def send(self, documents: Documents, *, wait: bool = True, upo: bool = True, form_code: Optional[str] = None,
             compression: Optional[str] = None, level: Optional[int] = None, store: bool = False,
             part_size: Optional[int] = None, skip_invalid: bool = False, offline_mode: bool = False,
             state_path: Optional[PathLike] = None, upload_concurrency: Optional[int] = None,
             timeout: Optional[float] = None) -> BatchReport:
        """batch.send: documents are a directory (its *.xml files), a list of
        paths, or (name, bytes) pairs. With state_path an interrupted batch
        is resumable with resume(). timeout (seconds) bounds the wait only."""
        d = {**_source(documents), **_run_input(wait, upo, state_path, upload_concurrency, timeout)}
        for k, v in (("formCode", form_code), ("compression", compression), ("level", level), ("partSize", part_size)):
            if v is not None:
                d[k] = v
        for k, flag in (("store", store), ("skipInvalid", skip_invalid), ("offlineMode", offline_mode)):
            if flag:
                d[k] = True
        return BatchReport.from_json(self._c.call("batch.send", d))

    def resume(self, documents: Documents, *, state: Union[SavedBatchState, Dict[str, Any], str, None] = None,
               state_path: Optional[PathLike] = None, reference_number: Optional[str] = None, wait: bool = True,
               upo: bool = True, upload_concurrency: Optional[int] = None,
               timeout: Optional[float] = None) -> BatchReport:
        """batch.resume: the batch's state (export_state(), or the state_path
        file) and its documents again; uploads only the missing parts."""
        d = {**_source(documents), **_run_input(wait, upo, state_path, upload_concurrency, timeout)}
        if isinstance(state, SavedBatchState):
            d["state"] = state.to_dict()
        elif isinstance(state, str):
            d["state"] = json.loads(state)
        elif state is not None:
            d["state"] = dict(state)
        if reference_number is not None:
            d["referenceNumber"] = reference_number
        return BatchReport.from_json(self._c.call("batch.resume", d))

    def export_state(self, reference_number: str) -> SavedBatchState:
        """batch.state.export: the state of a batch this client sent (SECRET)."""
        return SavedBatchState(self._c.call("batch.state.export", {"referenceNumber": reference_number}))


__all__: List[str] = ["Batch", "BatchReport", "BatchDocument", "SavedBatchState"]
