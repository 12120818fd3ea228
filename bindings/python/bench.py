"""Call overhead from Python (reported, not asserted; DESIGN.md target
<= 15 us for a small JSON call) and one token authentication against the
simulator as seen from Python."""
from __future__ import annotations

import json
import os
import subprocess
import timeit

import ksefkit
from ksefkit import _native


def main() -> None:
    n = 50000
    raw = min(timeit.repeat(lambda: _native.call_raw(0, "version", b"{}"), number=n, repeat=5)) / n * 1e6
    full = min(timeit.repeat(lambda: ksefkit.call("version", {}), number=n, repeat=5)) / n * 1e6
    print(f"bench-python: ksef_call('version', {{}}) via ctypes: {raw:.2f} us/call (bytes in/out)")
    print(f"bench-python: ksefkit.call('version', {{}}) incl. JSON encode/decode: {full:.2f} us/call")
    sim = os.environ.get("KSEF_SIM", "build/bin/ksef-sim")
    if not os.path.exists(sim):
        print("bench-python: simulator not built, token auth skipped")
        return
    p = subprocess.Popen([sim, "--addr", "127.0.0.1:0", "--seed-token", "--log-level", "error", "--auth-delay", "0"],
                         stdout=subprocess.PIPE, text=True)
    try:
        url = p.stdout.readline().split()[-1]
        seed = json.loads(p.stdout.readline())
        with ksefkit.Client(base_url=url) as c:
            k = 20
            t = min(timeit.repeat(lambda: c.auth.with_token(token=seed["token"], nip=seed["nip"]),
                                  number=k, repeat=3)) / k * 1e3
        print(f"bench-python: token auth against the simulator (wall, incl. sim): {t:.2f} ms")
    finally:
        p.terminate()
        p.wait(10)


if __name__ == "__main__":
    main()
