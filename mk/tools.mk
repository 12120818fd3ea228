# mk/tools.mk — the pinned tools from PyPI the build and the tests need,
# installed into $(BUILD)/tools by `make deps` (nothing system-wide):
#   build, hatchling, pyelftools   the wheel (mk/python.mk)
#   auditwheel                     proves the wheel's platform tag
#   ziglang                        zig cc: the C toolchain of libksef.so
#   ruff, mypy (+ wasmtime)        the Python lint gates
# The versions are in mk/requirements-tools.txt. The venv is remade when that
# file changes.
#
# $(call ZCC,ARCH) / $(call ZCXX,ARCH) name the zig cc / c++ wrappers for
# ARCH (x86_64 or aarch64) that target glibc $(ZIG_GLIBC): Go's cgo and the C
# tests run them as CC/CXX.
BUILD  ?= build
PYTHON ?= python3

TOOLS      := $(BUILD)/tools
TOOLS_BIN  := $(abspath $(TOOLS))/bin
TOOLS_OK   := $(TOOLS)/.ok
TOOLS_REQ  := mk/requirements-tools.txt
ZIG_GLIBC  := 2.17
ZIG_ARCHES := x86_64 aarch64
ZIG_CACHE  := $(abspath $(BUILD))/zig-cache
ZCC         = $(TOOLS_BIN)/zcc-$(1)
ZCXX        = $(TOOLS_BIN)/zcxx-$(1)

.PHONY: tools
tools: $(TOOLS_OK)

# The wrappers pin the target (and keep zig's cache under $(BUILD)), so that
# CC is one word wherever it is used.
$(TOOLS_OK): $(TOOLS_REQ) mk/tools.mk
	rm -rf $(TOOLS)
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS_BIN)/python -m pip install -q --disable-pip-version-check -r $(TOOLS_REQ)
	@zig=$$($(TOOLS_BIN)/python -c 'import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))'); \
	for arch in $(ZIG_ARCHES); do for tool in cc:zcc c++:zcxx; do \
	  printf '#!/bin/sh\n# zig %s for %s-linux-gnu.%s (mk/tools.mk)\nexport ZIG_GLOBAL_CACHE_DIR="$${ZIG_GLOBAL_CACHE_DIR:-%s}" ZIG_LOCAL_CACHE_DIR="$${ZIG_LOCAL_CACHE_DIR:-%s}"\nexec %s %s -target %s-linux-gnu.%s "$$@"\n' \
	    $${tool%%:*} $$arch $(ZIG_GLIBC) $(ZIG_CACHE) $(ZIG_CACHE) "$$zig" $${tool%%:*} $$arch $(ZIG_GLIBC) \
	    > $(TOOLS_BIN)/$${tool#*:}-$$arch && chmod +x $(TOOLS_BIN)/$${tool#*:}-$$arch; done; done
	@echo "tools: $$($(TOOLS_BIN)/python -m pip freeze | tr '\n' ' ')"
	touch $@
