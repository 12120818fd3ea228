# mk/python.mk — the ksefkit wheel and its pytest suite.
#   make -f mk/capi.mk -f mk/wasm.mk -f mk/python.mk wheel test-python bench-python
# Needs mk/capi.mk (lib, KSEF_SIM) and mk/wasm.mk (wasm, WASM) included before it.
GO     ?= go
BUILD  ?= build
PYTHON ?= python3

PY_DIR     := bindings/python
PY_VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' $(PY_DIR)/ksefkit/__init__.py)
# The platform tag follows the newest glibc symbol version the library
# needs (2.34 for a plain bookworm build; see examples/c/README.md).
PY_GLIBC    = $(shell objdump -T $(KSEF_LIB) | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -1 | sed 's/GLIBC_//; s/\./_/')
PY_PLAT     = manylinux_$(PY_GLIBC)_x86_64
PY_WHEEL    = $(BUILD)/dist/ksefkit-$(PY_VERSION)-py3-none-$(PY_PLAT).whl
PY_VENV    := $(BUILD)/venv
# The wasm extra's pin, read from the one place that declares it.
PY_WASMTIME := $(shell sed -n 's/^WASMTIME = "\([^"]*\)".*/\1/p' $(PY_DIR)/build_wheel.py)
# Compiled ksef.wasm for the test and bench runs (KSEFKIT_CACHE), kept
# between runs: only the first run after ksef.wasm changes compiles (seconds).
PY_WASM_CACHE := $(BUILD)/ksefkit-cache
PY_BENCH_VENV := $(BUILD)/venv-bench
PY_SRC     := $(shell find $(PY_DIR)/ksefkit -name '*.py' -o -name py.typed) $(PY_DIR)/build_wheel.py $(PY_DIR)/README.md

.PHONY: wheel test-python bench-python

wheel: lib wasm
	@rm -f $(BUILD)/dist/ksefkit-*.whl
	$(PYTHON) $(PY_DIR)/build_wheel.py --lib $(KSEF_LIB) --wasm $(WASM) --plat $(PY_PLAT) --out $(BUILD)/dist

# A fresh venv that sees the system pytest (--system-site-packages) gets
# the wheel with its wasm extra (wasmtime, pinned, from PyPI); pytest runs
# from a temp dir with importlib mode so it imports the INSTALLED package (a
# test asserts it). The whole suite runs twice: on the native backend
# (libksef.so) and on the wasm backend (ksef.wasm under wasmtime).
PY_BACKENDS ?= native wasm
test-python: wheel $(KSEF_SIM)
	rm -rf $(PY_VENV)
	$(PYTHON) -m venv --system-site-packages $(PY_VENV)
	$(PY_VENV)/bin/python -m pip install -q --disable-pip-version-check "$$(ls $(BUILD)/dist/ksefkit-*.whl)[wasm]"
	@$(PY_VENV)/bin/python -m pip show -q wasmtime >/dev/null
	@tmp=$$(mktemp -d) && cd $$tmp && for b in $(PY_BACKENDS); do \
	  echo "test-python: backend $$b"; \
	  KSEFKIT_BACKEND=$$b KSEFKIT_CACHE=$(abspath $(PY_WASM_CACHE)) KSEF_SIM=$(abspath $(KSEF_SIM)) \
	    KSEFKIT_VENV=$(abspath $(PY_VENV)) \
	    $(abspath $(PY_VENV))/bin/python -m pytest -q -rs -p no:cacheprovider --import-mode=importlib \
	    --rootdir=$(abspath $(PY_DIR)) $(abspath $(PY_DIR))/tests || exit 1; \
	done; rm -rf $$tmp

# Runs from the source tree (KSEFKIT_LIB/KSEFKIT_WASM name the build's
# artifacts) in a venv that has the pinned wasmtime.
$(PY_BENCH_VENV)/.ok: $(PY_DIR)/build_wheel.py
	rm -rf $(PY_BENCH_VENV)
	$(PYTHON) -m venv --system-site-packages $(PY_BENCH_VENV)
	$(PY_BENCH_VENV)/bin/python -m pip install -q --disable-pip-version-check "$(PY_WASMTIME)"
	touch $@

bench-python: lib wasm $(KSEF_SIM) $(PY_BENCH_VENV)/.ok
	KSEFKIT_LIB=$(abspath $(KSEF_LIB)) KSEFKIT_WASM=$(abspath $(WASM)) KSEFKIT_CACHE=$(abspath $(PY_WASM_CACHE)) \
	  KSEF_SIM=$(abspath $(KSEF_SIM)) PYTHONPATH=$(abspath $(PY_DIR)) \
	  $(PY_BENCH_VENV)/bin/python $(PY_DIR)/bench.py
