"""The hostile-server suite (core/ksef/testdata/hostile.json, faults of
sim/hostile.go): every broken answer must become its typed error within the
deadline, with the body cap held while reading — asserted on elapsed time,
on the Python heap's peak (tracemalloc: what the wasm backend reads into
Python) and on the process's peak RSS (the Go side of the native backend)."""
from __future__ import annotations

import json
import re
import resource
import time
import tracemalloc
from pathlib import Path

import pytest

import ksefkit

SUITE = json.loads((Path(__file__).resolve().parents[3] / "core" / "ksef" / "testdata" / "hostile.json").read_text())
# Reading up to the 64 MiB cap holds about that once or twice; a 200 MB
# answer read whole took 1.45 GB of RSS on the wasm backend.
MAX_PY_HEAP = 160 << 20
MAX_RSS_GROWTH = 400 << 20


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10  # KiB on Linux


@pytest.mark.parametrize("case", SUITE["cases"], ids=lambda c: c["kind"])
def test_hostile_server(sim, case):
    sim.add_faults(f"{SUITE['route']}#every={case['kind']}")
    try:
        with ksefkit.Client(base_url=sim.url, backoff=0.01, total_timeout=SUITE["totalTimeoutMs"] / 1000,
                            request_timeout=SUITE["requestTimeoutMs"] / 1000) as c:
            rss = _peak_rss()
            tracemalloc.start()
            t0 = time.monotonic()
            try:
                with pytest.raises(ksefkit.KsefError) as err:
                    c.auth.with_token(token=sim.token, nip=sim.nip)
            finally:
                took = time.monotonic() - t0
                _, heap = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            grew = _peak_rss() - rss
    finally:
        sim.clear_faults()
    assert err.value.code == case["code"], err.value
    if case.get("message"):
        assert re.search(case["message"], str(err.value)), err.value
    assert took <= (SUITE["totalTimeoutMs"] + SUITE["slackMs"]) / 1000, f"took {took:.2f} s"
    assert heap <= MAX_PY_HEAP, f"Python heap peaked at {heap >> 20} MiB"
    assert grew <= MAX_RSS_GROWTH, f"peak RSS grew by {grew >> 20} MiB"
