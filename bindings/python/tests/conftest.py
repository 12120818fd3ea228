"""Fixtures: the simulator (build/bin/ksef-sim) for the whole session."""
from __future__ import annotations

import json
import os
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

REPO = Path(__file__).resolve().parents[3]


class Sim:
    def __init__(self, proc: subprocess.Popen, url: str, seed: dict[str, str]) -> None:
        self.proc, self.url = proc, url
        self.nip, self.token = seed["nip"], seed["token"]

    def _req(self, method: str, path: str, body: Optional[Any] = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        r = urllib.request.Request(self.url + "/_sim" + path, data=data, method=method,
                                   headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(r, timeout=10) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def state(self) -> dict[str, Any]:
        return self._req("GET", "/state")

    def add_faults(self, *specs: str) -> None:
        self._req("POST", "/faults", {"faults": list(specs)})

    def clear_faults(self) -> None:
        self._req("DELETE", "/faults")

    def sample(self, name: str, **fill: str) -> bytes:
        """A sample invoice with the values filled in (sellerNip=…, number=…)."""
        q = urllib.parse.urlencode(fill)
        with urllib.request.urlopen(f"{self.url}/_sim/samples/{name}?{q}", timeout=10) as resp:
            return resp.read()


def pytest_report_header(config: Any) -> str:
    import ksefkit
    return f"ksefkit backend: {ksefkit.backend()} (KSEFKIT_BACKEND={os.environ.get('KSEFKIT_BACKEND', '')!r})"


@pytest.fixture(scope="session")
def sim() -> Iterator[Sim]:
    exe = os.environ.get("KSEF_SIM") or str(REPO / "build" / "bin" / "ksef-sim")
    if not os.path.exists(exe):
        pytest.skip(f"simulator not built: {exe}")
    p = subprocess.Popen([exe, "--addr", "127.0.0.1:0", "--seed-token", "--log-level", "warn"],
                         stdout=subprocess.PIPE, text=True)
    try:
        first = p.stdout.readline().strip()
        seed = json.loads(p.stdout.readline())
        yield Sim(p, first.rsplit(" ", 1)[-1], seed)
    finally:
        p.terminate()
        p.wait(10)


@pytest.fixture
def client(sim: Sim) -> Iterator[object]:
    import ksefkit
    with ksefkit.Client(base_url=sim.url, backoff=0.01, poll_initial=0.01, poll_max=0.05) as c:
        yield c


@pytest.fixture
def authed(client, sim: Sim):
    client.auth.with_token(token=sim.token, nip=sim.nip)
    return client


def has_op(name: str) -> bool:
    import ksefkit
    return any(o["name"] == name for o in ksefkit.call("ops.list")["operations"])
