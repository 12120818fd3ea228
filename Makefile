# ksefkit — one Go core, two artifacts (libksef.so, ksef.wasm), thin bindings.
#
#   make demo    build everything and run the main job against the bundled simulator
#   make cli     build the ksef command-line tool (build/bin/ksef)
#   make test    every test of every language (what CI runs)
#   make bench   benchmarks (figures are printed, never asserted)
#   make test-memory  the 1 GB memory tests: batch (mk/batch.mk) and export (mk/receive.mk), and a
#                ~200 MB batch over ksef.wasm from Node (mk/node.mk)
#   make docs    regenerate docs/ops.md and the bindings' error classes (make errors) from Go
#
# Area-specific targets live in mk/*.mk (C ABI, Python, wasm, Node).

GO      ?= go
BUILD   ?= build
export GOFLAGS ?= -buildvcs=false

# `make` alone builds everything: the included files' first rules must not
# become the default goal.
.DEFAULT_GOAL := all

# Area makefiles first: their variables ($(C_BIN), $(KSEF_SIM) …) are used below.
# In this order: each one's rules name variables of those before it.
include mk/tools.mk mk/capi.mk mk/wasm.mk mk/python.mk mk/node.mk mk/aarch64.mk mk/lint.mk mk/fuzz.mk mk/batch.mk mk/receive.mk

.PHONY: all build go-build sim cli demo test go-test go-race docs docs-check errors deps deps-debian bench go-bench clean help

all: build

help:
	@sed -n 's/^#   //p' Makefile

build: deps go-build sim cli lib wasm wheel npm

go-build:
	$(GO) build ./...
	GOOS=wasip1 GOARCH=wasm $(GO) build ./core/...

# The simulator binary's rule ($(KSEF_SIM)) lives in mk/capi.mk.
sim: capi-sim
	$(GO) build -o $(BUILD)/bin/ksef-demo ./cmd/ksef-demo

# The ksef command-line tool.
cli:
	$(GO) build -o $(BUILD)/bin/ksef ./cmd/ksef

# The tools the build and the tests need, so that a fresh Debian machine
# needs nothing by hand. From Debian's packages: wasm-opt (binaryen) shrinks
# ksef.wasm; xmlsec1 and xmllint (libxml2-utils) check our XAdES signatures
# and canonical XML independently; the simulator validates invoices and UPOs
# against their XSDs with libxml2 through cgo, which needs its headers
# (libxml2-dev) found by pkg-config, also used by the install test;
# qemu-user-static and mmdebstrap run the aarch64 build (mk/aarch64.mk). Pinned
# from PyPI into build/tools (mk/tools.mk): zig (the C toolchain), the wheel's
# build tools, auditwheel and the linters.
DEB_TOOLS := wasm-opt:binaryen xmlsec1:xmlsec1 xmllint:libxml2-utils pkg-config:pkg-config \
	qemu-aarch64-static:qemu-user-static mmdebstrap:mmdebstrap

deps: deps-debian tools

deps-debian:
	@missing=; for t in $(DEB_TOOLS); do \
	  command -v $${t%%:*} >/dev/null 2>&1 || missing="$$missing $${t#*:}"; done; \
	pkg-config --exists libxml-2.0 2>/dev/null || missing="$$missing libxml2-dev"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null; fi

demo: build $(C_BIN)/token_auth
	./build/scripts/demo.sh

test: deps go-build docs-check header-check lint go-test go-race fuzz-smoke test-c test-glibc-floor test-install \
	test-python test-node test-aarch64
	@echo "all test suites passed"

# Includes the wazero host test of build/ksef.wasm (wasm/hosttest) and its
# size budget.
go-test: sim wasm
	KSEFKIT_WASM=$(abspath $(BUILD)/ksef.wasm) $(GO) test -count=1 ./...

# The concurrency-heavy packages again under the race detector.
go-race:
	$(GO) test -count=1 -race ./core/auth/... ./core/step/... ./core/bridge/... ./sim/...
	$(GO) test -count=1 -race -run 'TestSendBatch$$|TestResumeAfterCrash|TestPartUploadFaults' ./core/batch

# Generated from Go and committed: docs/ops.md (the operation table) and the
# exception classes of both bindings (the table of error codes, `make errors`).
docs: errors
	$(GO) test ./core/ops -run TestOpsDocIsFresh -update

# The error classes of bindings/python/ksefkit (errors.py, __init__.py) and
# bindings/node (lib/errors.cjs, index.d.ts, index.mjs), and the vectors
# their tests replay (core/errs/testdata/codes.json), from core/errs/table.go.
errors:
	$(GO) test ./core/errs/errgen -run TestGeneratedErrorsAreFresh -update

docs-check:
	$(GO) test -count=1 ./core/ops -run TestOpsDocIsFresh
	$(GO) test -count=1 ./core/errs/errgen -run TestGeneratedErrorsAreFresh

bench: go-bench bench-c bench-python bench-node

go-bench:
	$(GO) test -run '^$$' -bench . -benchmem ./core/...

clean:
	find $(BUILD) -mindepth 1 -maxdepth 1 ! -name scripts -exec rm -rf {} +

