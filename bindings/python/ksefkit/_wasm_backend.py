"""An optional backend running ksef.wasm under wasmtime (PyPI ``wasmtime``).

It offers the same functions as ``_native`` (``call``, ``call_raw``,
``client_new``, ``client_free``, ``lib_version``, ``decode``) so ``client.py``
can pick either. Use it where ``libksef.so`` cannot be loaded (another
platform, a forked worker that must not touch a Go runtime loaded in the
parent): one module for every platform, no native code of ours.

The module has no sockets: operations that talk to KSeF run under the
step/resume protocol (docs/abi-wasm.md §2) and this file performs their HTTP
requests with ``urllib`` and their waits with ``time.sleep``. Which
operations need that is read from the module's own ``ops.list``.

Compiling the module takes seconds with Cranelift, so the compiled artefact is
cached in ``$KSEFKIT_CACHE`` (default ``$XDG_CACHE_HOME/ksefkit``, i.e.
``~/.cache/ksefkit``) keyed by the wasmtime version and the module's SHA-256.
A cached artefact is native code wasmtime loads as it is: the directory is
created private (0700) and must not be writable by others. Artefacts of
older modules are not pruned (about 20 MB each); delete the directory freely.

fork: unlike libksef.so, the module survives ``fork()``. The instance is
plain memory and a wasmtime store needs no threads, so a forked child keeps
using the instance (and clients) it inherited, as a copy. A fork never
happens in the middle of a call (the lock is taken around it), and a child
that must compile (no cache) does so single-threaded: wasmtime's compiler
thread pool from the parent does not exist in the child and would hang.

A trap leaves the instance undefined: it is dropped and the next call makes a
new one. Handles carry the instance generation in their high bits, so a
handle of a dead instance gives ``InvalidHandleError`` instead of silently
naming another client.
"""
from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import socket
import threading
import urllib.error
import urllib.request
from typing import Any, Optional

from ._host import Host, KeptBody, Progress
from ._wire import decode, encode_input, op_bytes
from .errors import InternalError, InvalidHandleError, KsefError

_STAGE_MIN, _STAGE_MAX = 64 << 10, 1 << 20  # the kept input buffer: first size, most kept
_GEN_SHIFT = 40  # handle = generation << 40 | guest handle
_MASK64 = (1 << 64) - 1

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def wasm_path() -> str:
    """The path ksef.wasm is (or would be) loaded from: $KSEFKIT_WASM or _lib/ksef.wasm."""
    env = os.environ.get("KSEFKIT_WASM")
    if env:
        return env
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "_lib", "ksef.wasm")


def cache_dir() -> str:
    """Where compiled modules are kept: $KSEFKIT_CACHE or the user's cache dir."""
    env = os.environ.get("KSEFKIT_CACHE")
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ksefkit")


def _wasmtime_version(wasmtime: Any) -> str:
    try:
        from importlib.metadata import version
        return version("wasmtime")
    except Exception:  # noqa: BLE001 - not installed as a distribution (vendored): still a stable key
        return getattr(wasmtime, "__version__", None) or "unknown"


def cache_file(code: bytes) -> str:
    """The artefact path for this module under the installed wasmtime."""
    import wasmtime
    key = hashlib.sha256(code).hexdigest()
    return os.path.join(cache_dir(), f"ksef-wasmtime{_wasmtime_version(wasmtime)}-{key}.cwasm")


def _compiled(wasmtime: Any, engine: Any, path: str) -> Any:
    try:
        with open(path, "rb") as f:
            code = f.read()
    except OSError as e:
        raise InternalError("internal", f"ksef.wasm not readable at {path} (set KSEFKIT_WASM): {e.strerror}") from None
    cached = cache_file(code)
    cache = os.path.dirname(cached)
    if os.path.exists(cached):
        try:
            return wasmtime.Module.deserialize_file(engine, cached)
        except Exception:  # noqa: BLE001, S110 - stale or foreign artefact: compile again
            pass
    module = wasmtime.Module(engine, code)
    try:
        os.makedirs(cache, mode=0o700, exist_ok=True)
        tmp = f"{cached}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(module.serialize())
        os.replace(tmp, cached)
    except OSError:
        pass  # a read-only home is not an error, only slower
    return module


def _caller(wasmtime: Any, store: Any, func: Any) -> Any:
    """``f(*ints)`` calling an export of integer parameters and results.

    wasmtime's ``Func.__call__`` looks the function's type up and converts
    every value on each call, 10-20 us — more than the call. With the pinned
    wasmtime this calls ``wasmtime_func_call`` directly with the converted
    argument array built once (3 us); traps and errors are raised as the
    public path raises them. Anything unexpected in the wasmtime package
    (another version, other value types) falls back to the public call."""
    def public(*args: int) -> Any:
        return func(store, *args)
    try:
        import ctypes

        from wasmtime import _ffi as ffi
        ty = func.type(store)
        kinds = {str(wasmtime.ValType.i32()): ffi.WASMTIME_I32.value, str(wasmtime.ValType.i64()): ffi.WASMTIME_I64.value}
        pk = [kinds[str(t)] for t in ty.params]
        rk = [kinds[str(t)] for t in ty.results]
        if len(rk) > 1:
            return public
        params = (ffi.wasmtime_val_t * max(len(pk), 1))()
        results = (ffi.wasmtime_val_t * 1)()
        for i, k in enumerate(pk):
            params[i].kind = k  # type: ignore[assignment]  # ctypes converts the int
        fref, np, nr = ctypes.byref(func._func), len(pk), len(rk)
        i32 = ffi.WASMTIME_I32.value
        setters = [(params[i].of, "i32" if k == i32 else "i64") for i, k in enumerate(pk)]
        rfield = ("i32" if rk[0] == i32 else "i64") if rk else None
        call, trap_t, Trap, Err = ffi.wasmtime_func_call, ctypes.POINTER(ffi.wasm_trap_t), wasmtime.Trap, wasmtime.WasmtimeError
        context, byref = store._context, ctypes.byref
    except Exception:  # noqa: BLE001 - only with another wasmtime than the pinned one  # pragma: no cover
        return public

    def fast(*args: int) -> Any:
        if len(args) != np:
            raise TypeError(f"expected {np} arguments, got {len(args)}")
        for (u, f), a in zip(setters, args):
            setattr(u, f, a)
        trap = trap_t()
        err = call(context(), fref, params, np, results, nr, byref(trap))
        if err:
            raise Err._from_ptr(err)
        if trap:
            raise Trap._from_ptr(trap)
        return getattr(results[0].of, rfield) if rfield else None
    return fast


class _Instance:
    def __init__(self, generation: int) -> None:
        try:
            import wasmtime
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise InternalError("internal", "the wasm backend needs the 'wasmtime' package "
                                "(pip install 'ksefkit[wasm]')") from e
        self._wt = wasmtime
        self.generation = generation
        self.dead = False
        config = wasmtime.Config()
        if _forked_child:
            config.parallel_compilation = False  # the parent's compiler threads are not here
        engine = wasmtime.Engine(config)
        module = _compiled(wasmtime, engine, wasm_path())
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        self.store = wasmtime.Store(engine)
        cfg = wasmtime.WasiConfig()
        cfg.inherit_stderr()  # Go panics and logs
        self.store.set_wasi(cfg)
        inst = linker.instantiate(self.store, module)
        self.ex = inst.exports(self.store)
        mem, init = self.ex["memory"], self.ex["_initialize"]
        if not isinstance(mem, wasmtime.Memory) or not isinstance(init, wasmtime.Func):
            raise InternalError("internal", f"{wasm_path()} is not ksef.wasm: no memory or _initialize export")
        self.mem = mem
        init(self.store)
        self._fn: dict[str, Any] = {}
        self._network: Optional[dict[str, bool]] = None
        self._stage_ptr, self._stage_cap = 0, 0

    def fn(self, name: str) -> Any:
        f = self._fn.get(name)
        if f is None:
            f = self._fn[name] = _caller(self._wt, self.store, self.ex[name])
        return f

    def _stage(self, data: bytearray) -> int:
        """Put data into the host buffer kept in guest memory between calls
        (wasm/main.go allows keeping it): one ksef_alloc now and then instead
        of an alloc and a free per argument per call, each a trip into Go."""
        if len(data) > self._stage_cap:
            cap = max(len(data), 2 * self._stage_cap, _STAGE_MIN)
            p = self.fn("ksef_alloc")(cap) & 0xFFFFFFFF
            if self._stage_ptr:
                self.fn("ksef_free")(self._stage_ptr)
            self._stage_ptr, self._stage_cap = p, cap
        if data:
            self.mem.write(self.store, data, self._stage_ptr)
        return self._stage_ptr

    def _trap(self, e: BaseException) -> KsefError:
        self.dead = True
        err = InternalError("internal", f"ksef.wasm trapped and was reset: {e}")
        err.__cause__ = e
        return err

    def invoke(self, name: str, scalars: list[int], blobs: list[bytes]) -> bytes:
        if self.dead:
            raise InternalError("internal", "ksef.wasm instance is gone (trapped)")
        # Always called under _lock: the staging buffer is the instance's one.
        try:
            args = list(scalars)
            if blobs:
                p = self._stage(bytearray().join(blobs))
                for b in blobs:
                    args += [p, len(b)]
                    p += len(b)
            packed = self.fn(name)(*args) & _MASK64
            p, n = packed >> 32, packed & 0xFFFFFFFF
            out = bytes(self.mem.read(self.store, p, p + n))
            self.fn("ksef_free")(p)
            if self._stage_cap > _STAGE_MAX:  # do not hold on to a big input's buffer
                self.fn("ksef_free")(self._stage_ptr)
                self._stage_ptr, self._stage_cap = 0, 0
            return out
        except (self._wt.Trap, self._wt.WasmtimeError) as e:
            raise self._trap(e) from e

    def scalar(self, name: str, *args: int) -> int:
        if self.dead:
            return 0
        try:
            return int(self.fn(name)(*args))  # the scalar exports all return an i32
        except (self._wt.Trap, self._wt.WasmtimeError) as e:
            raise self._trap(e) from e

    def is_network(self, op: str) -> bool:
        """Whether op needs the step/resume loop: it talks to KSeF or reads host files."""
        if self._network is None:
            env = json.loads(self.invoke("ksef_call", [0], [b"ops.list", b"{}"]))
            ops = env.get("result", {}).get("operations", []) if env.get("ok") else []
            self._network = {o["name"]: bool(o.get("network") or o.get("hostFiles")) for o in ops}
        return self._network.get(op, False)


_lock = threading.RLock()  # a wasmtime Store is not thread-safe
_current: Optional[_Instance] = None
_generations = 0
_forked_child = False


def _before_fork() -> None:
    _lock.acquire()  # no call is half-way through the store when the process is copied


def _after_fork_in_parent() -> None:
    _lock.release()


def _after_fork_in_child() -> None:
    global _lock, _forked_child
    _lock = threading.RLock()  # the parent's (held by the forking thread) is not ours
    _forked_child = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)


def _instance() -> _Instance:
    global _current, _generations
    if _current is None or _current.dead:
        _generations += 1
        _current = _Instance(_generations)
    return _current


def _split(handle: int) -> tuple[_Instance, int]:
    inst = _instance()
    if handle == 0:
        return inst, 0
    if handle >> _GEN_SHIFT != inst.generation:
        raise InvalidHandleError("handle.invalid", "the client belonged to a ksef.wasm instance that trapped; create it again")
    return inst, handle & ((1 << _GEN_SHIFT) - 1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # the core sees 3xx as they are
        return None


class _Deadline:
    """The attempt's deadline over the whole exchange. urllib's timeout bounds
    each socket operation, not their sum, so a server that trickles a byte
    now and then would never time out; at the deadline this shuts the
    connection's socket down, which ends any read blocked on it."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sock: Optional[socket.socket] = None
        self._mu = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._mu:
            self._sock = sock
            if self.expired:
                self._shutdown()

    def _expire(self) -> None:
        with self._mu:
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            try:  # the plain socket's shutdown: an SSL one's would touch state its reader uses
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()


_deadline = threading.local()  # the _Deadline of the request this thread performs


def _watched(conn_class: Any) -> Any:
    class Watched(conn_class):  # type: ignore[misc]
        def connect(self) -> None:
            super().connect()
            d = getattr(_deadline, "current", None)
            if d is not None:
                d.watch(self.sock)
    return Watched


_HTTPConnection = _watched(http.client.HTTPConnection)
_HTTPSConnection = _watched(http.client.HTTPSConnection)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: Any) -> Any:
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: Any) -> Any:
        return self.do_open(_HTTPSConnection, req)


_opener = urllib.request.build_opener(_NoRedirect, _HTTPHandler, _HTTPSHandler)
_CHUNK = 64 << 10


def _read_capped(resp: Any, limit: Optional[int]) -> Optional[bytearray]:
    """The body, or None once it exceeds limit bytes (the rest is not read).
    A body shorter than its Content-Length raises IncompleteRead (http.client
    itself returns the short body when read in pieces)."""
    declared = resp.headers.get("Content-Length") or ""
    length = int(declared) if declared.isdigit() else None  # urllib never decodes Content-Encoding
    if limit is not None and length is not None and length > limit:
        return None
    read = getattr(resp, "read1", None) or resp.read
    data = bytearray()
    while True:
        chunk = read(_CHUNK)
        if not chunk:
            break
        data += chunk
        if limit is not None and len(data) > limit:
            return None
    if length is not None and len(data) < length:
        raise http.client.IncompleteRead(bytes(data), length - len(data))
    return data


def _perform(req: dict[str, Any], pulled: Any = None) -> tuple[bytes, Optional[KeptBody]]:
    """Do one http event; the answer JSON for ksef_resume, and for a
    streamResponse the body kept for read events.

    pulled is a streamed request body (an iterator of the chunks the core
    hands out as http.client sends them), sent with its Content-Length.
    The core's limits for the attempt hold while reading: timeoutMs over the
    whole exchange (_Deadline; a kept body's reads included), and
    maxBodyBytes counted as the body arrives — past it the connection is
    closed and the core told "tooLarge", so no more than that is held or
    base64-encoded (docs/step.md)."""
    headers = dict(req.get("headers") or {})
    body: Any = base64.b64decode(req["body"]) if req.get("body") else None
    if req.get("bodyLength") is not None:
        body, headers["Content-Length"] = pulled, str(req["bodyLength"])
    timeout = (req.get("timeoutMs") or 60000) / 1000
    limit = req.get("maxBodyBytes")  # stated by the core in every http event
    r = urllib.request.Request(req["url"], data=body, method=req["method"], headers=headers)
    deadline = _Deadline(timeout)
    _deadline.current = deadline
    kept: Optional[KeptBody] = None
    try:
        try:
            resp = _opener.open(r, timeout=timeout)
        except urllib.error.HTTPError as e:  # 4xx/5xx are answers, not failures
            resp = e
        status = resp.status if hasattr(resp, "status") else resp.code
        if req.get("streamResponse"):
            kept = KeptBody(resp, deadline)
            return _dumps({"status": status, "headers": _headers(resp)}).encode(), kept
        with resp:
            data = _read_capped(resp, limit)
            if data is None:
                return _dumps({"error": f"answer exceeds {limit} bytes", "tooLarge": True, "status": status}).encode(), None
            return _dumps({"status": status, "headers": _headers(resp),
                           "body": base64.b64encode(data).decode("ascii")}).encode(), None
    except (socket.timeout, TimeoutError):
        return _dumps({"error": f"no answer within {timeout:g} s", "timeout": True}).encode(), None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        if deadline.expired:  # the read the deadline cut short fails in its own way
            return _dumps({"error": f"no answer within {timeout:g} s", "timeout": True}).encode(), None
        if isinstance(e, http.client.HTTPException):
            # A body cut short (IncompleteRead) or a garbled status line: no
            # whole HTTP answer, so a transport failure for the core, exactly
            # as the native driver reports it. The text of some of these
            # holds what the server sent; only the kind is passed on.
            return _dumps({"error": f"the HTTP answer was cut short or malformed ({type(e).__name__})",
                           "timeout": False}).encode(), None
        reason = getattr(e, "reason", e)
        is_timeout = isinstance(reason, (socket.timeout, TimeoutError))
        return _dumps({"error": str(reason) or type(reason).__name__, "timeout": is_timeout}).encode(), None
    finally:
        if kept is None:
            deadline.cancel()
        _deadline.current = None


def _headers(resp: Any) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for k, v in resp.headers.items():
        headers.setdefault(k, []).append(v)
    return headers


class _Locked:
    """The instance as the stream host sees it: every call under the lock
    (HTTP and file work between calls runs outside it)."""

    def __init__(self, inst: _Instance) -> None:
        self.inst = inst

    def resume(self, op: int, answer: bytes, data: bytes = b"") -> dict[str, Any]:
        with _lock:
            if data:
                return json.loads(self.inst.invoke("ksef_resume_data", [op], [answer, data]))  # type: ignore[no-any-return]
            return json.loads(self.inst.invoke("ksef_resume", [op], [answer]))  # type: ignore[no-any-return]

    def event_data(self, op: int) -> bytes:
        with _lock:
            return self.inst.invoke("ksef_event_data", [op], [])


def _drive(inst: _Instance, ev: dict[str, Any], progress: Optional[Progress]) -> bytes:
    """Run the step/resume loop to the done event; returns its envelope JSON."""
    host = Host(_Locked(inst), _perform, progress)
    try:
        while ev.get("kind") != "done":
            ev = host.handle(ev)
        host.seen(ev)
    except BaseException:
        # KeyboardInterrupt included: unwind the Go operation so it does not leak.
        if ev.get("kind") != "done" and not inst.dead:
            with _lock:
                try:
                    inst.invoke("ksef_cancel", [ev["op"]], [])
                except KsefError:
                    pass
        raise
    finally:
        host.release()
    env = ev.get("envelope") or {"ok": False, "error": {"code": "internal", "message": "event without envelope"}}
    return _dumps(env).encode("utf-8")


def call_raw(client: int, op: str, payload: bytes, progress: Optional[Progress] = None) -> bytes:
    opb = op_bytes(op)
    # The module streams bodies and files in chunks (docs/step.md).
    options = b'{"streams":true,"progress":true}' if progress is not None else b'{"streams":true}'
    with _lock:
        inst, h = _split(client)
        if not inst.is_network(opb.decode("utf-8", "replace")):
            return inst.invoke("ksef_call", [h], [opb, payload])
        ev = json.loads(inst.invoke("ksef_start_with", [h], [opb, payload, options]))
    return _drive(inst, ev, progress)


def call(client: int, op: str, data: Optional[dict[str, Any]] = None, progress: Optional[Progress] = None) -> Any:
    return decode(call_raw(client, op, encode_input(data), progress))


def client_new(config: dict[str, Any]) -> int:
    cfg = encode_input(config)
    with _lock:
        inst = _instance()
        result = decode(inst.invoke("ksef_client_new", [], [cfg]))
        return inst.generation << _GEN_SHIFT | int(result["client"])


def client_free(handle: int) -> None:
    with _lock:
        if _current is None or _current.dead or handle >> _GEN_SHIFT != _current.generation:
            return  # its instance is gone, and the handle with it
        _current.scalar("ksef_client_free", handle & ((1 << _GEN_SHIFT) - 1))


def lib_version() -> str:
    with _lock:
        version: str = json.loads(_instance().invoke("ksef_version", [], []))["result"]["version"]
        return version


def inflight() -> int:
    """Operations started in the module and not finished."""
    with _lock:
        return _instance().scalar("ksef_inflight") if _current is not None else 0
