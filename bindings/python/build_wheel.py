"""Write the ksefkit wheel: the package plus libksef.so and ksef.wasm, nothing else.

A wheel is a zip with METADATA, WHEEL and RECORD in a .dist-info folder;
writing it directly keeps the build free of `wheel`/`build`/setuptools.
Tag py3-none-<platform>: ctypes does not depend on the CPython ABI, only
on the glibc the .so needs. ksef.wasm (the wasm backend, used with the
``wasm`` extra) is platform-independent and rides along in ``_lib``.

    python build_wheel.py --lib build/lib/libksef.so --wasm build/ksef.wasm \
        --plat manylinux_2_34_x86_64 --out build/dist
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
WASMTIME = "wasmtime==50.0.1"  # optional wasm backend, pinned (see mk/python.mk)


def digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--wasm", help="ksef.wasm to bundle as ksefkit/_lib/ksef.wasm (the wasm backend)")
    ap.add_argument("--plat", required=True, help="platform tag, e.g. manylinux_2_34_x86_64")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    init = open(os.path.join(HERE, "ksefkit", "__init__.py"), encoding="utf-8").read()
    version = re.search(r'^__version__ = "([^"]+)"', init, re.M).group(1)
    dist = f"ksefkit-{version}.dist-info"
    files = {}
    for root, dirs, names in os.walk(os.path.join(HERE, "ksefkit")):
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "_lib"))
        for n in sorted(names):
            if n.endswith((".py", ".typed")):
                p = os.path.join(root, n)
                files[os.path.relpath(p, HERE).replace(os.sep, "/")] = open(p, "rb").read()
    files["ksefkit/_lib/libksef.so"] = open(a.lib, "rb").read()
    if a.wasm:
        files["ksefkit/_lib/ksef.wasm"] = open(a.wasm, "rb").read()
    readme = open(os.path.join(HERE, "README.md"), encoding="utf-8").read()
    files[f"{dist}/METADATA"] = (
        "Metadata-Version: 2.1\nName: ksefkit\nVersion: " + version + "\n"
        "Summary: KSeF 2.0 (Polish national e-invoicing API v2) client: token and XAdES auth, Go core via ctypes or wasmtime\n"
        "License: Apache-2.0\nRequires-Python: >=3.9\n"
        "Provides-Extra: wasm\n" f'Requires-Dist: {WASMTIME} ; extra == "wasm"\n'
        "Description-Content-Type: text/markdown\n\n" + readme).encode()
    files[f"{dist}/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: ksefkit build_wheel.py\n"
                              f"Root-Is-Purelib: false\nTag: py3-none-{a.plat}\n").encode()
    record = [f"{n},{digest(d)},{len(d)}" for n, d in files.items()] + [f"{dist}/RECORD,,"]
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, f"ksefkit-{version}-py3-none-{a.plat}.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in files.items():
            info = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible
            info.external_attr = (0o755 if n.endswith(".so") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, d)
    print(path)


if __name__ == "__main__":
    main()
