"""Call overhead from Python (reported, not asserted; DESIGN.md target
<= 15 us for a small JSON call on the native backend), one token
authentication against the simulator as seen from Python, 1 000 invoices
through one online session (invoices.send), and the cold start of a process — on both backends: native (libksef.so via ctypes) and
wasm (ksef.wasm under wasmtime, with and without the compile cache).

    python bench.py              # everything (make bench-python)
    python bench.py --backend wasm   # one backend, in this process
                                     # (simulator from $KSEF_BENCH_SIM="URL NIP TOKEN")
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import timeit
from typing import Optional

HERE = os.path.dirname(os.path.abspath(__file__))


def one_backend(backend: str, sim: Optional[list[str]]) -> None:
    """Measure calls and token auth with BACKEND in this process."""
    import ksefkit
    from ksefkit import _backend
    ksefkit.use_backend(backend)
    ksefkit.version()  # load / instantiate outside the timings
    n = 50000 if backend == "native" else 5000
    raw = min(timeit.repeat(lambda: _backend.call_raw(0, "version", b"{}"), number=n, repeat=5)) / n * 1e6
    full = min(timeit.repeat(lambda: ksefkit.call("version", {}), number=n, repeat=5)) / n * 1e6
    how = "ctypes" if backend == "native" else "wasmtime"
    print(f"bench-python [{backend}]: ksef_call('version', {{}}) via {how}: {raw:.2f} us/call (bytes in/out)")
    print(f"bench-python [{backend}]: ksefkit.call('version', {{}}) incl. JSON encode/decode: {full:.2f} us/call")
    if not sim:
        return
    url, nip, token = sim
    with ksefkit.Client(base_url=url) as c:
        k = 20
        t = min(timeit.repeat(lambda: c.auth.with_token(token=token, nip=nip), number=k, repeat=3)) / k * 1e3
    print(f"bench-python [{backend}]: token auth against the simulator (wall, incl. sim): {t:.2f} ms")
    with ksefkit.Client("test", base_url=url, session_poll_initial=0.005, session_poll_max=0.05) as c:
        c.auth.with_token(token=token, nip=nip)
        docs = invoices(url, nip, 1000)
        t0 = time.perf_counter()
        rep = c.invoices.send(docs)
        wall = time.perf_counter() - t0
    assert rep.successful_invoice_count == len(docs) and rep.upo and rep.upo[0].verified, rep.status
    print(f"bench-python [{backend}]: invoices.send of {len(docs)} invoices of {len(docs[0]) // 1000} kB through one "
          f"online session (wall, incl. sim, UPO verified): {wall:.2f} s, {wall / len(docs) * 1e6:.0f} us/invoice")


def invoices(url: str, nip: str, n: int) -> list[bytes]:
    """n unique FA(3) invoices: the simulator's filled sample, renumbered."""
    import urllib.request
    mark = "BENCH-00000000"
    with urllib.request.urlopen(f"{url}/_sim/samples/fa3?sellerNip={nip}&number={mark}", timeout=10) as r:
        doc = r.read()
    stamp = f"{time.time_ns() % 10**6:06d}"
    return [doc.replace(mark.encode(), f"B{stamp}-{i:07d}".encode()) for i in range(n)]


def cold(backend: str, cache: Optional[str] = None) -> float:
    """Wall seconds of a fresh `python -c 'import ksefkit; ksefkit.version()'`."""
    env = dict(os.environ, KSEFKIT_BACKEND=backend, PYTHONPATH=HERE)
    if cache:
        env["KSEFKIT_CACHE"] = cache
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import ksefkit; ksefkit.version()"], env=env, check=True)
    return time.perf_counter() - t


def has_wasmtime() -> bool:
    try:
        import wasmtime  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=("native", "wasm"))
    a = ap.parse_args()
    if a.backend:
        one_backend(a.backend, os.environ.get("KSEF_BENCH_SIM", "").split() or None)
        return
    backends = ["native"] + (["wasm"] if has_wasmtime() else [])
    if "wasm" not in backends:
        print("bench-python: wasmtime not installed, wasm backend skipped (pip install 'ksefkit[wasm]')")
    sim_exe = os.environ.get("KSEF_SIM", "build/bin/ksef-sim")
    p = None
    sim: list[str] = []
    if os.path.exists(sim_exe):
        p = subprocess.Popen([sim_exe, "--addr", "127.0.0.1:0", "--seed-token", "--log-level", "error",
                              "--auth-delay", "0", "--processing-delay", "0", "--storage-delay", "0"],
                             stdout=subprocess.PIPE, text=True)
        url = p.stdout.readline().split()[-1]
        seed = json.loads(p.stdout.readline())
        sim = [url, seed["nip"], seed["token"]]
    else:
        print("bench-python: simulator not built, token auth skipped")
    try:
        for b in backends:  # one process each: the backend is fixed per process
            subprocess.run([sys.executable, os.path.abspath(__file__), "--backend", b],
                           env=dict(os.environ, KSEF_BENCH_SIM=" ".join(sim)), check=True)
    finally:
        if p is not None:
            p.terminate()
            p.wait(10)
    # Cold start: interpreter + import + first call, in a fresh process.
    print(f"bench-python [native]: cold start (python + import + first call): "
          f"{min(cold('native') for _ in range(3)) * 1e3:.0f} ms")
    if "wasm" in backends:
        tmp = tempfile.mkdtemp(prefix="ksefkit-bench-cache-")
        try:
            miss = cold("wasm", tmp)  # compiles ksef.wasm and fills the empty cache
            hit = min(cold("wasm", tmp) for _ in range(3))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"bench-python [wasm]: cold start, compile cache miss (compiles ksef.wasm): {miss * 1e3:.0f} ms")
        print(f"bench-python [wasm]: cold start, compile cache hit: {hit * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
