"""Turning "a path or the contents" into the base64 the operations take.

The only thing Python does to credentials is read a file and base64 it.
Which a ``str`` is — the file's contents (PEM, also after openssl's ``Bag
Attributes`` lines or a byte order mark; base64 of DER/PKCS#12) or a path —
the core decides (operation ``certs.source``); so do format detection,
decryption and checks. No message ever contains the argument's value: it
may be key material. Messages name the argument instead.
"""
from __future__ import annotations

import base64
import os
from typing import Optional, Union

from . import _backend
from .errors import InputError

Source = Union[str, bytes, bytearray, memoryview, "os.PathLike[str]"]


def _invalid(field: str, message: str) -> InputError:
    return InputError("input.invalid", message, raw={"code": "input.invalid", "message": message, "field": field})


def _read(path: Union[str, os.PathLike[str]], field: str) -> bytes:
    problem = ""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        problem = f"cannot read the {field} file given as {field}= ({e.strerror or type(e).__name__})"
    except (TypeError, ValueError):  # a NUL in the path, an odd PathLike
        problem = f"{field}= is neither the file's contents nor a readable path"
    # Raised outside the except block: the OSError holds the path, which was
    # given as text and might have been meant as key material.
    raise _invalid(field, problem)


def read_bytes(src: Source, field: str) -> bytes:
    if isinstance(src, (bytes, bytearray, memoryview)):
        return bytes(src)
    if isinstance(src, str):
        problem: Optional[InputError] = None
        try:
            text = src.encode("utf-8")
        except UnicodeEncodeError:
            problem = _invalid(field, f"{field} is not valid text (it holds a lone surrogate)")
        if problem is not None:
            raise problem
        if _backend.call(0, "certs.source", {"text": src})["kind"] == "content":
            return text
        return _read(src, field)
    if isinstance(src, os.PathLike):
        return _read(src, field)
    raise _invalid(field, f"{field} must be bytes, PEM text or a path, not {type(src).__name__}")


def b64(src: Optional[Source], field: str) -> Optional[str]:
    if src is None:
        return None
    return base64.b64encode(read_bytes(src, field)).decode("ascii")
