"""The parity vectors (core/ops/testdata/parity): every case through this
binding must give the envelope Go gives, exactly (as JSON data)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import ksefkit
from ksefkit import _backend

PARITY = Path(__file__).resolve().parents[3] / "core" / "ops" / "testdata" / "parity"
CASES = json.loads((PARITY / "cases.json").read_text(encoding="utf-8"))
EXPECTED = json.loads((PARITY / "expected.json").read_text(encoding="utf-8"))


def test_vectors_are_complete():
    assert CASES and sorted(c["name"] for c in CASES) == sorted(EXPECTED)


def _payload(data):
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_parity(case):
    want = EXPECTED[case["name"]]
    handle = _backend.client_new(case["client"]) if "client" in case else 0
    try:
        for step in case.get("setup") or ():
            assert json.loads(_backend.call_raw(handle, step["op"], _payload(step["input"])))["ok"], step
        got = json.loads(_backend.call_raw(handle, case["op"], _payload(case["input"])))
    finally:
        if handle:
            _backend.client_free(handle)
    assert got == want
    if "client" in case:
        return
    # The public path decodes the same envelope: its result, or the error it names.
    if want["ok"]:
        assert ksefkit.call(case["op"], case["input"]) == want["result"]
    else:
        with pytest.raises(ksefkit.KsefError) as e:
            ksefkit.call(case["op"], case["input"])
        assert e.value.code == want["error"]["code"] and e.value.message == want["error"]["message"]
