"""Which backend runs the core, and what only one of them does."""
from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import ksefkit
from ksefkit import _backend

REQUESTED = os.environ.get("KSEFKIT_BACKEND") or "native"
WASM = REQUESTED == "wasm"
# What version().platform says on the native backend: Go's GOOS/GOARCH.
NATIVE_PLATFORM = "linux/" + {"x86_64": "amd64", "aarch64": "arm64"}[platform.machine()]


def _has_wasmtime() -> bool:
    try:
        import wasmtime  # noqa: F401
    except ImportError:
        return False
    return True


def test_backend_is_the_requested_one():
    assert ksefkit.backend() == REQUESTED == _backend.current()
    assert ksefkit.version().platform == ("wasip1/wasm" if WASM else NATIVE_PLATFORM)
    from ksefkit import _native
    assert _backend._impl is not None
    assert _backend._impl.__name__ == ("ksefkit._wasm_backend" if WASM else "ksefkit._native")
    if WASM:
        assert _native._lib is None, "the wasm backend must not load libksef.so"
    else:
        assert _native._lib is not None


def test_choice_is_fixed_after_first_use():
    other = "native" if WASM else "wasm"
    ksefkit.use_backend(REQUESTED)  # the same one again: fine
    with pytest.raises(RuntimeError, match="already runs on"):
        ksefkit.use_backend(other)
    with pytest.raises(ValueError, match="unknown ksefkit backend"):
        ksefkit.use_backend("jvm")
    assert ksefkit.backend() == REQUESTED


def _fresh(code: str, **env: str) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if k != "KSEFKIT_BACKEND"}
    e.update(env)
    return subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, text=True, timeout=120,
                          check=False)  # the tests read returncode


@pytest.mark.skipif(not _has_wasmtime(), reason="wasmtime not installed (pip install 'ksefkit[wasm]')")
def test_use_backend_overrides_the_environment():
    r = _fresh("import ksefkit; ksefkit.use_backend('wasm'); print(ksefkit.backend(), ksefkit.version().platform)",
               KSEFKIT_BACKEND="native")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["wasm", "wasip1/wasm"]
    r = _fresh("import ksefkit; print(ksefkit.backend())")
    assert r.stdout.strip() == "native"  # the default
    r = _fresh("import ksefkit; ksefkit.version()", KSEFKIT_BACKEND="bogus")
    assert r.returncode != 0 and "InputError" in r.stderr and "unknown ksefkit backend from $KSEFKIT_BACKEND" in r.stderr
    assert "bogus" not in r.stderr  # the echo rule: a rejected value is described, not quoted


def test_wasm_extra_is_pinned():
    try:
        reqs = metadata.requires("ksefkit") or []
    except metadata.PackageNotFoundError:
        pytest.skip("ksefkit is not installed as a distribution")
    from packaging.requirements import Requirement  # pytest's own dependency
    pins = [Requirement(r) for r in reqs if r.startswith("wasmtime")]
    assert [(str(p.specifier), p.marker.evaluate({"extra": "wasm"}) if p.marker else None) for p in pins] \
        == [("==50.0.1", True)], reqs
    if WASM:
        assert metadata.version("wasmtime") == "50.0.1"


@pytest.mark.skipif(not WASM, reason="wasm backend only")
def test_wasm_compile_cache_is_keyed_by_wasmtime_and_module():
    from ksefkit import _wasm_backend as w
    ksefkit.version()
    code = Path(w.wasm_path()).read_bytes()
    path = w.cache_file(code)
    assert os.path.dirname(path) == w.cache_dir()
    name = os.path.basename(path)
    assert metadata.version("wasmtime") in name and hashlib.sha256(code).hexdigest() in name
    assert os.path.isfile(path)  # written by the first instance of this run or an earlier one


@pytest.mark.skipif(not WASM, reason="wasm backend only: libksef.so refuses forked children (test_local)")
def test_wasm_survives_fork():
    ksefkit.version()  # the instance exists in the parent
    pid = os.fork()
    if pid == 0:  # child: the inherited instance must keep working
        code = 3
        try:
            cert = ksefkit.certs.generate_test("personal", nip="5265877635")
            code = 0 if ksefkit.certs.inspect(cert.certificate_pem).identity["value"] == "5265877635" else 1
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0, status
    assert ksefkit.version()  # the parent is unaffected


@pytest.mark.skipif(not WASM, reason="wasm backend only: a trap of ksef.wasm")
def test_wasm_trap_resets_instance():
    from ksefkit import _wasm_backend as w
    c = ksefkit.Client(ksefkit.Environment.TEST)
    with w._lock:
        inst = w._instance()
        with pytest.raises(ksefkit.InternalError, match="trapped"):
            inst.scalar("ksef_call", 0, 0x7FFFFFF0, 100, 0, 0)  # an op name outside guest memory
    assert w._instance().generation == inst.generation + 1
    assert ksefkit.version().platform == "wasip1/wasm"  # a fresh instance
    with pytest.raises(ksefkit.InvalidHandleError, match="trapped"):
        c.auth.info()  # its client died with the old instance; never names another
    c.close()
