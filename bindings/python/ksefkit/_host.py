"""The host side of the streamed step protocol (docs/step.md) for the wasm
backend: what the core asks of a host that started the operation with
{"streams": true}. It only moves bytes — a request body pulled chunk by
chunk into http.client as it sends, a response body handed out in reads of
at most the core's max, file handles opened, read, written and closed — and
compares the offsets the core states, never guessing. It holds at most one
chunk of any body or file, so a batch or an export of any size stays
bounded on this side of the boundary too.
"""
from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from typing import Any, Callable, Optional, Protocol, Union

from .errors import InternalError

Progress = Callable[[dict[str, Any]], None]


class Core(Protocol):
    """The operation's side of the boundary (the wasm instance, locked)."""

    def resume(self, op: int, answer: bytes, data: bytes = b"") -> dict[str, Any]: ...
    def event_data(self, op: int) -> bytes: ...


def _dumps(v: Any) -> bytes:
    return json.dumps(v, separators=(",", ":")).encode()


def _file_error(e: OSError) -> bytes:
    """A failed file event: the OS's error (a path and an errno, never file contents)."""
    return _dumps({"error": f"{type(e).__name__}: {e.strerror or e}", "notFound": isinstance(e, FileNotFoundError)})


class _CoreGaveUp(Exception):
    """The core ended the exchange (a close of it, or done) while a body was pulled."""

    def __init__(self, ev: dict[str, Any]) -> None:
        super().__init__("the core gave the request up")
        self.ev = ev


class KeptBody:
    """A response body kept for read events."""

    def __init__(self, resp: Any, deadline: Any) -> None:
        self.resp, self.deadline, self.off = resp, deadline, 0

    def close(self) -> None:
        self.deadline.cancel()
        self.resp.close()


class _Writer:
    def __init__(self, f: Any, spool: bool = False) -> None:
        # A spool is a scratch file (unlinked at once), written like a created
        # file and read at any offset.
        self.f, self.n, self.spool = f, 0, spool

    def close(self) -> None:
        self.f.close()


_Stream = Union[KeptBody, _Writer, Any]  # Any: a file opened for reading


class Host:
    """Answers the events of one operation."""

    def __init__(self, core: Core, perform: Callable[..., Any], progress: Optional[Progress] = None) -> None:
        self.core, self.perform, self.progress = core, perform, progress
        self.streams: dict[int, _Stream] = {}

    def seen(self, ev: dict[str, Any]) -> None:
        p = ev.get("progress")
        if p is not None and self.progress is not None:
            self.progress(p)

    def handle(self, ev: dict[str, Any]) -> dict[str, Any]:
        """Answer one event; the next event."""
        self.seen(ev)
        kind, op = ev.get("kind"), ev["op"]
        if kind == "http":
            return self.http(ev)
        if kind == "sleep":
            time.sleep(ev.get("ms", 0) / 1000)
            return self.core.resume(op, b"{}")
        if kind == "progress":
            return self.core.resume(op, b"{}")
        if kind == "file":
            return self.core.resume(op, _read_whole(ev["path"]))
        if kind == "read":
            return self.read(ev)
        if kind == "open":
            return self.core.resume(op, self.open(ev))
        if kind == "create":
            return self.core.resume(op, self.create(ev))
        if kind == "write":
            return self.core.resume(op, self.write(ev))
        if kind == "list":
            return self.core.resume(op, _list(ev["path"]))
        if kind == "close":
            return self.core.resume(op, self.close(ev.get("stream", 0)))
        if kind == "spool":
            return self.core.resume(op, self.spool(ev))
        if kind == "mkdir":
            return self.core.resume(op, _attempt(lambda: os.makedirs(ev["path"], mode=0o700, exist_ok=True)))
        if kind == "rename":
            return self.core.resume(op, _attempt(lambda: os.replace(ev["path"], ev["to"])))
        if kind == "remove":
            return self.core.resume(op, _attempt(lambda: os.remove(ev["path"])))
        raise InternalError("internal", f"unknown event kind {kind!r}")

    def open(self, ev: dict[str, Any]) -> bytes:
        try:
            f = open(ev["path"], "rb")  # noqa: SIM115 - kept until the close event
        except OSError as e:
            return _file_error(e)
        st = os.fstat(f.fileno())
        if not os.path.isfile(ev["path"]) or st.st_size < 0:
            f.close()
            return _dumps({"error": f"{ev['path']} is not a regular file"})
        self.streams[ev["stream"]] = f
        return _dumps({"size": st.st_size})

    def create(self, ev: dict[str, Any]) -> bytes:
        try:
            fd = os.open(ev["path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as e:
            return _file_error(e)
        self.streams[ev["stream"]] = _Writer(os.fdopen(fd, "wb"))
        return b"{}"

    def spool(self, ev: dict[str, Any]) -> bytes:
        try:
            f = tempfile.TemporaryFile(prefix="ksefkit-spool-")  # noqa: SIM115 - kept until the close event
        except OSError as e:
            return _file_error(e)
        self.streams[ev["stream"]] = _Writer(f, spool=True)
        return b"{}"

    def write(self, ev: dict[str, Any]) -> bytes:
        w = self.streams.get(ev.get("stream", 0))
        if not isinstance(w, _Writer):
            return _dumps({"error": "no such write stream"})
        data = self.core.event_data(ev["op"])
        off = ev.get("offset")
        if w.spool and isinstance(off, int) and 0 <= off < w.n:
            try:  # a part fetched again
                w.f.truncate(off)
                w.f.seek(off)
            except OSError as e:
                return _file_error(e)
            w.n = off
        if len(data) != ev.get("dataLen", 0) or ev.get("offset") != w.n:
            return _dumps({"error": f"write of {len(data)} bytes at {ev.get('offset')}, the file has {w.n}"})
        try:
            w.f.write(data)
        except OSError as e:
            return _file_error(e)
        w.n += len(data)
        return _dumps({"offset": w.n})

    def read(self, ev: dict[str, Any]) -> dict[str, Any]:
        s, op, off, limit = self.streams.get(ev.get("stream", 0)), ev["op"], ev.get("offset"), ev.get("max", 0)
        if isinstance(s, KeptBody):
            if off != s.off:
                return self.core.resume(op, _dumps({"error": f"read at {off}, the body is at {s.off}"}))
            try:
                data = s.resp.read(limit)
            except (OSError, http.client.HTTPException) as e:
                timeout = s.deadline.expired or isinstance(e, (socket.timeout, TimeoutError))
                return self.core.resume(op, _dumps({"error": f"reading the body: {type(e).__name__}", "timeout": timeout}))
            s.off += len(data)
            return self.core.resume(op, _dumps({"offset": off, "eof": len(data) < limit}), data)
        f = s.f if isinstance(s, _Writer) and s.spool else s
        if f is not None and not isinstance(f, _Writer):
            try:
                f.seek(off)
                data = f.read(limit)
                if isinstance(s, _Writer):
                    f.seek(s.n)  # the next write goes to the end
            except OSError as e:
                return self.core.resume(op, _file_error(e))
            return self.core.resume(op, _dumps({"offset": off, "eof": len(data) < limit}), data)
        return self.core.resume(op, _dumps({"error": "no such read stream"}))

    def close(self, sid: int) -> bytes:
        s = self.streams.pop(sid, None)
        if s is None:
            return b"{}"
        try:
            s.close()
        except OSError as e:
            return _file_error(e)
        return b"{}"

    def release(self) -> None:
        """Drop every stream the operation left (done ends them all)."""
        for sid in list(self.streams):
            self.close(sid)

    def http(self, ev: dict[str, Any]) -> dict[str, Any]:
        """Perform an http event. A streamed request body is pulled from the
        core as http.client sends it; whatever else the operation asks for in
        between (the file reads that make the next chunk) is answered from
        inside the pull."""
        req, op = ev["http"], ev["op"]
        state: dict[str, Any] = {"pending": ev}  # the event the response answers

        def pulled() -> Iterator[bytes]:
            sent, total = 0, req["bodyLength"]
            while sent < total:
                e = self.core.resume(op, _dumps({"pull": True, "offset": sent}))
                while not (e.get("kind") == "body" and e.get("req") == ev["req"]):
                    if e.get("kind") == "done" or (e.get("kind") == "close" and e.get("stream") == ev["req"]):
                        raise _CoreGaveUp(e)
                    e = self.handle(e)
                self.seen(e)
                data = self.core.event_data(op)
                if len(data) != e.get("dataLen", 0) or e.get("offset") != sent:
                    raise InternalError("internal", f"body chunk of {len(data)} bytes at {e.get('offset')}, the host has {sent}")
                state["pending"] = e
                sent += len(data)
                yield data
                if e.get("eof"):
                    return

        body: Any = None
        if req.get("bodyLength") is not None:
            body = pulled() if req["bodyLength"] > 0 else b""
        try:
            answer, kept = self.perform(req, body)
        except _CoreGaveUp as g:
            if g.ev.get("kind") == "done":
                return g.ev
            self.seen(g.ev)
            return self.core.resume(op, b"{}")  # the close of the exchange
        if kept is not None:
            self.streams[ev["req"]] = kept
        return self.core.resume(state["pending"]["op"], answer)


def _read_whole(path: str) -> bytes:
    """Answer a file event: the bytes of a small whole file."""
    try:
        with open(path, "rb") as f:
            return _dumps({"data": base64.b64encode(f.read()).decode("ascii")})
    except OSError as e:
        return _file_error(e)


def _attempt(fn: Callable[[], Any]) -> bytes:
    """Answer a file event that either works ({}) or fails."""
    try:
        fn()
    except OSError as e:
        return _file_error(e)
    return b"{}"


def _list(path: str) -> bytes:
    try:
        with os.scandir(path) as it:
            names = sorted(e.name for e in it if e.is_file(follow_symlinks=False))
    except OSError as e:
        return _file_error(e)
    return _dumps({"names": names})

