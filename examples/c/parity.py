#!/usr/bin/env python3
"""Replay the parity vectors through the C ABI (test tooling for test-c).

    parity.py BUILD/c/parity_call [PARITY_DIR]

For every case of PARITY_DIR/cases.json (default: the repository's
core/ops/testdata/parity, found relative to this file) run
``parity_call OP INPUT`` and compare the envelope it prints with
expected.json as JSON data (exact equality). Exit 0 when all match.
$KSEF_EXEC, when set, is the command that runs parity_call (an emulator for
another architecture's build, e.g. "qemu-aarch64-static -L SYSROOT").
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    exe = sys.argv[1]
    runner = shlex.split(os.environ.get("KSEF_EXEC", ""))
    root = Path(__file__).resolve().parents[2]
    parity = Path(sys.argv[2]) if len(sys.argv) == 3 else root / "core" / "ops" / "testdata" / "parity"
    cases = json.loads((parity / "cases.json").read_text(encoding="utf-8"))
    expected = json.loads((parity / "expected.json").read_text(encoding="utf-8"))
    failed = []
    if sorted(c["name"] for c in cases) != sorted(expected):
        failed.append("cases.json and expected.json name different cases")
    with tempfile.TemporaryDirectory() as tmp:
        for i, case in enumerate(cases):
            def write(name: str, value: object) -> str:
                p = Path(tmp) / f"{i}-{name}.json"
                p.write_text(json.dumps(value, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
                return str(p)

            argv = [exe]
            if "client" in case:
                argv += ["-c", write("client", case["client"])]
            for n, step in enumerate(case.get("setup") or ()):
                argv += ["-s", step["op"], write(f"setup{n}", step["input"])]
            argv += [case["op"], write("input", case["input"])]
            r = subprocess.run(runner + argv, capture_output=True, timeout=60)
            if r.returncode != 0:
                failed.append(f"{case['name']}: parity_call exit {r.returncode}: {r.stderr.decode(errors='replace')}")
                continue
            try:
                got = json.loads(r.stdout)
            except ValueError as e:
                failed.append(f"{case['name']}: not JSON ({e})")
                continue
            if got != expected.get(case["name"]):
                failed.append(f"{case['name']}: envelope differs\n  got:  {r.stdout[:300]!r}")
    for f in failed:
        print("mismatch:", f)
    print(f"parity: {len(cases) - len(failed)}/{len(cases)} cases match expected.json")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
