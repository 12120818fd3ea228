"""Turning "a path or the bytes" into the base64 the operations take.

This is the only thing Python does to credentials: read the file and
base64 it. Format detection (PEM, DER, PKCS#12), decryption and checks all
happen in Go.
"""
from __future__ import annotations

import base64
import os
from typing import Optional, Union

from .errors import InputError

Source = Union[str, bytes, bytearray, memoryview, "os.PathLike[str]"]


def read_bytes(src: Source, field: str) -> bytes:
    if isinstance(src, (bytes, bytearray, memoryview)):
        return bytes(src)
    if isinstance(src, str) and src.lstrip().startswith("-----BEGIN"):
        return src.encode("ascii")  # PEM text given inline
    path = os.fspath(src)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise InputError("input.invalid", f"cannot read {field} file {path!r}: {e.strerror}",
                         raw={"code": "input.invalid", "field": field}) from None


def b64(src: Optional[Source], field: str) -> Optional[str]:
    if src is None:
        return None
    return base64.b64encode(read_bytes(src, field)).decode("ascii")
