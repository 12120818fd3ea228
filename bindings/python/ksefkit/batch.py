"""Batch sessions (operations batch.*): thousands of invoices in one
package. Checking, packing, encryption, upload, retries and resumption all
happen in the Go core; this module names the documents and reads the report.

    r = client.batch.send("invoices/2026-11")      # a directory's *.xml files
    for d in r.documents:
        print(d.name, d.ok, d.ksef_number or d.outcome)

Progress events (documents packed, parts uploaded) will reach Python with
the core's stream support for bindings; until then send() reports once, at
the end.
"""
from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Union

from ._backend import Progress
from .errors import KsefError
from .sessions import InvoiceResult, SessionResult, _compact, _error, _ms

if TYPE_CHECKING:
    from .client import Client

PathLike = Union[str, "os.PathLike[str]"]
#: A batch's documents: a directory (its *.xml files), file paths, or
#: (name, bytes) pairs for small inputs.
Documents = Union[PathLike, Iterable[PathLike], Iterable[tuple[str, bytes]]]


def _source(documents: Documents) -> dict[str, Any]:
    if isinstance(documents, (str, os.PathLike)):
        return {"dir": os.fspath(documents)}
    items = list(documents)
    if items and all(isinstance(d, tuple) for d in items):
        return {"documents": [{"name": d[0], "xml": base64.b64encode(bytes(d[1])).decode("ascii")}
                              for d in items if isinstance(d, tuple)]}
    return {"paths": [os.fspath(p) for p in items if not isinstance(p, tuple)]}


@dataclass(frozen=True)
class BatchDocument:
    """One document of the source and its fate: ``ok`` means it is in KSeF
    under ``ksef_number`` (for a duplicate, the original's number); otherwise
    ``result.status`` (KSeF refused it) or ``error`` (refused locally, or the
    session failed) says why."""

    index: int
    name: str
    ok: bool
    ksef_number: Optional[str]
    outcome: str
    result: Optional[InvoiceResult]
    error: Optional[KsefError]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> BatchDocument:
        res = d.get("result")
        return cls(int(d.get("index", 0)), d.get("name", ""), bool(d.get("ok")), d.get("ksefNumber") or None,
                   d.get("outcome", ""), InvoiceResult.from_json(res) if res else None, _error(d.get("error")))


@dataclass(frozen=True)
class BatchReport(SessionResult):
    """batch.send / batch.resume: the session's result, one entry per source
    document (matched by file name), the parts and the archive."""

    documents: tuple[BatchDocument, ...] = ()
    parts: tuple[dict[str, Any], ...] = ()
    archive: Optional[dict[str, Any]] = None
    packing: Optional[dict[str, Any]] = None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> BatchReport:
        base = SessionResult.from_json(d)
        return cls(**{f: getattr(base, f) for f in SessionResult.__dataclass_fields__},
                   documents=tuple(BatchDocument.from_json(x) for x in d.get("documents") or ()),
                   parts=tuple(d.get("parts") or ()), archive=d.get("archive"), packing=d.get("packing"))


class SavedBatchState:
    """A batch's state (SECRET: the session key and the upload URLs).
    ``to_json()`` is the text to store; str/repr show no secret."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = dict(raw)
        self.reference_number: str = raw.get("referenceNumber", "")

    def to_json(self) -> str:
        return json.dumps(self._raw, separators=(",", ":"))

    def raw(self) -> dict[str, Any]:
        return dict(self._raw)

    def __repr__(self) -> str:
        return f"SavedBatchState(reference_number={self.reference_number!r}, key=<redacted>)"

    __str__ = __repr__


def _run(wait: bool, upo: bool, state_path: Optional[PathLike], upload_concurrency: Optional[int],
         timeout: Optional[float]) -> dict[str, Any]:
    return _compact(noWait=not wait, noUpo=not upo, statePath=os.fspath(state_path) if state_path else None,
                    uploadConcurrency=upload_concurrency, timeoutMs=_ms(timeout))


class Batch:
    def __init__(self, client: Client) -> None:
        self._c = client

    def send(self, documents: Documents, *, wait: bool = True, upo: bool = True, form_code: Optional[str] = None,
             compression: Optional[str] = None, level: Optional[int] = None, store: bool = False,
             part_size: Optional[int] = None, skip_invalid: bool = False, offline_mode: bool = False,
             state_path: Optional[PathLike] = None, upload_concurrency: Optional[int] = None,
             timeout: Optional[float] = None, progress: Optional[Progress] = None) -> BatchReport:
        """One batch session: documents are a directory (its *.xml files), file
        paths (streamed by the core, never read into Python) or (name, bytes)
        pairs. With state_path an interrupted batch is resumable with resume().
        timeout (seconds) bounds the wait for KSeF's processing only.
        progress(report) gets the core's reports: {"stage": "pack" | "open" |
        "upload" | "close" | "process" | "upo", "done", "total", "bytes",
        "bytesTotal", "detail"}; an exception it raises ends the batch."""
        d = {**_source(documents), **_run(wait, upo, state_path, upload_concurrency, timeout), **_compact(
            formCode=form_code, compression=compression, level=level, store=store, partSize=part_size,
            skipInvalid=skip_invalid, offlineMode=offline_mode)}
        return BatchReport.from_json(self._c.call("batch.send", d, progress))

    def resume(self, documents: Documents, *, state: Union[SavedBatchState, dict[str, Any], str, None] = None,
               state_path: Optional[PathLike] = None, reference_number: Optional[str] = None, wait: bool = True,
               upo: bool = True, upload_concurrency: Optional[int] = None,
               timeout: Optional[float] = None, progress: Optional[Progress] = None) -> BatchReport:
        """Finish an interrupted batch from its state (export_state(), its JSON
        text, or the state_path file) and its documents again: only the parts
        not yet in are uploaded. progress: as for send()."""
        raw: Optional[dict[str, Any]]
        if isinstance(state, SavedBatchState):
            raw = state.raw()
        elif isinstance(state, str):
            raw = json.loads(state)
        else:
            raw = state
        d = {**_source(documents), **_run(wait, upo, state_path, upload_concurrency, timeout),
             **_compact(state=raw, referenceNumber=reference_number)}
        return BatchReport.from_json(self._c.call("batch.resume", d, progress))

    def export_state(self, reference_number: str) -> SavedBatchState:
        """The state of a batch this client sent (SECRET)."""
        return SavedBatchState(self._c.call("batch.state.export", {"referenceNumber": reference_number}))


__all__: list[str] = ["Batch", "BatchDocument", "BatchReport", "SavedBatchState"]
