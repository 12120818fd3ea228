# mk/aarch64.mk — libksef.so and the wheel for linux-aarch64, tested on this
# (x86_64) machine under qemu-user.
#   make lib-aarch64     → build/aarch64/lib/libksef.so (zig cc cross, glibc 2.17)
#   make wheel-aarch64   → build/aarch64/dist/ksefkit-…-manylinux_2_17_aarch64….whl,
#                          confirmed by auditwheel show
#   make test-aarch64    → the C suite (examples/c/run_tests.sh) and the whole
#                          Python suite (native and wasm backends) on aarch64
#
# The programs run under Debian's qemu-user-static, named on each command
# line (-L: the aarch64 sysroot), so nothing is registered with the kernel
# (binfmt_misc is a host-wide setting, and containers rarely may change it).
# The sysroot is Debian's own python3 for arm64, unpacked by mmdebstrap
# (--variant=extract: packages unpacked, no maintainer scripts, so no
# emulation needed to make it) from the host's Debian release. The Python
# packages (pytest, the wheel, wasmtime) are installed into a --target folder
# by this machine's pip (build/tools) from PyPI's aarch64 wheels.
# Needs mk/tools.mk, mk/capi.mk, mk/wasm.mk, mk/python.mk before it.
A64          := $(BUILD)/aarch64
A64_LIB_FILE := $(A64)/lib/libksef.so.$(KSEF_VERSION)
A64_BIN      := $(A64)/c
A64_SYSROOT  := $(abspath $(A64))/sysroot
A64_SITE     := $(A64)/site
A64_DIST     := $(A64)/dist
A64_QEMU     := qemu-aarch64-static -L $(A64_SYSROOT)
DEB_RELEASE  := $(shell . /etc/os-release 2>/dev/null && echo $$VERSION_CODENAME)
# sys.executable of the emulated Python: a script that runs it under qemu again,
# so that the suite's subprocesses of sys.executable work without binfmt_misc.
A64_PYTHON   := $(abspath $(A64))/bin/python3

.PHONY: lib-aarch64 wheel-aarch64 test-aarch64 test-aarch64-c test-aarch64-python

lib-aarch64: $(A64)/lib/libksef.so $(A64)/lib/$(KSEF_SONAME) $(A64)/include/ksef.h

$(A64_LIB_FILE): $(CAPI_GO_SRC) include/ksef.h capi/ksef.map mk/capi.mk | $(TOOLS_OK)
	@mkdir -p $(@D)
	$(call capi_build,$(GOARCH_aarch64),$(call ZCC,aarch64),$@)

$(A64)/include/ksef.h: include/ksef.h
	@mkdir -p $(@D)
	cp $< $@

$(eval $(call c_prog_rules,$(A64_BIN),$(A64),$(call ZCC,aarch64),$(call ZCXX,aarch64)))

# The wheel hook takes lib/libksef.so and ksef.wasm from one folder.
$(A64)/ksef.wasm: $(WASM)
	@mkdir -p $(@D)
	ln -sf $(abspath $(WASM)) $@

wheel-aarch64: lib-aarch64 $(A64)/ksef.wasm $(TOOLS_OK)
	$(call py_wheel,$(A64),$(A64_DIST))
	@$(call py_wheel_check,$(A64_DIST),manylinux_2_17_aarch64)

# /dev and /tmp go: qemu -L looks a path up in the sysroot first, and the
# host's are the ones to use.
$(A64_SYSROOT)/.ok:
	@command -v mmdebstrap >/dev/null && command -v qemu-aarch64-static >/dev/null || \
	  { echo "needs mmdebstrap and qemu-user-static: run 'make deps'"; exit 1; }
	rm -rf $(A64_SYSROOT)
	mmdebstrap --quiet --variant=extract --arch=arm64 --include=python3 $(DEB_RELEASE) $(A64_SYSROOT)
	rm -rf $(A64_SYSROOT)/dev $(A64_SYSROOT)/tmp
	@mkdir -p $(dir $(A64_PYTHON))
	printf '#!/bin/sh\nexec $(A64_QEMU) -0 "$$0" $(A64_SYSROOT)/usr/bin/python3 "$$@"\n' > $(A64_PYTHON)
	chmod +x $(A64_PYTHON)
	$(A64_PYTHON) -c 'import platform, sys; print("aarch64 sysroot:", platform.machine(), sys.version.split()[0])'
	touch $@

# Pure-Python pytest and the aarch64 wheels of ksefkit and wasmtime, for the
# sysroot's Python version.
$(A64_SITE)/.ok: wheel-aarch64 $(A64_SYSROOT)/.ok $(PY_TEST_REQ)
	rm -rf $(A64_SITE)
	$(TOOLS_BIN)/python -m pip install -q --disable-pip-version-check --target $(A64_SITE) \
	  --platform manylinux2014_aarch64 --implementation cp --only-binary=:all: \
	  --python-version $$($(A64_PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])') \
	  -r $(PY_TEST_REQ) "$$(ls $(A64_DIST)/ksefkit-*.whl)[wasm]"
	touch $@

test-aarch64: test-aarch64-c test-aarch64-python

test-aarch64-c: lib-aarch64 $(addprefix $(A64_BIN)/,$(C_TEST_PROGS)) $(KSEF_SIM) $(A64_SYSROOT)/.ok
	@$(call glibc_floor_check,$(A64)/lib/libksef.so)
	BUILD=$(A64) KSEF_SIM=$(KSEF_SIM) CC=$(call ZCC,aarch64) CXX=$(call ZCXX,aarch64) KSEF_EXEC="$(A64_QEMU)" \
	  sh $(C_EX_DIR)/run_tests.sh

# As test-python, against the installed aarch64 wheel (KSEFKIT_VENV names the
# folder it is installed in); the simulator runs natively. Compiling ksef.wasm
# for aarch64 under emulation takes minutes on a loaded machine, more than a
# test's subprocess may wait: it is done first, once per module (cached).
A64_WASM_CACHE := $(abspath $(A64))/ksefkit-cache
test-aarch64-python: $(A64_SITE)/.ok $(KSEF_SIM)
	KSEFKIT_CACHE=$(A64_WASM_CACHE) PYTHONPATH=$(abspath $(A64_SITE)) $(A64_PYTHON) -c \
	  'import ksefkit; ksefkit.use_backend("wasm"); print("ksef.wasm compiled for", ksefkit.version().platform, "on aarch64")'
	@tmp=$$(mktemp -d) && cd $$tmp && for b in $(PY_BACKENDS); do \
	  echo "test-aarch64-python: backend $$b"; \
	  KSEFKIT_BACKEND=$$b KSEFKIT_CACHE=$(A64_WASM_CACHE) KSEF_SIM=$(abspath $(KSEF_SIM)) \
	    KSEFKIT_VENV=$(abspath $(A64_SITE)) PYTHONPATH=$(abspath $(A64_SITE)) \
	    $(A64_PYTHON) -m pytest -q -rs -p no:cacheprovider --import-mode=importlib \
	    --rootdir=$(abspath $(PY_DIR)) $(abspath $(PY_DIR))/tests || exit 1; \
	done; rm -rf $$tmp
