#!/usr/bin/env python3
"""The hostile-server suite through the C ABI (test tooling for test-c).

    hostile.py BUILD/c/hostile_call SIM_URL NIP TOKEN

For every case of core/ksef/testdata/hostile.json (found relative to this
file) install the fault on the simulator, run ``hostile_call`` (one
auth.token through libksef.so) and check the error code of the envelope it
prints, the elapsed time against the suite's deadline and the peak RSS it
reports (getrusage) against the body cap. Exit 0 when every case holds.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

# A C process with the Go runtime is ~15 MiB; reading up to the 64 MiB cap
# adds about twice that. A 200 MB answer read whole would take far more.
MAX_RSS = 300 << 20


def faults(url: str, method: str, specs: list[str] | None = None) -> None:
    data = json.dumps({"faults": specs}).encode() if specs is not None else None
    r = urllib.request.Request(url + "/_sim/faults", data=data, method=method, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(r, timeout=10).read()


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    exe, url, nip, token = sys.argv[1:]
    suite = json.loads((Path(__file__).resolve().parents[2] / "core" / "ksef" / "testdata" / "hostile.json").read_text())
    limit_s = (suite["totalTimeoutMs"] + suite["slackMs"]) / 1000
    failed = []
    for case in suite["cases"]:
        faults(url, "DELETE")
        faults(url, "POST", [f"{suite['route']}#every={case['kind']}"])
        t0 = time.monotonic()
        r = subprocess.run([exe, url, nip, token, str(suite["totalTimeoutMs"]), str(suite["requestTimeoutMs"])],
                           capture_output=True, timeout=60)
        took = time.monotonic() - t0
        out, err = r.stdout, r.stderr.decode(errors="replace")
        try:
            code = json.loads(out)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = None
        m = re.search(r"^peak_rss_kib=(\d+)$", err, re.M)
        rss = int(m.group(1)) << 10 if m else None
        problems = []
        if r.returncode != 0 or code != case["code"]:
            problems.append(f"want {case['code']}, got exit {r.returncode}: {out.decode(errors='replace').strip()} {err.strip()}")
        if case.get("message") and case["message"].encode() not in out:
            problems.append(f"message lacks {case['message']!r}")
        if took > limit_s:
            problems.append(f"took {took:.2f} s (deadline {suite['totalTimeoutMs']} ms)")
        if rss is None:
            problems.append("hostile_call did not report its peak RSS")
        elif rss > MAX_RSS:
            problems.append(f"peak RSS {rss >> 20} MiB")
        print(f"  {case['kind']}: {code} in {took:.2f} s, peak RSS {rss >> 20 if rss else '?'} MiB")
        failed += [f"{case['kind']}: {x}" for x in problems]
    faults(url, "DELETE")
    for f in failed:
        print("FAIL", f, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
