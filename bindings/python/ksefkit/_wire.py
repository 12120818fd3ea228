"""What crosses into the core and back, for both backends: operation names
and inputs as UTF-8 JSON, envelopes back into results or exceptions.

Text that cannot be UTF-8 (a lone surrogate, as ``"\\udc80"`` or a file name
decoded with surrogateescape gives) and values JSON cannot hold are refused
here with an InputError naming the field, never echoing the value: the
value may be a token or a password. The exception is raised outside the
``except`` block, so no chained exception keeps the payload either.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Optional, Union

from .errors import InputError, error_from_envelope

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def op_bytes(op: object) -> bytes:
    """The operation name; anything but a non-empty str becomes "" so that the
    core answers with its one rule for a missing name (input.invalid, field
    op)."""
    if not isinstance(op, str):
        return b""
    return op.encode("utf-8", "surrogateescape")  # invalid UTF-8 is the core's to refuse


def _bad_text_path(v: Any, path: str) -> Optional[str]:
    """The JSON path of the first string (or key) in v that is not UTF-8 text."""
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            return path or "input"
        return None
    if isinstance(v, Mapping):
        for k, x in v.items():
            if isinstance(k, str) and _bad_text_path(k, "") is not None:
                return f"a key of {path or 'the input'}"
            found = _bad_text_path(x, f"{path}.{k}" if path else str(k))
            if found is not None:
                return found
    elif isinstance(v, (list, tuple)):
        for i, x in enumerate(v):
            found = _bad_text_path(x, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def _invalid(field: str, message: str) -> InputError:
    return InputError("input.invalid", message, raw={"code": "input.invalid", "message": message, "field": field})


def encode_input(data: Optional[Mapping[str, Any]]) -> bytes:
    """The operation input as UTF-8 JSON."""
    if not data:
        return b"{}"
    problem: Optional[InputError] = None
    try:
        return _dumps(data).encode("utf-8")
    except UnicodeEncodeError:
        field = _bad_text_path(data, "") or "input"
        problem = _invalid(field, f"{field} is not valid text (it holds a lone surrogate, which UTF-8 cannot "
                                  "encode); nothing was sent")
    except (TypeError, ValueError) as e:
        # json names the type ("Object of type bytes is not JSON
        # serializable"), never the value.
        problem = _invalid("input", f"the input cannot be written as JSON: {e}; nothing was sent")
    raise problem


def encode_text(text: Union[str, bytes], field: str) -> bytes:
    """JSON text the caller gave (e.g. saved tokens), passed on undecoded: the
    core parses it and reports what is wrong with it."""
    if isinstance(text, bytes):
        return text
    problem: Optional[InputError] = None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        problem = _invalid(field, f"{field} is not valid text (it holds a lone surrogate); nothing was sent")
    raise problem


def decode(envelope: bytes) -> Any:
    """The result of an envelope, or the matching KsefError raised."""
    env = json.loads(envelope)
    if env.get("ok"):
        return env.get("result")
    raise error_from_envelope(env)


__all__: list[str] = ["op_bytes", "encode_input", "encode_text", "decode"]
