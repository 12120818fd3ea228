"""The error taxonomy: one class per code of the core's table
(core/errs/testdata/codes.json, written from core/errs/table.go), with the
same parents as in Node, and the one rule for what is not a valid call."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import ksefkit
from ksefkit import errors

REPO = Path(__file__).resolve().parents[3]
CODES: list[dict[str, Any]] = json.loads((REPO / "core" / "errs" / "testdata" / "codes.json").read_text("utf-8"))


def test_every_code_has_a_class_and_no_other_is_mapped():
    assert len(CODES) >= 17
    assert sorted(errors.ERROR_CLASSES) == sorted(c["code"] for c in CODES)


@pytest.mark.parametrize("vec", CODES, ids=[c["code"] for c in CODES])
def test_envelope_gives_the_class_of_its_code(vec):
    env = {"ok": False, "error": {"code": vec["code"], "message": "m", "retryAfterSeconds": 7}}
    e = errors.error_from_envelope(env)
    assert type(e).__name__ == vec["python"]
    assert getattr(ksefkit, vec["python"]) is type(e), "every class is exported from ksefkit"
    assert vec["python"] in ksefkit.__all__
    for parent in vec["pythonAncestors"]:
        assert isinstance(e, getattr(ksefkit, parent)), f"{vec['python']} must be a {parent}"
    assert e.code == vec["code"] and e.message == "m" and e.retry_after == 7
    assert e.retryable is vec["retryable"]
    if vec["code"].startswith("ksef."):
        assert isinstance(e, ksefkit.ApiError)


def test_unknown_code_is_the_base_class():
    e = errors.error_from_envelope({"ok": False, "error": {"code": "from.the.future", "message": "m"}})
    assert type(e) is ksefkit.KsefError and e.code == "from.the.future" and not e.retryable


def test_input_error_is_a_value_error_and_unknown_op_an_input_error():
    assert issubclass(ksefkit.InputError, ValueError)
    with pytest.raises(ksefkit.UnknownOperationError) as e:
        ksefkit.call("auth.tokn")
    assert isinstance(e.value, ksefkit.InputError) and e.value.field == "op"
    assert "did you mean auth.token?" in e.value.message


@pytest.mark.parametrize("op", ["", None, 42])
def test_missing_op_is_input_invalid_naming_op(op):
    with pytest.raises(ksefkit.InputError) as e:
        ksefkit.call(op)  # type: ignore[arg-type]
    assert type(e.value) is ksefkit.InputError and e.value.field == "op"


def test_restore_tokens_bad_text_is_an_input_error():
    with ksefkit.Client(ksefkit.Environment.TEST) as c:
        with pytest.raises(ksefkit.InputError) as e:
            c.auth.restore_tokens('{bad "eyJ-secret-access-token"')
        assert e.value.__context__ is None and e.value.__cause__ is None
        assert "eyJ-secret" not in str(e.value) and "eyJ-secret" not in repr(e.value)
        with pytest.raises(ksefkit.InputError):
            c.auth.restore_tokens("[1, 2]")
    with pytest.raises(ksefkit.InputError) as e2:
        ksefkit.SavedTokens.from_json('{"accessToken": {"token": "eyJ-secret')
    assert e2.value.field == "saved" and e2.value.__context__ is None
    assert "eyJ-secret" not in str(e2.value) and "eyJ-secret" not in repr(e2.value.raw)


def test_lone_surrogate_is_an_input_error_naming_the_field():
    token = "20251010-EC-ABC|nip-5265877635|secret\udc80part"
    with ksefkit.Client(ksefkit.Environment.TEST) as c, pytest.raises(ksefkit.InputError) as e:
        c.auth.with_token(token=token, nip="5265877635")
    err = e.value
    assert err.field == "token"
    assert err.__context__ is None and err.__cause__ is None
    for text in (str(err), repr(err), repr(err.raw), repr(err.args)):
        assert "secret" not in text and "\udc80" not in text
    with pytest.raises(ksefkit.InputError) as e3:
        ksefkit.call("xades.verify", {"xml": "<a>\ud800</a>"})
    assert e3.value.field == "xml"
    with pytest.raises(ksefkit.InputError) as e4:
        ksefkit.call("xades.auth_request", {"context": {"type": "Nip", "value": "x\udcff"}})
    assert e4.value.field == "context.value"


def test_values_json_cannot_hold_are_input_errors():
    with pytest.raises(ksefkit.InputError) as e:
        ksefkit.call("xades.verify", {"xml": b"<a/>"})
    assert "bytes" in e.value.message and e.value.field == "input"
