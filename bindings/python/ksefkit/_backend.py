"""The one place that decides which backend runs the core.

``native`` (default): libksef.so through ctypes (``_native``).
``wasm``: ksef.wasm under wasmtime (``_wasm_backend``; needs ``ksefkit[wasm]``).

The choice comes from ``ksefkit.use_backend(name)`` or, failing that, from
``$KSEFKIT_BACKEND``; it is fixed the first time a call needs the core and
cannot change afterwards (clients hold handles of one backend). Every other
module of the package calls the core through the functions below and never
imports ``_native`` or ``_wasm_backend`` itself.
"""
from __future__ import annotations

import os
import threading
from typing import Any, Callable, Optional, Protocol, Union

from .errors import InputError

BACKENDS = ("native", "wasm")

# A progress callback: gets the core's reports ({"stage", "done", "total",
# "bytes", "bytesTotal", "detail"}), at most every 100 ms and the last one
# of each stage.
Progress = Callable[[dict[str, Any]], None]



class Core(Protocol):
    """What both backend modules offer (mypy holds each module to it)."""

    def call(self, client: int, op: str, data: Optional[dict[str, Any]] = None,
             progress: Optional[Progress] = None) -> Any: ...
    def call_raw(self, client: int, op: str, payload: bytes, progress: Optional[Progress] = None) -> bytes: ...
    def client_new(self, config: dict[str, Any]) -> int: ...
    def client_free(self, handle: int) -> None: ...
    def lib_version(self) -> str: ...


_lock = threading.Lock()
_requested: Optional[str] = None  # from use_backend()
_impl: Optional[Core] = None
_name: Optional[str] = None


def _check(name: str, origin: str) -> str:
    n = name.strip().lower() if isinstance(name, str) else ""
    if n not in BACKENDS:
        msg = f"unknown ksefkit backend from {origin} (choose one of {', '.join(BACKENDS)})"
        raise InputError("input.invalid", msg, raw={"code": "input.invalid", "message": msg, "field": "backend"})
    return n


def use_backend(name: str) -> None:
    """Choose the backend ("native" or "wasm") before the first call.

    Overrides $KSEFKIT_BACKEND. Once a call has used a backend the choice is
    fixed: asking for the same one again is a no-op, another one raises
    RuntimeError."""
    global _requested
    n = _check(name, "use_backend()")
    with _lock:
        if _name is not None and _name != n:
            raise RuntimeError(f"ksefkit already runs on the {_name!r} backend; "
                               f"call use_backend({n!r}) before the first call (or set KSEFKIT_BACKEND)")
        _requested = n


def _select() -> Core:
    global _impl, _name
    with _lock:
        if _impl is None:
            n = _requested or _check(os.environ.get("KSEFKIT_BACKEND") or "native", "$KSEFKIT_BACKEND")
            if n == "wasm":
                from . import _wasm_backend as mod
            else:
                from . import _native as mod  # type: ignore[no-redef]
            _impl, _name = mod, n
        return _impl


def name() -> str:
    """The backend in use ("native" or "wasm"), choosing it now if not yet chosen."""
    _select()
    assert _name is not None
    return _name


def current() -> Optional[str]:
    """The backend in use, or None while nothing has been called yet."""
    return _name


# The functions every module calls. Each is one indirection over the chosen
# module; the first call chooses it.

def call(client: int, op: str, data: Optional[dict[str, Any]] = None, progress: Optional[Progress] = None) -> Any:
    if progress is not None and not callable(progress):
        msg = "progress must be a callable (it gets each progress report, a dict)"
        raise InputError("input.invalid", msg, raw={"code": "input.invalid", "message": msg, "field": "progress"})
    return (_impl or _select()).call(client, op, data, progress)


def call_raw(client: int, op: str, payload: bytes) -> bytes:
    """The operation's envelope JSON as the core produced it (nothing decoded)."""
    return (_impl or _select()).call_raw(client, op, payload)


def call_text(client: int, op: str, text: Union[str, bytes], field: str) -> Any:
    """Run op with an input the caller gave as JSON text: the core parses it
    (and says what is wrong with it, as for any input)."""
    from ._wire import decode, encode_text
    return decode(call_raw(client, op, encode_text(text, field)))


def client_new(config: dict[str, Any]) -> int:
    return (_impl or _select()).client_new(config)


def client_free(handle: int) -> None:
    if _impl is not None:  # a handle exists only once a backend was chosen
        _impl.client_free(handle)


def lib_version() -> str:
    return (_impl or _select()).lib_version()
