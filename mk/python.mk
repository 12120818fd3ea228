# mk/python.mk — the ksefkit wheel (bindings/python/pyproject.toml, hatchling)
# and its pytest suite.
#   make wheel          → build/dist/ksefkit-<v>-py3-none-manylinux_2_17_<arch>….whl
#   make wheel-check    → auditwheel show must confirm the wheel's platform tag
#   make test-python    → the suite against the installed wheel, native and wasm backends
#   make bench-python
# Needs mk/tools.mk, mk/capi.mk (lib, KSEF_SIM) and mk/wasm.mk (wasm, WASM)
# included before it (the top-level Makefile does).
GO     ?= go
BUILD  ?= build
PYTHON ?= python3

PY_DIR     := bindings/python
PY_VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' $(PY_DIR)/ksefkit/__init__.py)
PY_DIST    := $(BUILD)/dist
PY_VENV    := $(BUILD)/venv
# The wasm extra's pin, read from the one place that declares it.
PY_WASMTIME := $(shell sed -n 's/^wasm = \["\([^"]*\)"\]/\1/p' $(PY_DIR)/pyproject.toml)
PY_TEST_REQ := mk/requirements-test.txt
# Compiled ksef.wasm for the test and bench runs (KSEFKIT_CACHE), kept
# between runs: only the first run after ksef.wasm changes compiles (seconds).
PY_WASM_CACHE := $(BUILD)/ksefkit-cache
PY_BENCH_VENV := $(BUILD)/venv-bench

.PHONY: wheel wheel-check test-python bench-python

# $(call py_wheel,BUILD_DIR,OUT_DIR): the wheel of the artifacts in BUILD_DIR
# (lib/libksef.so, ksef.wasm), built by hatchling from pyproject.toml; the
# hook (hatch_build.py) tags it by the library. --no-isolation: the backend
# comes pinned from the tools venv, and build checks it matches pyproject's.
py_wheel = rm -f $(2)/ksefkit-*.whl && KSEFKIT_BUILD_DIR=$(abspath $(1)) \
	$(TOOLS_BIN)/python -m build -q --wheel --no-isolation --outdir $(abspath $(2)) $(PY_DIR) && ls $(2)/ksefkit-*.whl

wheel: lib wasm $(TOOLS_OK)
	$(call py_wheel,$(BUILD),$(PY_DIST))

# $(call py_wheel_check,WHEEL_DIR,POLICY): auditwheel must find the wheel
# consistent with POLICY, and the wheel's tag must name it: the tag is true.
py_wheel_check = whl=$$(ls $(1)/ksefkit-*.whl) && $(TOOLS_BIN)/auditwheel show $$whl > $(1)/auditwheel.txt && \
	cat $(1)/auditwheel.txt && tr -s ' \n' '  ' < $(1)/auditwheel.txt | \
	  grep -q 'is consistent with the following platform tag: "$(2)"' && \
	case "$${whl\#\#*/}" in *-py3-none-*$(2)*.whl) echo "wheel tag and auditwheel agree: $(2)" ;; *) false ;; esac || \
	{ echo "auditwheel does not confirm $(2) for $$whl"; exit 1; }

wheel-check: wheel
	@$(call py_wheel_check,$(PY_DIST),manylinux_2_17_$(HOST_ARCH))

# A fresh venv gets the pinned pytest and the wheel with its wasm extra
# (wasmtime, pinned, from PyPI) and nothing else; pytest runs from a temp dir
# with importlib mode so it imports the INSTALLED package (a test asserts it).
# The whole suite runs twice: on the native backend (libksef.so) and on the
# wasm backend (ksef.wasm under wasmtime).
PY_BACKENDS ?= native wasm
test-python: wheel-check $(KSEF_SIM)
	rm -rf $(PY_VENV)
	$(PYTHON) -m venv $(PY_VENV)
	$(PY_VENV)/bin/python -m pip install -q --disable-pip-version-check -r $(PY_TEST_REQ) "$$(ls $(PY_DIST)/ksefkit-*.whl)[wasm]"
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
$(PY_BENCH_VENV)/.ok: $(PY_DIR)/pyproject.toml
	rm -rf $(PY_BENCH_VENV)
	$(PYTHON) -m venv $(PY_BENCH_VENV)
	$(PY_BENCH_VENV)/bin/python -m pip install -q --disable-pip-version-check "$(PY_WASMTIME)"
	touch $@

bench-python: lib wasm $(KSEF_SIM) $(PY_BENCH_VENV)/.ok
	KSEFKIT_LIB=$(abspath $(KSEF_LIB)) KSEFKIT_WASM=$(abspath $(WASM)) KSEFKIT_CACHE=$(abspath $(PY_WASM_CACHE)) \
	  KSEF_SIM=$(abspath $(KSEF_SIM)) PYTHONPATH=$(abspath $(PY_DIR)) \
	  $(PY_BENCH_VENV)/bin/python $(PY_DIR)/bench.py
