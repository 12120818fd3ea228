"""Loading libksef.so and the one function everything goes through.

The library is found in ``$KSEFKIT_LIB`` or next to this file in
``_lib/libksef.so`` (the wheel's copy). It embeds the Go runtime, so it is
loaded with RTLD_NODELETE (Go cannot be unloaded) and never used in a
forked child (Go's threads do not survive fork: a call would hang).
"""
from __future__ import annotations

import ctypes
import json
import os
import threading
from typing import Any, Callable, Optional

from ._wire import decode, encode_input, op_bytes
from .errors import ForkError, KsefError

_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_pid: Optional[int] = None  # the process that loaded the library
_forked = False

_u64, _sz = ctypes.c_uint64, ctypes.c_size_t
_pvoid, _psz = ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)


def _after_fork_in_child() -> None:
    global _forked
    if _lib is not None:
        _forked = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def library_path() -> str:
    """The path libksef.so is (or would be) loaded from."""
    env = os.environ.get("KSEFKIT_LIB")
    if env:
        return env
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "_lib", "libksef.so")


def _load() -> ctypes.CDLL:
    global _lib, _pid
    with _lock:
        if _lib is not None:
            return _lib
        path = library_path()
        if not os.path.exists(path):
            raise KsefError("internal", f"libksef.so not found at {path} (set KSEFKIT_LIB)")
        lib = ctypes.CDLL(path, mode=getattr(os, "RTLD_NODELETE", 0) | ctypes.RTLD_GLOBAL)
        lib.ksef_version.restype = ctypes.c_char_p
        lib.ksef_version.argtypes = []
        lib.ksef_client_new.argtypes = [ctypes.c_char_p, _sz, ctypes.POINTER(_u64), _pvoid, _psz]
        lib.ksef_client_free.argtypes = [_u64]
        lib.ksef_call.argtypes = [_u64, ctypes.c_char_p, _sz, ctypes.c_char_p, _sz, _pvoid, _psz]
        lib.ksef_start_with.argtypes = [_u64, ctypes.c_char_p, _sz, ctypes.c_char_p, _sz, ctypes.c_char_p, _sz, _pvoid, _psz]
        lib.ksef_resume.argtypes = [_u64, ctypes.c_char_p, _sz, _pvoid, _psz]
        lib.ksef_cancel.argtypes = [_u64, _pvoid, _psz]
        lib.ksef_free.argtypes = [ctypes.c_void_p]
        lib.ksef_free.restype = None
        _pid, _lib = os.getpid(), lib
        return lib


def lib() -> ctypes.CDLL:
    """The loaded library; refuses to run in a forked child."""
    if _lib is None:
        return _load()
    if _forked or os.getpid() != _pid:
        raise ForkError(
            "internal",
            "ksefkit cannot be used in a process forked after it was loaded (the Go runtime does not "
            "survive fork); use multiprocessing.set_start_method('spawn') or 'forkserver', or import "
            "and first use ksefkit only after forking",
        )
    return _lib


def _take(l: ctypes.CDLL, out: ctypes.c_void_p, n: ctypes.c_size_t) -> bytes:
    try:
        return ctypes.string_at(out.value, n.value) if out.value else b""
    finally:
        l.ksef_free(out)


_NATIVE_PROGRESS = b'{"native":true,"progress":true}'


def call_raw(client: int, op: str, payload: bytes, progress: Optional[Callable[[dict[str, Any]], None]] = None) -> bytes:
    l = lib()
    o, n = ctypes.c_void_p(), ctypes.c_size_t()
    opb = op_bytes(op)
    if progress is None:
        l.ksef_call(client, opb, len(opb), payload, len(payload), ctypes.byref(o), ctypes.byref(n))
        return _take(l, o, n)
    # ksef_call with progress: the library does the I/O; each ksef_resume
    # (the GIL released) returns with the next report, or done.
    l.ksef_start_with(client, opb, len(opb), payload, len(payload), _NATIVE_PROGRESS, len(_NATIVE_PROGRESS),
                      ctypes.byref(o), ctypes.byref(n))
    ev = json.loads(_take(l, o, n))
    try:
        while ev.get("kind") != "done":
            if ev.get("progress") is not None:
                progress(ev["progress"])
            l.ksef_resume(ev["op"], b"{}", 2, ctypes.byref(o), ctypes.byref(n))
            ev = json.loads(_take(l, o, n))
    except BaseException:
        # A callback that raised (KeyboardInterrupt included): unwind the operation.
        if ev.get("kind") != "done":
            l.ksef_cancel(ev["op"], ctypes.byref(o), ctypes.byref(n))
            _take(l, o, n)
        raise
    if ev.get("progress") is not None:
        progress(ev["progress"])
    return json.dumps(ev.get("envelope"), separators=(",", ":")).encode()


def call(client: int, op: str, data: Optional[dict[str, Any]] = None,
         progress: Optional[Callable[[dict[str, Any]], None]] = None) -> Any:
    return decode(call_raw(client, op, encode_input(data), progress))


def client_new(config: dict[str, Any]) -> int:
    l = lib()
    cfg = encode_input(config)
    h, o, n = ctypes.c_uint64(), ctypes.c_void_p(), ctypes.c_size_t()
    l.ksef_client_new(cfg, len(cfg), ctypes.byref(h), ctypes.byref(o), ctypes.byref(n))
    decode(_take(l, o, n))
    return h.value


def client_free(handle: int) -> None:
    if _lib is None or _forked or os.getpid() != _pid:
        return  # nothing to free here; never call into Go from a fork
    _lib.ksef_client_free(handle)


def lib_version() -> str:
    v: bytes = lib().ksef_version()  # restype c_char_p
    return v.decode()
