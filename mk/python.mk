# mk/python.mk — the ksefkit wheel and its pytest suite.
#   make -f mk/capi.mk -f mk/python.mk wheel test-python bench-python
# Needs mk/capi.mk (lib, KSEF_SIM) included before it.
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
PY_SRC     := $(shell find $(PY_DIR)/ksefkit -name '*.py' -o -name py.typed) $(PY_DIR)/build_wheel.py $(PY_DIR)/README.md

.PHONY: wheel test-python bench-python

wheel: lib
	@rm -f $(BUILD)/dist/ksefkit-*.whl
	$(PYTHON) $(PY_DIR)/build_wheel.py --lib $(KSEF_LIB) --plat $(PY_PLAT) --out $(BUILD)/dist

# A fresh venv that sees the system pytest (--system-site-packages) gets
# the wheel with --no-index; pytest runs from a temp dir with importlib
# mode so it imports the INSTALLED package (a test asserts it).
test-python: wheel $(KSEF_SIM)
	rm -rf $(PY_VENV)
	$(PYTHON) -m venv --system-site-packages $(PY_VENV)
	$(PY_VENV)/bin/python -m pip install -q --no-index --no-deps $(BUILD)/dist/ksefkit-*.whl
	cd $$(mktemp -d) && KSEF_SIM=$(abspath $(KSEF_SIM)) KSEFKIT_VENV=$(abspath $(PY_VENV)) \
	  $(abspath $(PY_VENV))/bin/python -m pytest -q -p no:cacheprovider --import-mode=importlib \
	  --rootdir=$(abspath $(PY_DIR)) $(abspath $(PY_DIR))/tests

bench-python: lib $(KSEF_SIM)
	KSEFKIT_LIB=$(abspath $(KSEF_LIB)) KSEF_SIM=$(abspath $(KSEF_SIM)) PYTHONPATH=$(abspath $(PY_DIR)) \
	  $(PYTHON) $(PY_DIR)/bench.py
