"""Wheel build hook: bundle the Go build's artifacts and tag the wheel by them.

The wheel carries ``ksefkit/_lib/libksef.so`` (the native backend) and
``ksefkit/_lib/ksef.wasm`` (the wasm backend). They are built by the
repository's Makefile (``make lib wasm``), not here: that build needs Go, the
zig C toolchain for the glibc floor and wasm-opt, and the Makefile is the one
place that knows how. This hook only takes them from a build folder laid out
as the Makefile lays out ``build/``:

    $KSEFKIT_BUILD_DIR/lib/libksef.so
    $KSEFKIT_BUILD_DIR/ksef.wasm

``KSEFKIT_BUILD_DIR`` defaults to the repository's ``build/`` (two folders
up), so ``make lib wasm && pip install bindings/python`` works from a source
tree. Missing artifacts fail the build: a wheel without them would install
and then fail at the first call.

The tag is ``py3-none-<platform>``: ctypes does not depend on the CPython
ABI, only on the machine and the glibc the library needs. Both are read from
the library itself (its ELF machine and the newest ``GLIBC_`` symbol version it
requires), so the tag cannot claim more than the build delivers;
``make test`` checks it against ``auditwheel show``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# ELF e_machine -> the architecture in manylinux tags.
_ARCH = {"EM_X86_64": "x86_64", "EM_AARCH64": "aarch64"}
# The oldest glibc any manylinux tag we produce names: manylinux2014, the
# oldest policy for aarch64 and the target of the zig build (mk/capi.mk).
_FLOOR = (2, 17)


def build_dir(root: str) -> Path:
    env = os.environ.get("KSEFKIT_BUILD_DIR")
    return Path(env).resolve() if env else (Path(root) / ".." / ".." / "build").resolve()


def platform_tag(lib: Path) -> str:
    """manylinux_X_Y_<arch> for the library (plus manylinux2014_<arch> at 2.17)."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.gnuversions import GNUVerNeedSection

    with lib.open("rb") as f:
        elf = ELFFile(f)
        machine = elf["e_machine"]
        if machine not in _ARCH:
            raise RuntimeError(f"{lib}: no manylinux tag for ELF machine {machine}")
        glibc = _FLOOR
        for sec in elf.iter_sections():
            if not isinstance(sec, GNUVerNeedSection):
                continue
            for _, auxiliaries in sec.iter_versions():
                for aux in auxiliaries:
                    name = aux.name
                    if name.startswith("GLIBC_2."):
                        v = tuple(int(p) for p in name[len("GLIBC_"):].split("."))[:2]
                        glibc = max(glibc, (v[0], v[1]))
    arch = _ARCH[machine]
    tag = f"manylinux_{glibc[0]}_{glibc[1]}_{arch}"
    if glibc == (2, 17):
        tag += f".manylinux2014_{arch}"  # the name pip < 20.3 (old distributions) knows
    return tag


class ArtifactsHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        d = build_dir(self.root)
        lib, wasm = d / "lib" / "libksef.so", d / "ksef.wasm"
        missing = [str(p) for p in (lib, wasm) if not p.is_file()]
        if missing:
            raise RuntimeError(
                f"ksefkit wheel: missing {', '.join(missing)}; run `make lib wasm` in the repository "
                "(or set KSEFKIT_BUILD_DIR to a folder with lib/libksef.so and ksef.wasm)")
        # resolve(): build/lib/libksef.so is a symlink to the versioned file.
        build_data["force_include"][str(lib.resolve())] = "ksefkit/_lib/libksef.so"
        build_data["force_include"][str(wasm.resolve())] = "ksefkit/_lib/ksef.wasm"
        build_data["pure_python"] = False
        build_data["tag"] = f"py3-none-{platform_tag(lib)}"
