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


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_parity(case):
    want = EXPECTED[case["name"]]
    payload = json.dumps(case["input"], separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    got = json.loads(_backend.call_raw(0, case["op"], payload))
    assert got == want
    # The public path decodes the same envelope: its result, or the error it names.
    if want["ok"]:
        assert ksefkit.call(case["op"], case["input"]) == want["result"]
    else:
        with pytest.raises(ksefkit.KsefError) as e:
            ksefkit.call(case["op"], case["input"])
        assert e.value.code == want["error"]["code"] and e.value.message == want["error"]["message"]
