# ksefkit — one Go core, two artifacts (libksef.so, ksef.wasm), thin bindings.
#
#   make demo    build everything and run the main job against the bundled simulator
#   make test    every test of every language (what CI runs)
#   make bench   benchmarks (figures are printed, never asserted)
#
# Area-specific targets live in mk/*.mk (C ABI, Python, wasm, Node).

GO      ?= go
BUILD   ?= build
export GOFLAGS ?= -buildvcs=false

# Area makefiles first: their variables ($(C_BIN), $(KSEF_SIM) …) are used below.
include mk/*.mk

.PHONY: all build go-build sim demo test go-vet go-test go-race docs docs-check deps bench go-bench clean help

all: build

help:
	@sed -n 's/^#   //p' Makefile

build: go-build sim lib wasm wheel npm

go-build:
	$(GO) build ./...
	GOOS=wasip1 GOARCH=wasm $(GO) build ./core/...

# The simulator binary's rule ($(KSEF_SIM)) lives in mk/capi.mk.
sim: capi-sim
	$(GO) build -o $(BUILD)/bin/ksef-demo ./cmd/ksef-demo

# The test tools some suites need (xmlsec1 verifies our XAdES signatures
# independently). Installed here so that a fresh machine needs nothing by hand.
deps:
	@command -v xmlsec1 >/dev/null 2>&1 || { \
	  echo "installing xmlsec1 (Debian package) for the XAdES tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq xmlsec1 >/dev/null; }

demo: build $(C_BIN)/token_auth
	./build/scripts/demo.sh

test: deps go-build docs-check header-check go-vet go-test go-race test-c test-python test-node
	@echo "all test suites passed"

go-vet:
	$(GO) vet ./...

# Includes the wazero host test of build/ksef.wasm (wasm/hosttest); its raw
# size guard, WASM_MAX_RAW, is explained in mk/wasm.mk.
go-test: sim wasm
	KSEFKIT_WASM=$(abspath $(BUILD)/ksef.wasm) KSEFKIT_WASM_MAX_RAW=$(WASM_MAX_RAW) $(GO) test -count=1 ./...

# The concurrency-heavy packages again under the race detector.
go-race:
	$(GO) test -count=1 -race ./core/auth/... ./core/step/... ./core/bridge/... ./sim/...

docs:
	$(GO) test ./core/ops -run TestOpsDocIsFresh -update

docs-check:
	$(GO) test -count=1 ./core/ops -run TestOpsDocIsFresh

bench: go-bench bench-c bench-python bench-node

go-bench:
	$(GO) test -run '^$$' -bench . -benchmem ./core/...

clean:
	find $(BUILD) -mindepth 1 -maxdepth 1 ! -name scripts -exec rm -rf {} +

